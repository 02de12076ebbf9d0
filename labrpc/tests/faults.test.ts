import { describe, expect, test } from 'vitest';
import { Network, Server, Service, type ClientEnd, type Message } from '../index.ts';
import { now, runSimulation, sleep } from '../../sim/index.ts';

/** A service that records the order its calls ran in. */
class Echo {
  readonly ran: string[] = [];
  Ping(args: { From: string }, reply: { Echo?: string }): void {
    this.ran.push(args.From);
    reply.Echo = args.From;
  }
}

interface Net {
  net: Network;
  echo: Echo;
  ends: ClientEnd[];
}

/** Servers 0..servers-1, each with an Echo; end i connects to server i. */
function network(servers: number): Net {
  const net = new Network();
  const echo = new Echo();
  const ends: ClientEnd[] = [];
  for (let i = 0; i < servers; i++) {
    const server = new Server();
    server.addService(new Service(echo, 'Echo'));
    net.addServer(i, server);
    ends.push(net.makeEnd(`e${i}`));
    net.connect(`e${i}`, i);
    net.enable(`e${i}`, true);
  }
  return { net, echo, ends };
}

async function sim<T>(name: string, body: () => Promise<T>): Promise<T> {
  return (await runSimulation(body, { seed: `labrpc-faults:${name}` })).value;
}

describe('per-hop latency on a reliable network', () => {
  test('a round trip takes two hops of 20 us to 1 ms each, drawn anew for every call', () =>
    sim('round trip', async () => {
      const { ends } = network(1);
      const ms: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t0 = now();
        expect(await ends[0]!.Call('Echo.Ping', { From: 'a' }, {})).toBe(true);
        ms.push(now() - t0);
      }
      expect(Math.min(...ms)).toBeGreaterThanOrEqual(0.04);
      expect(Math.max(...ms)).toBeLessThanOrEqual(2);
      expect(new Set(ms).size).toBeGreaterThan(150);
    }));

  test('timers of one instant all fire before the requests they send arrive', () =>
    sim('same instant', async () => {
      const { echo, ends } = network(1);
      const fired: string[] = [];
      const calls: Promise<boolean>[] = [];
      for (const who of ['x', 'y', 'z']) {
        setTimeout(() => {
          fired.push(who);
          // Each timer sees no request handled yet: the others of this instant come first.
          expect(echo.ran).toEqual([]);
          calls.push(ends[0]!.Call('Echo.Ping', { From: who }, {}));
        }, 300);
      }
      await sleep(301);
      expect(fired).toEqual(['x', 'y', 'z']);
      expect(await Promise.all(calls)).toEqual([true, true, true]);
    }));

  test('requests sent at one instant to different servers arrive in either order', () =>
    sim('order', async () => {
      const { echo, ends } = network(2);
      const orders = new Set<string>();
      for (let i = 0; i < 40; i++) {
        echo.ran.length = 0;
        await Promise.all([ends[0]!.Call('Echo.Ping', { From: 'to0' }, {}), ends[1]!.Call('Echo.Ping', { From: 'to1' }, {})]);
        orders.add(echo.ran.join(','));
      }
      expect(orders).toEqual(new Set(['to0,to1', 'to1,to0']));
    }));

  test('the same seed gives the same latencies', async () => {
    const run = (): Promise<number[]> =>
      sim('same seed', async () => {
        const { ends } = network(1);
        const ms: number[] = [];
        for (let i = 0; i < 20; i++) {
          const t0 = now();
          await ends[0]!.Call('Echo.Ping', { From: 'a' }, {});
          ms.push(now() - t0);
        }
        return ms;
      });
    expect(await run()).toEqual(await run());
  });
});

describe('message interceptor and handled observer', () => {
  test('a dropped request never reaches the handler; the caller gets false at once, as with an unreliable drop', () =>
    sim('drop request', async () => {
      const { net, echo, ends } = network(1);
      net.setInterceptor((m) => (m.direction === 'request' ? 'drop' : undefined));
      const t0 = now();
      expect(await ends[0]!.Call('Echo.Ping', { From: 'a' }, {})).toBe(false);
      expect(echo.ran).toEqual([]);
      expect(now() - t0).toBeLessThanOrEqual(1);
    }));

  test('a dropped reply: the handler ran, the caller gets false', () =>
    sim('drop reply', async () => {
      const { net, echo, ends } = network(1);
      net.setInterceptor((m) => (m.direction === 'reply' ? 'drop' : 'deliver'));
      expect(await ends[0]!.Call('Echo.Ping', { From: 'a' }, {})).toBe(false);
      expect(echo.ran).toEqual(['a']);
    }));

  test('a delayed reply arrives after the delay, and the interceptor can read the message', () =>
    sim('delay reply', async () => {
      const { net, ends } = network(1);
      const seen: Message[] = [];
      net.setInterceptor((m) => {
        seen.push(m);
        return m.direction === 'reply' ? { delayMs: 500 } : undefined;
      });
      const t0 = now();
      const reply: { Echo?: string } = {};
      expect(await ends[0]!.Call('Echo.Ping', { From: 'b' }, reply)).toBe(true);
      expect(reply.Echo).toBe('b');
      expect(now() - t0).toBeGreaterThanOrEqual(500);
      expect(now() - t0).toBeLessThanOrEqual(502);
      expect(seen.map((m) => [m.direction, m.svcMeth, m.end, m.server])).toEqual([
        ['request', 'Echo.Ping', 'e0', 0],
        ['reply', 'Echo.Ping', 'e0', 0],
      ]);
      expect(seen[0]!.content()).toEqual({ From: 'b' });
      expect(seen[1]!.content()).toEqual({ Echo: 'b' });
    }));

  test('the handled observer sees every handled RPC with its request and reply, even when the reply is lost', () =>
    sim('handled', async () => {
      const { net, ends } = network(1);
      const handled: [unknown, unknown][] = [];
      net.setHandledObserver((rpc) => handled.push([structuredClone(rpc.args()), structuredClone(rpc.reply())]));
      await ends[0]!.Call('Echo.Ping', { From: 'a' }, {});
      net.setInterceptor((m) => (m.direction === 'reply' ? 'drop' : undefined));
      await ends[0]!.Call('Echo.Ping', { From: 'b' }, {});
      net.setInterceptor((m) => (m.direction === 'request' ? 'drop' : undefined));
      await ends[0]!.Call('Echo.Ping', { From: 'c' }, {});
      expect(handled).toEqual([
        [{ From: 'a' }, { Echo: 'a' }],
        [{ From: 'b' }, { Echo: 'b' }],
      ]);
    }));
});
