/**
 * Same seed, same run: the trace hash (and everything the run observed) is identical in two
 * separate Node processes, and differs between seeds.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { runWorkload } from './workload.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./trace-main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

interface Printed {
  traceHash: string;
  events: number;
  elapsedMs: number;
  logDigest: string;
  logLines: number;
}

async function inChild(seed: string): Promise<Printed> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, seed], { cwd: repoRoot, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Printed;
}

describe('determinism', () => {
  test('the same seed gives the same trace in two separate processes', async () => {
    const [a, b, c] = await Promise.all([inChild('42'), inChild('42'), inChild('43')]);
    expect(a.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(a.events).toBeGreaterThan(500);
    expect(b).toEqual(a);
    expect(c.traceHash).not.toBe(a.traceHash);
    expect(c.logDigest).not.toBe(a.logDigest);
    // And this process agrees with the children.
    const here = await runWorkload('42');
    expect(here.traceHash).toBe(a.traceHash);
    expect(createHash('sha256').update(here.value.log.join('\n')).digest('hex')).toBe(a.logDigest);
  }, 60_000);

  test('different seeds give different traces', async () => {
    const hashes = new Set<string>();
    for (let seed = 0; seed < 10; seed++) hashes.add((await runWorkload(`seed-${seed}`)).traceHash);
    expect(hashes.size).toBe(10);
  });

  test('repeated runs in one process are identical', async () => {
    const a = await runWorkload('again');
    const b = await runWorkload('again');
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.events).toBe(a.events);
    expect(b.value.log).toEqual(a.value.log);
  });
});
