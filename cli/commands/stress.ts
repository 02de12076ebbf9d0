import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { relative, resolve } from 'node:path';
import { formatReport } from '../../tester/report.ts';
import { intFlag, stringFlag, type CommandSpec, type Parsed } from '../args.ts';
import type { CliContext } from '../context.ts';
import { exitCode, UsageError } from '../errors.ts';
import { expandParts, existingParts, isPartName } from '../parts.ts';
import { baseSeedOf, listTests, matchTests, runJobs, seedPlus, type JobResult, type PlannedTest, type RunJob } from '../run.ts';
import { etaSeconds } from '../eta.ts';
import { parseShard, shardRange } from '../shard.ts';
import { mergeCommand } from './stress-merge.ts';
import { defaultShrinkBudget, shrinkFailingRun } from '../shrink.ts';
import { summaryLine, plural, meanSd, meanSdSeconds, Progress, StatusLine, table } from '../ui.ts';

export const stressSpec: CommandSpec = {
  name: 'stress',
  summary: 'run tests many times with different seeds to find rare failures',
  usage: 'lab stress PATTERN [-n N] [-p P] [--seed S] [--real] [--out DIR] [--shrink] [--json] [--shard I/N]   |   lab stress merge FILE...',
  description: [
    'Runs every test that PATTERN selects N times, run i with base seed S+i, P runs at a time (each',
    'in its own worker thread). PATTERN is a part (2C, lab2, all), a part of test names',
    '("Figure 8"), or a /regular expression/. Then prints, per test, the runs, failures, failure',
    'rate, and mean ± sd of the run\'s time (simulated) and of real time; and for each failing run',
    'its seed and the exact command that replays it. The output and failure report of each',
    'failing run are kept in a folder (default .lab/stress-<time>/). With --shrink, the first failing',
    'run is then cut down to the few faults that make it fail, as lab shrink does (docs/shrink.md).',
    'Exit code 1 if any run failed.',
    '',
    'Across machines: --shard I/N runs only the I-th of N disjoint slices of the seeds (needs --seed or',
    'LAB_SEED, the same on every shard); --json > shard-I.json keeps each result, and',
    'lab stress merge shard-*.json prints the combined table and every failing seed\'s replay command.',
  ],
  options: [
    { name: 'runs', short: 'n', type: 'string', value: 'N', help: 'runs of each selected test (default 10)' },
    { name: 'parallel', short: 'p', type: 'string', value: 'P', help: `runs at once (default: the number of CPUs, ${availableParallelism()} here)` },
    { name: 'seed', type: 'string', value: 'S', help: 'first base seed (default: LAB_SEED, else a fresh one, printed)' },
    { name: 'real', type: 'boolean', help: 'run on real time (LAB_TIME=real)' },
    { name: 'out', type: 'string', value: 'DIR', help: 'where to keep failing runs (default .lab/stress-<time>/)' },
    { name: 'shrink', type: 'boolean', help: 'then shrink the first failing run (lab shrink, default budget)' },
    { name: 'json', type: 'boolean', help: 'print the result as JSON (with every run\'s seed and trace hash); lab stress merge reads it' },
    { name: 'shard', type: 'string', value: 'I/N', help: 'run only the I-th of N disjoint slices of the seeds (with --seed), for N machines' },
  ],
  examples: [
    'lab stress 2C -n 20 -p 2',
    'lab stress "Figure 8 (unreliable)" -n 500 --seed 1000',
    'lab stress "/persist|churn/" -n 50',
    'lab stress 2A -n 40 --seed 7 --shard 1/2 --json > shard-1.json',
    'lab stress merge shard-1.json shard-2.json',
  ],
  positionals: { min: 1, max: 10_000, what: 'one PATTERN (a part, a part of test names, or /regex/), or merge and the result files' },
};

interface TestSummary {
  part: string;
  name: string;
  runs: number;
  failures: number;
  failureRate: number;
  timeMs: { mean: number; sd: number };
  realMs: { mean: number; sd: number };
}

