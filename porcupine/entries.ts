/**
 * A partition as the search walks it: the call and return entries of every operation in
 * time order, in a doubly linked list held in typed arrays (no objects in the hot loop).
 * Linearizing an operation unlinks its call and return; backtracking relinks them in the
 * reverse order ("dancing links"), which restores the list exactly.
 */
import type { Operation } from './types.ts';

/** Marks "no entry" in `next`, `prev` and `matchOf`. */
export const NONE = -1;

/**
 * Entries live at positions 1..2n in time order; position 0 is the head sentinel, so the
 * list is empty when `next[0] === NONE`.
 */
export interface EntryList<I, O> {
  readonly operationCount: number;
  readonly inputs: readonly I[];
  readonly outputs: readonly O[];
  /** Position → index of its operation (in the partition). */
  readonly operationOf: Int32Array;
  /** Call position → position of its return; `NONE` at return positions. */
  readonly matchOf: Int32Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
}

/**
 * Builds the list. Entries sort by time; at equal times calls come before returns, so
 * operations that merely touch count as concurrent (porcupine's rule: never stricter than
 * the clock can show). Remaining ties go by operation index, so the result is deterministic.
 */
export function buildEntryList<I, O>(operations: readonly Operation<I, O>[]): EntryList<I, O> {
  const operationCount = operations.length;
  const calls = new Float64Array(operationCount);
  const returns = new Float64Array(operationCount);
  const inputs = new Array<I>(operationCount);
  const outputs = new Array<O>(operationCount);
  for (let i = 0; i < operationCount; i++) {
    const operation = operations[i]!;
    calls[i] = operation.call;
    returns[i] = operation.return;
    inputs[i] = operation.input;
    outputs[i] = operation.output;
  }
  return buildEntryListFromTimes(calls, returns, inputs, outputs);
}

/** The same list from the operations' times (e.g. as a checker thread receives them). */
export function buildEntryListFromTimes<I, O>(
  calls: Float64Array,
  returns: Float64Array,
  inputs: readonly I[],
  outputs: readonly O[],
): EntryList<I, O> {
  const operationCount = calls.length;
  const size = 2 * operationCount + 1;
  const operationOf = new Int32Array(size).fill(NONE);
  const matchOf = new Int32Array(size).fill(NONE);
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  if (!placeByEncodedKeys(calls, returns, operationOf, matchOf)) placeByComparison(calls, returns, operationOf, matchOf);
  for (let position = 0; position < size; position++) {
    next[position] = position + 1;
    prev[position] = position - 1;
  }
  next[size - 1] = NONE;
  return { operationCount, inputs, outputs, operationOf, matchOf, next, prev };
}

/**
 * Encoded keys stay below 2^50, so that key / n in floating point is never off by enough to
 * cross an integer: `Math.floor` recovers the time slot exactly.
 */
const KEY_LIMIT = 2 ** 50;

/**
 * The usual case, integer times (a virtual clock, ns stamps, sequence numbers): each entry
 * becomes one number, ((time - earliest) * 2 + isReturn) * n + operation, which orders
 * exactly as the rule above, and the engine's native sort of a Float64Array orders them
 * (a comparator called from the sort runs unoptimized on a cold check and cost more than the
 * search). A `return` of Infinity counts as one past the latest finite time. Returns false,
 * placing nothing, where the keys would not be exact integers (fractional or huge times).
 */

function placeByEncodedKeys(calls: Float64Array, returns: Float64Array, operationOf: Int32Array, matchOf: Int32Array): boolean {
  const n = calls.length;
  if (n === 0) return true;
  let earliest = calls[0]!;
  let latest = earliest;
  for (let i = 0; i < n; i++) {
    const call = calls[i]!;
    const ret = returns[i]!;
    if (call !== Math.floor(call) || (ret !== Math.floor(ret) && ret !== Infinity)) return false;
    if (call < earliest) earliest = call;
    if (call > latest) latest = call;
    if (ret > latest && ret !== Infinity) latest = ret;
  }
  const never = latest + 1 - earliest;
  if ((never + 1) * 2 * n > KEY_LIMIT) return false;
  const keys = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const ret = returns[i]!;
    keys[2 * i] = (calls[i]! - earliest) * 2 * n + i;
    keys[2 * i + 1] = ((ret === Infinity ? never : ret - earliest) * 2 + 1) * n + i;
  }
  keys.sort();
  const callPosition = new Int32Array(n);
  for (let k = 0; k < 2 * n; k++) {
    const key = keys[k]!;
    const slot = Math.floor(key / n);
    const operation = key - slot * n;
    const position = k + 1;
    operationOf[position] = operation;
    // The slot's low bit is isReturn (ToInt32 keeps the low bits of an exact integer).
    if ((slot & 1) === 0) callPosition[operation] = position;
    else matchOf[callPosition[operation]!] = position;
  }
  return true;
}

/** Any other times: calls in time order and returns in time order, merged (calls first at equal times). */
function placeByComparison(calls: Float64Array, returns: Float64Array, operationOf: Int32Array, matchOf: Int32Array): void {
  const operationCount = calls.length;
  const byCall = sortedIndices(calls);
  const byReturn = sortedIndices(returns);
  const callPosition = new Int32Array(operationCount);
  let c = 0;
  let r = 0;
  for (let position = 1; position <= 2 * operationCount; position++) {
    if (c < operationCount && (r === operationCount || calls[byCall[c]!]! <= returns[byReturn[r]!]!)) {
      const operation = byCall[c++]!;
      operationOf[position] = operation;
      callPosition[operation] = position;
    } else {
      const operation = byReturn[r++]!;
      operationOf[position] = operation;
      matchOf[callPosition[operation]!] = position;
    }
  }
}

/** Indices 0..n-1 ordered by `times`, ties by index (a stable sort of the identity). */
function sortedIndices(times: Float64Array): number[] {
  const indices = new Array<number>(times.length);
  let sorted = true;
  for (let i = 0; i < times.length; i++) {
    indices[i] = i;
    if (i > 0 && times[i]! < times[i - 1]!) sorted = false;
  }
  if (!sorted) indices.sort((a, b) => times[a]! - times[b]! || a - b);
  return indices;
}

/** Unlinks a call entry and its return: the operation is linearized. */
export function lift(list: EntryList<unknown, unknown>, call: number): void {
  const { next, prev } = list;
  const ret = list.matchOf[call];
  next[prev[call]] = next[call];
  if (next[call] !== NONE) prev[next[call]] = prev[call];
  next[prev[ret]] = next[ret];
  if (next[ret] !== NONE) prev[next[ret]] = prev[ret];
}

/** Relinks what `lift` unlinked; must undo lifts in reverse order. */
export function unlift(list: EntryList<unknown, unknown>, call: number): void {
  const { next, prev } = list;
  const ret = list.matchOf[call];
  next[prev[ret]] = ret;
  if (next[ret] !== NONE) prev[next[ret]] = ret;
  next[prev[call]] = call;
  if (next[call] !== NONE) prev[next[call]] = call;
}
