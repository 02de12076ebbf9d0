import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createColors } from 'picocolors';
import { projectRoot } from '../context.ts';
import { TestWorker } from '../../tester/pool.ts';
import { lab, tempDir } from './helpers.ts';

// The handout of this very repository: it must type-check as students get it, and its graded
// tests must fail fast and clearly against the stubs, never crash the tester or hang.
const dir = join(tempDir('lab-handout-'), 'student');
const worker = new TestWorker();
afterAll(() => worker.close());

describe('the handout of this repository', () => {
  it('is written without solutions and without staff-only files', async () => {
    const r = await lab(['handout', dir], {
      root: projectRoot,
      handoutExcludeFile: join(projectRoot, 'cli/handout-exclude.txt'),
      handoutReadmeFile: join(projectRoot, 'cli/handout-README.md'),
      colors: createColors(false),
    });
    expect(r.code, r.err).toBe(0);
    const raft = readFileSync(join(dir, 'raft/raft.ts'), 'utf8');
    expect(raft).not.toMatch(/<solution>|<\/solution>|<stub>|^\s*\/\/! /m);
    expect(raft).toContain('Your code here');
    expect(readFileSync(join(dir, 'kvraft/server.ts'), 'utf8')).not.toContain('<solution>');
    expect(existsSync(join(dir, 'mutants'))).toBe(false);
    expect(existsSync(join(dir, '.ci'))).toBe(false);
    symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  }, 60_000);

  it('type-checks', () => {
    const tsc = join(projectRoot, 'node_modules/.bin/tsc');
    const run = (): string => execFileSync(tsc, ['--noEmit', '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
    expect(run).not.toThrow();
  }, 120_000);

  it('fails every 2A test quickly, each with a report and a replay command', async () => {
    const file = pathToFileURL(join(dir, 'raft/tests/2A.test.ts')).href;
    const names = await worker.list(file);
    expect(names).toHaveLength(3);
    const started = performance.now();
    for (const name of names) {
      const outcome = await worker.run({ file, name, baseSeed: '1', mode: 'virtual' });
      expect(outcome.ok, name).toBe(false);
      expect(outcome.report?.check).toBe('checkOneLeader');
      expect(outcome.report?.message).toBe('expected one leader, got none');
      expect(outcome.report?.replay).toContain('--seed 1');
    }
    expect(performance.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('fails the first 4A and 4B tests quickly: the stub controller answers no configuration', async () => {
    for (const [path, count] of [['shardctrler/tests/4A.test.ts', 2], ['shardkv/tests/4B.test.ts', 10]] as const) {
      const file = pathToFileURL(join(dir, path)).href;
      const names = await worker.list(file);
      expect(names).toHaveLength(count);
      const started = performance.now();
      const outcome = await worker.run({ file, name: names[0]!, baseSeed: '1', mode: 'virtual' });
      expect(outcome.ok, names[0]).toBe(false);
      expect(outcome.report?.check).toBe('Query');
      expect(outcome.report?.message).toMatch(/Query\(-1\) returned undefined, not a Config/);
      expect(performance.now() - started).toBeLessThan(20_000);
    }
  }, 60_000);
});
