import * as net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { Server, Service, resetWarnings, setWarningSink } from '../../labrpc/index.ts';
import { FrameDecoder, FrameError, encodeHello, encodeRequest, preamble } from '../frame.ts';
import { LinkSwitch, Transport, listen, type Address, type Listener, type TransportOptions } from '../transport.ts';

class Echo {
  calls = 0;
  Double(args: { X: number }, reply: { Y?: number }): void {
    this.calls++;
    reply.Y = args.X * 2;
  }
  async Slow(args: { Ms: number }, reply: { Done?: boolean }): Promise<void> {
    await new Promise((r) => setTimeout(r, args.Ms));
    reply.Done = true;
  }
}

interface Peer {
  listener: Listener;
  transport: Transport;
  address: Address;
  logs: string[];
  echo: Echo;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A node that serves Echo on an ephemeral port; its log lines are collected. */
async function serve(options: Partial<TransportOptions> & { silentMs?: number; port?: number } = {}): Promise<Peer> {
  const echo = new Echo();
  const server = new Server();
  server.addService(new Service(echo));
  const logs: string[] = [];
  const transport = new Transport({ me: 0, peers: [], dispatcher: server, log: (l) => logs.push(l), ...options });
  const listener = await listen({ host: '127.0.0.1', port: options.port ?? 0, transport, log: (l) => logs.push(l), silentMs: options.silentMs });
  const port = (listener.server.address() as net.AddressInfo).port;
  cleanups.push(() => {
    transport.close();
    return listener.close();
  });
  return { listener, transport, address: { host: '127.0.0.1', port }, logs, echo };
}

/** A transport that calls node 0 at `address` (as node 1). */
function caller(address: Address, options: Partial<TransportOptions> = {}): Transport {
  const t = new Transport({ me: 1, peers: [address], ...options });
  cleanups.push(() => t.close());
  return t;
}

/** A raw socket, for sending what a well-behaved peer never would. */
function rawSocket(address: Address): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(address.port, address.host, () => resolve(s));
    s.on('error', reject);
    cleanups.push(() => s.destroy());
  });
}

function closed(socket: net.Socket): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(0);
    socket.on('error', () => {});
    socket.once('close', () => resolve(performance.now() - started));
  });
}

describe('frames', () => {
  test('a stream cut anywhere gives back the same frames', () => {
    const frames = [encodeHello(3), encodeRequest(7, 'Raft.AppendEntries', new Uint8Array([1, 2, 3])), encodeRequest(8, 'Raft.RequestVote', new Uint8Array(5000))];
    const stream = Buffer.concat(frames);
    for (const step of [1, 3, 7, 100, stream.length]) {
      const d = new FrameDecoder();
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) out.push(...d.push(stream.subarray(i, i + step)));
      expect(out.map((b) => b.length)).toEqual(frames.map((f) => f.length - 4));
      expect(d.pendingBytes).toBe(0);
    }
  });

  test('a header announcing 1 GB is refused before any of it arrives', () => {
    const d = new FrameDecoder(64 * 1024 * 1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1024 * 1024 * 1024);
    expect(() => d.push(header)).toThrow(FrameError);
    expect(() => new FrameDecoder(1000).push(header)).toThrow(/1073741824 bytes announced, over the limit of 1000 bytes/);
  });
});

