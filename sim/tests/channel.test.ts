/**
 * Channel: Go's channel semantics on the simulator. Unbuffered sends wait for a receiver;
 * buffered ones wait only when the buffer is full; close lets receivers drain what is buffered
 * and then tells them it is closed; sending on a closed channel is an error.
 */
import { describe, expect, test } from 'vitest';
import { runSimulation, sleep, now, Channel, ChannelClosedError, SimUsageError } from '../index.ts';

function virtual<T>(body: () => Promise<T>): Promise<T> {
  return runSimulation(body, { seed: 'channel', mode: 'virtual' }).then((r) => r.value);
}

/** Tracks whether a promise has settled, without awaiting it. */
function watch<T>(p: Promise<T>): { readonly settled: boolean; readonly value: T | undefined; readonly error: unknown } {
  const state = { settled: false, value: undefined as T | undefined, error: undefined as unknown };
  p.then(
    (v) => {
      state.settled = true;
      state.value = v;
    },
    (e: unknown) => {
      state.settled = true;
      state.error = e;
    },
  );
  return state;
}

describe('unbuffered', () => {
  test('send waits for a receiver (rendezvous)', () =>
    virtual(async () => {
      const ch = new Channel<string>();
      const sent = watch(ch.send('a'));
      await sleep(1000);
      expect(sent.settled).toBe(false);
      expect(ch.length).toBe(0);
      expect(await ch.receive()).toBe('a');
      await sleep(0);
      expect(sent.settled).toBe(true);
      expect(sent.error).toBeUndefined();
    }));

  test('receive waits for a sender, and gets it at the moment it is sent', () =>
    virtual(async () => {
      const ch = new Channel<number>();
      setTimeout(() => void ch.send(7), 250);
      expect(await ch.receive()).toBe(7);
      expect(now()).toBe(250);
    }));

  test('senders and receivers are served in FIFO order', () =>
    virtual(async () => {
      const ch = new Channel<number>();
      const sends = [1, 2, 3].map((v) => ch.send(v));
      expect([await ch.receive(), await ch.receive(), await ch.receive()]).toEqual([1, 2, 3]);
      await Promise.all(sends);
      const receives = [ch.receive(), ch.receive()];
      await ch.send(10);
      await ch.send(20);
      expect(await Promise.all(receives)).toEqual([10, 20]);
    }));

  test('a ping-pong between two tasks alternates', () =>
    virtual(async () => {
      const ping = new Channel<number>(0, 'ping');
      const pong = new Channel<number>(0, 'pong');
      const seen: string[] = [];
      const other = (async () => {
        for (;;) {
          const { value, ok } = await ping.recv();
          if (!ok) return;
          seen.push(`ping ${value}`);
          await sleep(10);
          await pong.send(value! + 1);
        }
      })();
      let v = 0;
      for (let i = 0; i < 3; i++) {
        await ping.send(v);
        v = await pong.receive();
        seen.push(`pong ${v}`);
      }
      ping.close();
      await other;
      expect(seen).toEqual(['ping 0', 'pong 1', 'ping 1', 'pong 2', 'ping 2', 'pong 3']);
      expect(now()).toBe(30);
    }));
});

describe('buffered', () => {
  test('sends complete at once up to the capacity, then wait', () =>
    virtual(async () => {
      const ch = new Channel<number>(2, 'buf');
      await ch.send(1);
      await ch.send(2);
      expect(ch.length).toBe(2);
      const third = watch(ch.send(3));
      await sleep(100);
      expect(third.settled).toBe(false);
      expect(await ch.receive()).toBe(1);
      await sleep(0);
      expect(third.settled).toBe(true);
      expect(ch.length).toBe(2);
      expect(await ch.receive()).toBe(2);
      expect(await ch.receive()).toBe(3);
      expect(ch.length).toBe(0);
    }));

  test('a receiver waiting on an empty buffered channel gets the next send directly', () =>
    virtual(async () => {
      const ch = new Channel<number>(3);
      const got = ch.receive();
      await ch.send(5);
      expect(await got).toBe(5);
      expect(ch.length).toBe(0);
    }));

  test('capacity must be a whole number in range', () => {
    expect(() => new Channel(-1)).toThrow(SimUsageError);
    expect(() => new Channel(1.5)).toThrow(/whole number/);
    expect(() => new Channel(2_000_000)).toThrow(SimUsageError);
  });
});

