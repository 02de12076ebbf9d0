/**
 * Inside a virtual run every global clock, timer and random source reads the simulator; after
 * the run (whether it passed or failed) the originals are back.
 */
import * as timersPromises from 'node:timers/promises';
import { setTimeout as sleepPromise, setImmediate as immediatePromise } from 'node:timers/promises';
import * as timers from 'node:timers';
import * as nodeCrypto from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { runSimulation, now, sleep, virtualEpochMs, DeadlockError, Channel, SimUsageError } from '../index.ts';

const originals = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  Date: globalThis.Date,
  performanceNow: performance.now,
  mathRandom: Math.random,
  randomUUID: crypto.randomUUID,
  getRandomValues: crypto.getRandomValues,
  nodeRandomUUID: nodeCrypto.randomUUID,
  sleepPromise: timersPromises.setTimeout,
  timersSetTimeout: timers.setTimeout,
  abortTimeout: AbortSignal.timeout,
};

function virtual<T>(body: () => Promise<T>, seed = 'globals') {
  return runSimulation(body, { seed, mode: 'virtual' });
}

function expectRestored(): void {
  expect(globalThis.setTimeout).toBe(originals.setTimeout);
  expect(globalThis.clearTimeout).toBe(originals.clearTimeout);
  expect(globalThis.setInterval).toBe(originals.setInterval);
  expect(globalThis.clearInterval).toBe(originals.clearInterval);
  expect(globalThis.setImmediate).toBe(originals.setImmediate);
  expect(globalThis.Date).toBe(originals.Date);
  expect(performance.now).toBe(originals.performanceNow);
  expect(Math.random).toBe(originals.mathRandom);
  expect(crypto.randomUUID).toBe(originals.randomUUID);
  expect(crypto.getRandomValues).toBe(originals.getRandomValues);
  expect(nodeCrypto.randomUUID).toBe(originals.nodeRandomUUID);
  expect(timersPromises.setTimeout).toBe(originals.sleepPromise);
  expect(sleepPromise).toBe(originals.sleepPromise);
  expect(timers.setTimeout).toBe(originals.timersSetTimeout);
  expect(AbortSignal.timeout).toBe(originals.abortTimeout);
  // Real time again: Date.now() is the wall clock, not the virtual epoch.
  expect(Math.abs(Date.now() - (performance.timeOrigin + performance.now()))).toBeLessThan(5000);
}

describe('timers are virtual', () => {
  test('await new Promise(r => setTimeout(r, ms)) advances virtual time only', async () => {
    const r = await virtual(async () => {
      const t0 = Date.now();
      const p0 = performance.now();
      const n0 = now();
      await new Promise((resolve) => setTimeout(resolve, 5000));
      return { date: Date.now() - t0, perf: performance.now() - p0, now: now() - n0 };
    });
    expect(r.value).toEqual({ date: 5000, perf: 5000, now: 5000 });
    expect(r.elapsedMs).toBe(5000);
    expect(r.realMs).toBeLessThan(2000);
    expectRestored();
  });

  test('an hour of virtual time passes in well under a second', async () => {
    const r = await virtual(async () => {
      await new Promise((resolve) => setTimeout(resolve, 3_000_000));
    });
    expect(r.elapsedMs).toBe(3_000_000);
    expect(r.realMs).toBeLessThan(1000);
  });

  test('setTimeout passes extra arguments; clearTimeout takes the handle or its number', async () => {
    const r = await virtual(async () => {
      const fired: string[] = [];
      setTimeout((a: string, b: string) => fired.push(`${a}${b}@${now()}`), 10, 'x', 'y');
      const h1 = setTimeout(() => fired.push('cleared by handle'), 20);
      const h2 = setTimeout(() => fired.push('cleared by number'), 20);
      clearTimeout(h1);
      clearTimeout(+h2 as unknown as NodeJS.Timeout);
      await sleep(50);
      return fired;
    });
    expect(r.value).toEqual(['xy@10']);
  });

  test('delays below 1 ms become 1 ms, as in Node', async () => {
    const r = await virtual(async () => {
      const at: number[] = [];
      setTimeout(() => at.push(now()), 0);
      setTimeout(() => at.push(now()));
      setTimeout(() => at.push(now()), -5);
      setTimeout(() => at.push(now()), Number.NaN);
      await sleep(5);
      return at;
    });
    expect(r.value).toEqual([1, 1, 1, 1]);
  });

  test('Timeout objects support ref/unref/hasRef/refresh', async () => {
    const r = await virtual(async () => {
      const at: number[] = [];
      const h = setTimeout(() => at.push(now()), 100);
      expect(h.unref()).toBe(h);
      expect(h.ref()).toBe(h);
      expect(h.hasRef()).toBe(true);
      await sleep(60);
      h.refresh(); // restarts: fires at 160, not 100
      await sleep(200);
      return at;
    });
    expect(r.value).toEqual([160]);
  });

  test('setInterval ticks on time until clearInterval', async () => {
    const r = await virtual(async () => {
      const ticks: number[] = [];
      const iv = setInterval(() => ticks.push(now()), 10);
      await sleep(105);
      clearInterval(iv);
      await sleep(100);
      const selfClearing: number[] = [];
      const iv2 = setInterval(() => {
        selfClearing.push(now());
        if (selfClearing.length === 3) clearInterval(iv2);
      }, 7);
      await sleep(100);
      return { ticks, selfClearing };
    });
    expect(r.value.ticks).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(r.value.selfClearing).toEqual([212, 219, 226]);
    expectRestored();
  });

  test('setImmediate runs at the same virtual instant', async () => {
    const r = await virtual(async () => {
      await sleep(30);
      const at = await new Promise<number>((resolve) => setImmediate(() => resolve(now())));
      return at;
    });
    expect(r.value).toBe(30);
  });

  test('node:timers/promises setTimeout and setImmediate are virtual; abort works', async () => {
    const r = await virtual(async () => {
      const t0 = now();
      const value = await sleepPromise(2500, 'done');
      const afterSleep = now() - t0;
      const imm = await immediatePromise('imm');
      const immAt = now() - t0;
      const controller = new AbortController();
      const aborted = sleepPromise(1000, 'never', { signal: controller.signal }).catch((e: unknown) => `aborted at ${now()}: ${String((e as Error).name)}`);
      await sleep(10);
      controller.abort();
      return { value, afterSleep, imm, immAt, aborted: await aborted, ns: await timersPromises.setTimeout(5, 'ns') };
    });
    expect(r.value).toEqual({ value: 'done', afterSleep: 2500, imm: 'imm', immAt: 2500, aborted: 'aborted at 2510: AbortError', ns: 'ns' });
    expectRestored();
  });

  test('node:timers named exports are virtual', async () => {
    const r = await virtual(async () => {
      await new Promise((resolve) => timers.setTimeout(resolve, 777));
      return now();
    });
    expect(r.value).toBe(777);
  });

  test('AbortSignal.timeout is refused with advice, and timers/promises setInterval too', async () => {
    await expect(virtual(async () => AbortSignal.timeout(10))).rejects.toThrow(SimUsageError);
    await expect(virtual(async () => AbortSignal.timeout(10))).rejects.toThrow(/AbortSignal\.timeout\(\) cannot run on virtual time/);
    expectRestored();
  });
});

