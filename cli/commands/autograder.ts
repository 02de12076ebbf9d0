import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { stringFlag, type CommandSpec, type Parsed } from '../args.ts';
import type { CliContext } from '../context.ts';
import { exitCode } from '../errors.ts';
import { expandParts } from '../parts.ts';
import { planHandout } from './handout.ts';
import { runAutograderScript, setupScript } from '../autograder-scripts.ts';

export const autograderSpec: CommandSpec = {
  name: 'autograder',
  summary: 'build the Gradescope autograder zip (setup.sh, run_autograder, the tests, the tester)',
  usage: 'lab autograder [PART...] [--out FILE]',
  description: [
    'Writes the zip an instructor uploads to a Gradescope programming assignment. It holds the student',
    'repository as lab handout writes it (the tester, the tests, the grading table, the lock file; the',
    'student files as stubs), plus setup.sh (installs Node 20 and the packages with npm ci) and',
    'run_autograder, which copies the submitted student files into place (at their repository path',
    'or by their file name at the top of the submission), runs lab grade PART... and writes',
    "/autograder/results/results.json in Gradescope's format. PART defaults to all; one assignment",
    'per part is usual (lab autograder 2A). AUTOGRADER_ROOT replaces /autograder (for trying it locally).',
  ],
  options: [{ name: 'out', type: 'string', value: 'FILE', help: 'where to write the zip (default .lab/autograder-<parts>.zip)' }],
  examples: ['lab autograder 2A', 'lab autograder lab2 --out autograder-lab2.zip'],
  positionals: { min: 0, max: 64, what: 'parts (default: all)' },
};

/** Unix permissions in a zip entry's external attributes (the high 16 bits), as unzip restores them. */
function unixAttrs(mode: number): number {
  return ((0o100000 | (mode & 0o777)) << 16) >>> 0;
}

export async function autograderCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const words = parsed.positionals.length === 0 ? ['all'] : parsed.positionals;
  const parts = expandParts(ctx.parts, words);
  const plan = planHandout(ctx);
  const outFlag = stringFlag(parsed, 'out');
  const out = resolve(outFlag ?? resolve(ctx.root, '.lab', `autograder-${words.join('-').toLowerCase()}.zip`));

  const files: Zippable = {};
  const mtime = new Date('2000-01-01T00:00:00Z');
  const add = (path: string, data: Uint8Array, mode: number): void => {
    files[path] = [data, { os: 3, attrs: unixAttrs(mode), mtime }];
  };
  for (const file of plan.keep) {
    const src = resolve(ctx.root, file.path);
    const mode = statSync(src).mode & 0o777;
    add(file.path, file.text === undefined ? readFileSync(src) : Buffer.from(file.text), mode);
  }
  add('README.md', Buffer.from(plan.readme), 0o644);
  add('setup.sh', Buffer.from(setupScript()), 0o755);
  add('run_autograder', Buffer.from(runAutograderScript(parts, plan.studentFiles)), 0o755);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, zipSync(files, { level: 6 }));

  ctx.stdout.write(
    [
      `autograder written to ${relative(process.cwd(), out) || out}: ${Object.keys(files).length} files`,
      `  grades ${parts.join(' ')}; students submit ${plan.studentFiles.join(', ')}`,
      '  upload it as the autograder of a Gradescope programming assignment (setup.sh and run_autograder are at its top)',
      '',
    ].join('\n'),
  );
  return exitCode.ok;
}
