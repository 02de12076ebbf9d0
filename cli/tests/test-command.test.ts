import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(() => {
  // The busy-loop fixture holds its thread until the watchdog ends it: keep that short, but
  // longer than a cold worker takes to start (the watchdog is armed before the worker boots).
  process.env.LAB_WATCHDOG_MS = '3000';
});
afterAll(() => {
  delete process.env.LAB_WATCHDOG_MS;
});

describe('lab test', () => {
  it('runs every test of a part in order, prints their lines, a summary and the failure reports, and exits 1', async () => {
    const r = await lab(['test', 'F', '--seed', '42', '--no-bail']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('lab test F: 5 tests, base seed 42, virtual time');
    const order = ['fixture: passes', 'fixture: busy loop', 'fixture: deadlock', 'fixture: check fails', 'fixture: random'].map((n) => r.out.indexOf(`: ${n} (`));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.out).toContain('--- PASS: fixture: passes (1.5 s)');
    expect(r.out).toMatch(/--- FAIL: fixture: busy loop .*WatchdogError/);
    expect(r.out).toMatch(/--- FAIL: fixture: deadlock .*DeadlockError/);
    // The summary table, then one report per failure with its replay command.
    expect(r.out).toMatch(/^test\s+result\s+time s\s+real s\s+rpcs\s+bytes\s+cmds$/m);
    expect(r.out).toMatch(/^fixture: passes\s+ok\s+1\.5\s/m);
    expect(r.out).toMatch(/^fixture: check fails\s+FAIL\s/m);
    expect(r.out).toContain('FAIL fixture: check fails\n  check:    one');
    expect(r.out).toContain('replay:   npx lab replay "fixture: check fails" --seed 42');
    expect(r.out).toContain('replay:   npx lab replay "fixture: deadlock" --seed 42');
    expect(r.out).not.toContain('FAIL fixture: passes');
    expect(r.out).toMatch(/^FAIL: 2 passed, 3 failed$/m);
  }, 60_000);

  it("prints the tester's own lines and exits 0 when all pass; -p keeps the output in order", async () => {
    const r = await lab(['test', '9X', '--seed', '7', '-p', '2']);
    expect(r.code).toBe(0);
    const one = r.out.indexOf('Test (9X): fixture one ...');
    const passed = r.out.indexOf('  ... Passed --   2.0  3   10    1000    0');
    const two = r.out.indexOf('Test (9X): fixture two ...');
    expect(one).toBeGreaterThan(-1);
    expect(passed).toBeGreaterThan(one);
    expect(two).toBeGreaterThan(passed);
    // The tester printed a Passed line, so no extra PASS line.
    expect(r.out).not.toContain('--- PASS');
    expect(r.out).toMatch(/^Test \(9X\): fixture one\s+ok\s+2\.0\s+\d+\.\d\d\s+10\s+1000\s+0$/m);
    expect(r.out).toMatch(/^PASS: 2 passed, 0 failed$/m);
  }, 60_000);

  it('expands groups, and --json prints one JSON document with every outcome', async () => {
    const r = await lab(['test', 'both', '--json', '--seed', '3', '--no-bail']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { ok: boolean; parts: string[]; baseSeed: string; passed: number; failed: number; tests: { name: string; part: string; ok: boolean; report: { replay: string } | null }[] };
    expect(doc.parts).toEqual(['F', '9X']);
    expect(doc.baseSeed).toBe('3');
    expect(doc.tests.map((t) => t.name)).toEqual(['fixture: passes', 'fixture: busy loop', 'fixture: deadlock', 'fixture: check fails', 'fixture: random', 'Test (9X): fixture one', 'Test (9X): fixture two']);
    expect(doc.tests.map((t) => t.ok)).toEqual([true, false, false, false, true, true, true]);
    expect([doc.passed, doc.failed]).toEqual([4, 3]);
    expect(doc.tests[3]!.report!.replay).toBe('npx lab replay "fixture: check fails" --seed 3');
    // The commentary went to stderr, so stdout is JSON alone.
    expect(r.err).toContain('lab test F 9X: 7 tests');
  }, 60_000);

  it('draws a fresh base seed when none is given, and prints it', async () => {
    const r = await lab(['test', '9X']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/base seed \d+, virtual time/);
  }, 60_000);
});

describe('lab: errors and help', () => {
  it('rejects unknown commands, parts and flags with a list of what exists (exit 2)', async () => {
    const cmd = await lab(['tset']);
    expect(cmd.code).toBe(2);
    expect(cmd.err).toContain('unknown command "tset"; the commands are test, stress, replay, shrink, grade, handout, autograder, playground, logs, mutants, cluster, demo, help');
    const part = await lab(['test', '2E']);
    expect(part.code).toBe(2);
    expect(part.err).toContain('unknown part "2E"; the parts are F, 9X, both, all');
    const flag = await lab(['test', 'F', '--fast']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain('unknown flag --fast for lab test; its flags are --seed S, --real, -p/--parallel P, --json');
    const seed = await lab(['test', 'F', '--seed', 'abc']);
    expect(seed.code).toBe(2);
    expect(seed.err).toContain('--seed takes a whole number');
    const none = await lab(['test']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('lab: test needs one or more parts; usage: lab test PART...');
  });

  it('names a missing test file', async () => {
    const r = await lab(['test', '2A'], { parts: { parts: new Map([['2A', ['/nonexistent/2A.test.ts']]]), groups: new Map(), root: '/' } });
    expect(r.code).toBe(2);
    expect(r.err).toContain('part 2A: its test file nonexistent/2A.test.ts does not exist');
  });

  it('explains each command with examples', async () => {
    for (const name of ['test', 'stress', 'replay', 'grade', 'handout']) {
      const r = await lab([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: lab ${name}`);
      expect(r.out).toContain('Examples:');
      const viaHelp = await lab(['help', name]);
      expect(viaHelp.out).toBe(r.out);
    }
    const top = await lab(['--help']);
    expect(top.code).toBe(0);
    expect(top.out).toContain('Commands:');
    expect(top.out).toContain('Parts: F 9X both all');
    expect((await lab([])).code).toBe(2);
  });

  it('works as a real command: node cli/lab.mjs and the linked bin', () => {
    const viaNode = spawnSync(process.execPath, ['cli/lab.mjs', '--help'], { cwd: root, encoding: 'utf8' });
    expect(viaNode.status).toBe(0);
    expect(viaNode.stdout).toContain('lab — run, stress, replay and grade');
    expect(viaNode.stdout).toContain('Parts: 2A 2B 2C 2D 2X 3A 3B 3X 4A 4B 4B-challenge lab2 lab3 lab4 all');
    const viaBin = execFileSync('node_modules/.bin/lab', ['stress', '--help'], { cwd: root, encoding: 'utf8' });
    expect(viaBin).toContain('Usage: lab stress PATTERN');
    const bad = spawnSync(process.execPath, ['cli/lab.mjs', 'frobnicate'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
  }, 30_000);
});
