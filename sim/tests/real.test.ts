/** Real-time mode: the same API on Node's own timers and clock, with a seeded generator. */
import { describe, expect, test } from 'vitest';
import { runSimulation, sleep, now, randomInt, Channel, timeModeFromEnv, seedFor, baseSeedFromEnv, SimUsageError } from '../index.ts';

describe('real time', () => {
  test('sleep takes real time; globals are not replaced', async () => {
    const originalSetTimeout = globalThis.setTimeout;
    const originalDate = globalThis.Date;
    const r = await runSimulation(
      async () => {
        const wall0 = Date.now();
        const t0 = now();
        await sleep(50);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { slept: now() - t0, wall: Date.now() - wall0, sameSetTimeout: globalThis.setTimeout === originalSetTimeout, sameDate: globalThis.Date === originalDate };
      },
      { seed: 'real', mode: 'real' },
    );
    expect(r.mode).toBe('real');
    expect(r.value.slept).toBeGreaterThanOrEqual(65);
    expect(r.value.slept).toBeLessThan(2000);
    expect(r.value.wall).toBeGreaterThanOrEqual(65);
    expect(r.value.sameSetTimeout).toBe(true);
    expect(r.value.sameDate).toBe(true);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(65);
    expect(r.events).toBe(0);
    expect(r.traceHash).toBe('');
  });

  test('channels and the seeded generator work in real time', async () => {
    const run = () =>
      runSimulation(
        async () => {
          const ch = new Channel<number>();
          void (async () => {
            await sleep(5);
            await ch.send(randomInt(1000));
          })();
          return ch.receive();
        },
        { seed: 'real-rng', mode: 'real' },
      );
    expect((await run()).value).toBe((await run()).value);
  });

  test('timers left pending by a real run are cancelled when it ends', async () => {
    let fired = false;
    await runSimulation(
      async () => {
        void sleep(30).then(() => {
          fired = true;
        });
      },
      { seed: 'real-left', mode: 'real' },
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fired).toBe(false);
  });
});

describe('mode and seed from the environment', () => {
  test('LAB_TIME picks the mode, virtual by default', () => {
    const saved = process.env.LAB_TIME;
    try {
      delete process.env.LAB_TIME;
      expect(timeModeFromEnv()).toBe('virtual');
      process.env.LAB_TIME = 'real';
      expect(timeModeFromEnv()).toBe('real');
      process.env.LAB_TIME = 'fast';
      expect(() => timeModeFromEnv()).toThrow(SimUsageError);
    } finally {
      if (saved === undefined) delete process.env.LAB_TIME;
      else process.env.LAB_TIME = saved;
    }
  });

  test('LAB_SEED is the base seed; a test seed adds the test name', () => {
    const saved = process.env.LAB_SEED;
    try {
      process.env.LAB_SEED = '123';
      expect(baseSeedFromEnv()).toBe('123');
      expect(seedFor('123', 'TestInitialElection2A')).toBe('123:TestInitialElection2A');
      expect(seedFor('123', 'a')).not.toBe(seedFor('123', 'b'));
      process.env.LAB_SEED = 'abc';
      expect(() => baseSeedFromEnv()).toThrow(/LAB_SEED must be a whole number/);
      delete process.env.LAB_SEED;
      const base = baseSeedFromEnv();
      expect(base).toMatch(/^\d+$/);
      expect(baseSeedFromEnv()).toBe(base);
    } finally {
      if (saved === undefined) delete process.env.LAB_SEED;
      else process.env.LAB_SEED = saved;
    }
  });
});
