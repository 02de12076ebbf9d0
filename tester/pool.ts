import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WatchdogError } from '../sim/index.ts';
import { buildReport } from './report.ts';
import type { RunOutcome } from './runner.ts';
import type { RunRequest, WorkerMessage } from './worker.ts';
import { inspectStuckWorker } from './worker-inspect.ts';
import { describeLoop, loopHeadline } from './worker-findings.ts';

/** Real time a test may hold its thread without a heartbeat before the watchdog ends it (LAB_WATCHDOG_MS). */
export function watchdogMs(): number {
  const fromEnv = Number(process.env.LAB_WATCHDOG_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 2_000;
}

/**
 * Real time a fresh worker may take to start (load TypeScript support and the test file)
 * before its first heartbeat: start-up is not a loop, and on a loaded machine it is slow.
 */
const bootLimitMs = 60_000;

/** The project root, for paths in findings. */
const projectRoot = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** What to run: a test file (a file:// URL) and the full name of one test in it. */
export type RunSpec = Omit<RunRequest, 'type'>;

/**
 * A worker thread that runs simulated tests one at a time (started on first use, reused),
 * with a watchdog: if the worker goes silent, a synchronous loop in the code under test holds
 * it, so it is terminated, the test fails with a WatchdogError report, and the next test gets
 * a fresh thread.
 */
export class TestWorker {
  private worker: Worker | undefined;
  private progress = new Float64Array(new SharedArrayBuffer(16));
  private busy = false;

  /** Runs one test; never rejects: every failure is an outcome with a report. */
  run(request: RunSpec): Promise<RunOutcome> {
    if (this.busy) throw new Error('TestWorker.run: a test is already running on this worker; use one TestWorker per concurrent run');
    this.busy = true;
    return this.exchange(request).finally(() => {
      this.busy = false;
    });
  }

  /** The names of the tests a file registers, in order. */
  async list(file: string): Promise<string[]> {
    const outcome = await this.run({ file, name: listRequestName, baseSeed: '0', mode: 'virtual' });
    if (!outcome.ok) throw new Error(`cannot list the tests of ${file}: ${outcome.report?.message ?? 'unknown error'}`);
    return outcome.output;
  }

  /** Stops the thread (a new one starts on the next run). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) await w.terminate();
  }

  private spawn(): Worker {
    this.progress = new Float64Array(new SharedArrayBuffer(16));
    const w = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { labTestWorker: true, progress: this.progress.buffer } });
    w.unref();
    return w;
  }

  private exchange(request: RunSpec): Promise<RunOutcome> {
    this.worker ??= this.spawn();
    const w = this.worker;
    const cell = this.progress;
    cell[0] = 0;
    cell[1] = -1;
    const limitMs = watchdogMs();
    return new Promise<RunOutcome>((resolve) => {
      let lastVirtualMs = 0;
      let lastServer: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      let beats = 0;
      let finished = false;
      const finish = (outcome: RunOutcome): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        resolve(outcome);
      };
      const failWith = (error: Error, extra: Partial<RunOutcome> = {}): void => {
        const report = buildReport(request.name, request.baseSeed, request.mode, error, lastVirtualMs);
        finish({ name: request.name, ok: false, baseSeed: request.baseSeed, mode: request.mode, report, output: [], traceHash: '', elapsedMs: lastVirtualMs, realMs: 0, ...extra });
      };
      const onSilence = async (): Promise<void> => {
        const beatsBefore = beats;
        const finding = await inspectStuckWorker(w, { root: projectRoot });
        if (finished) return;
        // A heartbeat during the inspection: the thread was slow (a loaded machine), not stuck.
        if (beats !== beatsBefore) return arm(limitMs);
        this.worker = undefined;
        void w.terminate();
        lastVirtualMs = Math.max(lastVirtualMs, cell[0]!);
        if (cell[1]! >= 0) lastServer = String(cell[1]);
        const context = { limitMs, virtualMs: lastVirtualMs, server: lastServer };
        const message = finding === undefined ? loopHeadline(undefined, context) : `${loopHeadline(finding, context)}\n${describeLoop(finding)}`;
        failWith(new WatchdogError(message), finding === undefined ? {} : { loop: finding });
      };
      const arm = (ms: number): void => {
        clearTimeout(timer);
        timer = setTimeout(() => void onSilence(), ms);
      };
      const onMessage = (message: WorkerMessage): void => {
        if (message.type === 'alive') {
          beats++;
          lastVirtualMs = message.virtualMs;
          lastServer = message.server;
          arm(limitMs);
        } else {
          finish(message.outcome);
        }
      };
      const onError = (error: Error): void => {
        this.worker = undefined;
        failWith(error);
      };
      const onExit = (code: number): void => {
        this.worker = undefined;
        failWith(new Error(`the test worker exited with code ${code} before the test finished`));
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      arm(bootLimitMs);
      w.postMessage({ type: 'run', ...request } satisfies RunRequest);
    });
  }
}

/** The request name that asks a worker for the list of a file's tests instead of running one. */
export const listRequestName = '\u0000list';

const shared = new TestWorker();

/** Runs one test on this process's shared worker (what vitest-registered tests use). */
export function runInWorker(request: RunSpec): Promise<RunOutcome> {
  return shared.run(request);
}
