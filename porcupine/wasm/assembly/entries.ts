// One partition's entries: calls and returns in time order, in a doubly linked list held in
// arrays (see porcupine/entries.ts).
import { NONE, alloc, f64At, i32At, setI32 } from './memory';
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
  mergeSort(codes, scratch, 2 * m);
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
@inline function before(a: i32, b: i32): bool {
  const ta = entryTime(a);
  const tb = entryTime(b);
  if (ta != tb) return ta < tb;
  if ((a & 1) != (b & 1)) return (a & 1) == 0;
  return (a >> 1) < (b >> 1);
}

/** Sorts `length` entry codes at `codes` (bottom-up merge sort; `scratch` the same size). */
function mergeSort(codes: usize, scratch: usize, length: i32): void {
  // Runs of 8 by insertion first: most histories arrive nearly sorted.
  for (let start = 0; start < length; start += 8) {
    const end = min(start + 8, length);
    for (let i = start + 1; i < end; i++) {
      const code = i32At(codes, i);
      let j = i - 1;
      while (j >= start && before(code, i32At(codes, j))) {
        setI32(codes, j + 1, i32At(codes, j));
        j--;
      }
      setI32(codes, j + 1, code);
    }
  }
  let from = codes;
  let to = scratch;
  for (let width = 8; width < length; width <<= 1) {
    for (let start = 0; start < length; start += 2 * width) {
      const middle = min(start + width, length);
      const end = min(start + 2 * width, length);
      let i = start;
      let j = middle;
      let k = start;
      // Already in order: copy.
      if (middle >= end || !before(i32At(from, middle), i32At(from, middle - 1))) {
        memory.copy(to + ((<usize>start) << 2), from + ((<usize>start) << 2), <usize>(end - start) << 2);
        continue;
      }
      while (i < middle && j < end) {
        const a = i32At(from, i);
        const b = i32At(from, j);
        if (before(b, a)) {
          setI32(to, k++, b);
          j++;
        } else {
          setI32(to, k++, a);
          i++;
        }
      }
      while (i < middle) setI32(to, k++, i32At(from, i++));
      while (j < end) setI32(to, k++, i32At(from, j++));
    }
    const swap = from;
    from = to;
    to = swap;
  }
  if (from != codes) memory.copy(codes, from, <usize>length << 2);
}
