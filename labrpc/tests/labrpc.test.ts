/**
 * labrpc's own tests (6.5840 src/labrpc/test_test.go, all eleven), each run on virtual time,
 * the timing-sensitive ones also on real time; then the behaviours of the port that the Raft
 * and KV testers depend on (reference §1 and §10): fault distributions, counts, bytes, copies,
 * and the errors a student sees when they call something that does not exist.
 */
import { describe, expect, test, vi } from 'vitest';
import { runSimulation, sleep, now, type TimeMode } from '../../sim/index.ts';
import { Network, Server, Service, encode, CodecError, UnknownMethodError, HandlerError, type ClientEnd, type RpcEvent } from '../index.ts';

interface IntArgs {
  X: number;
}
interface StrArgs {
  X: string;
}
interface IntReply {
  X?: number;
}
interface StrReply {
  X?: string;
}

/** The handlers of test_test.go's JunkServer, with Go's scalar args wrapped in `{ X }`. */
class JunkServer {
  log1: string[] = [];
  log2: number[] = [];
  /** References the handlers kept, to check that nothing is shared with the caller. */
  keptArgs: { nested: { n: number } } | undefined;
  keptReply: { nested: { n: number } } | undefined;

  Handler1(args: StrArgs, reply: IntReply): void {
    this.log1.push(args.X);
    reply.X = Number.parseInt(args.X, 10);
  }
  Handler2(args: IntArgs, reply: StrReply): void {
    this.log2.push(args.X);
    reply.X = `handler2-${args.X}`;
  }
  /** Go: holds the lock and sleeps 20 s. */
  async Handler3(args: IntArgs, reply: IntReply): Promise<void> {
    await sleep(20_000);
    reply.X = -args.X;
  }
  /** Go: pointer args. Here: a synchronous handler. */
  Handler4(_args: IntArgs, reply: StrReply): void {
    reply.X = 'pointer';
  }
  /** Go: value args. Here: an async handler that awaits before answering. */
  async Handler5(_args: IntArgs, reply: StrReply): Promise<void> {
    await sleep(1);
    reply.X = 'no pointer';
  }
  Handler6(args: StrArgs, reply: IntReply): void {
    reply.X = args.X.length;
  }
  Handler7(args: IntArgs, reply: StrReply): void {
    reply.X = 'y'.repeat(args.X);
  }
  /** Answers after 50 ms: less than one liveness re-check. */
  async Slow(args: IntArgs, reply: IntReply): Promise<void> {
    await sleep(50);
    this.log2.push(args.X);
    reply.X = args.X;
  }
  Throws(_args: IntArgs, _reply: IntReply): void {
    throw new Error('kaput');
  }
  async ThrowsLater(_args: IntArgs, _reply: IntReply): Promise<void> {
    await sleep(5);
    throw new Error('kaput later');
  }
  Echo(args: { value: unknown }, reply: { value?: unknown }): void {
    reply.value = args.value;
  }
  Keep(args: { nested: { n: number } }, reply: { nested?: { n: number } }): void {
    this.keptArgs = args;
    args.nested.n += 1000; // the caller's copy must not see this
    reply.nested = { n: args.nested.n };
    this.keptReply = reply as { nested: { n: number } };
  }
}

interface Setup {
  net: Network;
  js: JunkServer;
  server: Server;
  end: ClientEnd;
}

/** A network with one JunkServer called `serverName` and one end `endName` connected to it. */
function setup(endName: string | number = 'end1-99', serverName: string | number = 'server99', enabled = true): Setup {
  const net = new Network();
  const js = new JunkServer();
  const server = new Server();
  server.addService(new Service(js));
  net.addServer(serverName, server);
  const end = net.makeEnd(endName);
  net.connect(endName, serverName);
  net.enable(endName, enabled);
  return { net, js, server, end };
}

/** Runs `body` as a simulated run with a seed named after the test. */
async function sim<T>(name: string, body: () => Promise<T>, mode: TimeMode = 'virtual'): Promise<T> {
  const result = await runSimulation(body, { seed: `labrpc-test:${name}`, mode });
  return result.value;
}

