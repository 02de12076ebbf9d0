/**
 * The real network behind labrpc's ClientEnd: each Call goes to its peer over TCP, in the
 * frames of frame.ts, carrying the same codec bytes as the simulated network (so the same
 * warnings fire). What a node's Raft and Clerks see is what they saw in the simulator: Call
 * resolves true with the reply filled in, or false. It resolves false, never hangs:
 *
 * - within `deadlineMs` (2 s by default) when the peer is slow, hung, or half-open;
 * - after `refusedDelayMs` when the peer is known to be down, the link has too many calls
 *   waiting, or the partition switch cuts the peer off. The delay is a timer, not a resolved
 *   promise, so a Raft that retries in a loop cannot starve the event loop.
 *
 * Connections are made on the first Call and made again after a failure, with a short
 * back-off. Inbound, a connection must open with the preamble and a hello naming its node;
 * anything malformed (bad preamble, garbage, an oversized frame, a frame left unfinished) is
 * logged with its reason and that connection alone is closed.
 */
import * as net from 'node:net';
import type { ClientEnd } from '../labrpc/index.ts';
import { encode, decode } from '../labrpc/index.ts';
import {
  FrameDecoder,
  FrameError,
  defaultMaxFrameBytes,
  encodeHello,
  encodeReply,
  encodeRequest,
  parsePayload,
  preamble,
  requestPayloadBytes,
  type Message,
} from './frame.ts';

/** A node's address: where its peers and its HTTP clients connect. */
export interface Address {
  host: string;
  port: number;
}