describe('transport', () => {
  test('a call carries the codec bytes there and the reply back', async () => {
    const peer = await serve();
    const t = caller(peer.address);
    const reply: { Y?: number } = {};
    expect(await t.end(0).Call('Echo.Double', { X: 21 }, reply)).toBe(true);
    expect(reply.Y).toBe(42);
    // Many at once on one connection.
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => {
      const r: { Y?: number } = {};
      return t.end(0).Call('Echo.Double', { X: i }, r).then((ok) => ok && r.Y === 2 * i);
    }));
    expect(results.every(Boolean)).toBe(true);
  });

  test('the codec warnings of labrpc apply', async () => {
    const peer = await serve();
    const t = caller(peer.address);
    const warnings: string[] = [];
    resetWarnings();
    const previous = setWarningSink((w) => warnings.push(w));
    try {
      class Point {
        constructor(readonly X: number) {}
      }
      await t.end(0).Call('Echo.Double', new Point(1), {});
    } finally {
      setWarningSink(previous);
    }
    expect(warnings.join('\n')).toMatch(/instance of class Point/);
  });

  test('an unknown method fails the call and is logged; the node goes on', async () => {
    const peer = await serve();
    const t = caller(peer.address);
    expect(await t.end(0).Call('Echo.Nothing', {}, {})).toBe(false);
    expect(peer.logs.join('\n')).toMatch(/unknown method Nothing/);
    expect(await t.end(0).Call('Echo.Double', { X: 1 }, {})).toBe(true);
  });

  test('a peer that is down: false at once, and again once it is back', async () => {
    const peer = await serve();
    const port = peer.address.port;
    await peer.listener.close();
    peer.transport.close();
    const t = caller(peer.address);
    const started = performance.now();
    expect(await t.end(0).Call('Echo.Double', { X: 1 }, {})).toBe(false);
    expect(await t.end(0).Call('Echo.Double', { X: 1 }, {})).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
    // The peer comes back on the same port: the link reconnects by itself.
    await serve({ port });
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      ok = await t.end(0).Call('Echo.Double', { X: 2 }, {});
      if (!ok) await new Promise((r) => setTimeout(r, 20));
    }
    expect(ok).toBe(true);
  });

  test('a peer that never answers: false within the deadline, and the waiting calls stay bounded', async () => {
    // A listener that accepts and reads nothing: a hung process.
    const accepted: net.Socket[] = [];
    const hung = net.createServer((s) => accepted.push(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of accepted) s.destroy();
      return new Promise((r) => hung.close(r));
    });
    const address = { host: '127.0.0.1', port: (hung.address() as net.AddressInfo).port };
    const t = caller(address, { deadlineMs: 300, maxInFlight: 4 });
    const started = performance.now();
    const times = await Promise.all(Array.from({ length: 10 }, () => t.end(0).Call('Echo.Double', { X: 1 }, {}).then((ok) => ({ ok, ms: performance.now() - started }))));
    expect(times.every((x) => !x.ok)).toBe(true);
    // Four waited for the deadline; the six beyond the bound failed at once.
    expect(times.filter((x) => x.ms < 150).length).toBe(6);
    expect(times.filter((x) => x.ms >= 250).length).toBe(4);
    expect(Math.max(...times.map((x) => x.ms))).toBeLessThan(300 + 250);
    // Two silent timeouts in a row make the link reconnect. Timers that expire in the same batch
    // still count as timed out; a later one finds its call failed by the reconnect instead.
    expect(t.stats.callsTimedOut).toBeGreaterThanOrEqual(2);
    expect(t.stats.callsTimedOut).toBeLessThanOrEqual(4);
  });

  test('a slow handler: false at the deadline, and the next call goes through', async () => {
    const peer = await serve();
    const t = caller(peer.address, { deadlineMs: 200 });
    const started = performance.now();
    expect(await t.end(0).Call('Echo.Slow', { Ms: 1000 }, {})).toBe(false);
    expect(performance.now() - started).toBeLessThan(400);
    expect(await t.end(0).Call('Echo.Double', { X: 1 }, {})).toBe(true);
  });

  test('garbage after the preamble: logged, that connection closed, the node keeps serving', async () => {
    const peer = await serve();
    const s = await rawSocket(peer.address);
    s.write(Buffer.concat([preamble, Buffer.from([0, 0, 0, 9, 1]), Buffer.from('not-json')]));
    await closed(s);
    expect(peer.logs.join('\n')).toMatch(/rejected connection from .*hello frame is not JSON/);
    const s2 = await rawSocket(peer.address);
    s2.write(Buffer.concat([preamble, encodeHello(5), Buffer.from([0, 0, 0, 3, 77, 1, 2])]));
    await closed(s2);
    expect(peer.logs.join('\n')).toMatch(/unknown frame kind 77/);
    expect(await caller(peer.address).end(0).Call('Echo.Double', { X: 1 }, {})).toBe(true);
  });

  test('bytes that are not a peer and no HTTP server: rejected and logged', async () => {
    const peer = await serve();
    const s = await rawSocket(peer.address);
    s.write('GET / HTTP/1.1\r\n\r\n');
    await closed(s);
    expect(peer.logs.join('\n')).toMatch(/does not open with the raftlab preamble/);
  });

  test('a frame of 1 GB announced in its header: refused at once, nothing buffered', async () => {
    const peer = await serve();
    const s = await rawSocket(peer.address);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1024 * 1024 * 1024);
    s.write(Buffer.concat([preamble, encodeHello(2), header, Buffer.alloc(1000)]));
    const ms = await closed(s);
    expect(ms).toBeLessThan(1000);
    expect(peer.logs.join('\n')).toMatch(/frame of 1073741824 bytes announced, over the limit of 67108864 bytes/);
    expect(await caller(peer.address).end(0).Call('Echo.Double', { X: 1 }, {})).toBe(true);
  });

  test('a connection that opens and says nothing is closed', async () => {
    const peer = await serve({ silentMs: 200 });
    const s = await rawSocket(peer.address);
    const ms = await closed(s);
    expect(ms).toBeGreaterThan(150);
    expect(ms).toBeLessThan(1500);
    expect(peer.logs.join('\n')).toMatch(/said nothing for 200 ms; closed/);
  });

  test('a peer that says hello and nothing more is closed; one that stops mid-frame too', async () => {
    const peer = await serve({ helloTimeoutMs: 200, stalledFrameMs: 200 });
    const silent = await rawSocket(peer.address);
    silent.write(preamble);
    await closed(silent);
    expect(peer.logs.join('\n')).toMatch(/sent no hello within 200 ms/);
    const halfOpen = await rawSocket(peer.address);
    const frame = encodeRequest(1, 'Echo.Double', new Uint8Array(100));
    halfOpen.write(Buffer.concat([preamble, encodeHello(1), frame.subarray(0, 50)]));
    await closed(halfOpen);
    expect(peer.logs.join('\n')).toMatch(/left a frame unfinished \(\d+ bytes\) for 200 ms/);
  });

  test('a call over the frame limit is not sent: false, and logged', async () => {
    const peer = await serve();
    const logs: string[] = [];
    const t = caller(peer.address, { maxFrameBytes: 1000, log: (l) => logs.push(l) });
    expect(await t.end(0).Call('Echo.Double', { X: 1, Pad: 'x'.repeat(2000) }, {})).toBe(false);
    expect(logs.join('\n')).toMatch(/over the frame limit of 1000/);
    expect(await t.end(0).Call('Echo.Double', { X: 1 }, {})).toBe(true);
  });

  test('the partition switch drops traffic both ways', async () => {
    const inbound = new LinkSwitch();
    const peer = await serve({ switch: inbound, deadlineMs: 200 });
    const outbound = new LinkSwitch();
    const t = caller(peer.address, { switch: outbound, deadlineMs: 200 });
    outbound.set([1]); // node 1 may only talk to itself
    expect(await t.end(0).Call('Echo.Double', { X: 1 }, {})).toBe(false);
    expect(t.stats.callsPartitioned).toBe(1);
    outbound.set(null);
    inbound.set([0]); // node 0 no longer hears node 1: its requests go unanswered
    const started = performance.now();
    expect(await t.end(0).Call('Echo.Double', { X: 1 }, {})).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(peer.echo.calls).toBe(0);
    inbound.set(null);
    expect(await t.end(0).Call('Echo.Double', { X: 1 }, {})).toBe(true);
  });
});
