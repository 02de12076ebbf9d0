import { TimerHeap, type TimerEntry } from './heap.ts';
import { Rng } from './rng.ts';
import { CallSiteStreams } from './streams.ts';
import { clampDelay, realPerformanceNow, type Runtime, type TimerRef } from './runtime.ts';
import { DeadlockError, LivelockError, TimeLimitError, UncaughtError, describeThrown } from './errors.ts';

const realSetImmediate = globalThis.setImmediate;

/**
 * Immediates queued at once by the default pacer. Node runs the immediates queued before a
 * turn of its event loop one after the other in that turn, settling every promise
 * continuation (and process.nextTick) between two of them, exactly as between two turns. So a
 * batch of them gives each event the same clean slate as a turn of its own would, without a
 * turn (and its I/O poll, a system call) per event: that poll cost more than a simulated RPC.
 * Real work (a watchdog's heartbeat, I/O) still runs between batches, a few microseconds apart.
 */
const eventsPerTurn = 64;

/**
 * The default pace: `next` runs from a fresh immediate, that is, once every microtask has
 * settled. Immediates are queued `eventsPerTurn` at a time; one whose turn comes with no step
 * waiting does nothing.
 */
export function batchedImmediatePacer(batch = eventsPerTurn): (next: () => void) => void {
  let waiting: (() => void) | undefined;
  let queued = 0;
  const runOne = (): void => {
    queued--;
    const next = waiting;
    waiting = undefined;
    next?.();
  };
  return (next) => {
    if (waiting !== undefined) throw new Error('pace: the previous step has not run yet; a run paces one step at a time');
    waiting = next;
    if (queued > 0) return;
    queued = batch;
    for (let i = 0; i < batch; i++) realSetImmediate(runOne);
  };
}

/** Limits that keep a run from hanging; every one of them ends the run with a message. */
export interface VirtualLimits {
  /** Events fired without virtual time moving forward (a zero-delay timer loop). */
  maxEventsPerInstant: number;
  /** Real time the whole run may take. */
  realTimeLimitMs: number;
  /** Virtual time the whole run may take. */
  virtualTimeLimitMs: number;
}

export const defaultLimits: VirtualLimits = {
  maxEventsPerInstant: 100_000,
  realTimeLimitMs: 600_000,
  virtualTimeLimitMs: 3_600_000,
};

/**
 * Virtual time. Timers wait in a heap ordered by (time, seq); the driver fires one, then yields
 * to the real event loop with setImmediate so that every promise continuation it caused runs
 * before the next timer. The clock jumps straight to the next timer: idle time costs nothing.
 */
export class VirtualRuntime implements Runtime {
  readonly mode = 'virtual' as const;
  readonly rng: Rng;
  readonly testerRng: CallSiteStreams;
  readonly blocked = new Set<{ describeBlocked(): string }>();
  currentServer: string | undefined;
  alive = true;
  /** Events fired so far. */
  events = 0;
  private clockMs = 0;
  private seq = 0;
  private readonly heap = new TimerHeap();
  private hashA = 0x811c9dc5;
  private hashB = 0x2545f491;
  private failure: Error | undefined;
  private hooks: (() => void)[] = [];

  constructor(
    seed: string,
    private readonly limits: VirtualLimits = defaultLimits,
    /** Called every few thousand events with the virtual time, so a watchdog can see progress. */
    private readonly onProgress?: (virtualMs: number, server: string | undefined) => void,
    /** Shared memory a watchdog in another thread reads: [virtual time, server number or -1]. */
    private readonly progressCell?: Float64Array,
    /**
     * Runs `next` (the next event) later, from a fresh task: default an immediate (see
     * batchedImmediatePacer). A host may hold it back to pace the run.
     */
    private readonly pace: (next: () => void) => void = batchedImmediatePacer(),
    /** One tester stream per place in the code (false: a single one; see CallSiteStreams). */
    perCallSite = true,
  ) {
    this.rng = new Rng(seed);
    this.testerRng = new CallSiteStreams(seed, perCallSite);
  }

  nowMs(): number {
    return this.clockMs;
  }

  setTimer(callback: () => void, delayMs: number, intervalMs = 0): TimerRef {
    if (!this.alive) return { dead: true };
    const entry: TimerEntry = {
      atMs: this.clockMs + clampDelay(delayMs),
      seq: this.seq++,
      callback,
      cancelled: false,
      intervalMs: intervalMs > 0 ? Math.max(1, intervalMs) : 0,
      server: this.currentServer,
    };
    this.heap.push(entry);
    return entry;
  }

  clearTimer(ref: TimerRef): void {
    if ('atMs' in ref) ref.cancelled = true;
  }

