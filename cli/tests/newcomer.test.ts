import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { etaSeconds } from '../eta.ts';
import { defaultPartMap } from '../parts.ts';
import { parseShard, shardRange } from '../shard.ts';
import { summaryLine } from '../ui.ts';
import { fixtureParts, lab, tempDir } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const loopsFixture = fileURLToPath(new URL('../../tester/tests/fixtures/loops.ts', import.meta.url));

/** Part L: four tests, each stuck in a loop of its own kind. */
function loopParts() {
  const map = fixtureParts();
  map.parts.set('L', [loopsFixture]);
  return map;
}

afterEach(() => {
  delete process.env.LAB_SEED;
});

describe('a stuck loop costs one watchdog per part', () => {
  it('fails the rest of the part at once with the first finding; --no-bail runs each test', async () => {
    const started = performance.now();
    const r = await lab(['test', 'L', '--seed', '1'], { parts: loopParts() });
    const bailedMs = performance.now() - started;
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/--- FAIL: loop: synchronous \(0\.3 s\) WatchdogError: stuck in a synchronous loop at tester\/tests\/fixtures\/loops\.ts:\d+ in spinForever/);
    expect(r.out).toMatch(/--- FAIL: loop: microtask spin \(0\.0 s\) WatchdogError: not run: an earlier test of part L was stuck in a synchronous loop at tester\/tests\/fixtures\/loops\.ts:\d+ in spinForever/);
    expect(r.out).toMatch(/--- FAIL: loop: same instant \(0\.0 s\) WatchdogError: not run/);
    expect(r.out).toContain('replay:   npx lab replay "loop: same instant" --seed 1');

    const started2 = performance.now();
    const all = await lab(['test', 'L', '--seed', '1', '--no-bail'], { parts: loopParts() });
    const fullMs = performance.now() - started2;
    expect(all.out).toMatch(/--- FAIL: loop: microtask spin .* WatchdogError: stuck in a microtask spin at/);
    expect(all.out).toMatch(/--- FAIL: loop: same instant .* LivelockError: stuck in a timer re-armed at the same instant at/);
    expect(bailedMs).toBeLessThan(fullMs);
  }, 120_000);
});