export function formatAddress(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Parses "host:port" (or "[v6]:port"); throws a RangeError that says what is wrong. */
export function parseAddress(text: string): Address {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || !(port > 0 && port < 65536)) {
    throw new RangeError(`"${text}" is not an address; write host:port, e.g. 127.0.0.1:7000`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/** Runs the handler a request names; labrpc's Server is one ("Raft.RequestVote" → Raft's handler). */
export interface Dispatcher {
  dispatch(svcMeth: string, argsBytes: Uint8Array, serverLabel: string): Promise<Uint8Array>;
}

/**
 * Holds outgoing bytes until what they depend on is durable (see DiskPersister's batch mode).
 * `pass()` returns undefined when nothing is pending, else a promise that resolves once every
 * Save made so far is on disk.
 */
export interface OutputGate {
  pass(): Promise<void> | undefined;
}

/**
 * Lets some requests leave before the output gate opens (see commit-clamp.ts). Called for
 * every request sent; returns the args to encode and send at once, or undefined to send the
 * caller's args through the gate. It must never change the caller's args object.
 */
export interface EarlySendPolicy {
  early(svcMeth: string, args: object): object | undefined;
}

/** The partition switch: which peers this node may exchange messages with. */
export class LinkSwitch {
  private reachable: Set<number> | null = null;

  /** `null` heals: every peer is reachable. Otherwise only the listed nodes (and tools, id -1). */
  set(reachable: readonly number[] | null): void {
    this.reachable = reachable === null ? null : new Set(reachable);
  }

  /** The peers this node can reach, or null if it can reach them all. */
  get(): number[] | null {
    return this.reachable === null ? null : [...this.reachable].sort((a, b) => a - b);
  }

  allows(peer: number): boolean {
    return peer < 0 || this.reachable === null || this.reachable.has(peer);
  }
}

export interface TransportOptions {
  /** This node's id, sent in the hello; -1 for a tool that is not a node. */
  me: number;
  /** Every node's address, by id. */
  peers: readonly Address[];
  /** Handles inbound requests; none for a transport that only calls out. */
  dispatcher?: Dispatcher;
  /** A call without a reply after this long resolves false (default 2000 ms). */
  deadlineMs?: number;
  maxFrameBytes?: number;
  /** Calls waiting for a reply on one link, and requests being handled on one inbound connection (default 512). */
  maxInFlight?: number;
  gate?: OutputGate;
  /** Which requests may overtake the gate, and what they then carry; none: every frame waits. */
  earlySend?: EarlySendPolicy;
  switch?: LinkSwitch;
  log?: (line: string) => void;
  /** An inbound connection must send its hello within this long (default 3000 ms). */
  helloTimeoutMs?: number;
  /** A frame begun but not finished for this long means a stuck or half-open peer (default 10 000 ms). */
  stalledFrameMs?: number;
}

/**
 * 2 s: longer than any honest reply on loopback or a LAN (a KV handler waits at most ~0.5 s for
 * its entry in the reference, a snapshot of a lab-sized state ships in milliseconds), short
 * enough that a leader whose peer hangs keeps few calls waiting. labrpc allows up to 7 s.
 */
const defaultDeadlineMs = 2000;
/** How soon a call that cannot be sent at all resolves false (see the file comment). */
const refusedDelayMs = 10;
/** Back-off after a failed connection: doubles from the first value up to the second. */
const reconnectMinMs = 20;
const reconnectMaxMs = 500;
const connectTimeoutMs = 1000;
const keepAliveMs = 5000;
const defaultMaxInFlight = 512;
/** Connections one node holds at once (peers and HTTP clients); Node closes any beyond at once. */
const maxConnections = 2048;

/** Counters shown by /status and the benchmarks. */
export interface TransportStats {
  callsSent: number;
  callsOk: number;
  callsFailed: number;
  callsTimedOut: number;
  callsRefused: number;
  callsPartitioned: number;
  requestsServed: number;
  requestsPartitioned: number;
  connectionsRejected: number;
}

interface PendingCall {
  resolve(bytes: Uint8Array | null): void;
  timer: NodeJS.Timeout;
  sentAtMs: number;
  method: string;
}

const nowMs = (): number => performance.now();

/** The node's network: ends to every peer, and the receiving side for its listener. */
export class Transport {
  readonly me: number;
  readonly deadlineMs: number;
  readonly maxFrameBytes: number;
  readonly maxInFlight: number;
  readonly switch: LinkSwitch;
  readonly stats: TransportStats = {
    callsSent: 0,
    callsOk: 0,
    callsFailed: 0,
    callsTimedOut: 0,
    callsRefused: 0,
    callsPartitioned: 0,
    requestsServed: 0,
    requestsPartitioned: 0,
    connectionsRejected: 0,
  };
  private readonly links: Link[];
  private readonly inbound = new Set<net.Socket>();
  private closed = false;
  /** Error texts already logged, so a failing handler does not flood the log. */
  private readonly loggedOnce = new Set<string>();

  constructor(readonly options: TransportOptions) {
    this.me = options.me;
    this.deadlineMs = options.deadlineMs ?? defaultDeadlineMs;
    this.maxFrameBytes = options.maxFrameBytes ?? defaultMaxFrameBytes;
    this.maxInFlight = options.maxInFlight ?? defaultMaxInFlight;
    this.switch = options.switch ?? new LinkSwitch();
    this.links = options.peers.map((address, to) => new Link(this, to, address));
  }

  log(line: string): void {
    this.options.log?.(line);
  }

  logOnce(key: string, line: string): void {
    if (this.loggedOnce.has(key) || this.loggedOnce.size > 1000) return;
    this.loggedOnce.add(key);
    this.log(line);
  }

  /** The ClientEnd to node `to`; what Raft's peers[] and a Clerk's servers[] hold. */
  end(to: number): ClientEnd {
    const link = this.links[to];
    if (link === undefined) throw new RangeError(`no node ${to}: the cluster has nodes 0..${this.links.length - 1}`);
    return {
      Call: (svcMeth: string, args: object, reply: object): Promise<boolean> => this.call(link, svcMeth, args, reply),
    };
  }

  private async call(link: Link, svcMeth: string, args: object, reply: object): Promise<boolean> {
    // Only while something waits for the disk is there a gate to overtake.
    const earlyArgs = this.options.gate === undefined ? undefined : this.options.earlySend?.early(svcMeth, args);
    // Encoding throws for what cannot cross (a function), as in the simulator: a bug to see.
    const argsBytes = encode(earlyArgs ?? args, `args of ${svcMeth}`);
    const replyBytes = await link.call(svcMeth, argsBytes, earlyArgs !== undefined);
    if (replyBytes === null) return false;
    let value: unknown;
    try {
      value = decode(replyBytes);
    } catch (e) {
      this.logOnce(`undecodable ${svcMeth}`, `transport: reply of ${svcMeth} from node ${link.to} could not be decoded (${(e as Error).message}); the call fails`);
      return false;
    }
    if (value !== null && typeof value === 'object') Object.assign(reply, value);
    return true;
  }

  /** Takes over an inbound socket whose preamble has been read; `rest` is what followed it. */
  accept(socket: net.Socket, rest: Buffer): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.once('close', () => this.inbound.delete(socket));
    new Inbound(this, socket).start(rest);
  }

  dispatcher(): Dispatcher | undefined {
    return this.options.dispatcher;
  }

  gate(): OutputGate | undefined {
    return this.options.gate;
  }

  /** Closes every connection; calls waiting resolve false. */
  close(): void {
    this.closed = true;
    for (const link of this.links) link.close();
    for (const socket of this.inbound) socket.destroy();
    this.inbound.clear();
  }

  isClosed(): boolean {
    return this.closed;
  }
}

/** Resolves `value` after `ms` on a timer (never synchronously). */
function later<T>(value: T, ms: number): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

/**
 * Writes frames to a socket in order, each only once the output gate lets it pass; a frame
 * written with writeNow skips the queue (frames are independent RPC messages, which may be
 * reordered as on labrpc's network). A socket whose peer stops reading is closed rather than
 * buffered without end. The frames of one turn go out in one system call (a flush releases many
 * at once: one write each cost the leader more than a tenth of its time).
 */
class FrameWriter {
  private queued = 0;
  private tail: Promise<void> = Promise.resolve();
  private corked = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly gate: OutputGate | undefined,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: () => void,
  ) {}

  write(frame: Buffer): void {
    if (this.socket.destroyed) return;
    const wait = this.gate?.pass();
    if (wait === undefined && this.queued === 0) {
      this.put(frame);
      return;
    }
    this.queued++;
    this.tail = this.tail
      .then(() => wait)
      .then(
        () => {
          this.queued--;
          this.put(frame);
        },
        () => {
          this.queued--;
          this.socket.destroy();
        },
      );
  }

  /** Writes a frame at once, ahead of the frames waiting for the gate. */
  writeNow(frame: Buffer): void {
    if (this.socket.destroyed) return;
    this.put(frame);
  }

  private put(frame: Buffer): void {
    if (this.socket.destroyed) return;
    if (this.socket.writableLength + frame.length > this.maxBufferedBytes) {
      this.onOverflow();
      return;
    }
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }
}

/** The outbound connection to one peer, shared by every ClientEnd to it. */
class Link {
  private socket: net.Socket | undefined;
  private writer: FrameWriter | undefined;
  private readonly pending = new Map<number, PendingCall>();
  private nextCallId = 1;
  private downUntilMs = 0;
  private backoffMs = reconnectMinMs;
  private lastReceiveMs = 0;
  /** Calls timed out in a row with nothing received on the connection. */
  private silentTimeouts = 0;
  /** Whether the current socket ever connected. */
  private connected = false;
  /** Whether the last connection attempt worked; state changes are logged, repeats are not. */
  private up = true;
  private lastError = '';

  constructor(
    private readonly transport: Transport,
    readonly to: number,
    private readonly address: Address,
  ) {}

  /** Sends a request (at once if `early`, else through the gate); resolves with the reply's bytes, or null. */
  call(method: string, argsBytes: Uint8Array, early: boolean): Promise<Uint8Array | null> {
    const t = this.transport;
    t.stats.callsSent++;
    if (t.isClosed()) return this.refused('callsRefused');
    if (!t.switch.allows(this.to)) return this.refused('callsPartitioned');
    const payloadBytes = requestPayloadBytes(method, argsBytes.length);
    if (payloadBytes > t.maxFrameBytes) {
      t.logOnce(`too big ${method}`, `transport: not sending ${method} to node ${this.to}: its ${payloadBytes} bytes are over the frame limit of ${t.maxFrameBytes}; the call fails`);
      return this.refused('callsRefused');
    }
    if (this.pending.size >= t.maxInFlight) return this.refused('callsRefused');
    if (this.socket === undefined) {
      if (nowMs() < this.downUntilMs) return this.refused('callsRefused');
      this.connect();
    }
    const callId = this.nextCallId;
    this.nextCallId = this.nextCallId >= 0xffffffff ? 1 : this.nextCallId + 1;
    const frame = encodeRequest(callId, method, argsBytes);
    const socket = this.socket!;
    return new Promise<Uint8Array | null>((resolve) => {
      const sentAtMs = nowMs();
      const timer = setTimeout(() => {
        if (this.pending.get(callId)?.timer !== timer) return;
        this.pending.delete(callId);
        t.stats.callsTimedOut++;
        t.stats.callsFailed++;
        // Nothing at all came back since this call went out: the peer may be hung or the
        // connection half-open. Twice in a row, and a fresh connection is worth a try (one
        // slow handler alone is not enough: a healthy link carries other replies meanwhile).
        if (this.socket === socket && this.lastReceiveMs < sentAtMs && ++this.silentTimeouts >= 2) {
          this.drop(`no reply to ${method} for ${t.deadlineMs} ms and nothing else received; reconnecting`);
        }
        resolve(null);
      }, t.deadlineMs);
      this.pending.set(callId, { resolve, timer, sentAtMs, method });
      if (early) this.writer!.writeNow(frame);
      else this.writer!.write(frame);
    });
  }

  private refused(counter: 'callsRefused' | 'callsPartitioned'): Promise<null> {
    this.transport.stats[counter]++;
    this.transport.stats.callsFailed++;
    return later(null, refusedDelayMs);
  }

  private connect(): void {
    const t = this.transport;
    const socket = net.connect({ host: this.address.host, port: this.address.port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, keepAliveMs);
    this.socket = socket;
    this.writer = new FrameWriter(socket, t.gate(), t.maxFrameBytes * 2, () => this.drop('peer is not reading; its queue is over the limit'));
    const decoder = new FrameDecoder(t.maxFrameBytes);
    // Identify first; these carry no Raft state, so they need not wait for the disk.
    socket.write(preamble);
    socket.write(encodeHello(t.me));
    const connectTimer = setTimeout(() => {
      if (socket.connecting) this.drop(`could not connect within ${connectTimeoutMs} ms`);
    }, connectTimeoutMs);
    this.connected = false;
    this.silentTimeouts = 0;
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      this.connected = true;
      this.backoffMs = reconnectMinMs;
      if (!this.up) t.log(`transport: connected to node ${this.to} at ${formatAddress(this.address)}`);
      this.up = true;
    });
    socket.on('data', (chunk: Buffer) => {
      this.lastReceiveMs = nowMs();
      this.silentTimeouts = 0;
      let messages: Message[];
      try {
        messages = decoder.push(chunk).map(parsePayload);
      } catch (e) {
        this.drop(`bad frame from node ${this.to}: ${(e as Error).message}`);
        return;
      }
      for (const message of messages) {
        if (message.kind !== 'reply') {
          this.drop(`node ${this.to} sent a ${message.kind} frame where only replies belong`);
          return;
        }
        this.settle(message.callId, message.ok, message.body);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.lastError = e.code ?? e.message;
    });
    socket.once('close', () => {
      clearTimeout(connectTimer);
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.writer = undefined;
      // A connection that worked may be made again at once; a peer that refuses waits out a back-off.
      if (this.connected) this.backoffMs = reconnectMinMs;
      else {
        this.downUntilMs = nowMs() + this.backoffMs;
        this.backoffMs = Math.min(this.backoffMs * 2, reconnectMaxMs);
      }
      if (this.up) t.log(`transport: node ${this.to} at ${formatAddress(this.address)} is unreachable${this.lastError === '' ? '' : ` (${this.lastError})`}; calls to it fail until it answers`);
      this.up = false;
      this.lastError = '';
      this.failAll();
    });
  }

  private settle(callId: number, ok: boolean, body: Uint8Array): void {
    const call = this.pending.get(callId);
    if (call === undefined) return; // its deadline passed already
    this.pending.delete(callId);
    clearTimeout(call.timer);
    const t = this.transport;
    if (ok) {
      t.stats.callsOk++;
      call.resolve(body);
      return;
    }
    t.stats.callsFailed++;
    const text = Buffer.from(body).toString('utf8');
    t.logOnce(`remote error ${call.method} ${text.slice(0, 80)}`, `transport: node ${this.to} could not handle ${call.method}: ${text}`);
    call.resolve(null);
  }

  private failAll(): void {
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      this.transport.stats.callsFailed++;
      call.resolve(null);
    }
    this.pending.clear();
  }

  /** Closes the connection with a logged reason; a later call reconnects. */
  private drop(reason: string): void {
    if (this.socket === undefined) return;
    this.lastError = reason;
    this.socket.destroy();
  }

  close(): void {
    this.socket?.destroy();
    this.failAll();
  }
}

