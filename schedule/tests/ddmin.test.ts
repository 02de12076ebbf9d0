import { describe, expect, test } from 'vitest';
import { searchSchedule, type SearchUnit } from '../index.ts';

function units(n: number): SearchUnit[] {
  return Array.from({ length: n }, (_, i) => ({ id: `u${i}`, category: i % 3 === 0 ? 'crash' : 'request-drop' }));
}

describe('the shrink search', () => {
  test('finds the two units out of 500 that the failure needs', async () => {
    let runs = 0;
    const result = await searchSchedule(units(500), async (keep) => {
      runs++;
      return { sameFailure: keep.includes('u17') && keep.includes('u402'), happened: keep };
    }, {});
    expect(result).toMatchObject({ keep: ['u17', 'u402'], complete: true });
    expect(result.runs).toBe(runs);
    // About 2·log2(500) for the binary searches, plus the categories and the 1-minimal pass.
    expect(runs).toBeLessThan(30);
  });

  test('drops a whole category in one run when the failure does not need it', async () => {
    const seen: number[] = [];
    const result = await searchSchedule(units(300), async (keep) => {
      seen.push(keep.length);
      return { sameFailure: keep.includes('u3'), happened: keep };
    }, {});
    expect(result.keep).toEqual(['u3']);
    // The second run tries every request-drop away at once.
    expect(seen[1]).toBe(100);
  });

  test('narrows a failing candidate to the units that happened in it', async () => {
    const result = await searchSchedule(units(50), async (keep) => ({ sameFailure: keep.includes('u9'), happened: keep.filter((id) => id === 'u9' || id === 'u10') }), { runs: 3 });
    expect(result.keep).toEqual(['u9']);
  });

  test('returns the best found so far when the budget runs out', async () => {
    const result = await searchSchedule(units(400), async (keep) => ({ sameFailure: keep.includes('u1') && keep.includes('u398'), happened: keep }), { runs: 4 });
    expect(result.complete).toBe(false);
    expect(result.runs).toBe(4);
    expect(result.keep).toContain('u1');
    expect(result.keep).toContain('u398');
    expect(result.keep.length).toBeLessThan(400);
  });

  test('a failure that needs nothing is found in one run', async () => {
    const result = await searchSchedule(units(10), async () => ({ sameFailure: true, happened: [] }), {});
    expect(result).toEqual({ keep: [], runs: 1, complete: true });
  });
});
