import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lab, tempDir } from './helpers.ts';

interface StressJson {
  ok: boolean;
  baseSeed: string;
  tests: { name: string; runs: number; failures: number; failureRate: number; timeMs: { mean: number; sd: number } }[];
  failures: { name: string; baseSeed: string; replay: string }[];
  runs: { name: string; baseSeed: string; ok: boolean; traceHash: string; elapsedMs: number }[];
  keptDir: string | null;
}

describe('lab stress', () => {
  it('runs N seeds from the base seed, P at a time, and the same base seed gives the same runs', async () => {
    const a = await lab(['stress', 'fixture: random', '-n', '6', '-p', '3', '--seed', '500', '--json']);
    expect(a.code).toBe(0);
    const first = JSON.parse(a.out) as StressJson;
    expect(first.runs.map((r) => r.baseSeed).sort()).toEqual(['500', '501', '502', '503', '504', '505']);
    expect(first.runs.every((r) => r.ok && /^[0-9a-f]+$/.test(r.traceHash))).toBe(true);
    // Distinct seeds, distinct runs.
    expect(new Set(first.runs.map((r) => r.traceHash)).size).toBe(6);
    expect(first.tests).toEqual([expect.objectContaining({ name: 'fixture: random', runs: 6, failures: 0, failureRate: 0 })]);
    expect(first.tests[0]!.timeMs.sd).toBeGreaterThan(0);
    expect(first.keptDir).toBeNull();

    const b = await lab(['stress', 'fixture: random', '-n', '6', '-p', '2', '--seed', '500', '--json']);
    const second = JSON.parse(b.out) as StressJson;
    const bySeed = (doc: StressJson) => Object.fromEntries(doc.runs.map((r) => [r.baseSeed, r.traceHash]));
    expect(bySeed(second)).toEqual(bySeed(first));

    const c = await lab(['stress', 'fixture: random', '-n', '2', '--seed', '900', '--json']);
    const other = JSON.parse(c.out) as StressJson;
    expect(other.runs.map((r) => r.traceHash)).not.toContain(first.runs[0]!.traceHash);
  }, 60_000);

  it('prints a table per test with failure rate and mean ± sd, and progress lines off a terminal', async () => {
    const r = await lab(['stress', '9X', '-n', '10', '-p', '2', '--seed', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('lab stress 9X: 2 tests × 10 runs = 20, seeds 1..10, virtual time, 2 at a time');
    expect(r.out).toMatch(/^test\s+runs\s+fail\s+rate\s+sim time s \(mean ± sd\)\s+real s \(mean ± sd\)$/m);
    expect(r.out).toMatch(/^Test \(9X\): fixture one\s+10\s+0\s+0\.0%\s+2\.00 ± 0\.00\s+\d+\.\d\d ± \d+\.\d\d$/m);
    expect(r.out).toMatch(/^Test \(9X\): fixture two\s+10\s+0\s+0\.0%\s+\d\.\d\d ± 0\.[1-9]\d/m);
    // A progress line at every tenth: 20 runs → 10 lines.
    expect(r.out.match(/^stress: \d+\/20 runs/gm)?.length).toBe(10);
    expect(r.out).toContain('no failures in 20 runs: nothing kept');
  }, 60_000);

  it('lists each failing seed with its replay command, keeps its output, report and trace, and exits 1', async () => {
    const out = join(tempDir(), 'kept');
    const r = await lab(['stress', '/check fails|passes/', '-n', '3', '-p', '2', '--seed', '10', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^fixture: passes\s+3\s+0\s+0\.0%/m);
    expect(r.out).toMatch(/^fixture: check fails\s+3\s+3\s+100\.0%/m);
    for (const seed of ['10', '11', '12']) {
      expect(r.out).toContain(`  seed ${seed}  fixture: check fails  one: one(101) failed to reach agreement\n    npx lab replay "fixture: check fails" --seed ${seed}\n`);
    }
    expect(r.out).toMatch(/^FAIL: 3 passed, 3 failed$/m);
    const kinds = ['.html', '.json', '.txt'];
    const expected = ['10', '11', '12'].flatMap((seed) => kinds.map((ext) => `fixture-check-fails-seed${seed}${ext}`));
    expect(readdirSync(out).sort()).toEqual([...expected, 'summary.json'].sort());
    // The trace of a failing run is recorded by replaying its seed: it ends in the same failure.
    expect(readFileSync(join(out, 'fixture-check-fails-seed10.json'), 'utf8')).toContain('one(101) failed to reach agreement');
    const kept = readFileSync(join(out, 'fixture-check-fails-seed11.txt'), 'utf8');
    expect(kept).toContain('# replay: npx lab replay "fixture: check fails" --seed 11');
    expect(kept).toContain('## failure report\nFAIL fixture: check fails\n  check:    one');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { failures: { baseSeed: string }[] };
    expect(summary.failures.map((f) => f.baseSeed)).toEqual(['10', '11', '12']);
  }, 60_000);

  it('keeps failing runs under .lab/stress-<time>/ of the project by default', async () => {
    const root = tempDir();
    const r = await lab(['stress', 'fixture: check fails', '-n', '1', '--seed', '5'], { root, clockMs: () => Date.UTC(2030, 0, 2, 3, 4, 5) });
    expect(r.code).toBe(1);
    const dir = join(root, '.lab', 'stress-2030-01-02T03-04-05');
    expect(existsSync(join(dir, 'fixture-check-fails-seed5.txt'))).toBe(true);
    expect(r.out).toContain('output, reports and traces of the failing runs:');
    expect(r.out).toContain('stress-2030-01-02T03-04-05');
  }, 60_000);

  it('says which tests exist when the pattern matches none', async () => {
    const r = await lab(['stress', 'no such test', '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no test matches "no such test"');
    expect(r.err).toContain('  fixture: random');
    const badN = await lab(['stress', 'random', '-n', '0']);
    expect(badN.code).toBe(2);
    expect(badN.err).toContain('--runs takes a whole number from 1');
  }, 60_000);
});
