import { resolve } from 'node:path';
import type { SearchBudget } from '../../schedule/index.ts';
import { stringFlag, type CommandSpec, type Parsed } from '../args.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { findOneTest } from '../find-test.ts';
import { checkSeed } from '../run.ts';
import { defaultShrinkBudget, shrinkFailingRun } from '../shrink.ts';
import { traceRequestPath } from '../trace-hook.ts';
import { StatusLine } from '../ui.ts';
import { slug } from './stress.ts';

export const shrinkSpec: CommandSpec = {
  name: 'shrink',
  summary: 'cut a failing run down to the few faults and messages that make it fail',
  usage: 'lab shrink TEST --seed S [--budget N|Ns] [--trace FILE] [--out FILE]',
  description: [
    'Replays the failing run of TEST with base seed S, checks that it fails the same way when',
    'replayed through its recorded schedule, then searches (delta debugging) for the smallest set',
    'of faults (crashes, restarts, disconnects, partitions) and message fates (drops, delays,',
    'reorderings) that still fails the same check. Everything left out is undone: a crash does not',
    'happen, a dropped message is delivered, a delayed one goes at once. Prints the kept faults in',
    'plain words with their simulated times and servers, writes the shrunken schedule to a file,',
    'and prints the lab replay command that reproduces the shrunken run exactly. Ends with lines',
    'shrink_faults_before=, shrink_faults_after=, shrink_messages_before=, shrink_messages_after=,',
    'shrink_runs= (every run, the two first replays included), shrink_seconds= and',
    'shrink_same_check=yes|no. Exit code 0 when a shrunken run fails the same way, 1 when the test',
    'passes on that seed or does not fail the same way on replay. See docs/shrink.md.',
  ],
  options: [
    { name: 'seed', type: 'string', value: 'S', help: 'the base seed of the failing run (required)' },
    { name: 'budget', type: 'string', value: 'N|Ns', help: 'stop after N runs, or N seconds with the s (default 120s); the best found so far is printed' },
    { name: 'trace', type: 'string', value: 'FILE', help: "record the shrunken run's trace into FILE and its timeline page beside it, kept faults marked" },
    { name: 'out', type: 'string', value: 'FILE', help: 'where to write the shrunken schedule (default shrink-<test>-<seed>.json here)' },
    { name: 'mutant', type: 'string', value: 'ID', help: 'staff: run a mutant of the catalogue (lab mutants --list) instead of this code' },
  ],
  examples: ['lab shrink "Figure 8 (unreliable)" --seed 12', 'lab shrink "churn" --seed 5 --budget 60s --trace churn.json', 'lab shrink "Figure 8" --seed 3 --budget 40'],
  positionals: { min: 1, max: 1, what: 'one test name (in quotes if it has spaces)' },
};

export async function shrinkCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const seedFlag = stringFlag(parsed, 'seed');
  if (seedFlag === undefined) throw new UsageError('shrink needs --seed S: the base seed of the failing run (a failure report, lab test or lab stress prints it)');
  const baseSeed = checkSeed(seedFlag);
  const budget = parseBudget(stringFlag(parsed, 'budget'));
  const tracePath = traceRequestPath(stringFlag(parsed, 'trace'));
  const mutantId = stringFlag(parsed, 'mutant');
  const status = new StatusLine(ctx.stderr);
  status.set('finding the test');
  const test = await findOneTest(ctx.parts, parsed.positionals[0]!).finally(() => status.stop());
  const outFlag = stringFlag(parsed, 'out');
  if (outFlag !== undefined && outFlag.trim() === '') throw new UsageError('--out needs a file name, e.g. --out figure8.schedule.json');
  const schedulePath = resolve(outFlag ?? `shrink-${slug(test.name)}-${baseSeed}${mutantId === undefined ? '' : `-${mutantId}`}.json`);
  const { code } = await shrinkFailingRun({ test, baseSeed, budget, schedulePath, tracePath, mutantId }, ctx);
  return code;
}

/** `--budget 40` is 40 runs, `--budget 90s` is 90 seconds of real time. */
export function parseBudget(flag: string | undefined): SearchBudget {
  if (flag === undefined) return defaultShrinkBudget;
  const m = /^(\d{1,6})(s?)$/.exec(flag.trim());
  if (m === null || Number(m[1]) === 0) throw new UsageError(`--budget takes a number of runs (e.g. 50) or of seconds ending in s (e.g. 90s), more than 0; got "${flag}"`);
  return m[2] === 's' ? { realMs: Number(m[1]) * 1000 } : { runs: Number(m[1]) };
}