/** Registers a test in virtual time and, for the timing-sensitive ones, in real time too. */
function timed(name: string, body: (mode: TimeMode) => Promise<void>, realTimeoutMs = 10_000): void {
  test(`${name} (virtual time)`, () => sim(name, () => body('virtual'), 'virtual'));
  test(`${name} (real time)`, () => sim(name, () => body('real'), 'real'), realTimeoutMs);
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('6.5840 labrpc test_test.go', () => {
  test('TestBasic', () =>
    sim('TestBasic', async () => {
      const { net, end } = setup();
      {
        const reply: StrReply = {};
        expect(await end.Call('JunkServer.Handler2', { X: 111 }, reply)).toBe(true);
        expect(reply.X).toBe('handler2-111');
      }
      {
        const reply: IntReply = {};
        expect(await end.Call('JunkServer.Handler1', { X: '9099' }, reply)).toBe(true);
        expect(reply.X).toBe(9099);
      }
      net.cleanup();
    }));

  test('TestTypes', () =>
    sim('TestTypes', async () => {
      const { end } = setup();
      {
        const reply: StrReply = {};
        await end.Call('JunkServer.Handler4', { X: 4 }, reply);
        expect(reply.X).toBe('pointer');
      }
      {
        const reply: StrReply = {};
        await end.Call('JunkServer.Handler5', { X: 4 }, reply);
        expect(reply.X).toBe('no pointer');
      }
      // Go checks that the handler receives the caller's exact type; here every plain-data type
      // must arrive as itself.
      const value = {
        n: 1.5,
        big: 2n ** 70n,
        s: 'str',
        b: false,
        nil: null,
        list: [1, [2, [3]]],
        map: new Map<string, number[]>([['k', [1, 2]]]),
        set: new Set([1, 'two']),
        date: new Date(Date.UTC(2020, 1, 2)),
        bytes: new Uint8Array([1, 2, 255]),
      };
      const reply: { value?: unknown } = {};
      expect(await end.Call('JunkServer.Echo', { value }, reply)).toBe(true);
      expect(reply.value).toEqual(value);
      expect(reply.value).not.toBe(value);
      const got = reply.value as typeof value;
      expect(got.map).toBeInstanceOf(Map);
      expect(got.set).toBeInstanceOf(Set);
      expect(got.date).toBeInstanceOf(Date);
      expect(got.bytes).toBeInstanceOf(Uint8Array);
    }));

  test('TestDisconnect', () =>
    sim('TestDisconnect', async () => {
      const { net, end } = setup('end1-99', 'server99', false);
      {
        const reply: StrReply = {};
        expect(await end.Call('JunkServer.Handler2', { X: 111 }, reply)).toBe(false);
        expect(reply.X).toBeUndefined();
      }
      net.enable('end1-99', true);
      {
        const reply: IntReply = {};
        expect(await end.Call('JunkServer.Handler1', { X: '9099' }, reply)).toBe(true);
        expect(reply.X).toBe(9099);
      }
    }));

  test('TestCounts', () =>
    sim('TestCounts', async () => {
      const { net, end } = setup('end1-99', 99);
      for (let i = 0; i < 17; i++) {
        const reply: StrReply = {};
        expect(await end.Call('JunkServer.Handler2', { X: i }, reply)).toBe(true);
        expect(reply.X).toBe(`handler2-${i}`);
      }
      expect(net.getCount(99)).toBe(17);
      expect(net.getTotalCount()).toBe(17);
    }));

  test('TestBytes', () =>
    sim('TestBytes', async () => {
      const { net, end } = setup('end1-99', 99);
      // Go: 17 calls with a 284-character string, 4828 <= bytes <= 6000 (gob overhead). Here the
      // exact size is known: what encode() makes of the args and the reply.
      const payload = 'x'.repeat(71).repeat(4); // 284 characters, as in Go
      for (let i = 0; i < 17; i++) {
        const reply: IntReply = {};
        expect(await end.Call('JunkServer.Handler6', { X: payload }, reply)).toBe(true);
        expect(reply.X).toBe(payload.length);
      }
      const n = net.getTotalBytes();
      const perCall = encode({ X: payload }).length + encode({ X: payload.length }).length;
      expect(n).toBe(17 * perCall);
      expect(n).toBeGreaterThanOrEqual(17 * payload.length);
      expect(n).toBeLessThanOrEqual(6000);

      for (let i = 0; i < 17; i++) {
        const reply: StrReply = {};
        expect(await end.Call('JunkServer.Handler7', { X: 107 }, reply)).toBe(true);
        expect(reply.X).toHaveLength(107);
      }
      const nn = net.getTotalBytes() - n;
      expect(nn).toBe(17 * (encode({ X: 107 }).length + encode({ X: 'y'.repeat(107) }).length));
      expect(nn).toBeGreaterThanOrEqual(1800);
      expect(nn).toBeLessThanOrEqual(2500);
    }));

  timed('TestConcurrentMany', async () => {
    const net = new Network();
    const js = new JunkServer();
    const server = new Server();
    server.addService(new Service(js));
    net.addServer(1000, server);
    const nclients = 20;
    const nrpcs = 10;
    const client = async (ii: number): Promise<number> => {
      const end = net.makeEnd(ii);
      net.connect(ii, 1000);
      net.enable(ii, true);
      let n = 0;
      for (let j = 0; j < nrpcs; j++) {
        const arg = ii * 100 + j;
        const reply: StrReply = {};
        expect(await end.Call('JunkServer.Handler2', { X: arg }, reply)).toBe(true);
        expect(reply.X).toBe(`handler2-${arg}`);
        n++;
      }
      return n;
    };
    const counts = await Promise.all(Array.from({ length: nclients }, (_, ii) => client(ii)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(nclients * nrpcs);
    expect(net.getCount(1000)).toBe(nclients * nrpcs);
    expect(js.log2).toHaveLength(nclients * nrpcs);
  });

  timed('TestUnreliable', async () => {
    const net = new Network();
    net.setReliable(false);
    const server = new Server();
    server.addService(new Service(new JunkServer()));
    net.addServer(1000, server);
    const nclients = 300;
    const client = async (ii: number): Promise<number> => {
      const end = net.makeEnd(ii);
      net.connect(ii, 1000);
      net.enable(ii, true);
      const arg = ii * 100;
      const reply: StrReply = {};
      if (!(await end.Call('JunkServer.Handler2', { X: arg }, reply))) return 0;
      expect(reply.X).toBe(`handler2-${arg}`);
      return 1;
    };
    const total = (await Promise.all(Array.from({ length: nclients }, (_, ii) => client(ii)))).reduce((a, b) => a + b, 0);
    expect(total, 'all RPCs succeeded despite unreliable').not.toBe(nclients);
    expect(total, 'no RPCs succeeded').not.toBe(0);
  });

  test('TestConcurrentOne', () =>
    sim('TestConcurrentOne', async () => {
      const { net, js, end } = setup('end1-99', 1000);
      const nrpcs = 20;
      const results = await Promise.all(
        Array.from({ length: nrpcs }, async (_, ii) => {
          const arg = 100 + ii;
          const reply: StrReply = {};
          const ok = await end.Call('JunkServer.Handler2', { X: arg }, reply);
          expect(reply.X).toBe(`handler2-${arg}`);
          return ok;
        }),
      );
      expect(results.every((ok) => ok)).toBe(true);
      expect(js.log2).toHaveLength(nrpcs);
      expect(net.getCount(1000)).toBe(nrpcs);
    }));

  timed('TestRegression1', async () => {
    // An RPC stuck because its destination was disabled must not hold up later RPCs.
    const { net, js, end } = setup('end1-99', 1000, false);
    const pending = Array.from({ length: 20 }, (_, i) => end.Call('JunkServer.Handler2', { X: i }, {}));
    await sleep(100);
    const t0 = now();
    net.enable('end1-99', true);
    const reply: StrReply = {};
    expect(await end.Call('JunkServer.Handler2', { X: 99 }, reply)).toBe(true);
    expect(reply.X).toBe('handler2-99');
    const durMs = now() - t0;
    expect(durMs, `RPC took too long (${durMs} ms) after Enable`).toBeLessThan(30);
    expect(await Promise.all(pending)).toEqual(Array(20).fill(false));
    expect(js.log2, 'wrong number of RPCs delivered').toEqual([99]);
    expect(net.getCount(1000)).toBe(1);
  });

  timed('TestKilled', async () => {
    // A handler that never returns in time: DeleteServer must make the Call return false within
    // 100 ms (the network re-checks every 100 ms). Go deletes at 1100 ms, exactly on a re-check
    // tick; deleting at 1150 ms keeps the same 100 ms bound without a same-instant race in real time.
    const { net, end } = setup('end1-99', 'server99');
    const call = end.Call('JunkServer.Handler3', { X: 99 }, {});
    const timeout = (ms: number): Promise<'timeout'> => sleep(ms).then(() => 'timeout' as const);
    await sleep(1050);
    expect(await Promise.race([call, timeout(100)]), 'Handler3 should not have returned yet').toBe('timeout');
    net.deleteServer('server99');
    const outcome = await Promise.race([call, timeout(100)]);
    expect(outcome, 'Handler3 should return after DeleteServer()').not.toBe('timeout');
    expect(outcome, 'Handler3 returned successfully despite DeleteServer()').toBe(false);
  });

  test('TestBenchmark (10 000 calls)', async () => {
    const { value, realMs } = await runSimulation(
      async () => {
        const { net, end } = setup('end1-99', 'server99');
        let ok = 0;
        for (let i = 0; i < 10_000; i++) {
          const reply: StrReply = {};
          if (await end.Call('JunkServer.Handler2', { X: 111 }, reply)) ok += reply.X === 'handler2-111' ? 1 : 0;
        }
        return { ok, count: net.getCount('server99') };
      },
      { seed: 'labrpc-test:TestBenchmark', mode: 'virtual' },
    );
    expect(value).toEqual({ ok: 10_000, count: 10_000 });
    expect(realMs).toBeLessThan(10_000);
  });
});

describe('errors a caller sees', () => {
  test('an unknown service names the services that exist', () =>
    sim('unknown service', async () => {
      const { net, server, end } = setup();
      server.addService(new Service({ Ping: () => undefined }, 'Other'));
      const err = await end.Call('Nope.Handler2', { X: 1 }, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UnknownMethodError);
      expect((err as Error).message).toMatch(/unknown service Nope/);
      expect((err as Error).message).toMatch(/expecting one of .*JunkServer/);
      expect((err as Error).message).toMatch(/Other/);
      // The request reached the server: it is counted there, as Go counts before it looks up.
      expect(net.getCount('server99')).toBe(1);
    }));

  test('an unknown method names the methods that exist', () =>
    sim('unknown method', async () => {
      const { end } = setup();
      const err = await end.Call('JunkServer.Handler9', { X: 1 }, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UnknownMethodError);
      expect((err as Error).message).toMatch(/unknown method Handler9 in JunkServer\.Handler9/);
      expect((err as Error).message).toMatch(/expecting one of .*Handler1, Handler2, Handler3/);
      // Only capitalised methods are handlers.
      expect((err as Error).message).not.toMatch(/log1|constructor/);
    }));

  test('Call on a deleted end warns once and returns false', () =>
    sim('deleted end', async () => {
      const { net, js, end } = setup('doomed-end', 'server99');
      const writes: string[] = [];
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      });
      try {
        net.deleteEnd('doomed-end');
        expect(await end.Call('JunkServer.Handler2', { X: 1 }, {})).toBe(false);
        expect(await end.Call('JunkServer.Handler2', { X: 2 }, {})).toBe(false);
      } finally {
        spy.mockRestore();
      }
      const warnings = writes.filter((w) => w.includes('doomed-end'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/deleted/);
      expect(js.log2).toEqual([]);
      expect(net.getCount('server99')).toBe(0);
      // A new end of the same name is a different end and works.
      const again = net.makeEnd('doomed-end');
      net.connect('doomed-end', 'server99');
      net.enable('doomed-end', true);
      expect(await again.Call('JunkServer.Handler2', { X: 3 }, {})).toBe(true);
    }));

  test('args containing a function reject with a CodecError naming the path', () =>
    sim('function args', async () => {
      const { net, js, end } = setup();
      const err = await end.Call('JunkServer.Handler2', { X: 1, more: { cb: () => 1 } }, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CodecError);
      expect((err as Error).message).toMatch(/args of JunkServer\.Handler2 at \.more\.cb is a function/);
      expect(js.log2).toEqual([]);
      expect(net.getTotalCount()).toBe(0);
    }));

  test('bad argument types reject with a TypeError that says what was expected', () =>
    sim('bad args', async () => {
      const { net, end } = setup();
      const call = end.Call.bind(end) as (svcMeth: unknown, args: unknown, reply: unknown) => Promise<boolean>;
      await expect(call('JunkServer.Handler2', 5, {})).rejects.toThrow(/args must be an object, got number/);
      await expect(call('JunkServer.Handler2', null, {})).rejects.toThrow(/args must be an object, got null/);
      await expect(call('JunkServer.Handler2', 'x', {})).rejects.toThrow(TypeError);
      await expect(call('JunkServer.Handler2', { X: 1 }, undefined)).rejects.toThrow(/reply must be an object/);
      await expect(call('JunkServer.Handler2', { X: 1 }, 7)).rejects.toThrow(/reply must be an object/);
      await expect(call(42, { X: 1 }, {})).rejects.toThrow(/svcMeth must be a string/);
      expect(net.getTotalCount()).toBe(0);
    }));

  test('a handler that throws rejects the Call with a HandlerError naming server and method', () =>
    sim('handler throws', async () => {
      const { end } = setup('end1-99', 'server99');
      for (const method of ['Throws', 'ThrowsLater']) {
        const err = await end.Call(`JunkServer.${method}`, { X: 1 }, {}).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(HandlerError);
        const message = (err as Error).message;
        expect(message).toContain(`JunkServer.${method}`);
        expect(message).toContain('server99');
        expect(message).toMatch(/kaput/);
        expect(((err as HandlerError).original as Error).message).toMatch(/kaput/);
      }
    }));
});

describe('copies: nothing is shared between caller and handler', () => {
  test('args and replies are copied both ways', () =>
    sim('copies', async () => {
      const { js, end } = setup();
      const args = { nested: { n: 1 } };
      const reply: { nested?: { n: number } } = {};
      expect(await end.Call('JunkServer.Keep', args, reply)).toBe(true);
      // The handler changed its args: the caller's are untouched.
      expect(args.nested.n).toBe(1);
      expect(js.keptArgs).not.toBe(args);
      expect(js.keptArgs?.nested).not.toBe(args.nested);
      // The reply is a copy of what the handler filled in.
      expect(reply.nested).toEqual({ n: 1001 });
      expect(reply.nested).not.toBe(js.keptReply?.nested);
      // Later changes on either side do not cross.
      args.nested.n = 5;
      expect(js.keptArgs?.nested.n).toBe(1001);
      reply.nested!.n = 6;
      expect(js.keptReply?.nested.n).toBe(1001);
      js.keptReply!.nested.n = 7;
      expect(reply.nested!.n).toBe(6);
    }));

  test('the handler gets a fresh empty reply, whatever the caller passed', () =>
    sim('fresh reply', async () => {
      const net = new Network();
      const server = new Server();
      const seen: unknown[] = [];
      server.addService(
        new Service(
          {
            Look: (_args: unknown, reply: Record<string, unknown>) => {
              seen.push({ ...reply });
              reply.Y = 2;
            },
          },
          'Svc',
        ),
      );
      net.addServer('s', server);
      const end = net.makeEnd('e');
      net.connect('e', 's');
      net.enable('e', true);
      const reply: Record<string, unknown> = { stale: 'value', Y: 1 };
      expect(await end.Call('Svc.Look', {}, reply)).toBe(true);
      expect(seen).toEqual([{}]);
      expect(reply.Y).toBe(2);
    }));
});

describe('fault model (reference §1, §10)', () => {
  /** Starts `n` calls at once and returns, per call, its outcome and how long it took. */
  async function timeCalls(n: number, call: (i: number) => Promise<boolean>): Promise<{ ok: boolean; ms: number }[]> {
    const t0 = now();
    return Promise.all(Array.from({ length: n }, (_, i) => call(i).then((ok) => ({ ok, ms: now() - t0 }))));
  }

  test('unreachable server: 0-6999 ms with long delays, 0-99 ms without', () =>
    sim('unreachable delays', async () => {
      const n = 400;
      const { net, js, end } = setup('end1-99', 'server99', false);
      net.setLongDelays(true);
      const long = await timeCalls(n, () => end.Call('JunkServer.Handler2', { X: 1 }, {}));
      net.setLongDelays(false);
      const short = await timeCalls(n, () => end.Call('JunkServer.Handler2', { X: 1 }, {}));
      for (const r of [...long, ...short]) expect(r.ok).toBe(false);
      const longMs = long.map((r) => r.ms);
      const shortMs = short.map((r) => r.ms);
      expect(Math.min(...longMs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...longMs)).toBeLessThan(7000);
      expect(Math.max(...longMs)).toBeGreaterThan(6500);
      expect(Math.min(...longMs)).toBeLessThan(500);
      expect(mean(longMs)).toBeGreaterThan(3000);
      expect(mean(longMs)).toBeLessThan(4000);
      expect(Math.max(...shortMs)).toBeLessThan(100);
      expect(Math.max(...shortMs)).toBeGreaterThan(90);
      expect(mean(shortMs)).toBeGreaterThan(40);
      expect(mean(shortMs)).toBeLessThan(60);
      expect(js.log2).toEqual([]);
      expect(net.getCount('server99')).toBe(0);
      expect(net.getTotalCount()).toBe(2 * n);
    }));

  test('unconnected ends and deleted servers are unreachable too', () =>
    sim('unreachable kinds', async () => {
      const { net, js, end } = setup('end1-99', 'server99');
      const loose = net.makeEnd('loose');
      net.enable('loose', true);
      expect(await loose.Call('JunkServer.Handler2', { X: 1 }, {})).toBe(false);
      net.deleteServer('server99');
      expect(await end.Call('JunkServer.Handler2', { X: 1 }, {})).toBe(false);
      expect(js.log2).toEqual([]);
      expect(() => net.getCount('server99')).toThrow(/deleted/);
    }));

  test('long reordering delays about 2/3 of replies by 200-2200 ms, skewed low', () =>
    sim('long reordering', async () => {
      const n = 3000;
      const { net, js, end } = setup();
      net.setLongReordering(true);
      const results = await timeCalls(n, (i) => end.Call('JunkServer.Handler2', { X: i }, {}));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(js.log2).toHaveLength(n);
      // A reply that was not held back arrives within two hops (2 ms at most).
      const delayed = results.map((r) => r.ms).filter((ms) => ms > 2);
      const fraction = delayed.length / n;
      expect(fraction).toBeGreaterThan(2 / 3 - 0.03);
      expect(fraction).toBeLessThan(2 / 3 + 0.03);
      expect(Math.min(...delayed)).toBeGreaterThanOrEqual(200);
      expect(Math.max(...delayed)).toBeLessThanOrEqual(2202);
      expect(Math.max(...delayed)).toBeGreaterThan(1800);
      // 200 + rand(1 + rand(2000)): mean about 700 ms, and about 85% under 1200 ms.
      expect(mean(delayed)).toBeGreaterThan(620);
      expect(mean(delayed)).toBeLessThan(780);
      expect(delayed.filter((ms) => ms < 1200).length / delayed.length).toBeGreaterThan(0.8);
      // The others arrive after the two hops' latency alone.
      expect(results.filter((r) => r.ms >= 0.04 && r.ms <= 2).length).toBe(n - delayed.length);
    }));

  test('an unreliable network fails about 19% of calls, some after the handler ran', () =>
    sim('unreliable rate', async () => {
      const n = 4000;
      const { net, js, end } = setup();
      net.setReliable(false);
      const results = await timeCalls(n, (i) => end.Call('JunkServer.Handler2', { X: i }, {}));
      const failed = results.filter((r) => !r.ok).length;
      expect(failed / n).toBeGreaterThan(0.17);
      expect(failed / n).toBeLessThan(0.21);
      // 10% of requests are dropped before the handler: it runs for about 90%.
      expect(js.log2.length / n).toBeGreaterThan(0.88);
      expect(js.log2.length / n).toBeLessThan(0.92);
      // Replies lost after the handler ran: about 9% of all calls.
      const lostAfterRun = js.log2.length - (n - failed);
      expect(lostAfterRun / n).toBeGreaterThan(0.07);
      expect(lostAfterRun / n).toBeLessThan(0.11);
      // Every request waits 0-26 ms first, plus up to 1 ms per hop.
      const ms = results.map((r) => r.ms);
      expect(Math.max(...ms)).toBeLessThanOrEqual(28);
      expect(Math.max(...ms)).toBeGreaterThanOrEqual(25);
    }));

  test('getCount counts only dispatched RPCs; getTotalCount counts every Call', () =>
    sim('counts', async () => {
      const { net, js, end } = setup('on', 'server99');
      const off = net.makeEnd('off');
      net.connect('off', 'server99');
      for (let i = 0; i < 10; i++) await off.Call('JunkServer.Handler2', { X: i }, {});
      expect(net.getTotalCount()).toBe(10);
      expect(net.getCount('server99')).toBe(0);
      net.setReliable(false);
      await Promise.all(Array.from({ length: 500 }, (_, i) => end.Call('JunkServer.Handler2', { X: i }, {})));
      expect(net.getTotalCount()).toBe(510);
      // Dropped requests never reach the server; each one that does runs the handler once.
      expect(net.getCount('server99')).toBe(js.log2.length);
      expect(net.getCount('server99')).toBeLessThan(500);
      expect(net.getCount('server99')).toBeGreaterThan(400);
    }));

  test('bytes: requests always, replies only when delivered', () =>
    sim('bytes', async () => {
      const { net, end } = setup('on', 'server99');
      const args = { X: 7 };
      const requestBytes = encode(args).length;
      const replyBytes = encode({ X: 'handler2-7' }).length;
      // A request on a disabled end is counted; there is no reply.
      const off = net.makeEnd('off');
      net.connect('off', 'server99');
      expect(await off.Call('JunkServer.Handler2', args, {})).toBe(false);
      expect(net.getTotalBytes()).toBe(requestBytes);
      // Unreliable: every request counts, replies only for the calls that got one.
      net.setReliable(false);
      const n = 300;
      const oks = await Promise.all(Array.from({ length: n }, () => end.Call('JunkServer.Handler2', args, {})));
      const delivered = oks.filter((ok) => ok).length;
      expect(delivered).toBeLessThan(n);
      expect(net.getTotalBytes()).toBe(requestBytes * (1 + n) + replyBytes * delivered);
      // A reply held back by long reordering is counted when it arrives, not before.
      net.setReliable(true);
      net.setLongReordering(true);
      const before = net.getTotalBytes();
      const events: RpcEvent[] = [];
      net.setObserver((e) => events.push(e));
      let delayedSeen = false;
      for (let i = 0; i < 20 && !delayedSeen; i++) {
        const start = net.getTotalBytes();
        const call = end.Call('JunkServer.Handler2', args, {});
        await sleep(100);
        if (events.some((e) => e.fate === 'reply-delayed' && events.filter((x) => x.id === e.id && x.fate === 'replied').length === 0)) {
          delayedSeen = true;
          expect(net.getTotalBytes() - start).toBe(requestBytes);
        }
        expect(await call).toBe(true);
        expect(net.getTotalBytes() - start).toBe(requestBytes + replyBytes);
      }
      expect(delayedSeen).toBe(true);
      expect(net.getTotalBytes()).toBeGreaterThan(before);
    }));

  test('cleanup makes every later Call fail at once', () =>
    sim('cleanup', async () => {
      const { net, js, end } = setup();
      expect(await end.Call('JunkServer.Handler2', { X: 1 }, {})).toBe(true);
      net.cleanup();
      const t0 = now();
      const results = await Promise.all(Array.from({ length: 10 }, () => end.Call('JunkServer.Handler2', { X: 2 }, {})));
      expect(results).toEqual(Array(10).fill(false));
      expect(now() - t0).toBe(0);
      expect(js.log2).toEqual([1]);
      expect(net.getTotalCount()).toBe(1);
    }));

  test('disabling an end aborts its in-flight calls within 100 ms', () =>
    sim('disable in flight', async () => {
      const { net, end } = setup();
      // Whatever the phase of the 100 ms re-check when the end is disabled.
      for (const afterMs of [1, 37, 99, 100, 101, 250, 1999]) {
        net.enable('end1-99', true);
        const call = end.Call('JunkServer.Handler3', { X: 1 }, {});
        await sleep(afterMs);
        net.enable('end1-99', false);
        const t0 = now();
        expect(await call).toBe(false);
        expect(now() - t0, `disabled ${afterMs} ms after the call`).toBeLessThanOrEqual(100);
      }
    }));

  test('no reply is delivered after the server was deleted, replaced or its end disabled, even if the handler finished', () =>
    sim('dead after handler', async () => {
      const { net, js, end } = setup('end1-99', 'server99');
      const fresh = (): Server => {
        const server = new Server();
        server.addService(new Service(js));
        return server;
      };
      const cut: [string, () => void, () => void][] = [
        ['deleted', () => net.deleteServer('server99'), () => net.addServer('server99', fresh())],
        ['replaced', () => net.addServer('server99', fresh()), () => undefined],
        ['disabled', () => net.enable('end1-99', false), () => net.enable('end1-99', true)],
      ];
      for (const [how, breakIt, repair] of cut) {
        const before = js.log2.length;
        const call = end.Call('JunkServer.Slow', { X: 1 }, {});
        await sleep(30);
        breakIt();
        const t0 = now();
        expect(await call, how).toBe(false);
        // The handler finished (it began one hop after the call), then the network looked again.
        expect(now() - t0, how).toBeGreaterThan(20);
        expect(now() - t0, how).toBeLessThanOrEqual(21);
        expect(js.log2.length, `${how}: the handler did run`).toBe(before + 1);
        repair();
      }
      // The replacement server answers new calls.
      expect(await end.Call('JunkServer.Slow', { X: 2 }, {})).toBe(true);
    }));

  test('the same seed gives the same fates', async () => {
    const run = async (): Promise<string> => {
      const r = await runSimulation(
        async () => {
          const { net, end } = setup();
          net.setReliable(false);
          net.setLongReordering(true);
          const oks = await Promise.all(Array.from({ length: 200 }, (_, i) => end.Call('JunkServer.Handler2', { X: i }, {})));
          return oks.map((ok) => (ok ? '1' : '0')).join('');
        },
        { seed: 'labrpc-test:determinism', mode: 'virtual' },
      );
      return `${r.value}/${r.traceHash}/${r.elapsedMs}`;
    };
    expect(await run()).toBe(await run());
  });
});
