import { randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import pLimit from 'p-limit';
import { TestWorker } from '../tester/pool.ts';
import { isStuckLoop, type RunOutcome } from '../tester/runner.ts';
import { replayCommand, type FailureReport } from '../tester/report.ts';
import type { ScheduleEdit } from '../schedule/index.ts';
import { UsageError } from './errors.ts';
import { partFiles, type PartMap } from './parts.ts';

export type TimeMode = 'virtual' | 'real';

/** One graded test: its part, its file and its full registered name. */
export interface PlannedTest {
  part: string;
  file: string;
  name: string;
}

/** One run of one test with one base seed. */
export interface RunJob {
  test: PlannedTest;
  baseSeed: string;
  mode: TimeMode;
  /** Record the run's trace into this file (plus an .html page beside it). */
  tracePath?: string;
  /** Keep only these faults and message fates (a schedule lab shrink wrote). */
  schedule?: ScheduleEdit;
}

export interface JobResult {
  job: RunJob;
  outcome: RunOutcome;
  /** Set when the job was not run at all (the outcome is then a failure with no report). */
  skipped?: string;
  /** Set when the job failed at once with an earlier test's stuck-loop finding (see RunJobsOptions.bail). */
  bailed?: boolean;
}

/** A base seed as LAB_SEED takes it: a whole number of at most 15 digits. */
export function checkSeed(seed: string): string {
  if (!/^\d{1,15}$/.test(seed)) throw new UsageError(`--seed takes a whole number of at most 15 digits (the one a failure report prints), got "${seed}"`);
  return seed;
}

/**
 * The base seed of a command: --seed, else LAB_SEED (as the tests read it), else a fresh one.
 * A bad LAB_SEED is an error that says so, never silently replaced.
 */
export function baseSeedOf(seedFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (seedFlag !== undefined) return checkSeed(seedFlag);
  const fromEnv = env.LAB_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!/^\d{1,15}$/.test(fromEnv)) throw new UsageError(`LAB_SEED takes a whole number of at most 15 digits, got "${fromEnv}"`);
    return fromEnv;
  }
  return randomSeed();
}

/** A fresh base seed (real entropy on purpose: it is printed, so the run can be replayed). */
export function randomSeed(): string {
  return String(randomInt(1, 1_000_000_000));
}

/** The base seed of run i of a stress batch that starts at `base`. */
export function seedPlus(base: string, i: number): string {
  const next = BigInt(base) + BigInt(i);
  const text = next.toString();
  // Keeps within LAB_SEED's 15 digits by wrapping, so every printed seed replays.
  return text.length > 15 ? (next % 1_000_000_000_000_000n).toString() : text;
}

/** Started workers left by listTests, for runJobs to use before starting new ones. */
const spareWorkers: TestWorker[] = [];
const spareWorkersMax = Math.max(1, availableParallelism());

/**
 * The tests of the parts, in file order. Each file is listed by a fresh worker: a worker's
 * registry keeps every file it has loaded, so sharing one would mix the lists.
 */
export async function listTests(map: PartMap, parts: string[]): Promise<PlannedTest[]> {
  const files = parts.flatMap((part) => partFiles(map, part).map((file) => ({ part, file })));
  // No more at once than there are cores: a worker's start-up counts against its watchdog.
  const limit = pLimit(availableParallelism());
  const lists = await Promise.all(
    files.map(({ part, file }) => limit(async () => {
      const worker = new TestWorker();
      let keep = false;
      try {
        const names = await worker.list(pathToFileURL(file).href);
        // A worker that has started is worth keeping for the runs that usually follow (a
        // worker's start-up costs seconds on a busy machine); runJobs takes it from here.
        keep = spareWorkers.length < spareWorkersMax;
        if (keep) spareWorkers.push(worker);
        return names.map((name) => ({ part, file, name }));
      } finally {
        if (!keep) await worker.close();
      }
    })),
  );
  return lists.flat();
}

export interface RunJobsOptions {
  /** How many tests run at once, each in its own worker thread. */
  parallel: number;
  /** Called as each job starts. */
  onStart?(job: RunJob, index: number): void;
  /** Called as each job ends; with `inOrder`, in job order (later jobs wait for earlier ones). */
  onDone?(result: JobResult, index: number): void;
  /** Called as each job ends, at once, whatever `inOrder` says (for progress displays). */
  onEnd?(result: JobResult, index: number): void;
  inOrder?: boolean;
  /** Asked as each job is about to start: a reason not to run it, or undefined to run it. */
  skip?(job: RunJob, index: number): string | undefined;
  /**
   * Once a test of a part got stuck in a loop (the watchdog stopped it, or time stood still),
   * the jobs of that part not yet started fail at once with the same finding instead of each
   * waiting out the watchdog. Default true (`--no-bail` turns it off).
   */
  bail?: boolean;
}

