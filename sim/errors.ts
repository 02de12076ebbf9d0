/** Base class of every failure the simulator itself reports. */
export class SimulationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Nothing is left to happen, yet the test is still waiting for something. */
export class DeadlockError extends SimulationError {}

/** The run stopped making progress in time: too many events at one instant, or too much real time. */
export class LivelockError extends SimulationError {}

/** The run used more virtual time than its limit. */
export class TimeLimitError extends SimulationError {}

/** Code under test threw, or left a promise rejected with nobody to catch it. */
export class UncaughtError extends SimulationError {
  constructor(
    message: string,
    readonly original: unknown,
  ) {
    super(message);
  }
}

/** A synchronous loop held the thread: the watchdog outside it ended the run. */
export class WatchdogError extends SimulationError {}

/** A misuse of the simulator API (bad arguments, an API that cannot run on virtual time). */
export class SimUsageError extends SimulationError {}

/** Turns any thrown value into a readable one-line-or-stack description. */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  try {
    return `a non-Error value was thrown: ${JSON.stringify(value)}`;
  } catch {
    return `a non-Error value was thrown: ${String(value)}`;
  }
}
