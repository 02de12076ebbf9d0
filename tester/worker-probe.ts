import { promiseHooks } from 'node:v8';
import { currentRuntime, type Runtime } from '../sim/index.ts';

/**
 * Probes a stuck test thread can be asked through the inspector (Runtime.evaluate while it is
 * paused), and the watcher of timers re-armed at one instant. All of it lives in the test
 * worker; none of it costs anything until the watchdog or a livelock asks for it.
 */

/** The global symbol under which the probe is reachable from an inspector evaluation. */
export const loopProbeSymbol = 'raftlab.loopProbe';

/** What the thread did between the probe's start and its read. */
export interface LoopCounts {
  /** Promise continuations run (microtasks): many of them while stuck means a microtask spin. */
  reactions: number;
  /** Timers scheduled: a synchronous loop that schedules timers never awaits them. */
  timers: number;
}

interface LoopProbe {
  start(): string;
  read(): string;
}

/** Makes the probe reachable as globalThis[Symbol.for('raftlab.loopProbe')]. */
export function installLoopProbe(): void {
  let counts: LoopCounts = { reactions: 0, timers: 0 };
  let stopHook: (() => void) | undefined;
  let unwrap: (() => void) | undefined;
  const probe: LoopProbe = {
    start() {
      counts = { reactions: 0, timers: 0 };
      stopHook?.();
      unwrap?.();
      stopHook = promiseHooks.onBefore(() => {
        counts.reactions++;
      }) as () => void;
      unwrap = wrapSetTimer(currentRuntime(), () => {
        counts.timers++;
      });
      return 'started';
    },
    read() {
      stopHook?.();
      unwrap?.();
      stopHook = undefined;
      unwrap = undefined;
      return JSON.stringify(counts);
    },
  };
  (globalThis as Record<symbol, unknown>)[Symbol.for(loopProbeSymbol)] = probe;
}

/** Calls `onTimer` before every setTimer of this runtime instance; returns the undo. */
function wrapSetTimer(runtime: Runtime, onTimer: (delayMs: number) => void): () => void {
  const own = Object.prototype.hasOwnProperty.call(runtime, 'setTimer');
  const original = runtime.setTimer;
  runtime.setTimer = function (this: Runtime, callback, delayMs, intervalMs) {
    onTimer(delayMs);
    return original.call(this, callback, delayMs, intervalMs);
  };
  return () => {
    if (own) runtime.setTimer = original;
    else delete (runtime as Partial<Runtime>).setTimer;
  };
}

/** Zero-delay timers at one instant after which the watcher starts sampling who sets them. */
const sameInstantSampleFrom = 2_000;
/** One stack in this many zero-delay timers is sampled (a stack costs microseconds). */
const sampleEvery = 64;

/** Where a same-instant timer loop re-arms, as the most frequent stack frame of the code under test. */
export interface SameInstantSite {
  /** "raft/raft.ts:88:7 in Raft.ticker", as a stack trace names it. */
  frame: string;
  samples: number;
}

/**
 * Watches the timers of a run: when one instant of virtual time sees many zero-delay timers,
 * samples the stacks that set them, so a livelock report can say where the loop re-arms.
 * Observes only: the run's events are the same with or without it.
 */
export class SameInstantWatch {
  private atMs = -1;
  private count = 0;
  private readonly sites = new Map<string, number>();
  private undo: (() => void) | undefined;

  /** Starts watching the current run's timers (call inside the run). */
  attach(isHarnessFrame: (frame: string) => boolean): void {
    const runtime = currentRuntime();
    if (runtime.mode !== 'virtual') return;
    this.undo = wrapSetTimer(runtime, (delayMs) => {
      if (!(delayMs <= 0)) return;
      const nowMs = runtime.nowMs();
      if (nowMs !== this.atMs) {
        this.atMs = nowMs;
        this.count = 0;
        this.sites.clear();
      }
      this.count++;
      if (this.count < sameInstantSampleFrom || this.count % sampleEvery !== 0) return;
      const frame = firstOwnFrame(new Error().stack ?? '', isHarnessFrame);
      if (frame !== undefined) this.sites.set(frame, (this.sites.get(frame) ?? 0) + 1);
    });
  }

  detach(): void {
    this.undo?.();
    this.undo = undefined;
  }

  /** The most sampled site at the last busy instant, if any. */
  hottest(): SameInstantSite | undefined {
    let best: SameInstantSite | undefined;
    for (const [frame, samples] of this.sites) if (best === undefined || samples > best.samples) best = { frame, samples };
    return best;
  }
}

/** The first frame of a stack trace that is not the harness's (nor this file's). */
function firstOwnFrame(stack: string, isHarnessFrame: (frame: string) => boolean): string | undefined {
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim().replace(/^at /, ''));
  return frames.find((f) => !isHarnessFrame(f)) ?? frames.find((f) => !f.includes('worker-probe'));
}