/** One inbound connection from a peer: hello, then requests to dispatch. */
class Inbound {
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private readonly remote: string;
  private from: number | undefined;
  private inFlight = 0;
  private helloTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private lastProgressMs = nowMs();
  private done = false;

  constructor(
    private readonly transport: Transport,
    private readonly socket: net.Socket,
  ) {
    this.decoder = new FrameDecoder(transport.maxFrameBytes);
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.writer = new FrameWriter(socket, transport.gate(), transport.maxFrameBytes * 2, () => this.reject('peer is not reading its replies; its queue is over the limit'));
  }

  start(rest: Buffer): void {
    const t = this.transport;
    const helloTimeoutMs = t.options.helloTimeoutMs ?? 3000;
    const stalledFrameMs = t.options.stalledFrameMs ?? 10_000;
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, keepAliveMs);
    this.helloTimer = setTimeout(() => this.reject(`sent no hello within ${helloTimeoutMs} ms`), helloTimeoutMs);
    this.stallTimer = setInterval(() => {
      if (this.decoder.pendingBytes > 0 && nowMs() - this.lastProgressMs > stalledFrameMs) {
        this.reject(`left a frame unfinished (${this.decoder.pendingBytes} bytes) for ${stalledFrameMs} ms: stuck or half-open`);
      }
    }, Math.max(100, stalledFrameMs / 4));
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', () => {});
    this.socket.once('close', () => this.finish());
    if (rest.length > 0) this.receive(rest);
  }

  private receive(chunk: Buffer): void {
    if (this.done) return;
    this.lastProgressMs = nowMs();
    let messages: Message[];
    try {
      messages = this.decoder.push(chunk).map(parsePayload);
    } catch (e) {
      this.reject(e instanceof FrameError ? e.message : `unreadable bytes (${(e as Error).message})`);
      return;
    }
    for (const message of messages) {
      if (this.done) return;
      this.handle(message);
    }
  }

  private handle(message: Message): void {
    if (this.from === undefined) {
      if (message.kind !== 'hello') {
        this.reject(`sent a ${message.kind} frame before its hello`);
        return;
      }
      clearTimeout(this.helloTimer);
      this.from = message.from;
      return;
    }
    if (message.kind !== 'request') {
      this.reject(`sent a ${message.kind} frame where only requests belong`);
      return;
    }
    this.serve(message.callId, message.method, message.args);
  }

  private serve(callId: number, method: string, args: Uint8Array): void {
    const t = this.transport;
    const from = this.from!;
    // The partition switch drops the request unanswered, as a cut cable would.
    if (!t.switch.allows(from)) {
      t.stats.requestsPartitioned++;
      return;
    }
    const dispatcher = t.dispatcher();
    if (dispatcher === undefined || this.inFlight >= t.maxInFlight) {
      this.writer.write(encodeReply(callId, false, Buffer.from(dispatcher === undefined ? 'this end serves no RPCs' : 'overloaded: too many requests in flight')));
      return;
    }
    this.inFlight++;
    t.stats.requestsServed++;
    // labrpc names a server by a label; it shows in error messages and debug lines.
    dispatcher.dispatch(method, args, `S${t.me}`).then(
      (reply) => {
        this.inFlight--;
        if (this.done || !t.switch.allows(from)) return;
        if (reply.length + 6 > t.maxFrameBytes) {
          t.logOnce(`reply too big ${method}`, `transport: reply of ${method} is ${reply.length} bytes, over the frame limit of ${t.maxFrameBytes}; the caller sees a failed call`);
          this.writer.write(encodeReply(callId, false, Buffer.from('reply over the frame limit')));
          return;
        }
        this.writer.write(encodeReply(callId, true, reply));
      },
      (e: unknown) => {
        this.inFlight--;
        const text = e instanceof Error ? e.message : String(e);
        t.logOnce(`handler error ${method} ${text.slice(0, 120)}`, `transport: request ${method} from node ${from} failed: ${text}`);
        if (!this.done) this.writer.write(encodeReply(callId, false, Buffer.from(text.slice(0, 2000), 'utf8')));
      },
    );
  }

  private reject(reason: string): void {
    if (this.done) return;
    this.transport.stats.connectionsRejected++;
    this.transport.log(`transport: rejected connection from ${this.remote}${this.from === undefined ? '' : ` (node ${this.from})`}: ${reason}`);
    this.socket.destroy();
    this.finish();
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.helloTimer);
    clearInterval(this.stallTimer);
  }
}

