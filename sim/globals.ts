import { createRequire, syncBuiltinESMExports } from 'node:module';
import { webcrypto } from 'node:crypto';
import { currentRuntime, drawingRng, type TimerRef } from './runtime.ts';
import { SimUsageError } from './errors.ts';

/**
 * While a virtual run is active, the global timer functions, Date, performance.now,
 * Math.random, crypto's random functions and node:timers(/promises) all read the virtual
 * runtime, so ordinary code (setTimeout, Date.now, await setTimeout(ms) from timers/promises)
 * runs on simulated time unchanged. `restoreGlobals` puts the originals back.
 */

const require = createRequire(import.meta.url);
const timersModule = require('node:timers') as Record<string, unknown>;
const timersPromisesModule = require('node:timers/promises') as Record<string, unknown>;
// `import { randomUUID } from 'node:crypto'` is a different function from crypto.randomUUID.
// (node:crypto's getRandomValues cannot be replaced, but it calls webcrypto's, which is.)
const cryptoModule = require('node:crypto') as Record<string, unknown>;

function pick(source: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, source[k]]));
}

/** Virtual Date's epoch: a fixed instant, so that a run sees the same dates every time. */
export const virtualEpochMs = Date.UTC(2025, 0, 1);

const RealDate = Date;
const saved = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
  Date: globalThis.Date,
  performanceNow: performance.now,
  mathRandom: Math.random,
  randomUUID: webcrypto.randomUUID,
  getRandomValues: webcrypto.getRandomValues,
  nodeRandomUUID: cryptoModule.randomUUID,
  abortTimeout: AbortSignal.timeout,
  timers: pick(timersModule, ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate']),
  timersPromises: pick(timersPromisesModule, ['setTimeout', 'setImmediate', 'setInterval']),
};

