import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createColors } from 'picocolors';
import { BufferOut, type CliContext } from '../context.ts';
import { main } from '../main.ts';
import type { PartMap } from '../parts.ts';

/** The harness's fixture tests: passes, busy loop, deadlock, check fails, random. */
export const harnessFixture = fileURLToPath(new URL('../../tester/tests/fixtures/bodies.ts', import.meta.url));
/** This folder's fixture tests: two passing tests that print 6.5840-style lines. */
export const labFixture = fileURLToPath(new URL('./fixtures/lab-tests.ts', import.meta.url));

export function tempDir(prefix = 'lab-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Part F: the harness fixtures; part 9X: this folder's; group both = F + 9X. */
export function fixtureParts(): PartMap {
  return {
    parts: new Map([
      ['F', [harnessFixture]],
      ['9X', [labFixture]],
    ]),
    groups: new Map([['both', ['F', '9X']]]),
    root: fileURLToPath(new URL('../..', import.meta.url)),
  };
}

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs `lab ARGS` in-process against the fixtures, with buffers for output. */
export async function lab(args: string[], overrides: Partial<CliContext> = {}): Promise<Run> {
  const stdout = new BufferOut();
  const stderr = new BufferOut();
  const root = overrides.root ?? tempDir();
  const ctx: CliContext = {
    stdout,
    stderr,
    root,
    parts: fixtureParts(),
    gradingFile: join(root, 'grading.json'),
    handoutExcludeFile: join(root, 'cli/handout-exclude.txt'),
    handoutReadmeFile: join(root, 'cli/handout-README.md'),
    colors: createColors(false),
    clockMs: () => Date.now(),
    ...overrides,
  };
  const code = await main(args, ctx);
  return { code, out: stdout.text, err: stderr.text };
}

export function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}