export interface ListenOptions {
  host: string;
  port: number;
  transport: Transport;
  /** Gets every connection that does not open with the preamble; without one, those are rejected. */
  http?: { emit(event: 'connection', socket: net.Socket): boolean };
  log?: (line: string) => void;
  /** A connection that sends nothing for this long is closed (default 5000 ms). */
  silentMs?: number;
}

/**
 * Listens on one port for both peers and HTTP clients: a connection that opens with the
 * preamble goes to the transport, any other to the HTTP server. Resolves once listening;
 * rejects with a clear error if the port is taken.
 */
export interface Listener {
  readonly server: net.Server;
  /** Stops listening and closes every connection it accepted (peers and HTTP clients). */
  close(): Promise<void>;
}

export function listen(options: ListenOptions): Promise<Listener> {
  const log = options.log ?? (() => {});
  const silentMs = options.silentMs ?? 5000;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    let head: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      options.transport.stats.connectionsRejected++;
      log(`transport: connection from ${remote} said nothing for ${silentMs} ms; closed`);
      socket.destroy();
    }, silentMs);
    const onError = (): void => {};
    socket.on('error', onError);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const n = Math.min(head.length, preamble.length);
      const isPeer = head.subarray(0, n).equals(preamble.subarray(0, n));
      if (isPeer && head.length < preamble.length) return; // wait for the rest of the preamble
      clearTimeout(timer);
      socket.removeListener('data', onData);
      if (isPeer) {
        socket.removeListener('error', onError);
        options.transport.accept(socket, head.subarray(preamble.length));
        return;
      }
      if (options.http === undefined) {
        options.transport.stats.connectionsRejected++;
        log(`transport: rejected connection from ${remote}: it does not open with the raftlab preamble (not a peer)`);
        socket.destroy();
        return;
      }
      socket.removeListener('error', onError);
      // Put the first bytes back and let the HTTP server read from there. It attaches its own
      // 'data' listener; resume() makes the stream deliver the bytes put back to it first.
      socket.unshift(head);
      options.http.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
  });
  // A bound on connections too: peers need a few each, HTTP clients share the rest.
  server.maxConnections = maxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? `port ${options.port} on ${options.host} is in use (another node or program holds it): stop it, or choose other ports with --port`
            : `cannot listen on ${options.host}:${options.port}: ${e.message}`,
        ),
      );
    });
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      server.on('error', (e) => log(`transport: listener error: ${e.message}`));
      resolve({
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
  });
}
