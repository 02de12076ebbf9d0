import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab } from './helpers.ts';

function hashOf(out: string): string {
  const m = /^trace_hash=([0-9a-f]+)$/m.exec(out);
  if (m === null) throw new Error(`no trace_hash line in:\n${out}`);
  return m[1]!;
}

describe('lab replay', () => {
  it('reruns one test exactly: the same seed gives the same trace hash, another seed another', async () => {
    const a = await lab(['replay', 'fixture: random', '--seed', '11']);
    const b = await lab(['replay', 'random', '--seed', '11']);
    const c = await lab(['replay', 'random', '--seed', '12']);
    expect(a.code).toBe(0);
    expect(a.out).toContain('lab replay "fixture: random" --seed 11 (virtual time, part F)');
    expect(hashOf(a.out)).toBe(hashOf(b.out));
    expect(hashOf(c.out)).not.toBe(hashOf(a.out));
  }, 60_000);

  it("prints the test's lines and, when it fails, its report, and exits 1", async () => {
    const ok = await lab(['replay', 'fixture two', '--seed', '4']);
    expect(ok.out).toContain('Test (9X): fixture two ...\n  ... Passed --');
    // The full name, as reports print it, finds the test through its part and runs the same run.
    const full = await lab(['replay', 'Test (9X): fixture two', '--seed', '4']);
    expect(full.code).toBe(0);
    expect(hashOf(full.out)).toBe(hashOf(ok.out));
    const r = await lab(['replay', 'check fails', '--seed', '4242']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('--- FAIL: fixture: check fails');
    expect(r.out).toContain('FAIL fixture: check fails\n  check:    one');
    expect(r.out).toContain('  replay:   npx lab replay "fixture: check fails" --seed 4242');
  }, 60_000);

  it('prints JSON with --json', async () => {
    const r = await lab(['replay', 'fixture: random', '--seed', '11', '--json']);
    const doc = JSON.parse(r.out) as { command: string; name: string; ok: boolean; traceHash: string; baseSeed: string };
    expect(doc).toMatchObject({ command: 'replay', name: 'fixture: random', ok: true, baseSeed: '11' });
    const text = await lab(['replay', 'fixture: random', '--seed', '11']);
    expect(doc.traceHash).toBe(hashOf(text.out));
  }, 60_000);

  it('refuses a missing seed, an ambiguous or unknown name, and an empty --trace', async () => {
    const noSeed = await lab(['replay', 'random']);
    expect(noSeed.code).toBe(2);
    expect(noSeed.err).toContain('replay needs --seed S');
    const ambiguous = await lab(['replay', 'fixture', '--seed', '1']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toContain('"fixture" is in the names of 7 tests');
    const unknown = await lab(['replay', 'zebra', '--seed', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no test is named "zebra"');
    const trace = await lab(['replay', 'random', '--seed', '1', '--trace', ' ']);
    expect(trace.code).toBe(2);
    expect(trace.err).toContain('--trace needs a file name');
  }, 60_000);

  it('records a trace with --trace without changing the run, and lab logs prints it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-trace-'));
    const plain = await lab(['replay', 'random', '--seed', '3']);
    const traced = await lab(['replay', 'random', '--seed', '3', '--trace', join(dir, 'run.json')]);
    expect(traced.code).toBe(0);
    expect(hashOf(traced.out)).toBe(hashOf(plain.out));
    expect(existsSync(join(dir, 'run.json'))).toBe(true);
    expect(readFileSync(join(dir, 'run.html'), 'utf8')).toContain('<canvas');
    const logs = await lab(['logs', join(dir, 'run.json'), '--no-color']);
    expect(logs.code).toBe(0);
    expect(logs.out).toContain('random');
  }, 60_000);
});
