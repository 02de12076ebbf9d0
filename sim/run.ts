import { currentRuntime, RealRuntime, setCurrentRuntime, realSetTimeout, realClearTimeout, realPerformanceNow } from './runtime.ts';
import { VirtualRuntime, defaultLimits, type VirtualLimits } from './virtual.ts';
import { installVirtualGlobals, restoreGlobals } from './globals.ts';
import { LivelockError, SimUsageError, UncaughtError, describeThrown } from './errors.ts';

/** How a run keeps time. */
export type TimeMode = 'virtual' | 'real';

export interface RunOptions {
  /** The run's seed; every random choice of the run derives from it. */
  seed: string;
  /** Defaults to LAB_TIME, then 'virtual'. */
  mode?: TimeMode;
  limits?: Partial<VirtualLimits>;
  /** Progress callback (virtual mode), for a watchdog outside the thread. */
  onProgress?: (virtualMs: number, server: string | undefined) => void;
  /** Shared memory written at every event: [virtual time, server number or -1] (for a watchdog). */
  progressCell?: Float64Array;
  /**
   * Virtual mode: called between two events with the function that fires the next one; it must
   * call it once, later, from a fresh task (default: setImmediate). A browser page uses it to
   * play a run at a chosen speed, pause it and act on it between events.
   */
  pace?: (next: () => void) => void;
  /**
   * Whether code that runs for no server draws from one stream per place in the code (the
   * default, so that an edited schedule keeps the test's own choices) or from a single stream
   * (a host whose stack traces name places differently, such as a browser bundle).
   */
  testerStreamPerCallSite?: boolean;
}

export interface RunResult<T> {
  value: T;
  mode: TimeMode;
  /** Simulated (virtual mode) or elapsed (real mode) milliseconds. */
  elapsedMs: number;
  realMs: number;
  /** Timer events fired (virtual mode only; 0 in real mode). */
  events: number;
  /** Digest of the event sequence (virtual mode only; '' in real mode). */
  traceHash: string;
}

/** The time mode asked for by LAB_TIME (virtual unless it says real). */
export function timeModeFromEnv(): TimeMode {
  const value = process.env.LAB_TIME ?? 'virtual';
  if (value !== 'virtual' && value !== 'real') {
    throw new SimUsageError(`LAB_TIME must be "virtual" or "real", got "${value}"`);
  }
  return value;
}

let running = false;

/** The clock, event count and trace hash of the last run, kept even when it failed. */
export interface LastRunInfo {
  elapsedMs: number;
  events: number;
  traceHash: string;
}

let lastRun: LastRunInfo = { elapsedMs: 0, events: 0, traceHash: '' };

/** Where the last run stopped and the digest of what it did, for reports of failed runs. */
export function lastRunInfo(): LastRunInfo {
  return lastRun;
}

/**
 * Runs `body` as one simulated (or real-time) run: a fresh clock and generator from `seed`,
 * the global time APIs pointed at it while it runs, and a failure instead of a hang when it
 * deadlocks, livelocks or leaves an exception uncaught.
 */
export async function runSimulation<T>(body: () => Promise<T>, options: RunOptions): Promise<RunResult<T>> {
  if (running) throw new SimUsageError('runSimulation was called inside another run; runs cannot nest');
  running = true;
  const mode = options.mode ?? timeModeFromEnv();
  const limits = { ...defaultLimits, ...options.limits };
  const startReal = realPerformanceNow();
  try {
    if (mode === 'virtual') return await runVirtual(body, options, limits, startReal);
    return await runReal(body, options, limits, startReal);
  } finally {
    running = false;
  }
}

async function runVirtual<T>(body: () => Promise<T>, options: RunOptions, limits: VirtualLimits, startReal: number): Promise<RunResult<T>> {
  const runtime = new VirtualRuntime(options.seed, limits, options.onProgress, options.progressCell, options.pace, options.testerStreamPerCallSite ?? true);
  const onRejection = (reason: unknown): void => {
    runtime.fail(new UncaughtError(`unhandled promise rejection at virtual time ${runtime.nowMs()} ms${where(runtime.currentServer)}:\n${describeThrown(reason)}`, reason));
  };
  // Timer callbacks are caught by the driver; this catches the rest (queueMicrotask,
  // process.nextTick, event emitters), which would otherwise crash the process.
  const onException = (error: unknown): void => {
    runtime.fail(new UncaughtError(`uncaught exception at virtual time ${runtime.nowMs()} ms${where(runtime.currentServer)}:\n${describeThrown(error)}`, error));
  };
  setCurrentRuntime(runtime);
  installVirtualGlobals();
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  try {
    const value = await runtime.drive(body);
    return { value, mode: 'virtual', elapsedMs: runtime.nowMs(), realMs: realPerformanceNow() - startReal, events: runtime.events, traceHash: runtime.traceHash() };
  } finally {
    lastRun = { elapsedMs: runtime.nowMs(), events: runtime.events, traceHash: runtime.traceHash() };
    runtime.alive = false;
    // Leftover continuations of the run (a Raft loop that ignores Kill) may still call
    // setTimeout during this turn; they must land in the dead runtime, not in real time.
    await new Promise<void>((resolve) => setImmediateReal(resolve));
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    restoreGlobals();
    setCurrentRuntime(undefined);
  }
}

async function runReal<T>(body: () => Promise<T>, options: RunOptions, limits: VirtualLimits, startReal: number): Promise<RunResult<T>> {
  const runtime = new RealRuntime(options.seed);
  let fail: ((e: Error) => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const onRejection = (reason: unknown): void => {
    fail?.(new UncaughtError(`unhandled promise rejection at ${runtime.nowMs().toFixed(0)} ms${where(runtime.currentServer)}:\n${describeThrown(reason)}`, reason));
  };
  // Real timers are Node's own: an exception in a callback would otherwise crash the process.
  const onException = (error: unknown): void => {
    fail?.(new UncaughtError(`uncaught exception at ${runtime.nowMs().toFixed(0)} ms${where(runtime.currentServer)}:\n${describeThrown(error)}`, error));
  };
  runtime.onFail = (error) => fail?.(error);
  const limit = realSetTimeout(() => {
    fail?.(new LivelockError(`the run took more than ${limits.realTimeLimitMs / 1000} s of real time`));
  }, limits.realTimeLimitMs);
  setCurrentRuntime(runtime);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  try {
    const value = await Promise.race([body(), failed]);
    const elapsed = runtime.nowMs();
    return { value, mode: 'real', elapsedMs: elapsed, realMs: elapsed, events: 0, traceHash: '' };
  } finally {
    lastRun = { elapsedMs: runtime.nowMs(), events: 0, traceHash: '' };
    realClearTimeout(limit);
    runtime.stop();
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    setCurrentRuntime(undefined);
  }
}

const setImmediateReal = globalThis.setImmediate;

function where(server: string | undefined): string {
  return server === undefined ? '' : ` in server ${server}`;
}

/** The virtual time of the next pending event of the current run (undefined in real time, outside a run, or when nothing is pending). */
export function nextEventAtMs(): number | undefined {
  const runtime = currentRuntime();
  return runtime instanceof VirtualRuntime ? runtime.nextEventAtMs() : undefined;
}

/** Mixes a fact into the current run's trace hash (no effect in real time or outside a run). */
export function mixTrace(value: number): void {
  const runtime = currentRuntime();
  if (runtime instanceof VirtualRuntime) runtime.mix(value);
}
