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
  const entryCount = 2 * operationCount;
  // Entry code: operation index * 2, plus 1 for the return.
  const codes = new Int32Array(entryCount);
  const times = new Float64Array(entryCount);
  for (let i = 0; i < operationCount; i++) {
    codes[2 * i] = 2 * i;
    codes[2 * i + 1] = 2 * i + 1;
    times[2 * i] = operations[i].call;
    times[2 * i + 1] = operations[i].return;
  }
  codes.sort((a, b) => times[a] - times[b] || (a & 1) - (b & 1) || a - b);

  const size = entryCount + 1;
  const operationOf = new Int32Array(size).fill(NONE);
  const matchOf = new Int32Array(size).fill(NONE);
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  const callPosition = new Int32Array(operationCount);
  for (let k = 0; k < entryCount; k++) {
    const position = k + 1;
    const code = codes[k];
    const operation = code >>> 1;
    operationOf[position] = operation;
    if ((code & 1) === 0) callPosition[operation] = position;
    else matchOf[callPosition[operation]] = position;
  }
  for (let position = 0; position < size; position++) {
    next[position] = position + 1 < size ? position + 1 : NONE;
    prev[position] = position - 1;
  }
  return {
    operationCount,
    inputs: operations.map((operation) => operation.input),
    outputs: operations.map((operation) => operation.output),
    operationOf,
    matchOf,
    next,
    prev,
  };
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
