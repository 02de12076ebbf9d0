import { readFileSync } from 'node:fs';
import { formatReport } from '../../tester/report.ts';
import { parseScheduleFile, ScheduleFileError, type ScheduleFile } from '../../schedule/index.ts';
import { stringFlag, type CommandSpec, type Parsed } from '../args.ts';
import type { CliContext } from '../context.ts';
import { exitCode, UsageError } from '../errors.ts';
import { findOneTest } from '../find-test.ts';
import { outcomeJson, outcomeLines } from '../outcome.ts';
import { checkSeed, runJobs, type JobResult, type PlannedTest } from '../run.ts';
import { openTrialRunner } from '../trials.ts';
import { traceRequestPath } from '../trace-hook.ts';
import { StatusLine } from '../ui.ts';
import { playgroundTracePath, showInPlayground } from './playground.ts';

export const replaySpec: CommandSpec = {
  name: 'replay',
  summary: 'rerun one test with one seed, exactly',
  usage: 'lab replay TEST --seed S [--schedule FILE] [--real] [--trace FILE] [--json]',
  description: [
    'Reruns the test named TEST (its full name, or a part of it that only one test has) with base',
    'seed S: on simulated time the run is the same, event for event, as the one that printed S.',
    "Prints the test's lines, its failure report if it failed, and trace_hash=<hex>, a digest of",
    'the run\'s events: the same seed gives the same hash. Failure reports print this command ready',
    'to paste. With --schedule FILE (written by lab shrink) the run keeps only the faults and',
    'message fates the file lists: the shrunken run, exactly. Exit code 0 if the test passed, 1 if',
    'it failed.',
  ],
  options: [
    { name: 'seed', type: 'string', value: 'S', help: 'the base seed to replay (required; failure reports print it)' },
    { name: 'real', type: 'boolean', help: 'run on real time (not reproducible: no trace hash)' },
    { name: 'trace', type: 'string', value: 'FILE', help: 'record the run\'s trace into FILE (JSON) and its timeline page beside it (.html); read it with lab logs FILE' },
    { name: 'schedule', type: 'string', value: 'FILE', help: 'keep only the faults and message fates FILE lists (a schedule lab shrink wrote)' },
    { name: 'mutant', type: 'string', value: 'ID', help: 'staff: run a mutant of the catalogue instead of this code' },
    { name: 'json', type: 'boolean', help: 'print the outcome as JSON' },
    { name: 'playground', type: 'boolean', help: 'then show the recorded run in the playground page, at the moment it failed (Ctrl-C stops it)' },
    { name: 'no-open', type: 'boolean', help: 'with --playground: print the page\'s address instead of opening a browser' },
  ],
  examples: ['lab replay "initial election" --seed 1234', 'lab replay "Test (2C): Figure 8 (unreliable)" --seed 77 --json', 'lab replay "Test (2C): Figure 8" --seed 3 --schedule shrink-test-2c-figure-8-3.json'],
  positionals: { min: 1, max: 1, what: 'one test name (in quotes if it has spaces)' },
};

