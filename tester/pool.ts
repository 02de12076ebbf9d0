import { Worker } from 'node:worker_threads';
import { WatchdogError } from '../sim/index.ts';
import { buildReport } from './report.ts';
import type { RunOutcome } from './runner.ts';
import type { RunRequest, WorkerMessage } from './worker.ts';

/** Real time a test may hold its thread without a heartbeat before the watchdog ends it. */
export function watchdogMs(): number {
  const fromEnv = Number(process.env.LAB_WATCHDOG_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 15_000;
}

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
      let timer: NodeJS.Timeout;
      const finish = (outcome: RunOutcome): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        resolve(outcome);
      };
      const failWith = (error: Error): void => {
        const report = buildReport(request.name, request.baseSeed, request.mode, error, lastVirtualMs);
        finish({ name: request.name, ok: false, baseSeed: request.baseSeed, mode: request.mode, report, output: [], traceHash: '', elapsedMs: lastVirtualMs, realMs: 0 });
      };
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.worker = undefined;
          void w.terminate();
          lastVirtualMs = Math.max(lastVirtualMs, cell[0]!);
          if (cell[1]! >= 0) lastServer = String(cell[1]);
          const where = lastServer === undefined ? '' : `, last in server ${lastServer}`;
          failWith(
            new WatchdogError(
              `watchdog: the test held its thread for ${limitMs / 1000} s of real time without yielding (last seen at ${(lastVirtualMs / 1000).toFixed(3)} s of simulated time${where}). ` +
                `A synchronous loop in the code under test (a while/for loop that never awaits) is the usual cause: wait with "await sleep(ms)" inside loops.`,
            ),
          );
        }, limitMs);
      };
      const onMessage = (message: WorkerMessage): void => {
        if (message.type === 'alive') {
          lastVirtualMs = message.virtualMs;
          lastServer = message.server;
          arm();
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
      arm();
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
