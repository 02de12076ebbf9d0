import { fileURLToPath } from 'node:url';
import { LivelockError, lastRunInfo, now, runSimulation, seedFor, type TimeMode } from '../sim/index.ts';
import { setActiveRecorder, TraceRecorder, writeTraceFiles } from '../trace/index.ts';
import { buildReport, type FailureReport } from './report.ts';
import { collectOutput, stopCollecting } from './output.ts';
import type { LoopFinding } from './worker-inspect.ts';
import { SameInstantWatch } from './worker-probe.ts';
import { loopPhrase } from './worker-findings.ts';
import { formatLocation, isHarnessPath, pathOfStackFrame, stackFrameLocation } from './worker-frames.ts';
import { Schedule, setActiveSchedule, type ScheduleRecord, type ScheduleRequest } from '../schedule/index.ts';

/** The numbers of a Passed line. */
export interface PassedStats {
  timeS: number;
  peers: number;
  rpcs: number;
  bytes?: number;
  cmds: number;
}

/** A registered simulated test body: returns its Passed numbers. */
export type SimTestBody = () => Promise<PassedStats | undefined>;

/** The result of one run of one test, in or out of a worker. */
export interface RunOutcome {
  name: string;
  ok: boolean;
  baseSeed: string;
  mode: TimeMode;
  stats?: PassedStats;
  report?: FailureReport;
  output: string[];
  /** Digest of the event sequence (virtual time only; '' in real time). */
  traceHash: string;
  elapsedMs: number;
  realMs: number;
  /** The trace files written, when the run was traced. */
  trace?: { json: string; html: string };
  /** What the watchdog found when it stopped the test's thread. */
  loop?: LoopFinding;
  /** The faults and message fates of the run, when its request asked to record them. */
  schedule?: ScheduleRecord;
}

/** Per-test time limit, as in 6.5840: 120 s (the tester checks it in end() and cleanup()). */
export const testTimeLimitMs = 120_000;

/** Extras of one run: where the watchdog reads progress, and where to write a trace. */
export interface RunExtras {
  progressCell?: Float64Array;
  /** Record a trace and write it here (a .json and a .html beside each other). */
  tracePath?: string;
  /** Edit the run's schedule (leave faults out) and/or record it. */
  schedule?: ScheduleRequest;
}

/**
 * Runs one test body in the simulator with the seed derived from `baseSeed` and its name, and
 * turns whatever happens into a RunOutcome: never throws. Tracing only observes: a traced run
 * makes exactly the same events (the same trace hash) as an untraced one.
 */
export async function runOne(name: string, body: SimTestBody, baseSeed: string, mode: TimeMode, extras: RunExtras = {}): Promise<RunOutcome> {
  const output = collectOutput();
  const startReal = performance.now();
  const recorder = extras.tracePath === undefined ? undefined : new TraceRecorder({ clock: now });
  if (recorder !== undefined) {
    recorder.meta({ test: name, seed: baseSeed, mode });
    recorder.attachLogs();
    setActiveRecorder(recorder);
  }
  const seed = seedFor(baseSeed, name);
  // Every run has a schedule: its faults and message fates are named and drawn the same way
  // whether or not the run is edited, so an edited replay differs only where it was edited.
  const schedule = new Schedule(seed, extras.schedule);
  setActiveSchedule(schedule);
  if (extras.schedule?.mark === true && recorder !== undefined) schedule.onKept((c) => recorder.check('kept fault', true, c.id));
  let outcome: RunOutcome;
  const sameInstant = new SameInstantWatch();
  const watched = (): Promise<PassedStats | undefined> => {
    sameInstant.attach((frame) => isHarnessPath(pathOfStackFrame(frame)));
    return body();
  };
  try {
    const result = await runSimulation(watched, {
      seed,
      mode,
      // The tester checks the 120 s limit in end(), as 6.5840 did; this hard stop past it
      // ends a test that never reaches end() (a Clerk that never returns).
      limits: { virtualTimeLimitMs: Math.min(testTimeLimitMs + 30_000, extras.schedule?.stopAtMs ?? Infinity) },
      progressCell: extras.progressCell,
    });
    outcome = { name, ok: true, baseSeed, mode, stats: result.value, output, traceHash: result.traceHash, elapsedMs: result.elapsedMs, realMs: result.realMs };
  } catch (thrown) {
    const last = lastRunInfo();
    const report = buildReport(name, baseSeed, mode, withSameInstantSite(thrown, sameInstant), last.elapsedMs);
    recorder?.failure(report.check, report.message, last.elapsedMs);
    outcome = { name, ok: false, baseSeed, mode, report, output, traceHash: last.traceHash, elapsedMs: last.elapsedMs, realMs: performance.now() - startReal };
  } finally {
    sameInstant.detach();
    setActiveSchedule(undefined);
    stopCollecting();
    if (recorder !== undefined) {
      recorder.detach();
      setActiveRecorder(undefined);
    }
  }
  if (extras.schedule?.record === true) outcome.schedule = schedule.recorded();
  if (recorder !== undefined && extras.tracePath !== undefined) {
    outcome.trace = writeTraceFiles(recorder, extras.tracePath);
    if (outcome.report !== undefined) outcome.report.trace = outcome.trace.html;
  }
  return outcome;
}

/**
 * A livelock of zero-delay timers at one instant, with the place that re-arms them: the
 * simulator sees only timers; the watch sampled the stacks that set them.
 */
function withSameInstantSite(thrown: unknown, watch: SameInstantWatch): unknown {
  const site = watch.hottest();
  if (!(thrown instanceof LivelockError) || site === undefined || !thrown.message.includes('without time moving on')) return thrown;
  const events = /more than (\d+) events fired at virtual time (\d+(?:\.\d+)?) ms/.exec(thrown.message);
  const location = stackFrameLocation(site.frame, fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, ''));
  const what = events === null ? 'simulated time stopped moving' : `${events[1]} events fired at ${events[2]} ms of simulated time without time moving on`;
  return new LivelockError(
    [
      `stuck in ${loopPhrase('timer re-armed at the same instant')} at ${location === undefined ? site.frame : formatLocation(location)}: ${what}`,
      'Each callback schedules the next one with no delay (setTimeout(f, 0), setImmediate, or await sleep(0) in a loop), so',
      'simulated time never moves. Give it a delay (await sleep(10)) or wait for an event instead.',
    ].join('\n'),
  );
}

/** True for the failures that mean "a loop holds the thread", which every later test of the part would hit again. */
export function isStuckLoop(outcome: RunOutcome): boolean {
  const r = outcome.report;
  if (r === undefined) return false;
  return r.check === 'WatchdogError' || (r.check === 'LivelockError' && r.message.startsWith('stuck in'));
}
