import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { CommandSpec, Parsed } from '../args.ts';
import type { CliContext } from '../context.ts';
import { exitCode, UsageError } from '../errors.ts';
import { MarkerError, parseExcludes, transformSource } from '../handout-transform.ts';

export const handoutSpec: CommandSpec = {
  name: 'handout',
  summary: 'write the student repository (solutions removed, stubs opened) into DIR',
  usage: 'lab handout DIR',
  description: [
    'Copies the files git tracks in this repository into DIR (a new or empty folder), and in every',
    '.ts file removes each solution block (a "// <solution>" line through a "// </solution>" line)',
    'and opens each stub block ("// <stub>" … "// </stub>": marker lines dropped, "//! " prefixes',
    'removed). Leaves out the staff-only paths listed in cli/handout-exclude.txt and writes',
    'README.md from cli/handout-README.md. Unbalanced or nested markers are errors naming the file',
    'and line, and then nothing is written. Files are copied as they are on disk (commit first).',
  ],
  options: [],
  examples: ['lab handout ../raftlab-handout', 'lab handout /tmp/handout && cd /tmp/handout && npm ci && npx tsc --noEmit && npx lab test 2A'],
  positionals: { min: 1, max: 1, what: 'the folder to write the handout into' },
};

export interface PlannedFile {
  path: string;
  /** New content for transformed .ts files; undefined to copy as is. */
  text?: string;
}

export async function handoutCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const dir = resolve(parsed.positionals[0]!);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new UsageError(`${parsed.positionals[0]} exists and is not an empty folder; give a new or empty folder for the handout`);
  }
  const plan = planHandout(ctx, dir);
  const { keep, left, solutions, stubs, changedFiles, readme } = plan;

  mkdirSync(dir, { recursive: true });
  for (const file of keep) {
    const src = resolve(ctx.root, file.path);
    const dest = resolve(dir, file.path);
    mkdirSync(dirname(dest), { recursive: true });
    if (isSymlink(src)) {
      symlinkSync(readlinkSync(src), dest);
      continue;
    }
    writeFileSync(dest, file.text ?? readFileSync(src));
    chmodSync(dest, statSync(src).mode & 0o777);
  }
  writeFileSync(resolve(dir, 'README.md'), readme);

  ctx.stdout.write(
    [
      `handout written to ${dir}: ${keep.length + 1} files`,
      `  ${solutions} solution block(s) removed and ${stubs} stub block(s) opened, in ${changedFiles} file(s)`,
      `  left out ${left.length} staff-only file(s) (${ctx.handoutExcludeFile === '' ? '' : relative(ctx.root, ctx.handoutExcludeFile)})${left.length > 0 ? `: ${summarizePaths(left)}` : ''}`,
      `  README.md from ${relative(ctx.root, ctx.handoutReadmeFile)}`,
      `next: cd ${parsed.positionals[0]} && git init && npm ci && npx tsc --noEmit -p tsconfig.json && npx lab test 2A  (every test should fail, clearly)`,
      '',
    ].join('\n'),
  );
  return exitCode.ok;
}

/** What a handout holds: the files (transformed .ts text, or copied as they are) and counts. */
export interface HandoutPlan {
  keep: PlannedFile[];
  /** Staff-only paths left out. */
  left: string[];
  solutions: number;
  stubs: number;
  changedFiles: number;
  /** The files that had solution or stub blocks: the ones students write (and submit). */
  studentFiles: string[];
  /** The student README's text. */
  readme: string;
}

/**
 * Plans the student repository: the files git tracks minus the staff-only ones, every .ts
 * file with its solution blocks removed and its stubs opened. Bad markers are a UsageError
 * naming each file and line. `dir`, if inside the repository, is left out.
 */
export function planHandout(ctx: CliContext, dir?: string): HandoutPlan {
  const excluded = parseExcludes(readFileSync(ctx.handoutExcludeFile, 'utf8'));
  const readme = readFileSync(ctx.handoutReadmeFile, 'utf8');
  const tracked = trackedFiles(ctx.root);
  const dirInRepo = dir === undefined ? '..' : relative(ctx.root, dir);

  const keep: PlannedFile[] = [];
  const left: string[] = [];
  const errors: string[] = [];
  let solutions = 0;
  let stubs = 0;
  let changedFiles = 0;
  const studentFiles: string[] = [];
  for (const path of tracked) {
    if (!dirInRepo.startsWith('..') && dirInRepo !== '' && path.startsWith(`${dirInRepo}/`)) continue;
    const abs = resolve(ctx.root, path);
    if (!existsSync(abs) && !isSymlink(abs)) continue; // tracked but deleted in the work tree
    if (excluded(path)) {
      left.push(path);
      continue;
    }
    if (path === 'README.md') continue; // replaced by the student README below
    if (path.endsWith('.ts') && !isSymlink(abs)) {
      try {
        const result = transformSource(readFileSync(abs, 'utf8'), path);
        if (result.solutions + result.stubs > 0) {
          changedFiles++;
          studentFiles.push(path);
        }
        solutions += result.solutions;
        stubs += result.stubs;
        keep.push({ path, text: result.text });
      } catch (e) {
        if (!(e instanceof MarkerError)) throw e;
        errors.push(e.message);
      }
      continue;
    }
    keep.push({ path });
  }
  if (errors.length > 0) throw new UsageError(`solution/stub markers are wrong, so no handout was written:\n${errors.map((e) => `  ${e}`).join('\n')}`);

  return { keep, left, solutions, stubs, changedFiles, studentFiles, readme };
}

/** The files git tracks, relative to the root. */
function trackedFiles(root: string): string[] {
  let out: string;
  try {
    out = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new UsageError(`lab handout reads the file list from git, and "git ls-files" failed in ${root}: ${(e as Error).message.split('\n')[0]}`);
  }
  return out.split('\0').filter((p) => p !== '');
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** "mutants/ (12), cli/tests/ (4), bench/porcupine.ts" — folders counted, files named. */
function summarizePaths(paths: string[]): string {
  const groups = new Map<string, number>();
  for (const p of paths) {
    const slash = p.indexOf('/');
    const key = slash < 0 ? p : p.slice(0, p.indexOf('/', slash + 1) > 0 ? p.indexOf('/', slash + 1) + 1 : slash + 1);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([k, n]) => (k.endsWith('/') ? `${k} (${n})` : k)).join(', ');
}