describe('clocks are virtual', () => {
  test('Date.now(), new Date(), Date() and performance.now() read the virtual clock', async () => {
    const r = await virtual(async () => {
      await sleep(1234);
      return {
        dateNow: Date.now(),
        newDate: new Date().getTime(),
        dateString: Date(),
        perf: performance.now(),
        now: now(),
        isDate: new Date() instanceof Date,
        withArgs: new Date(Date.UTC(2020, 0, 2)).toISOString(),
        parsed: Date.parse('2020-01-02T00:00:00Z'),
        typeOfCall: typeof Date(),
      };
    });
    const v = r.value;
    expect(v.now).toBe(1234);
    expect(v.perf).toBe(1234);
    expect(v.dateNow).toBe(virtualEpochMs + 1234);
    expect(v.newDate).toBe(virtualEpochMs + 1234);
    expect(v.dateString).toBe(new Date(virtualEpochMs + 1234).toString());
    expect(v.typeOfCall).toBe('string');
    expect(v.isDate).toBe(true);
    expect(v.withArgs).toBe('2020-01-02T00:00:00.000Z');
    expect(v.parsed).toBe(Date.UTC(2020, 0, 2));
    expectRestored();
  });

  test('a Date made inside a run is a real Date outside it', async () => {
    const r = await virtual(async () => new Date());
    expect(r.value).toBeInstanceOf(Date);
    expect(r.value.getTime()).toBe(virtualEpochMs);
  });
});

describe('randomness is seeded', () => {
  const draw = () =>
    virtual(async () => {
      await sleep(1);
      const b = new Uint8Array(8);
      crypto.getRandomValues(b);
      return {
        random: [Math.random(), Math.random(), Math.random()],
        uuid: crypto.randomUUID(),
        nodeUuid: nodeCrypto.randomUUID(),
        bytes: [...b],
      };
    }, 'random-seed');

  test('Math.random, crypto.randomUUID and getRandomValues repeat for the same seed', async () => {
    const a = await draw();
    const b = await draw();
    expect(b.value).toEqual(a.value);
    for (const x of a.value.random) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(a.value.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.value.nodeUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expectRestored();
  });

  test('and differ between seeds', async () => {
    const a = await draw();
    const c = await virtual(async () => [Math.random(), crypto.randomUUID()], 'another-seed');
    expect(c.value[0]).not.toBe(a.value.random[0]);
    expect(c.value[1]).not.toBe(a.value.uuid);
  });

  test('outside a run they are real again', async () => {
    await draw();
    const xs = new Set(Array.from({ length: 5 }, () => crypto.randomUUID()));
    expect(xs.size).toBe(5);
    expect(Math.random).toBe(originals.mathRandom);
  });
});

describe('restoring', () => {
  test('globals come back after a failed run too', async () => {
    await expect(virtual(async () => new Channel<number>(0, 'stuck').receive())).rejects.toThrow(DeadlockError);
    expectRestored();
    await expect(
      virtual(async () => {
        throw new Error('body failed');
      }),
    ).rejects.toThrow('body failed');
    expectRestored();
  });

  test('sleep outside a run uses real time', async () => {
    const t0 = performance.now();
    await sleep(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
  });

  test('timers left over from a run never fire afterwards', async () => {
    let fired = false;
    await virtual(async () => {
      setTimeout(() => {
        fired = true;
      }, 10);
      setInterval(() => {
        fired = true;
      }, 5);
    });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(fired).toBe(false);
  });
});
