import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { defaultPartMap, existingParts } from '../parts.ts';
import { lab, tempDir, writeJson } from './helpers.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(() => {
  process.env.LAB_WATCHDOG_MS = '3000';
});
afterAll(() => {
  delete process.env.LAB_WATCHDOG_MS;
});

/** A grading table for the fixtures, written into a fresh root; returns that root. */
function tableRoot(parts: Record<string, Record<string, number>>, limits = { testSeconds: 120, labSeconds: 600 }): string {
  const root = tempDir();
  writeJson(join(root, 'grading.json'), { limits, parts });
  return root;
}

const fixturePoints = {
  F: { 'fixture: passes': 5, 'fixture: busy loop': 1, 'FIXTURE:  deadlock ...': 2, 'fixture: check fails': 3, 'fixture: random': 4 },
  '9X': { 'fixture one': 10, 'Test (9X): fixture two (9X) ...': 20 },
};

interface GradescopeJson {
  score: number;
  execution_time: number;
  tests: { name: string; score: number; max_score: number; output: string; status: string }[];
}

describe('lab grade', () => {
  it('scores each test from the table, in text, and exits 1 without full marks', async () => {
    const root = tableRoot(fixturePoints);
    const r = await lab(['grade', '--seed', '9', '--no-bail'], { root });
    expect(r.code).toBe(1);
    expect(r.out).toContain('lab grade: 7 tests in 2 parts, base seed 9, virtual time');
    expect(r.out).toMatch(/^F\s+fixture: passes\s+5\/5\s+ok$/m);
    expect(r.out).toMatch(/^F\s+fixture: deadlock\s+0\/2\s+DeadlockError: deadlock at virtual time 0 ms/m);
    expect(r.out).toMatch(/^F\s+fixture: check fails\s+0\/3\s+one: one\(101\) failed to reach agreement$/m);
    expect(r.out).toMatch(/^9X\s+Test \(9X\): fixture two\s+20\/20\s+ok$/m);
    expect(r.out).toContain('by part: F 9/15   9X 30/30');
    expect(r.out).toMatch(/^Score: 39\/45 {2}\(base seed 9, virtual time/m);
  }, 60_000);

  it('prints JSON, and Gradescope results.json into --out', async () => {
    const root = tableRoot(fixturePoints);
    const json = await lab(['grade', '9X', '--format', 'json', '--seed', '1'], { root });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.out) as { score: number; maxScore: number; parts: Record<string, unknown>; tests: { name: string; score: number; status: string }[] };
    expect(doc).toMatchObject({ score: 30, maxScore: 30, parts: { '9X': { score: 30, maxScore: 30 } } });
    expect(doc.tests.map((t) => [t.name, t.score, t.status])).toEqual([
      ['Test (9X): fixture one', 10, 'passed'],
      ['Test (9X): fixture two', 20, 'passed'],
    ]);

    const file = join(root, 'results.json');
    const gs = await lab(['grade', '--format', 'gradescope', '--out', file, '--seed', '1', '--no-bail'], { root });
    expect(gs.code).toBe(1);
    expect(gs.out).toBe('');
    expect(gs.err).toContain(`score 39/45; gradescope result written to ${file}`);
    const results = JSON.parse(readFileSync(file, 'utf8')) as GradescopeJson;
    expect(results.score).toBe(39);
    expect(typeof results.execution_time).toBe('number');
    expect(results.tests).toHaveLength(7);
    for (const t of results.tests) expect(Object.keys(t).sort()).toEqual(['max_score', 'name', 'output', 'score', 'status']);
    const check = results.tests.find((t) => t.name === 'F: fixture: check fails')!;
    expect(check).toMatchObject({ score: 0, max_score: 3, status: 'failed' });
    expect(check.output).toContain('0 points: one: one(101) failed to reach agreement');
    expect(check.output).toContain('replay:   npx lab replay "fixture: check fails" --seed 1');
    const one = results.tests.find((t) => t.name === 'Test (9X): fixture one')!;
    expect(one).toMatchObject({ score: 10, max_score: 10, status: 'passed', output: 'Test (9X): fixture one ...\n  ... Passed --   2.0  3   10    1000    0' });
  }, 60_000);

  it("gives 0 to a test over the per-test limit of the run's clock, and to tests past the lab's limit", async () => {
    const perTest = await lab(['grade', 'F', '--format', 'json', '--seed', '2', '--no-bail'], { root: tableRoot(fixturePoints, { testSeconds: 1, labSeconds: 600 }) });
    const a = JSON.parse(perTest.out) as { tests: { name: string; score: number; reason: string }[] };
    expect(a.tests[0]).toMatchObject({ name: 'fixture: passes', score: 0, reason: 'took 1.5 s of simulated time, over the 1 s limit per test' });
    expect(a.tests[4]).toMatchObject({ name: 'fixture: random', score: 4, reason: '' });

    // 9X is in the lab (group) "both". Its fixture one takes 2 s: with a 1.5 s budget for the
    // lab it crosses it, and fixture two is not run.
    const perLab = await lab(['grade', '9X', '--format', 'json', '--seed', '2'], { root: tableRoot(fixturePoints, { testSeconds: 120, labSeconds: 1.5 }) });
    const b = JSON.parse(perLab.out) as { score: number; tests: { score: number; reason: string }[] };
    expect(b.score).toBe(0);
    expect(b.tests[0]!.reason).toBe('the both tests had taken 2.0 s of simulated time when it ended, over the 1.5 s limit per lab');
    expect(b.tests[1]!.reason).toMatch(/^not run: the both tests had already taken 2\.0 s, over the 1\.5 s limit per lab$/);
  }, 60_000);

  it('refuses a table that misses a test or lists one that does not exist, naming them; --check runs nothing', async () => {
    const missing = { F: { ...fixturePoints.F }, '9X': { 'fixture one': 10, 'fixture three': 1 } };
    const r = await lab(['grade'], { root: tableRoot(missing) });
    expect(r.code).toBe(2);
    expect(r.err).toContain('test "Test (9X): fixture two" (part 9X) has no points in');
    expect(r.err).toContain('gives points to "fixture three" under "9X", but no test of part 9X has that title');
    const noPart = await lab(['grade'], { root: tableRoot({ F: fixturePoints.F }) });
    expect(noPart.code).toBe(2);
    expect(noPart.err).toContain('part 9X has no section in');
    const ok = await lab(['grade', '--check'], { root: tableRoot(fixturePoints) });
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/matches the tests: 7 tests in 2 parts, 45 points/);
    const badFormat = await lab(['grade', '--format', 'xml'], { root: tableRoot(fixturePoints) });
    expect(badFormat.code).toBe(2);
    expect(badFormat.err).toContain('--format takes text, json, gradescope');
  }, 60_000);

  it('the checked-in cli/grading.json matches the tests of every part whose test file exists', async () => {
    // Loading the real test files takes longer than this file's short watchdog allows.
    delete process.env.LAB_WATCHDOG_MS;
    const parts = defaultPartMap(projectRoot);
    const present = existingParts(parts);
    expect(present.length).toBeGreaterThan(0);
    const r = await lab(['grade', ...present, '--check'], { root: projectRoot, parts, gradingFile: join(projectRoot, 'cli/grading.json') });
    process.env.LAB_WATCHDOG_MS = '3000';
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
});