/** What virtual setTimeout returns: shaped like Node's Timeout so ref/unref/refresh calls keep working. */
export class VirtualTimeout {
  private static nextId = 1;
  readonly id = VirtualTimeout.nextId++;
  constructor(
    public ref_: TimerRef,
    private readonly callback: () => void,
    private readonly delayMs: number,
    private readonly intervalMs: number,
  ) {
    idToTimeout.set(this.id, this);
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  /** Restarts the timer from now, as Node's refresh() does. */
  refresh(): this {
    const runtime = currentRuntime();
    runtime.clearTimer(this.ref_);
    this.ref_ = runtime.setTimer(this.callback, this.delayMs, this.intervalMs);
    return this;
  }
  close(): this {
    cancel(this);
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

const idToTimeout = new Map<number, VirtualTimeout>();

function cancel(handle: unknown): void {
  const timeout = handle instanceof VirtualTimeout ? handle : typeof handle === 'number' ? idToTimeout.get(handle) : undefined;
  if (timeout === undefined) return;
  idToTimeout.delete(timeout.id);
  currentRuntime().clearTimer(timeout.ref_);
}

function virtualSetTimeout(callback: unknown, delayMs?: number, ...args: unknown[]): VirtualTimeout {
  const fn = requireFunction(callback, 'setTimeout');
  // Node turns delays below 1 ms into 1 ms; keeping that rule keeps timer order as in real time.
  const delay = delayMs === undefined || !(delayMs >= 1) ? 1 : delayMs;
  let timeout: VirtualTimeout;
  const run = (): void => {
    idToTimeout.delete(timeout.id);
    fn(...args);
  };
  timeout = new VirtualTimeout(currentRuntime().setTimer(run, delay), run, delay, 0);
  return timeout;
}

function virtualSetInterval(callback: unknown, delayMs?: number, ...args: unknown[]): VirtualTimeout {
  const fn = requireFunction(callback, 'setInterval');
  const delay = delayMs === undefined || !(delayMs >= 1) ? 1 : delayMs;
  const run = (): void => fn(...args);
  return new VirtualTimeout(currentRuntime().setTimer(run, delay, delay), run, delay, delay);
}

function virtualSetImmediate(callback: unknown, ...args: unknown[]): VirtualTimeout {
  const fn = requireFunction(callback, 'setImmediate');
  let timeout: VirtualTimeout;
  const run = (): void => {
    idToTimeout.delete(timeout.id);
    fn(...args);
  };
  timeout = new VirtualTimeout(currentRuntime().setTimer(run, 0), run, 0, 0);
  return timeout;
}

function requireFunction(callback: unknown, api: string): (...args: unknown[]) => void {
  if (typeof callback !== 'function') {
    throw new TypeError(`${api} needs a function as its first argument, got ${typeof callback}`);
  }
  return callback as (...args: unknown[]) => void;
}

/** Date on virtual time: `new Date()` and `Date.now()` read the virtual clock; `Date()` still returns a string. */
function makeVirtualDate(): DateConstructor {
  // Whole milliseconds, as the real Date.now(): the virtual clock itself can stand between them.
  const nowMs = (): number => Math.floor(virtualEpochMs + currentRuntime().nowMs());
  function VirtualDate(this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(nowMs()).toString();
    const made = args.length === 0 ? new RealDate(nowMs()) : new (RealDate as unknown as new (...a: unknown[]) => Date)(...args);
    Object.setPrototypeOf(made, new.target.prototype as object);
    return made;
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = nowMs;
  VirtualDate.parse = RealDate.parse;
  VirtualDate.UTC = RealDate.UTC;
  return VirtualDate as unknown as DateConstructor;
}

function virtualSleepPromise<T>(delayMs?: number, value?: T, options?: { signal?: AbortSignal }): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const signal = options?.signal;
    if (signal?.aborted) return reject(signal.reason);
    const ref = currentRuntime().setTimer(() => resolve(value), delayMs === undefined || !(delayMs >= 1) ? 1 : delayMs);
    signal?.addEventListener('abort', () => {
      currentRuntime().clearTimer(ref);
      reject(signal.reason);
    });
  });
}

/** timers/promises setImmediate: the same virtual instant, unlike setTimeout's 1 ms minimum. */
function virtualImmediatePromise<T>(value?: T): Promise<T | undefined> {
  return new Promise((resolve) => {
    currentRuntime().setTimer(() => resolve(value), 0);
  });
}

function forbidden(api: string, instead: string): () => never {
  return () => {
    throw new SimUsageError(`${api} cannot run on virtual time. ${instead}`);
  };
}

let installed = false;

/** Points the global time and randomness APIs at the current runtime. */
export function installVirtualGlobals(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as Record<string, unknown>;
  g.setTimeout = virtualSetTimeout;
  g.clearTimeout = cancel;
  g.setInterval = virtualSetInterval;
  g.clearInterval = cancel;
  g.setImmediate = virtualSetImmediate;
  g.clearImmediate = cancel;
  g.Date = makeVirtualDate();
  performance.now = () => currentRuntime().nowMs();
  Math.random = function random(): number {
    return drawingRng(currentRuntime(), random).float();
  };
  webcrypto.randomUUID = () => randomUuid();
  webcrypto.getRandomValues = (function getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (array !== null) drawingRng(currentRuntime(), getRandomValues).fill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  }) as typeof webcrypto.getRandomValues;
  cryptoModule.randomUUID = webcrypto.randomUUID;
  AbortSignal.timeout = forbidden('AbortSignal.timeout()', 'Use sleep(ms) or setTimeout and an AbortController.');
  Object.assign(timersModule, {
    setTimeout: virtualSetTimeout,
    clearTimeout: cancel,
    setInterval: virtualSetInterval,
    clearInterval: cancel,
    setImmediate: virtualSetImmediate,
    clearImmediate: cancel,
  });
  Object.assign(timersPromisesModule, {
    setTimeout: virtualSleepPromise,
    setImmediate: virtualImmediatePromise,
    setInterval: forbidden('timers/promises setInterval', 'Loop with `await sleep(ms)` instead.'),
  });
  syncBuiltinESMExports();
}

/** Puts back every original the virtual globals replaced. */
export function restoreGlobals(): void {
  if (!installed) return;
  installed = false;
  const g = globalThis as Record<string, unknown>;
  g.setTimeout = saved.setTimeout;
  g.clearTimeout = saved.clearTimeout;
  g.setInterval = saved.setInterval;
  g.clearInterval = saved.clearInterval;
  g.setImmediate = saved.setImmediate;
  g.clearImmediate = saved.clearImmediate;
  g.Date = saved.Date;
  performance.now = saved.performanceNow;
  Math.random = saved.mathRandom;
  webcrypto.randomUUID = saved.randomUUID;
  webcrypto.getRandomValues = saved.getRandomValues;
  cryptoModule.randomUUID = saved.nodeRandomUUID;
  AbortSignal.timeout = saved.abortTimeout;
  Object.assign(timersModule, saved.timers);
  Object.assign(timersPromisesModule, saved.timersPromises);
  syncBuiltinESMExports();
  idToTimeout.clear();
}

function randomUuid(): `${string}-${string}-${string}-${string}-${string}` {
  const b = new Uint8Array(16);
  drawingRng(currentRuntime(), randomUuid).fill(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
