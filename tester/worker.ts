import { parentPort, workerData } from 'node:worker_threads';
import { currentRuntime } from '../sim/index.ts';
import type { RunOutcome } from './runner.ts';
import type { ScheduleRequest } from '../schedule/index.ts';
import { importTestFile, type RegisteredTest } from './registry.ts';
import { buildReport } from './report.ts';
import { listRequestName } from './pool.ts';
import { installLoopProbe } from './worker-probe.ts';

/**
 * A worker thread that runs simulated tests one at a time, so that a synchronous loop in
 * student code can be stopped from outside (the parent terminates this thread) without
 * losing the rest of the run.
 */

export interface RunRequest {
  type: 'run';
  file: string;
  name: string;
  baseSeed: string;
  mode: 'virtual' | 'real';
  /** Record the run's trace into this file (and an .html beside it). */
  tracePath?: string;
  /** Edit the run's schedule and/or record it. */
  schedule?: ScheduleRequest;
}

export type WorkerMessage = { type: 'alive'; virtualMs: number; server: string | undefined } | { type: 'done'; outcome: RunOutcome };

const port = parentPort;
if (port === null) throw new Error('tester/worker.ts must run in a worker thread');

/** Written at every simulated event, read by the parent's watchdog. */
const progressCell = new Float64Array((workerData as { progress: SharedArrayBuffer }).progress);

const realSetInterval = globalThis.setInterval;
/** Real time between heartbeats; the watchdog's limit (2 s by default) is many of them. */
const heartbeatMs = 100;

installLoopProbe();
const realClearInterval = globalThis.clearInterval;

port.on('message', (request: RunRequest) => {
  void handle(request);
});

async function handle(request: RunRequest): Promise<void> {
  // Heartbeats come from a real interval: they stop when a loop holds the thread (a synchronous
  // loop, or a microtask spin: timers run only once the microtask queue is empty). The first
  // one goes at once, so the parent's watchdog starts from the end of the worker's start-up.
  const beat = (): void => {
    const runtime = currentRuntime();
    port!.postMessage({ type: 'alive', virtualMs: runtime.nowMs(), server: runtime.currentServer } satisfies WorkerMessage);
  };
  // Before the run starts, the current runtime is the real-time fallback: its clock is not the test's.
  port!.postMessage({ type: 'alive', virtualMs: 0, server: undefined } satisfies WorkerMessage);
  const heartbeat = realSetInterval(beat, heartbeatMs);
  let outcome: RunOutcome;
  try {
    if (request.name === listRequestName) {
      const bodies = await importTestFile(request.file);
      outcome = { name: request.name, ok: true, baseSeed: request.baseSeed, mode: request.mode, output: [...bodies.keys()], traceHash: '', elapsedMs: 0, realMs: 0 };
      port!.postMessage({ type: 'done', outcome } satisfies WorkerMessage);
      return;
    }
    const test = await findTest(request);
    outcome = await test.run(request.name, test.body, request.baseSeed, request.mode, { progressCell, tracePath: request.tracePath, schedule: request.schedule });
  } catch (e) {
    outcome = {
      name: request.name,
      ok: false,
      baseSeed: request.baseSeed,
      mode: request.mode,
      report: buildReport(request.name, request.baseSeed, request.mode, e),
      output: [],
      traceHash: '',
      elapsedMs: 0,
      realMs: 0,
    };
  } finally {
    realClearInterval(heartbeat);
  }
  port!.postMessage({ type: 'done', outcome } satisfies WorkerMessage);
}

async function findTest(request: RunRequest): Promise<RegisteredTest> {
  const bodies = await importTestFile(request.file);
  const body = bodies.get(request.name);
  if (body === undefined) {
    throw new Error(`test "${request.name}" is not registered by ${request.file}; registered: ${[...bodies.keys()].join(', ')}`);
  }
  return body;
}