export async function replayCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const c = ctx.colors;
  const seedFlag = stringFlag(parsed, 'seed');
  if (seedFlag === undefined) throw new UsageError('replay needs --seed S: the base seed a failure report (or lab test / lab stress) printed');
  const baseSeed = checkSeed(seedFlag);
  const mode = parsed.values.real === true ? 'real' : 'virtual';
  const playground = parsed.values.playground === true;
  const tracePath = traceRequestPath(stringFlag(parsed, 'trace')) ?? (playground ? playgroundTracePath(ctx, baseSeed) : undefined);

  const status = new StatusLine(ctx.stderr);
  status.set('finding the test');
  const test = await findOneTest(ctx.parts, parsed.positionals[0]!).finally(() => status.stop());
  status.set(`running ${test.name}`);
  const schedulePath = stringFlag(parsed, 'schedule');
  const schedule = schedulePath === undefined ? undefined : readSchedule(schedulePath, test, baseSeed);
  const mutantId = stringFlag(parsed, 'mutant');
  const result = await runOnce(test, baseSeed, mode, tracePath, schedule, mutantId).finally(() => status.stop());
  const outcome = result.outcome;
  const extraFlags = `${mutantId === undefined ? '' : ` --mutant ${mutantId}`}${schedulePath === undefined ? '' : ` --schedule ${schedulePath}`}`;
  if (outcome.report !== undefined && extraFlags !== '') outcome.report.replay += extraFlags;
  if (outcome.report?.shrink !== undefined && mutantId !== undefined) outcome.report.shrink += ` --mutant ${mutantId}`;

  if (parsed.values.json === true) {
    ctx.stdout.write(`${JSON.stringify({ command: 'replay', ...outcomeJson(result) }, null, 2)}\n`);
  } else {
    ctx.stdout.write(`lab replay ${JSON.stringify(test.name)} --seed ${baseSeed}${extraFlags} (${mode} time, part ${test.part})\n`);
    ctx.stdout.write(`${outcomeLines(result, c).join('\n')}\n`);
    if (!outcome.ok && outcome.report !== undefined) ctx.stdout.write(`\n${formatReport(outcome.report)}\n\n`);
    ctx.stdout.write(`${traceHashLine(outcome.traceHash, mode, outcome.ok)}\n`);
    if (outcome.trace !== undefined) ctx.stdout.write(`trace: ${outcome.trace.json}\npage:  ${outcome.trace.html}\n`);
  }
  if (playground && outcome.trace !== undefined) await showInPlayground(outcome.trace.json, parsed.values['no-open'] !== true, ctx);
  return outcome.ok ? exitCode.ok : exitCode.failed;
}

/** `trace_hash=<hex>`, or why there is none. */
function traceHashLine(hash: string, mode: 'virtual' | 'real', ok: boolean): string {
  if (hash !== '') return `trace_hash=${hash}`;
  if (mode === 'real') return '(no trace hash: a run on real time is not reproducible)';
  return ok ? '(no trace hash)' : '(no trace hash: the tester gives none for a failed run; the seed still replays it exactly)';
}

/** One run: in a worker of this project, or of a mutant's copy (staff), with the schedule's edit. */
async function runOnce(test: PlannedTest, baseSeed: string, mode: 'virtual' | 'real', tracePath: string | undefined, schedule: ScheduleFile | undefined, mutantId: string | undefined): Promise<JobResult> {
  const edit = schedule === undefined ? undefined : { keep: schedule.keep };
  if (mutantId === undefined) {
    const [result] = await runJobs([{ test, baseSeed, mode, tracePath, schedule: edit }], { parallel: 1 });
    return result!;
  }
  const runner = await openTrialRunner(test, baseSeed, mode, mutantId);
  try {
    const job = { test, baseSeed, mode, tracePath, schedule: edit };
    return { job, outcome: await runner.run(edit ?? {}, tracePath) };
  } finally {
    await runner.close();
  }
}

/** Reads a schedule file for this test and seed; a mismatch is a usage error that says which. */
function readSchedule(path: string, test: PlannedTest, baseSeed: string): ScheduleFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the schedule ${path}: ${(e as Error).message}`);
  }
  let file: ScheduleFile;
  try {
    file = parseScheduleFile(text, path);
  } catch (e) {
    if (e instanceof ScheduleFileError) throw new UsageError(e.message);
    throw e;
  }
  if (file.test !== test.name) throw new UsageError(`the schedule ${path} is for the test "${file.test}", not "${test.name}"; replay that test`);
  if (file.seed !== baseSeed) throw new UsageError(`the schedule ${path} was made with seed ${file.seed}, not ${baseSeed}; replay with --seed ${file.seed}`);
  return file;
}
