import { describe, expect, it } from 'vitest';
import { normalizeTitle, scoreRuns, type GradedEntry, type GradingTable } from '../grading.ts';
import { defaultPartMap, expandParts, labOf } from '../parts.ts';
import { checkSeed, matchTests, seedPlus, type JobResult, type PlannedTest } from '../run.ts';
import { meanSd, Progress, StatusLine, table } from '../ui.ts';
import { BufferOut } from '../context.ts';
import { loadGradingTable } from '../grading.ts';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('parts', () => {
  const map = defaultPartMap('/repo');
  it('maps parts to their test files and expands groups, in order, without duplicates', () => {
    expect(map.parts.get('2A')).toEqual(['/repo/raft/tests/2A.test.ts']);
    expect(map.parts.get('3B')).toEqual(['/repo/kvraft/tests/3B.test.ts']);
    expect(expandParts(map, ['lab2'])).toEqual(['2A', '2B', '2C', '2D']);
    expect(expandParts(map, ['3b', 'lab3', '2a'])).toEqual(['2A', '3A', '3B']);
    expect(expandParts(map, ['all'])).toEqual(['2A', '2B', '2C', '2D', '2X', '3A', '3B', '3X', '4A', '4B', '4B-challenge']);
    expect(expandParts(map, ['lab4'])).toEqual(['4A', '4B', '4B-challenge']);
    expect(() => expandParts(map, ['2E'])).toThrow('unknown part "2E"; the parts are 2A, 2B, 2C, 2D, 2X, 3A, 3B, 3X, 4A, 4B, 4B-challenge, lab2, lab3, lab4, all');
    expect([labOf(map, '2C'), labOf(map, '3A')]).toEqual(['lab2', 'lab3']);
  });
});

describe('seeds and patterns', () => {
  it('checks seeds like LAB_SEED and counts up from a base', () => {
    expect(checkSeed('123')).toBe('123');
    expect(() => checkSeed('12a')).toThrow('--seed takes a whole number');
    expect(() => checkSeed('1234567890123456')).toThrow();
    expect([seedPlus('41', 1), seedPlus('999999999999999', 1)]).toEqual(['42', '0']);
  });

  it('selects tests by substring, any case, or /regex/', () => {
    const tests: PlannedTest[] = ['Test (2C): Figure 8', 'Test (2C): Figure 8 (unreliable)', 'Test (2C): churn'].map((name) => ({ part: '2C', file: 'f', name }));
    const names = (p: string) => matchTests(tests, p).map((t) => t.name);
    expect(names('Figure 8 (unreliable)')).toEqual(['Test (2C): Figure 8 (unreliable)']);
    expect(names('figure 8')).toEqual(['Test (2C): Figure 8', 'Test (2C): Figure 8 (unreliable)']);
    expect(names('/8$|churn/')).toEqual(['Test (2C): Figure 8', 'Test (2C): churn']);
    expect(names('nothing')).toEqual([]);
  });
});

describe('grading table', () => {
  it('matches titles whatever the prefix, part suffix, dots, case and spaces', () => {
    expect(normalizeTitle('2A', 'Test (2A): initial election')).toBe('initial election');
    expect(normalizeTitle('2A', 'Test (2A): initial election ...')).toBe('initial election');
    expect(normalizeTitle('3A', 'Test: one client (3A) ...')).toBe('one client');
    expect(normalizeTitle('2C', 'Figure 8 (unreliable)')).toBe('figure 8 (unreliable)');
    expect(normalizeTitle('2B', "2B: RPC  counts aren't too high")).toBe("rpc counts aren't too high");
  });

  it('the checked-in table lists every 6.5840 test once, with points', () => {
    const t = loadGradingTable(`${root}/cli/grading.json`);
    const counts = Object.fromEntries(Object.entries(t.parts).map(([p, tests]) => [p, Object.keys(tests).length]));
    expect(counts).toEqual({ '2A': 3, '2B': 10, '2C': 8, '2D': 7, '2X': 10, '3A': 14, '3B': 9, '3X': 1, '4A': 2, '4B': 10, '4B-challenge': 3 });
    expect(Object.values(t.parts).every((tests) => Object.values(tests).every((p) => p > 0))).toBe(true);
    expect(t.limits).toEqual({ testSeconds: 120, labSeconds: 600 });
  });

  it('scores in table order against each lab budget', () => {
    const gradingTable: GradingTable = { limits: { testSeconds: 120, labSeconds: 200 }, parts: {} };
    const entry = (name: string, part: string): GradedEntry => ({ test: { part, file: 'f', name }, title: name, maxPoints: 5 });
    const run = (name: string, elapsedMs: number, ok = true): JobResult => ({
      job: { test: { part: 'x', file: 'f', name }, baseSeed: '1', mode: 'virtual' },
      outcome: { name, ok, baseSeed: '1', mode: 'virtual', output: [], traceHash: '', elapsedMs, realMs: 0 },
    });
    const graded = scoreRuns(
      gradingTable,
      [entry('a', '2A'), entry('b', '2A'), entry('c', '3A'), entry('d', '2B'), entry('e', '3A')],
      [run('a', 100_000), run('b', 121_000), run('c', 50_000, false), run('d', 90_000), run('e', 10_000)],
      (part) => (part.startsWith('2') ? 'lab2' : 'lab3'),
      'simulated time',
    );
    expect(graded.map((g) => g.score)).toEqual([5, 0, 0, 0, 5]);
    expect(graded[1]!.reason).toContain('over the 120 s limit per test');
    expect(graded[2]!.reason).toBe('failed');
    expect(graded[3]!.reason).toBe('the lab2 tests had taken 311.0 s of simulated time when it ended, over the 200 s limit per lab');
  });
});

describe('ui helpers', () => {
  it('computes mean and sample standard deviation', () => {
    expect(meanSd([])).toEqual({ mean: 0, sd: 0 });
    expect(meanSd([3])).toEqual({ mean: 3, sd: 0 });
    const { mean, sd } = meanSd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(mean).toBe(5);
    expect(sd).toBeCloseTo(2.138, 3);
  });

  it('lays out tables with aligned columns', () => {
    expect(table(['name', 'n'], [['a', '1'], ['longer', '100']], ['left', 'right'])).toBe(['name      n', '------  ---', 'a         1', 'longer  100'].join('\n'));
  });

  it('draws progress in place on a terminal, and a line per tenth elsewhere', () => {
    const tty = new BufferOut(true);
    const status = new StatusLine(tty);
    const progress = new Progress(status, tty, 4);
    for (let i = 1; i <= 4; i++) progress.update(i, `run ${i}/4`);
    status.print(tty, 'a whole line');
    status.stop();
    expect(tty.text).toContain('\r\u001b[2K⠋ run 4/4');
    expect(tty.text).toContain('\r\u001b[2Ka whole line\n');
    expect(tty.text.endsWith('\r\u001b[2K')).toBe(true);
    expect(tty.text).not.toContain('run 1/4\n');

    const log = new BufferOut(false);
    const plain = new Progress(new StatusLine(log), log, 40);
    for (let i = 1; i <= 40; i++) plain.update(i, `run ${i}/40`);
    expect(log.text.trim().split('\n')).toEqual(['run 4/40', 'run 8/40', 'run 12/40', 'run 16/40', 'run 20/40', 'run 24/40', 'run 28/40', 'run 32/40', 'run 36/40', 'run 40/40']);
  });
});
