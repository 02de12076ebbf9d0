/**
 * Properties of the virtual clock and the generator, checked on many random cases with
 * fast-check: timers fire exactly at their time and never once cleared; timers due at the same
 * instant fire in the order they were created; Rng.int(n) stays in [0, n).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { runSimulation, now, sleep, Rng } from '../index.ts';
import { TimerHeap, type TimerEntry } from '../heap.ts';

function virtual<T>(body: () => Promise<T>, seed = 'properties'): Promise<T> {
  return runSimulation(body, { seed, mode: 'virtual' }).then((r) => r.value);
}

/** When (if ever) a timer is cleared: never, right away, or by another timer at some time. */
type Cancel = { kind: 'never' } | { kind: 'now' } | { kind: 'at'; atMs: number };

const cancelArb: fc.Arbitrary<Cancel> = fc.oneof(
  fc.constant<Cancel>({ kind: 'never' }),
  fc.constant<Cancel>({ kind: 'now' }),
  fc.integer({ min: 1, max: 300 }).map((atMs): Cancel => ({ kind: 'at', atMs })),
);

describe('virtual timers', () => {
  test('a timer fires exactly at its time, once, and never after it was cleared', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ delayMs: fc.integer({ min: 1, max: 300 }), cancel: cancelArb, interval: fc.boolean() }), { maxLength: 40 }), async (specs) => {
        const fired = await virtual(async () => {
          const log: { index: number; atMs: number }[] = [];
          const handles = specs.map((spec, index) =>
            spec.interval
              ? setInterval(() => log.push({ index, atMs: now() }), spec.delayMs)
              : setTimeout(() => log.push({ index, atMs: now() }), spec.delayMs),
          );
          // Clearers are created after every timer: at an equal time the timer fires first.
          specs.forEach((spec, index) => {
            if (spec.cancel.kind === 'now') clearTimeout(handles[index]);
            if (spec.cancel.kind === 'at') setTimeout(() => clearInterval(handles[index]), spec.cancel.atMs);
          });
          await sleep(1000);
          // Intervals that were never cleared keep running; stop them so the run can end cleanly.
          handles.forEach((h) => clearInterval(h));
          return log;
        });
        specs.forEach((spec, index) => {
          const times = fired.filter((f) => f.index === index).map((f) => f.atMs);
          // Order at one instant is creation order: a first tick was created before the clearer
          // (and before the final sleep) and beats it; an interval's later ticks are re-armed
          // when the previous one fires, so they come after both.
          const stopMs = spec.cancel.kind === 'now' ? 0 : spec.cancel.kind === 'at' ? spec.cancel.atMs : 1000;
          const expected: number[] = [];
          for (let t = spec.delayMs; (t < stopMs || (t === stopMs && expected.length === 0)) && (spec.interval || expected.length === 0); t += spec.delayMs) expected.push(t);
          expect(times, `timer ${index}: ${JSON.stringify(spec)}`).toEqual(expected);
        });
      }),
      { numRuns: 60 },
    );
  });

  test('timers due at the same instant fire in creation order, also when created later', async () => {
    // Each root timer, when it fires, may create child timers; every timer records its absolute
    // due time and its creation number. Firing order must be sorted by (due time, creation).
    const tree = fc.array(fc.record({ delayMs: fc.integer({ min: 0, max: 4 }), children: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }) }), {
      minLength: 1,
      maxLength: 30,
    });
    await fc.assert(
      fc.asyncProperty(tree, fc.boolean(), async (roots, useSleep) => {
        const fired = await virtual(async () => {
          const order: { dueMs: number; created: number }[] = [];
          let created = 0;
          const schedule = (delayMs: number, then: () => void): void => {
            const dueMs = now() + Math.max(1, delayMs);
            const mine = created++;
            const fire = (): void => {
              expect(now()).toBe(dueMs);
              order.push({ dueMs, created: mine });
              then();
            };
            // sleep() and setTimeout share one heap and one sequence counter.
            if (useSleep && mine % 2 === 0) void sleep(Math.max(1, delayMs)).then(fire);
            else setTimeout(fire, delayMs);
          };
          for (const root of roots) schedule(root.delayMs, () => root.children.forEach((d) => schedule(d, () => undefined)));
          await sleep(100);
          return order;
        });
        const sorted = [...fired].sort((a, b) => a.dueMs - b.dueMs || a.created - b.created);
        expect(fired).toEqual(sorted);
        expect(fired).toHaveLength(roots.reduce((n, r) => n + 1 + r.children.length, 0));
      }),
      { numRuns: 60 },
    );
  });

  test('the timer heap pops in (time, seq) order whatever the push and cancel order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 200 }), (items) => {
        const heap = new TimerHeap();
        const entries: TimerEntry[] = items.map(([atMs, cancelled], seq) => ({ atMs, seq, callback: () => undefined, cancelled, intervalMs: 0, server: undefined }));
        for (const e of entries) heap.push(e);
        const popped: TimerEntry[] = [];
        for (let e = heap.peekLive(); e !== undefined; e = heap.peekLive()) popped.push(heap.pop()!);
        const expected = entries.filter((e) => !e.cancelled).sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
        expect(popped).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Rng', () => {
  test('int(n) is a whole number in [0, n) for any seed and n', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 2 ** 31 }), fc.constant(Number.MAX_SAFE_INTEGER)), (seed, n) => {
        const rng = new Rng(seed);
        for (let i = 0; i < 50; i++) {
          const x = rng.int(n);
          expect(Number.isInteger(x)).toBe(true);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(n);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('int(n) refuses what is not a positive safe integer', () => {
    const rng = new Rng('x');
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 53]) expect(() => rng.int(bad)).toThrow(RangeError);
  });

  test('float() is in [0, 1); the same seed gives the same sequence; draws are counted', () => {
    fc.assert(
      fc.property(fc.string(), (seed) => {
        const a = new Rng(seed);
        const b = new Rng(seed);
        expect(a.draws).toBe(0);
        for (let i = 0; i < 20; i++) {
          const x = a.float();
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(1);
          expect(b.float()).toBe(x);
        }
        expect(a.draws).toBe(40);
      }),
      { numRuns: 100 },
    );
  });

  test('int(n) is roughly uniform', () => {
    const rng = new Rng('uniform');
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[rng.int(10)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  test('fill covers every byte, for any length', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 67 }), (seed, length) => {
        const a = new Uint8Array(length);
        new Rng(seed).fill(a);
        const b = new Uint8Array(length);
        new Rng(seed).fill(b);
        expect(a).toEqual(b);
        if (length >= 32) expect(a.some((x) => x !== 0)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
