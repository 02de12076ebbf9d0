import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { defaultPartMap } from '../parts.ts';
import { lab, tempDir } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

interface Results {
  score: number;
  output?: string;
  tests?: { name: string; score: number; max_score: number; status: string; output: string }[];
}

/** Unpacks the zip as Gradescope does: into AUTOGRADER/source, keeping the executable bits. */
function unpack(zip: Uint8Array, autograder: string): Record<string, Uint8Array> {
  const files = unzipSync(zip);
  const source = join(autograder, 'source');
  for (const [path, data] of Object.entries(files)) {
    const dest = join(source, path);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, data);
    if (path === 'run_autograder' || path === 'setup.sh') chmodSync(dest, 0o755);
  }
  // setup.sh would run npm ci; the project's own packages stand in for it here.
  symlinkSync(join(root, 'node_modules'), join(source, 'node_modules'));
  mkdirSync(join(autograder, 'submission'), { recursive: true });
  return files;
}

function runAutograder(autograder: string): Results {
  const run = spawnSync('bash', [join(autograder, 'source', 'run_autograder')], { env: { ...process.env, AUTOGRADER_ROOT: autograder, LAB_SEED: '3' }, encoding: 'utf8', timeout: 240_000 });
  expect(run.status, run.stderr + run.stdout).toBe(0);
  return JSON.parse(readFileSync(join(autograder, 'results', 'results.json'), 'utf8')) as Results;
}

describe('lab autograder', () => {
  it('builds a zip whose run_autograder grades the reference to full marks and the skeleton to 0', async () => {
    const out = join(tempDir(), 'ag.zip');
    const r = await lab(['autograder', '2A', '--out', out], { root, parts: defaultPartMap(root) });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('students submit kvraft/client.ts, kvraft/common.ts, kvraft/server.ts, raft/raft.ts');
    const zip = readFileSync(out);

    // The reference: the staff copy's student files, submitted at their repository paths.
    const reference = tempDir('autograder-ref-');
    const files = unpack(zip, reference);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['setup.sh', 'run_autograder', 'package-lock.json', 'raft/tests/2A.test.ts', 'tester/config.ts', 'cli/grading.json']));
    expect(Object.keys(files).some((f) => f.startsWith('mutants/') || f.startsWith('cli/tests/'))).toBe(false);
    const skeletonRaft = Buffer.from(files['raft/raft.ts']!).toString('utf8');
    expect(skeletonRaft).not.toContain('<solution>');
    mkdirSync(join(reference, 'submission', 'raft'), { recursive: true });
    writeFileSync(join(reference, 'submission', 'raft', 'raft.ts'), readFileSync(join(root, 'raft', 'raft.ts')));
    const good = runAutograder(reference);
    expect(good.score).toBe(15);
    expect(good.tests!.map((t) => t.status)).toEqual(['passed', 'passed', 'passed']);

    // The skeleton, submitted as a bare raft.ts at the top of the submission.
    const skeleton = tempDir('autograder-skel-');
    unpack(zip, skeleton);
    writeFileSync(join(skeleton, 'submission', 'raft.ts'), skeletonRaft);
    const bad = runAutograder(skeleton);
    expect(bad.score).toBe(0);
    expect(bad.tests!.map((t) => [t.status, t.max_score])).toEqual([['failed', 5], ['failed', 5], ['failed', 5]]);
    expect(bad.tests![0]!.output).toContain('npx lab replay');
  }, 300_000);
});
