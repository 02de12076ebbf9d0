import { currentRuntime, drawingRng } from './runtime.ts';
import { SimUsageError } from './errors.ts';

/**
 * The time and randomness API for student code. Inside a simulated run these read the virtual
 * clock and the run's seeded generator; elsewhere they are real time.
 */

/** Resolves after `ms` milliseconds (virtual or real). */
export function sleep(ms: number): Promise<void> {
  if (typeof ms !== 'number' || Number.isNaN(ms)) {
    return Promise.reject(new SimUsageError(`sleep(ms) needs a number of milliseconds, got ${String(ms)}`));
  }
  return new Promise((resolve) => {
    currentRuntime().setTimer(resolve, ms);
  });
}

/** Milliseconds since the run started. */
export function now(): number {
  return currentRuntime().nowMs();
}

/** A random integer in [0, n), from the run's seeded generator (the servers' or the tester's). */
export function randomInt(n: number): number {
  return drawingRng(currentRuntime(), randomInt).int(n);
}

/** A random float in [0, 1), from the run's seeded generator (the servers' or the tester's). */
export function random(): number {
  return drawingRng(currentRuntime(), random).float();
}

/** The server whose code is running, where known (for log lines and error reports). */
export function currentServer(): string | undefined {
  return currentRuntime().currentServer;
}

/** Runs `fn` attributed to `server`: timers it sets and errors it throws are reported as that server's. */
export function asServer<T>(server: string, fn: () => T): T {
  const runtime = currentRuntime();
  const before = runtime.currentServer;
  runtime.currentServer = server;
  try {
    return fn();
  } finally {
    runtime.currentServer = before;
  }
}
