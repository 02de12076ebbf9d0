import { formatReport } from '../../tester/report.ts';
import { stringFlag, type CommandSpec, type Parsed } from '../args.ts';
import type { CliContext } from '../context.ts';
import { exitCode, UsageError } from '../errors.ts';
import { findOneTest } from '../find-test.ts';
import { outcomeJson, outcomeLines } from '../outcome.ts';
import { checkSeed, runJobs } from '../run.ts';
import { traceRequestPath } from '../trace-hook.ts';
import { StatusLine } from '../ui.ts';
import { playgroundTracePath, showInPlayground } from './playground.ts';

export const replaySpec: CommandSpec = {
  name: 'replay',
  summary: 'rerun one test with one seed, exactly',
  usage: 'lab replay TEST --seed S [--real] [--trace FILE] [--json]',
  description: [
    'Reruns the test named TEST (its full name, or a part of it that only one test has) with base',
    'seed S: on simulated time the run is the same, event for event, as the one that printed S.',
    "Prints the test's lines, its failure report if it failed, and trace_hash=<hex>, a digest of",
    'the run\'s events: the same seed gives the same hash. Failure reports print this command ready',
    'to paste. Exit code 0 if the test passed, 1 if it failed.',
  ],
  options: [
    { name: 'seed', type: 'string', value: 'S', help: 'the base seed to replay (required; failure reports print it)' },
    { name: 'real', type: 'boolean', help: 'run on real time (not reproducible: no trace hash)' },
    { name: 'trace', type: 'string', value: 'FILE', help: 'record the run\'s trace into FILE (JSON) and its timeline page beside it (.html); read it with lab logs FILE' },
    { name: 'json', type: 'boolean', help: 'print the outcome as JSON' },
    { name: 'playground', type: 'boolean', help: 'then show the recorded run in the playground page, at the moment it failed (Ctrl-C stops it)' },
    { name: 'no-open', type: 'boolean', help: 'with --playground: print the page\'s address instead of opening a browser' },
  ],
  examples: ['lab replay "initial election" --seed 1234', 'lab replay "Test (2C): Figure 8 (unreliable)" --seed 77 --json'],
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
  const [result] = await runJobs([{ test, baseSeed, mode, tracePath }], { parallel: 1 }).finally(() => status.stop());
  const outcome = result!.outcome;

  if (parsed.values.json === true) {
    ctx.stdout.write(`${JSON.stringify({ command: 'replay', ...outcomeJson(result!) }, null, 2)}\n`);
  } else {
    ctx.stdout.write(`lab replay ${JSON.stringify(test.name)} --seed ${baseSeed} (${mode} time, part ${test.part})\n`);
    ctx.stdout.write(`${outcomeLines(result!, c).join('\n')}\n`);
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
