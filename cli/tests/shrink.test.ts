import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lab, tempDir } from './helpers.ts';
import { failureKind } from '../shrink.ts';
import type { PartMap } from '../parts.ts';

const shrinkFixture = fileURLToPath(new URL('./fixtures/shrink-tests.ts', import.meta.url));
const parts: PartMap = { parts: new Map([['SH', [shrinkFixture]]]), groups: new Map(), root: fileURLToPath(new URL('../..', import.meta.url)) };

function value(out: string, key: string): string {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(out);
  if (m === null) throw new Error(`no ${key}= line in:\n${out}`);
  return m[1]!;
}

describe('lab shrink', () => {
  it('cuts a failing run down to the faults it needs, and lab replay --schedule reproduces the shrunken run', async () => {
    const dir = tempDir('lab-shrink-');
    const schedule = join(dir, 'two.json');
    const r = await lab(['shrink', 'needs two crashes', '--seed', '3', '--out', schedule, '--budget', '200'], { parts });
    expect(r.code).toBe(0);
    expect(Number(value(r.out, 'shrink_faults_before'))).toBe(40);
    expect(value(r.out, 'shrink_faults_after')).toBe('2');
    expect(value(r.out, 'shrink_same_check')).toBe('yes');
    expect(Number(value(r.out, 'shrink_runs'))).toBeGreaterThan(3);
    expect(r.out).toMatch(/kept, in order \(simulated time\):\n +\d+\.\d{3} s  S[12] crashes \(not restarted before the end\)\n +\d+\.\d{3} s  S[12] crashes/);
    const file = JSON.parse(readFileSync(schedule, 'utf8')) as { keep: string[] };
    expect(file).toMatchObject({ format: 'raftlab-schedule', test: 'shrink: needs two crashes', seed: '3' });
    expect([...file.keep].sort()).toEqual(['crash S1 #2', 'crash S2 #3']);
    expect(r.out).toContain(`replay:   npx lab replay "shrink: needs two crashes" --seed 3 --schedule`);
    expect(r.err).toMatch(/shrink run \d+: /);

    const replayed = await lab(['replay', 'needs two crashes', '--seed', '3', '--schedule', schedule], { parts });
    expect(replayed.code).toBe(1);
    expect(replayed.out).toContain('check:    apply');
    expect(replayed.out).toContain(`--seed 3 --schedule ${schedule}`);
    // Leave one of the two out by hand: the run passes.
    const one = join(dir, 'one.json');
    const doc = JSON.parse(readFileSync(schedule, 'utf8')) as { keep: string[] };
    (await import('node:fs')).writeFileSync(one, JSON.stringify({ ...doc, keep: doc.keep.slice(0, 1) }));
    expect((await lab(['replay', 'needs two crashes', '--seed', '3', '--schedule', one], { parts })).code).toBe(0);
  }, 120_000);

  it('counts an edit that hangs the test as not the same failure, and goes on', async () => {
    const dir = tempDir('lab-shrink-');
    const r = await lab(['shrink', 'hangs without', '--seed', '5', '--out', join(dir, 's.json'), '--budget', '200'], { parts });
    expect(r.code).toBe(0);
    expect(value(r.out, 'shrink_faults_after')).toBe('2');
    const kept = (JSON.parse(readFileSync(join(dir, 's.json'), 'utf8')) as { keep: string[] }).keep;
    expect([...kept].sort()).toEqual(['crash S0 #1', 'crash S2 #4']);
  }, 120_000);

  it('stops at once on a test that passes, and on one that fails differently when replayed', async () => {
    const dir = tempDir('lab-shrink-');
    const pass = await lab(['shrink', 'shrink: passes', '--seed', '1', '--out', join(dir, 'p.json')], { parts });
    expect(pass.code).toBe(1);
    expect(pass.out).toContain('the test passes with seed 1: there is no failure to shrink (nothing searched)');
    const nondet = await lab(['shrink', 'not deterministic', '--seed', '1', '--out', join(dir, 'n.json')], { parts });
    expect(nondet.code).toBe(1);
    expect(nondet.out).toContain('not deterministic');
    expect(nondet.out).toContain('check:    one');
    expect(nondet.out).toContain('check:    checkOneLeader');
  }, 120_000);

  it('rejects bad input with what to do', async () => {
    expect((await lab(['shrink', 'needs two crashes'], { parts })).err).toContain('shrink needs --seed S');
    expect((await lab(['shrink', 'needs two crashes', '--seed', '1', '--budget', '0'], { parts })).err).toContain('--budget takes a number of runs');
    expect((await lab(['shrink', 'needs two crashes', '--seed', '1', '--budget', 'lots'], { parts })).code).toBe(2);
    const dir = tempDir('lab-shrink-');
    const bad = join(dir, 'bad.json');
    (await import('node:fs')).writeFileSync(bad, '{"format":"raftlab-schedule","version":1,"test":"shrink: passes","seed":"9","keep":[]}');
    const wrongSeed = await lab(['replay', 'needs two crashes', '--seed', '1', '--schedule', bad], { parts });
    expect(wrongSeed.code).toBe(2);
    expect(wrongSeed.err).toContain('is for the test "shrink: passes"');
    expect((await lab(['replay', 'shrink: passes', '--seed', '1', '--schedule', bad], { parts })).err).toContain('replay with --seed 9');
    (await import('node:fs')).writeFileSync(bad, 'not json');
    expect((await lab(['replay', 'shrink: passes', '--seed', '1', '--schedule', bad], { parts })).err).toContain('is not JSON');
  }, 120_000);

  it('lab stress --shrink shrinks the first failing run; without it, failing runs list the shrink command', async () => {
    const dir = tempDir('lab-shrink-');
    const plain = await lab(['stress', 'needs two crashes', '-n', '1', '--seed', '3', '-p', '1', '--out', join(dir, 'a')], { parts });
    expect(plain.out).toContain('    npx lab shrink "shrink: needs two crashes" --seed 3');
    const r = await lab(['stress', 'needs two crashes', '-n', '1', '--seed', '3', '-p', '1', '--out', join(dir, 'b'), '--shrink'], { parts });
    expect(r.code).toBe(1);
    expect(r.out).toContain('shrinking the first failing run (shrink: needs two crashes, seed 3)');
    expect(value(r.out, 'shrink_faults_after')).toBe('2');
    expect(readFileSync(join(dir, 'b', 'shrink-needs-two-crashes-seed3.schedule.json'), 'utf8')).toContain('"crash S1 #2"');
  }, 120_000);

  it('counts failures as the same when only numbers differ', () => {
    const report = (check: string, message: string) => ({ test: 't', seed: '1', mode: 'virtual' as const, check, message, replay: '' });
    expect(failureKind(report('one', 'one(5) failed to reach agreement'))).toBe(failureKind(report('one', 'one(1234) failed to reach agreement')));
    expect(failureKind(report('apply', 'apply error: commit index=7 server=1 101 != server=2 102'))).not.toBe(failureKind(report('apply', 'apply error: server 1 apply out of order 7')));
    expect(failureKind(report('one', 'x'))).not.toBe(failureKind(report('nCommitted', 'x')));
    // What a message lists after its first words may vary in length.
    expect(failureKind(report('get', 'get wrong value, key 3, wanted: x 3 0 yx 3 1 y'))).toBe(failureKind(report('get', 'get wrong value, key 1, wanted: x 1 0 yx 1 1 yx 1 2 y')));
    const uncaught = (what: string) => report('UncaughtError', `unhandled promise rejection at virtual time 639.5 ms in server 2:\n${what}\n    at f (raft.ts:1:1)`);
    expect(failureKind(uncaught("TypeError: Cannot read properties of undefined (reading 'Term')"))).not.toBe(failureKind(uncaught('RangeError: Invalid array length')));
    expect(failureKind(uncaught('RangeError: Invalid array length'))).toBe(failureKind(report('UncaughtError', 'unhandled promise rejection at virtual time 12 ms in server 0:\nRangeError: Invalid array length')));
  });
});