/** A stuck-loop finding of a part, which later tests of the part fail with at once. */
interface StuckPart {
  test: string;
  report: FailureReport;
}


function bailedOutcome(job: RunJob, stuck: StuckPart): RunOutcome {
  const first = stuck.report.message.split('\n')[0] ?? '';
  const report: FailureReport = {
    ...stuck.report,
    test: job.test.name,
    seed: job.baseSeed,
    mode: job.mode,
    replay: replayCommand(job.test.name, job.baseSeed, job.mode),
    message: `not run: an earlier test of part ${job.test.part} was ${first}\n(${stuck.test}; see its report). The rest of the part fails at once with this finding; --no-bail runs every test anyway.`,
  };
  return { name: job.test.name, ok: false, baseSeed: job.baseSeed, mode: job.mode, report, output: [], traceHash: '', elapsedMs: 0, realMs: 0 };
}

/**
 * Runs the jobs `parallel` at a time, one TestWorker per slot, and returns the results in job
 * order. Never rejects for a failing test: every failure is a result.
 */
export async function runJobs(jobs: RunJob[], options: RunJobsOptions): Promise<JobResult[]> {
  const parallel = Math.max(1, Math.floor(options.parallel));
  const limit = pLimit(parallel);
  const idle: TestWorker[] = [];
  const all: TestWorker[] = [];
  const results: (JobResult | undefined)[] = new Array<JobResult | undefined>(jobs.length);
  let nextToReport = 0;

  const report = (index: number, result: JobResult): void => {
    results[index] = result;
    options.onEnd?.(result, index);
    if (!options.inOrder) {
      options.onDone?.(result, index);
      return;
    }
    while (nextToReport < jobs.length && results[nextToReport] !== undefined) {
      options.onDone?.(results[nextToReport]!, nextToReport);
      nextToReport++;
    }
  };

  const stuckParts = new Map<string, StuckPart>();
  const runOne = async (job: RunJob, index: number): Promise<void> => {
    const reason = options.skip?.(job, index);
    if (reason !== undefined) {
      report(index, { job, outcome: skippedOutcome(job), skipped: reason });
      return;
    }
    const stuck = options.bail === false ? undefined : stuckParts.get(job.test.part);
    if (stuck !== undefined) {
      report(index, { job, outcome: bailedOutcome(job, stuck), bailed: true });
      return;
    }
    let worker = idle.pop() ?? spareWorkers.pop();
    if (worker === undefined) worker = new TestWorker();
    if (!all.includes(worker)) all.push(worker);
    try {
      options.onStart?.(job, index);
      const outcome = await worker.run({ file: pathToFileURL(job.test.file).href, name: job.test.name, baseSeed: job.baseSeed, mode: job.mode, tracePath: job.tracePath, schedule: job.schedule });
      if (isStuckLoop(outcome) && outcome.report !== undefined && !stuckParts.has(job.test.part)) stuckParts.set(job.test.part, { test: `${job.test.name}, seed ${job.baseSeed}`, report: outcome.report });
      report(index, { job, outcome });
    } finally {
      idle.push(worker);
    }
  };

  try {
    await Promise.all(jobs.map((job, index) => limit(() => runOne(job, index))));
  } finally {
    await Promise.all([...all, ...spareWorkers.splice(0)].map((w) => w.close()));
  }
  return results.map((r) => r!);
}

function skippedOutcome(job: RunJob): RunOutcome {
  return { name: job.test.name, ok: false, baseSeed: job.baseSeed, mode: job.mode, output: [], traceHash: '', elapsedMs: 0, realMs: 0 };
}

/** The clock a run is judged by: simulated time in virtual mode, real time with --real. */
export function clockMs(outcome: RunOutcome): number {
  return outcome.elapsedMs;
}

/** Seconds of a test as its Passed line says (else the run's clock). */
export function testSeconds(outcome: RunOutcome): number {
  return outcome.stats?.timeS ?? outcome.elapsedMs / 1000;
}

/** Finds tests by PATTERN: a part or group name, else a substring of names, else a /regex/. */
export function matchTests(tests: PlannedTest[], pattern: string): PlannedTest[] {
  const slashed = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (slashed !== null) {
    let re: RegExp;
    try {
      re = new RegExp(slashed[1]!, slashed[2]);
    } catch (e) {
      throw new UsageError(`bad regular expression ${pattern}: ${(e as Error).message}`);
    }
    return tests.filter((t) => re.test(t.name));
  }
  const bySubstring = tests.filter((t) => t.name.includes(pattern));
  if (bySubstring.length > 0) return bySubstring;
  const lower = pattern.toLowerCase();
  const byCase = tests.filter((t) => t.name.toLowerCase().includes(lower));
  if (byCase.length > 0) return byCase;
  try {
    const re = new RegExp(pattern);
    return tests.filter((t) => re.test(t.name));
  } catch {
    return [];
  }
}
