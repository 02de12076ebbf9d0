import { intFlag, stringFlag, type CommandSpec, type Parsed } from '../args.ts';
import type { CliContext } from '../context.ts';
import { exitCode } from '../errors.ts';
import { failureReports, outcomeJson, outcomeLines, summaryTable } from '../outcome.ts';
import { expandParts } from '../parts.ts';
import { baseSeedOf, listTests, runJobs, type RunJob } from '../run.ts';
import { plural, StatusLine } from '../ui.ts';

export const testSpec: CommandSpec = {
  name: 'test',
  summary: 'run the graded tests of one or more parts',
  usage: 'lab test PART... [--seed S] [--real] [-p P] [--json] [--no-bail]',
  description: [
    'Runs every test of the parts, in order, each in a worker thread on simulated time, and prints',
    "each test's lines as it ends (the 6.5840 'Test (2A): ...' and '... Passed' lines), then a",
    'summary table and the failure report of each failed test, with the command that replays it.',
    'PART is 2A 2B 2C 2D 2X 3A 3B 3X 4A 4B 4B-challenge, lab2 (2A-2D), lab3 (3A, 3B), lab4 (4A, 4B,',
    '4B-challenge) or all. Exit code 0 only if all passed.',
    'Without --seed a fresh base seed is drawn and printed; a test\'s own seed derives from the base',
    'seed and its name, so --seed with the same base reruns every test exactly.',
  ],
  options: [
    { name: 'seed', type: 'string', value: 'S', help: 'base seed (a whole number); default: LAB_SEED, else a fresh one, printed' },
    { name: 'real', type: 'boolean', help: 'run on real time (LAB_TIME=real) instead of simulated time' },
    { name: 'parallel', short: 'p', type: 'string', value: 'P', help: 'run P tests at once (default 1); output stays in order' },
    { name: 'json', type: 'boolean', help: 'print one JSON object with every outcome instead of text' },
    { name: 'no-bail', type: 'boolean', help: 'once a test of a part is stuck in a loop, run the rest of the part anyway (default: they fail at once with its finding)' },
  ],
  examples: ['lab test 2A', 'lab test 2B 2C --seed 42', 'lab test lab2 -p 2', 'lab test 2A --json > 2A.json'],
  positionals: { min: 1, max: 64, what: 'one or more parts' },
};

export async function testCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const c = ctx.colors;
  const parts = expandParts(ctx.parts, parsed.positionals);
  const seedFlag = stringFlag(parsed, 'seed');
  const baseSeed = baseSeedOf(seedFlag);
  const mode = parsed.values.real === true ? 'real' : 'virtual';
  const parallel = intFlag(parsed, 'parallel', 1, 1, 64);
  const json = parsed.values.json === true;
  // With --json, stdout carries the JSON alone; the running commentary goes to stderr.
  const say = json ? ctx.stderr : ctx.stdout;
  const status = new StatusLine(ctx.stderr);

  status.set(`listing the tests of ${parts.join(' ')}`);
  const tests = await listTests(ctx.parts, parts).finally(() => status.stop());
  say.write(`lab test ${parts.join(' ')}: ${plural(tests.length, 'test')}, base seed ${baseSeed}, ${mode} time, ${parallel} at a time\n`);

  const jobs: RunJob[] = tests.map((test) => ({ test, baseSeed, mode }));
  const running = new Set<string>();
  let done = 0;
  const showRunning = (): void => status.set(`[${done}/${jobs.length}] ${[...running].join(', ')}`);
  const results = await runJobs(jobs, {
    parallel,
    bail: parsed.values['no-bail'] !== true,
    inOrder: true,
    onStart: (job) => {
      running.add(job.test.name);
      showRunning();
    },
    onEnd: (result) => {
      done++;
      running.delete(result.job.test.name);
      showRunning();
    },
    onDone: (result) => status.print(say, outcomeLines(result, c).join('\n')),
  }).finally(() => status.stop());

  const failed = results.filter((r) => !r.outcome.ok);
  if (json) {
    ctx.stdout.write(
      `${JSON.stringify({ command: 'test', ok: failed.length === 0, parts, baseSeed, mode, passed: results.length - failed.length, failed: failed.length, tests: results.map(outcomeJson) }, null, 2)}\n`,
    );
  } else {
    ctx.stdout.write(`\n${summaryTable(results, c)}\n`);
    const reports = failureReports(failed.map((r) => r.outcome));
    if (reports !== '') ctx.stdout.write(`\n${reports}\n`);
    const verdict = failed.length === 0 ? c.green('PASS:') : c.red('FAIL:');
    ctx.stdout.write(`\n${verdict} ${results.length - failed.length} passed, ${failed.length} failed\n`);
  }
  return failed.length === 0 ? exitCode.ok : exitCode.failed;
}