export async function stressCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  if (parsed.positionals[0] === 'merge') return mergeCommand(parsed.positionals.slice(1), ctx);
  if (parsed.positionals.length > 1) throw new UsageError(`stress takes one PATTERN (quote it if it has spaces), got: ${parsed.positionals.join(' ')}; or lab stress merge FILE...`);
  const c = ctx.colors;
  const pattern = parsed.positionals[0]!;
  const shardFlag = stringFlag(parsed, 'shard');
  const shard = shardFlag === undefined ? undefined : parseShard(shardFlag);
  if (shard !== undefined && stringFlag(parsed, 'seed') === undefined && (process.env.LAB_SEED ?? '') === '') {
    throw new UsageError('--shard needs --seed S (or LAB_SEED): every shard must slice the same seeds, so the base seed cannot be drawn at random');
  }
  const runs = intFlag(parsed, 'runs', 10, 1, 1_000_000);
  const parallel = intFlag(parsed, 'parallel', availableParallelism(), 1, 256);
  const seedFlag = stringFlag(parsed, 'seed');
  const baseSeed = baseSeedOf(seedFlag);
  const mode = parsed.values.real === true ? 'real' : 'virtual';
  const json = parsed.values.json === true;
  const say = json ? ctx.stderr : ctx.stdout;
  const status = new StatusLine(ctx.stderr);

  status.set('listing tests');
  const tests = await selectTests(ctx, pattern).finally(() => status.stop());
  const jobs: RunJob[] = [];
  const range = shardRange(runs, shard);
  // Run-major order: after k rounds every test has k runs, so an interrupted batch stays fair.
  for (let i = range.from; i < range.to; i++) for (const test of tests) jobs.push({ test, baseSeed: seedPlus(baseSeed, i), mode });
  const seeds = range.to > range.from ? `seeds ${seedPlus(baseSeed, range.from)}..${seedPlus(baseSeed, range.to - 1)}` : 'no seeds';
  const shardText = shard === undefined ? '' : `, shard ${shard.index}/${shard.count} of ${plural(runs, 'run')} from seed ${baseSeed}`;
  say.write(`lab stress ${pattern}: ${plural(tests.length, 'test')} × ${plural(range.to - range.from, 'run')} = ${jobs.length}, ${seeds}${shardText}, ${mode} time, ${parallel} at a time\n`);

  // Ctrl-C stops starting new runs; the runs already going finish and the summary is printed.
  const interrupt = new AbortController();
  const onSigint = (): void => {
    interrupt.abort();
    status.print(ctx.stderr, 'interrupted: finishing the runs under way (Ctrl-C again to quit at once)');
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);

  const startMs = ctx.clockMs();
  const progress = new Progress(status, say, jobs.length);
  let done = 0;
  let failed = 0;
  let results: JobResult[];
  const doneMs = new Map<string, number[]>();
  const totalRuns = new Map(tests.map((t) => [t.name, range.to - range.from]));
  try {
    results = await runJobs(jobs, {
      parallel,
      // Every seed runs: a loop that sticks on one seed may be the rare failure being hunted.
      bail: false,
      skip: () => (interrupt.signal.aborted ? 'interrupted' : undefined),
      onDone: (result) => {
        if (result.skipped !== undefined) return;
        done++;
        const mine = doneMs.get(result.job.test.name) ?? [];
        mine.push(result.outcome.realMs);
        doneMs.set(result.job.test.name, mine);
        if (!result.outcome.ok) {
          failed++;
          status.print(say, c.red(`FAIL ${result.job.test.name} --seed ${result.job.baseSeed}`));
        }
        const elapsedS = (ctx.clockMs() - startMs) / 1000;
        const left = done === jobs.length ? undefined : etaSeconds({ doneMs, totalRuns, parallel });
        const eta = left === undefined ? '' : `, ~${left.toFixed(0)} s left`;
        progress.update(done, `stress: ${done}/${jobs.length} runs, ${failed} failed, ${elapsedS.toFixed(0)} s elapsed${eta}`);
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    status.stop();
  }

  const ran = results.filter((r) => r.skipped === undefined);
  const failures = ran.filter((r) => !r.outcome.ok);
  const summaries = summarize(tests, ran);
  const keptDir = failures.length > 0 ? keepFailures(ctx, stringFlag(parsed, 'out'), failures, summaries, pattern, baseSeed) : undefined;
  if (keptDir !== undefined && mode === 'virtual') await traceFailures(failures, keptDir, parallel, status);

  if (json) {
    ctx.stdout.write(
      `${JSON.stringify(
        {
          command: 'stress',
          ok: failures.length === 0,
          pattern,
          baseSeed,
          runsPerTest: runs,
          shard: shard ?? null,
          runRange: range,
          mode,
          interrupted: interrupt.signal.aborted,
          tests: summaries,
          failures: failures.map((r) => ({ name: r.outcome.name, part: r.job.test.part, baseSeed: r.job.baseSeed, check: r.outcome.report?.check, message: r.outcome.report?.message, replay: r.outcome.report?.replay })),
          runs: ran.map((r) => ({ name: r.outcome.name, part: r.job.test.part, baseSeed: r.job.baseSeed, ok: r.outcome.ok, traceHash: r.outcome.traceHash, elapsedMs: r.outcome.elapsedMs, realMs: Math.round(r.outcome.realMs) })),
          keptDir: keptDir ?? null,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const rows = summaries.map((s) => {
      const mine = ran.filter((r) => r.job.test.name === s.name);
      return [
        s.name,
        String(s.runs),
        s.failures > 0 ? c.red(String(s.failures)) : '0',
        `${(s.failureRate * 100).toFixed(1)}%`,
        meanSdSeconds(mine.map((r) => r.outcome.elapsedMs)),
        meanSdSeconds(mine.map((r) => r.outcome.realMs)),
      ];
    });
    const timeLabel = mode === 'virtual' ? 'sim time s (mean ± sd)' : 'time s (mean ± sd)';
    ctx.stdout.write(`\n${table(['test', 'runs', 'fail', 'rate', timeLabel, 'real s (mean ± sd)'], rows, ['left', 'right', 'right', 'right', 'right', 'right'])}\n`);
    if (interrupt.signal.aborted) ctx.stdout.write(c.yellow(`\ninterrupted after ${ran.length} of ${jobs.length} runs\n`));
    if (failures.length > 0) {
      ctx.stdout.write(`\n${c.red(`${failures.length} failing run(s):`)}\n`);
      for (const r of failures) {
        const why = r.outcome.report === undefined ? '' : `  ${r.outcome.report.check}: ${summaryLine(r.outcome.report.message)}`;
        ctx.stdout.write(`  seed ${r.job.baseSeed}  ${r.outcome.name}${why}\n    ${r.outcome.report?.replay ?? ''}\n`);
        if (r.outcome.report?.shrink !== undefined) ctx.stdout.write(`    ${r.outcome.report.shrink}\n`);
      }
      if (mode === 'virtual' && parsed.values.shrink !== true) ctx.stdout.write(`\nto cut a failing run down to the faults that make it fail: lab shrink TEST --seed S, or lab stress … --shrink\n`);
      ctx.stdout.write(`\noutput, reports and traces of the failing runs: ${displayPath(keptDir!)}\n`);
    } else {
      ctx.stdout.write(`\n${c.green(`no failures in ${ran.length} runs`)}: nothing kept\n`);
    }
    ctx.stdout.write(`\n${failures.length === 0 ? c.green('PASS:') : c.red('FAIL:')} ${ran.length - failures.length} passed, ${failures.length} failed\n`);
    const first = failures[0];
    if (parsed.values.shrink === true && first !== undefined) {
      if (mode === 'real') ctx.stdout.write('\n--shrink needs simulated time: a run on real time cannot be replayed\n');
      else {
        ctx.stdout.write(`\nshrinking the first failing run (${first.outcome.name}, seed ${first.job.baseSeed}):\n`);
        const schedulePath = resolve(keptDir!, `${slug(first.outcome.name)}-seed${first.job.baseSeed}.schedule.json`);
        await shrinkFailingRun({ test: first.job.test, baseSeed: first.job.baseSeed, budget: defaultShrinkBudget, schedulePath }, ctx);
      }
    }
  }
  return failures.length === 0 ? exitCode.ok : exitCode.failed;
}

/** The tests PATTERN selects; none is an error that lists what exists. */
async function selectTests(ctx: CliContext, pattern: string): Promise<PlannedTest[]> {
  if (isPartName(ctx.parts, pattern)) return listTests(ctx.parts, expandParts(ctx.parts, [pattern]));
  const parts = existingParts(ctx.parts);
  if (parts.length === 0) throw new UsageError('no part has its test files yet, so there is no test to stress');
  const all = await listTests(ctx.parts, parts);
  const chosen = matchTests(all, pattern);
  if (chosen.length === 0) {
    throw new UsageError(`no test matches "${pattern}"; give a part (${[...ctx.parts.parts.keys()].join(' ')}), a part of a test name or a /regex/. The tests are:\n${all.map((t) => `  ${t.name}`).join('\n')}`);
  }
  return chosen;
}

function summarize(tests: PlannedTest[], ran: JobResult[]): TestSummary[] {
  return tests.map((test) => {
    const mine = ran.filter((r) => r.job.test.name === test.name);
    const failures = mine.filter((r) => !r.outcome.ok).length;
    const round = ({ mean, sd }: { mean: number; sd: number }) => ({ mean: Math.round(mean), sd: Math.round(sd) });
    return {
      part: test.part,
      name: test.name,
      runs: mine.length,
      failures,
      failureRate: mine.length === 0 ? 0 : failures / mine.length,
      timeMs: round(meanSd(mine.map((r) => r.outcome.elapsedMs))),
      realMs: round(meanSd(mine.map((r) => r.outcome.realMs))),
    };
  });
}

/**
 * Writes, for each failing run, its output and failure report (`<test>-seed<S>.txt`), and a
 * summary.json of the batch. Returns the folder. Traces of failing runs will go beside the
 * reports once RunSpec can ask for one (see trace-hook.ts).
 */
function keepFailures(ctx: CliContext, outFlag: string | undefined, failures: JobResult[], summaries: TestSummary[], pattern: string, baseSeed: string): string {
  const dir = outFlag !== undefined ? resolve(outFlag) : freshDir(resolve(ctx.root, '.lab', `stress-${timestamp(ctx.clockMs())}`));
  mkdirSync(dir, { recursive: true });
  for (const r of failures) {
    const o = r.outcome;
    const body = [`# ${o.name}`, `# base seed ${r.job.baseSeed}, ${o.mode} time`, `# replay: ${o.report?.replay ?? ''}`, '', '## output', ...o.output, '', '## failure report', o.report === undefined ? '(no report)' : formatReport(o.report), ''];
    writeFileSync(resolve(dir, `${slug(o.name)}-seed${r.job.baseSeed}.txt`), body.join('\n'));
  }
  const summary = {
    pattern,
    baseSeed,
    tests: summaries,
    failures: failures.map((r) => ({ name: r.outcome.name, baseSeed: r.job.baseSeed, file: `${slug(r.outcome.name)}-seed${r.job.baseSeed}.txt`, report: r.outcome.report ?? null })),
  };
  writeFileSync(resolve(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return dir;
}

/** A file-name-safe form of a test name. */
/** How many failing runs get a trace: each costs one more run. */
const tracedFailuresMax = 20;

/**
 * Reruns failing runs with the recorder on and keeps each trace (.json and .html) beside its
 * report. A seed replays exactly on virtual time, so the rerun fails the same way; only the
 * failures pay for tracing, never the passing runs.
 */
async function traceFailures(failures: JobResult[], dir: string, parallel: number, status: StatusLine): Promise<void> {
  const jobs = failures.slice(0, tracedFailuresMax).map((r) => ({ ...r.job, tracePath: resolve(dir, `${slug(r.outcome.name)}-seed${r.job.baseSeed}.json`) }));
  status.set(`recording the traces of ${jobs.length} failing run(s)`);
  try {
    await runJobs(jobs, { parallel });
  } finally {
    status.stop();
  }
}

export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'test'
  );
}

/** The path, or path-2, path-3… if it is taken (two batches in one second). */
function freshDir(path: string): string {
  let candidate = path;
  for (let i = 2; existsSync(candidate); i++) candidate = `${path}-${i}`;
  return candidate;
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\..*$/, '').replace(/:/g, '-');
}

function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
}
