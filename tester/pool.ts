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

let worker: Worker | undefined;
let progress = new Float64Array(new SharedArrayBuffer(16));

function spawn(): Worker {
  progress = new Float64Array(new SharedArrayBuffer(16));
  const w = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { labTestWorker: true, progress: progress.buffer }, stdout: false, stderr: false });
  w.unref();
  return w;
}

/**
 * Runs one registered test in the test worker thread (started on first use and reused), and
 * stops it with a WatchdogError report if it goes silent: a synchronous loop in the code
 * under test. The next test then gets a fresh worker.
 */
export function runInWorker(request: Omit<RunRequest, 'type'>): Promise<RunOutcome> {
  worker ??= spawn();
  const w = worker;
  const cell = progress;
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
      finish({ name: request.name, ok: false, baseSeed: request.baseSeed, mode: request.mode, report: buildReport(request.name, request.baseSeed, request.mode, error, lastVirtualMs), output: [], traceHash: '', elapsedMs: lastVirtualMs, realMs: 0 });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        worker = undefined;
        lastVirtualMs = Math.max(lastVirtualMs, cell[0]!);
        if (cell[1]! >= 0) lastServer = String(cell[1]);
        void w.terminate();
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
      worker = undefined;
      failWith(error);
    };
    const onExit = (code: number): void => {
      worker = undefined;
      failWith(new Error(`the test worker exited with code ${code} before the test finished`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    arm();
    w.postMessage({ type: 'run', ...request } satisfies RunRequest);
  });
}
