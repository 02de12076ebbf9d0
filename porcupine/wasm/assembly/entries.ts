// One partition's entries: calls and returns in time order, in a doubly linked list held in
// arrays (see porcupine/entries.ts).
import { NONE, alloc, f64At, i32At, setI32 } from './memory';
import { mergeSort } from './sort';
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
  for (let i = 0; i < 2 * m; i++) setI32(codes, i, i);
  mergeSort(codes, scratch, 2 * m, before);
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

@inline function entryTime(code: i32): f64 {
  const global = i32At(opsAt, code >> 1);
  return (code & 1) == 0 ? f64At(callsAt, global) : f64At(returnsAt, global);
}

/** Whether entry a sorts before entry b. */
function before(a: i32, b: i32): bool {
  const ta = entryTime(a);
  const tb = entryTime(b);
  if (ta != tb) return ta < tb;
  if ((a & 1) != (b & 1)) return (a & 1) == 0;
  return (a >> 1) < (b >> 1);
}