  addEventHook(hook: () => void): () => void {
    this.hooks.push(hook);
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  /** Runs the event hooks; the first that throws fails the run. */
  private runHooks(): void {
    for (const hook of this.hooks) {
      try {
        hook();
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
        return;
      }
    }
  }

  /** The virtual time of the next pending event, or undefined when none is pending. */
  nextEventAtMs(): number | undefined {
    return this.heap.peekLive()?.atMs;
  }

  /** Records a failure from outside the event loop (an unhandled rejection); the driver throws it. */
  fail(error: Error): void {
    this.failure ??= error;
  }

  /** A hex digest of every event fired (time, order, randomness drawn): equal runs, equal hashes. */
  traceHash(): string {
    return (this.hashA >>> 0).toString(16).padStart(8, '0') + (this.hashB >>> 0).toString(16).padStart(8, '0');
  }

  /** Mixes extra facts (e.g. an RPC's outcome) into the trace hash. */
  mix(value: number): void {
    this.hashA = Math.imul(this.hashA ^ value, 16777619);
    this.hashB = Math.imul(this.hashB ^ (value + 0x9e3779b9), 2246822519) ^ (this.hashB >>> 13);
  }

  /** Runs `body` to completion on virtual time. */
  drive<T>(body: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let value: T;
      let error: unknown;
      let bodyFailed = false;
      const startReal = realPerformanceNow();
      let sameInstant = 0;
      const finish = (fail: unknown, ok?: T): void => {
        this.alive = false;
        if (fail !== undefined) reject(fail);
        else resolve(ok as T);
      };
      try {
        body().then(
          (v) => {
            settled = true;
            value = v;
          },
          (e: unknown) => {
            settled = true;
            bodyFailed = true;
            error = e;
          },
        );
      } catch (e) {
        finish(e);
        return;
      }
      const step = (): void => {
        // Everything the last event caused has settled: let the monitors look before anything else happens.
        if (this.hooks.length > 0 && this.failure === undefined) this.runHooks();
        if (this.failure !== undefined) return finish(this.failure);
        if (settled) return bodyFailed ? finish(error ?? new Error('the test failed with undefined')) : finish(undefined, value);
        const next = this.heap.peekLive();
        if (next === undefined) return finish(this.deadlock());
        this.heap.pop();
        if (next.atMs > this.clockMs) {
          this.clockMs = next.atMs;
          sameInstant = 0;
        } else if (++sameInstant > this.limits.maxEventsPerInstant) {
          return finish(
            new LivelockError(
              `livelock: more than ${this.limits.maxEventsPerInstant} events fired at virtual time ${this.clockMs} ms without time moving on. ` +
                `Some code keeps scheduling zero-delay timers (setTimeout(f, 0), setImmediate or sleep(0) in a loop); sleep for a few milliseconds instead.`,
            ),
          );
        }
        if (this.clockMs > this.limits.virtualTimeLimitMs) {
          return finish(new TimeLimitError(`the run used more than ${this.limits.virtualTimeLimitMs / 1000} s of virtual time`));
        }
        this.events++;
        this.mix(next.atMs);
        this.mix(next.seq);
        this.mix(this.rng.draws + this.testerRng.draws);
        if ((this.events & 1023) === 0) {
          const realMs = realPerformanceNow() - startReal;
          if (realMs > this.limits.realTimeLimitMs) {
            return finish(
              new LivelockError(
                `livelock: the run took more than ${this.limits.realTimeLimitMs / 1000} s of real time and reached only ${(this.clockMs / 1000).toFixed(1)} s of virtual time`,
              ),
            );
          }
          this.onProgress?.(this.clockMs, this.currentServer);
        }
        if (next.intervalMs > 0) {
          next.atMs += next.intervalMs;
          next.seq = this.seq++;
          this.heap.push(next);
        }
        this.currentServer = next.server;
        if (this.progressCell !== undefined) {
          this.progressCell[0] = this.clockMs;
          this.progressCell[1] = next.server === undefined ? -1 : Number(next.server);
        }
        try {
          next.callback();
        } catch (e) {
          const where = next.server === undefined ? '' : ` in server ${next.server}`;
          this.fail(new UncaughtError(`uncaught exception at virtual time ${this.clockMs} ms${where}:\n${describeThrown(e)}`, e));
        }
        this.pace(step);
      };
      this.pace(step);
    });
  }

  private deadlock(): DeadlockError {
    const waits = [...this.blocked].map((c) => `  - ${c.describeBlocked()}`);
    const detail = waits.length > 0 ? `\nblocked:\n${waits.join('\n')}` : '\nno timer is pending and no channel operation is blocked: the test awaits a promise that nothing will ever resolve.';
    return new DeadlockError(`deadlock at virtual time ${this.clockMs} ms: nothing is left to happen, but the test is still waiting.${detail}`);
  }
}
