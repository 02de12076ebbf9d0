/**
 * sim: virtual time, one seeded generator per run, a Go-style Channel, and runs that fail
 * instead of hanging. Student code uses sleep, now, randomInt, Channel and debug; the tester
 * uses runSimulation.
 */
export { sleep, now, randomInt, random, currentServer, asServer } from './api.ts';
export { Channel, ChannelClosedError } from './channel.ts';
export { debug, setLogSink, type Logger, type LogSink } from './debug.ts';
export { runSimulation, timeModeFromEnv, mixTrace, nextEventAtMs, lastRunInfo, type LastRunInfo, type RunOptions, type RunResult, type TimeMode } from './run.ts';
export { Rng, hashSeed } from './rng.ts';
export { currentRuntime, drawingRng, realSetTimeout, realClearTimeout, realPerformanceNow, type Runtime } from './runtime.ts';
export { defaultLimits, type VirtualLimits } from './virtual.ts';
export { virtualEpochMs } from './globals.ts';
export { seedFor, baseSeedFromEnv } from './seed.ts';
export {
  SimulationError,
  DeadlockError,
  LivelockError,
  TimeLimitError,
  UncaughtError,
  WatchdogError,
  SimUsageError,
  describeThrown,
} from './errors.ts';