describe('seeds', () => {
  it('lab test takes its base seed from LAB_SEED, as the README says', async () => {
    process.env.LAB_SEED = '4242';
    const r = await lab(['test', '9X']);
    expect(r.out).toContain('base seed 4242, virtual time');
    process.env.LAB_SEED = 'x1';
    const bad = await lab(['test', '9X']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('LAB_SEED takes a whole number');
  }, 60_000);
});

describe('one-line summaries', () => {
  it('keep the error text of a message that announces it on the next line', () => {
    expect(summaryLine('uncaught exception at virtual time 5 ms in server 2:\nTypeError: x.y is not a function\n    at f (raft.ts:3:4)')).toBe(
      'uncaught exception at virtual time 5 ms in server 2: TypeError: x.y is not a function',
    );
    expect(summaryLine('one(101) failed to reach agreement')).toBe('one(101) failed to reach agreement');
  });
});

describe('stress across machines', () => {
  it('slices the seeds into disjoint shards that cover them all', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('4/3')).toThrow(/--shard takes I\/N/);
    const ranges = [1, 2, 3].map((i) => shardRange(40, { index: i, count: 3 }));
    expect(ranges).toEqual([{ from: 0, to: 13 }, { from: 13, to: 26 }, { from: 26, to: 40 }]);
  });

  it('shard 1/2 and 2/2, merged, are the one batch run seed for seed', async () => {
    const dir = tempDir();
    const whole = JSON.parse((await lab(['stress', 'fixture: random', '-n', '5', '--seed', '30', '-p', '2', '--json'])).out) as { runs: { baseSeed: string; traceHash: string; ok: boolean }[] };
    const files: string[] = [];
    for (const i of [1, 2]) {
      const r = await lab(['stress', 'fixture: random', '-n', '5', '--seed', '30', '-p', '2', '--json', '--shard', `${i}/2`]);
      const file = join(dir, `shard-${i}.json`);
      writeFileSync(file, r.out);
      files.push(file);
    }
    const shards = files.map((f) => JSON.parse(execFileSync('cat', [f], { encoding: 'utf8' })) as { runs: { baseSeed: string; traceHash: string; ok: boolean }[] });
    const key = (runs: { baseSeed: string; traceHash: string }[]) => runs.map((r) => `${r.baseSeed}=${r.traceHash}`).sort();
    expect(key(shards.flatMap((s) => s.runs))).toEqual(key(whole.runs));
    expect(shards[0]!.runs.map((r) => r.baseSeed).sort()).toEqual(['30', '31']);

    const merged = await lab(['stress', 'merge', ...files]);
    expect(merged.code).toBe(0);
    expect(merged.out).toMatch(/^fixture: random\s+5\s+0\s+0\.0%/m);
    expect(merged.out).toContain('PASS: 5 passed, 0 failed');
    const alone = await lab(['stress', 'merge', files[0]!]);
    expect(alone.out).toContain('missing shard(s) 2/2');
    const twice = await lab(['stress', 'merge', files[0]!, files[0]!]);
    expect(twice.code).toBe(2);
    expect(twice.err).toContain('repeats the run');
  }, 120_000);

  it('merge lists every failing seed with its replay command; --shard needs a seed', async () => {
    const dir = tempDir();
    const r = await lab(['stress', 'check fails', '-n', '2', '--seed', '8', '--json', '--shard', '2/2', '--out', join(dir, 'kept')]);
    writeFileSync(join(dir, 's.json'), r.out);
    const merged = await lab(['stress', 'merge', join(dir, 's.json')]);
    expect(merged.code).toBe(1);
    expect(merged.out).toContain('seed 9  fixture: check fails  one: one(101) failed to reach agreement\n    npx lab replay "fixture: check fails" --seed 9');
    const noSeed = await lab(['stress', '9X', '--shard', '1/2']);
    expect(noSeed.code).toBe(2);
    expect(noSeed.err).toContain('--shard needs --seed');
  }, 60_000);

  it('estimates the time left per test, not from the quick runs that end first', () => {
    // Two tests, 10 runs each, one slot: the quick one (0.1 s) ended 5 times, the slow one (5 s) once.
    const doneMs = new Map([
      ['quick', [100, 100, 100, 100, 100]],
      ['slow', [5000]],
    ]);
    const totalRuns = new Map([
      ['quick', 10],
      ['slow', 10],
    ]);
    expect(etaSeconds({ doneMs, totalRuns, parallel: 1 })).toBeCloseTo(0.5 + 45, 5);
    expect(etaSeconds({ doneMs: new Map([['quick', [100]]]), totalRuns, parallel: 1 })).toBeUndefined();
  });
});

describe('test files are found, not registered', () => {
  it('a new *.test.ts named after a part belongs to it', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'raft', 'tests'), { recursive: true });
    for (const name of ['2B.test.ts', '2B-backup.test.ts', '2B.more.test.ts', '2Bx.test.ts', '12B-x.test.ts', 'helpers.ts']) writeFileSync(join(dir, 'raft', 'tests', name), '');
    const map = defaultPartMap(dir);
    expect(map.parts.get('2B')).toEqual(['2B.test.ts', '2B-backup.test.ts', '2B.more.test.ts'].map((n) => join(dir, 'raft', 'tests', n)));
    expect(map.parts.get('2A')).toEqual([join(dir, 'raft', 'tests', '2A.test.ts')]);
  });
});

describe('small things', () => {
  it('lab logs writes no colour codes into a pipe', async () => {
    const dir = tempDir();
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify({ format: 'raftlab-trace', version: 1, meta: { test: "t" }, maxEvents: 10, droppedEvents: 0, events: [{ t: 1, k: 'crash', s: 0 }] }));
    const r = await lab(['logs', file]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('CRASH');
    expect(r.out).not.toContain('\u001b[');
  });

  it('the files the README writes into the project root are git-ignored', () => {
    for (const name of ['results.json', 'run.json', 'run.html']) {
      expect(() => execFileSync('git', ['check-ignore', '-q', name], { cwd: root }), name).not.toThrow();
    }
  });
});
