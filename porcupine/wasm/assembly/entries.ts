// One partition's entries: calls and returns in time order, in a doubly linked list held in
// arrays (see porcupine/entries.ts).
import { NONE, alloc, f64At, i32At, setF64, setI32 } from './memory';
import { BY_TIME, mergeSort } from './sort';
import { callsAt, returnsAt } from './history';

// The partition being built: its size and its history indices.
let m: i32 = 0;
let opsAt: usize = 0;
/** Position → local operation; positions 1..2m in time order, 0 the head sentinel. */
export let operationOfAt: usize = 0;
/** Call position → position of its return; NONE at return positions. */
export let matchOfAt: usize = 0;
export let nextAt: usize = 0;
export let prevAt: usize = 0;

/**
 * Entries in time order; at equal times calls before returns, then by operation. An entry is
 * coded as 2 * local operation + (1 for a return).
 */
export function buildEntries(operationCount: i32, operations: usize): void {
  m = operationCount;
  opsAt = operations;
  const size = 2 * m + 1;
  const codes = alloc(<usize>(2 * m) << 2);
  const scratch = alloc(<usize>(2 * m) << 2);
  // Each entry's time, gathered once so that the sort reads one small array; calls first,
  // then returns, each in history order (so mostly in time order already).
  entryTimesAt = alloc(<usize>(2 * m) << 3);
  for (let operation = 0; operation < m; operation++) {
    const global = i32At(opsAt, operation);
    setF64(entryTimesAt, 2 * operation, f64At(callsAt, global));
    setF64(entryTimesAt, 2 * operation + 1, f64At(returnsAt, global));
    setI32(codes, operation, 2 * operation);
    setI32(codes, m + operation, 2 * operation + 1);
  }
  mergeSort(codes, scratch, 2 * m, BY_TIME);
  operationOfAt = alloc(<usize>size << 2);
  matchOfAt = alloc(<usize>size << 2);
  nextAt = alloc(<usize>size << 2);
  prevAt = alloc(<usize>size << 2);
  setI32(operationOfAt, 0, NONE);
  setI32(matchOfAt, 0, NONE);
  // Call positions by operation, found as the calls are placed (a call sorts before its return).
  const callPosition = scratch;
  for (let k = 0; k < 2 * m; k++) {
    const code = i32At(codes, k);
    const operation = code >> 1;
    const position = k + 1;
    setI32(operationOfAt, position, operation);
    setI32(matchOfAt, position, NONE);
    if ((code & 1) == 0) setI32(callPosition, operation, position);
    else setI32(matchOfAt, i32At(callPosition, operation), position);
  }
  for (let position = 0; position < size; position++) {
    setI32(nextAt, position, position + 1);
    setI32(prevAt, position, position - 1);
  }
  setI32(nextAt, size - 1, NONE);
}

/** Per entry code: its time (see buildEntries). */
let entryTimesAt: usize = 0;

/** Whether entry a sorts before entry b (of the partition being built). */
@inline export function entryBefore(a: i32, b: i32): bool {
  const ta = f64At(entryTimesAt, a);
  const tb = f64At(entryTimesAt, b);
  if (ta != tb) return ta < tb;
  if ((a & 1) != (b & 1)) return (a & 1) == 0;
  return (a >> 1) < (b >> 1);
}