describe('close', () => {
  test('receivers drain the buffer, then see the channel closed', () =>
    virtual(async () => {
      const ch = new Channel<number>(3, 'drain');
      await ch.send(1);
      await ch.send(2);
      ch.close();
      expect(ch.closed).toBe(true);
      expect(await ch.receive()).toBe(1);
      expect(await ch.recv()).toEqual({ value: 2, ok: true });
      expect(await ch.recv()).toEqual({ value: undefined, ok: false });
      await expect(ch.receive()).rejects.toThrow(ChannelClosedError);
      await expect(ch.receive()).rejects.toThrow(/receive on closed channel "drain"/);
      expect(ch.tryReceive()).toEqual({ value: undefined, ok: false });
    }));

  test('waiting receivers are woken with done', () =>
    virtual(async () => {
      const ch = new Channel<number>(0, 'wake');
      const a = ch.recv();
      const b = ch.receive();
      setTimeout(() => ch.close(), 50);
      expect(await a).toEqual({ value: undefined, ok: false });
      await expect(b).rejects.toThrow(ChannelClosedError);
      expect(now()).toBe(50);
    }));

  test('send after close rejects with ChannelClosedError; close twice throws', () =>
    virtual(async () => {
      const ch = new Channel<number>(1, 'shut');
      ch.close();
      await expect(ch.send(1)).rejects.toThrow(ChannelClosedError);
      await expect(ch.send(1)).rejects.toThrow(/send on closed channel "shut"/);
      expect(() => ch.close()).toThrow(/close of closed channel "shut"/);
    }));

  test('a send blocked when the channel closes rejects', () =>
    virtual(async () => {
      const ch = new Channel<number>(0, 'blocked');
      const sent = ch.send(1);
      ch.close();
      await expect(sent).rejects.toThrow(ChannelClosedError);
    }));
});

describe('async iteration and tryReceive', () => {
  test('for await receives every value until close', () =>
    virtual(async () => {
      const ch = new Channel<number>(0, 'iter');
      void (async () => {
        for (let i = 0; i < 5; i++) {
          await sleep(10);
          await ch.send(i);
        }
        ch.close();
      })();
      const got: [number, number][] = [];
      for await (const v of ch) got.push([v, now()]);
      expect(got).toEqual([
        [0, 10],
        [1, 20],
        [2, 30],
        [3, 40],
        [4, 50],
      ]);
    }));

  test('breaking out of for await leaves the rest for later receivers', () =>
    virtual(async () => {
      const ch = new Channel<number>(5);
      for (let i = 0; i < 5; i++) await ch.send(i);
      for await (const v of ch) if (v === 1) break;
      expect(await ch.receive()).toBe(2);
    }));

  test('tryReceive never waits', () =>
    virtual(async () => {
      const ch = new Channel<number>(0);
      expect(ch.tryReceive()).toEqual({ value: undefined, ok: false });
      const sent = watch(ch.send(9));
      expect(ch.tryReceive()).toEqual({ value: 9, ok: true });
      await sleep(0);
      expect(sent.settled).toBe(true);
      const buf = new Channel<number>(2);
      await buf.send(1);
      await buf.send(2);
      const third = watch(buf.send(3));
      expect(buf.tryReceive()).toEqual({ value: 1, ok: true });
      await sleep(0);
      expect(third.settled).toBe(true); // moved into the freed slot
      expect(buf.tryReceive()).toEqual({ value: 2, ok: true });
      expect(buf.tryReceive()).toEqual({ value: 3, ok: true });
      expect(buf.tryReceive()).toEqual({ value: undefined, ok: false });
    }));

  test('values are passed by reference (a channel is not the network)', () =>
    virtual(async () => {
      const ch = new Channel<{ n: number }>(1);
      const v = { n: 1 };
      await ch.send(v);
      expect(await ch.receive()).toBe(v);
    }));
});

test('a channel works outside a run, in real time', async () => {
  const ch = new Channel<number>();
  setTimeout(() => void ch.send(3), 5);
  expect(await ch.receive()).toBe(3);
});
