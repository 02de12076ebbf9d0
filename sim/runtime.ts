import { Rng } from './rng.ts';
import { CallSiteStreams } from './streams.ts';
import type { TimerEntry } from './heap.ts';

/** The time source and randomness of the current run: virtual (simulated) or real. */
export interface Runtime {
  readonly mode: 'virtual' | 'real';
  readonly rng: Rng;
  /**
   * The generators of code that runs for no server: the test body and its helpers, one per
   * place in the code that draws. Kept apart from the servers' draws so that the test's own
   * choices (which server to crash, how long to sleep) stay the same when an edited schedule
   * changes what the servers do.
   */
  readonly testerRng: CallSiteStreams;
  /** Milliseconds since the run started. */
  nowMs(): number;
  /** Calls `callback` after `delayMs` (and every `intervalMs` after that, if given). */
  setTimer(callback: () => void, delayMs: number, intervalMs?: number): TimerRef;
  clearTimer(ref: TimerRef): void;
  /** False once the run is over: timers set from then on never fire. */
  readonly alive: boolean;
  /** Channels with a blocked sender or receiver, for deadlock reports. */
  readonly blocked: Set<{ describeBlocked(): string }>;
  /** Which server's code is running, where known (set by the network and the tester). */
  currentServer: string | undefined;
  /**
   * Calls `hook` after every event, once everything it caused has settled (in real time: every
   * few milliseconds). A hook that throws ends the run with that error. Returns a remover.
   */
  addEventHook(hook: () => void): () => void;
  /** Ends the run with `error` (the first failure wins). */
  fail(error: Error): void;
}

/** How often event hooks run in real time, where there are no discrete events. */
const realHookIntervalMs = 2;

/** A timer handle: the virtual heap entry, or a real Node timeout. */
export type TimerRef = TimerEntry | NodeJS.Timeout | { dead: true };

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;
const realPerformanceNow = performance.now.bind(performance);

/** Real time: timers are Node's own; randomness still comes from a seeded generator. */
export class RealRuntime implements Runtime {
  readonly mode = 'real' as const;
  readonly rng: Rng;
  readonly testerRng: CallSiteStreams;
  readonly blocked = new Set<{ describeBlocked(): string }>();
  currentServer: string | undefined;
  alive = true;
  private readonly startMs = realPerformanceNow();
  private readonly live = new Set<NodeJS.Timeout>();
  /** Where failures go; the real-time driver sets it. */
  onFail: ((error: Error) => void) | undefined;

  constructor(seed: string) {
    this.rng = new Rng(seed);
    this.testerRng = new CallSiteStreams(seed);
  }

  nowMs(): number {
    return realPerformanceNow() - this.startMs;
  }

  setTimer(callback: () => void, delayMs: number, intervalMs = 0): TimerRef {
    if (!this.alive) return { dead: true };
    const delay = clampDelay(delayMs);
    if (intervalMs > 0) {
      const handle = realSetInterval(() => this.alive && callback(), clampDelay(intervalMs));
      this.live.add(handle);
      return handle;
    }
    const handle = realSetTimeout(() => {
      this.live.delete(handle);
      if (this.alive) callback();
    }, delay);
    this.live.add(handle);
    return handle;
  }

  clearTimer(ref: TimerRef): void {
    if ('dead' in ref) return;
    if ('atMs' in ref) return;
    realClearTimeout(ref);
    realClearInterval(ref);
    this.live.delete(ref);
  }

  addEventHook(hook: () => void): () => void {
    const handle = realSetInterval(() => {
      if (!this.alive) return;
      try {
        hook();
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
      }
    }, realHookIntervalMs);
    this.live.add(handle);
    return () => {
      realClearInterval(handle);
      this.live.delete(handle);
    };
  }

  fail(error: Error): void {
    this.onFail?.(error);
  }

  /** Ends the run: pending timers are cleared so nothing of it runs on. */
  stop(): void {
    this.alive = false;
    for (const h of this.live) {
      realClearTimeout(h);
      realClearInterval(h);
    }
    this.live.clear();
  }
}

/** Node's rule: a delay that is not a number in [1, 2^31-1] becomes 1 ms. Zero stays zero here. */
export function clampDelay(delayMs: number): number {
  if (typeof delayMs !== 'number' || Number.isNaN(delayMs) || delayMs < 0) return 0;
  if (delayMs > 2147483647) return 1;
  return delayMs;
}

/**
 * The generator that code running now draws from: its server's, or, when it runs for no
 * server, the tester's stream of the place that called `api` (randomInt, Math.random...).
 */
export function drawingRng(runtime: Runtime, api: (...args: never[]) => unknown): Rng {
  return runtime.currentServer === undefined ? runtime.testerRng.at(api) : runtime.rng;
}

let fallback: RealRuntime | undefined;
let active: Runtime | undefined;

/**
 * The runtime of the run in progress. Outside any run (a real cluster node, a script) this is a
 * real-time runtime with a fresh random seed, so student code works there unchanged.
 */
export function currentRuntime(): Runtime {
  if (active !== undefined) return active;
  fallback ??= new RealRuntime(`outside-${Math.random()}`);
  return fallback;
}

/** Makes `runtime` the current one; `undefined` returns to the real-time fallback. */
export function setCurrentRuntime(runtime: Runtime | undefined): void {
  active = runtime;
}

export { realSetTimeout, realClearTimeout, realPerformanceNow };
