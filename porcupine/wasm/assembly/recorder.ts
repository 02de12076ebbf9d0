// Partial linearizations, for verbose checks: per operation, the longest linearizable
// prefix seen that contains it (the same bookkeeping as porcupine/partial-recorder.ts).
import { alloc, i32At, setI32 } from './memory';

// The search being recorded: whether to record, its size, its entries and its stack.
let recording = false;
let m: i32 = 0;
let operationOfAt: usize = 0;
let stackCallsAt: usize = 0;
let longestLengthAt: usize = 0;
let prefixMinAt: usize = 0;
let sequenceOfAt: usize = 0; // per local op: sequence id or -1
let sequenceStartAt: usize = 0; // per sequence: offset in the pool
let sequenceLengthAt: usize = 0;
let sequencePoolAt: usize = 0;
let sequenceCount: i32 = 0;
let sequenceCapacity: i32 = 0;
let sequencePoolUsed: i32 = 0;
let sequencePoolCapacity: i32 = 0;

/** Sequences recorded by the last verbose search: their number, starts, lengths and the pool. */
export function sequences(): i32 { return sequenceCount; }
export function sequenceStarts(): usize { return sequenceStartAt; }
export function sequenceLengths(): usize { return sequenceLengthAt; }
export function sequencePool(): usize { return sequencePoolAt; }
/** Per local operation of the last verbose search: the id of its longest sequence, or -1. */
export function sequenceOf(): usize { return sequenceOfAt; }

/** Starts recording a search (or not, when `enabled` is false). */
export function startRecorder(enabled: bool, operationCount: i32, operationOf: usize, stackCalls: usize): void {
  recording = enabled;
  m = operationCount;
  operationOfAt = operationOf;
  stackCallsAt = stackCalls;
  sequenceCount = 0;
  sequencePoolUsed = 0;
  if (!recording) return;
  longestLengthAt = alloc(<usize>m << 2);
  prefixMinAt = alloc(<usize>m << 2);
  sequenceOfAt = alloc(<usize>m << 2);
  memory.fill(longestLengthAt, 0, <usize>m << 2);
  memory.fill(prefixMinAt, 0, <usize>m << 2);
  memory.fill(sequenceOfAt, 0xff, <usize>m << 2);
  sequenceCapacity = 64;
  sequenceStartAt = alloc(<usize>sequenceCapacity << 2);
  sequenceLengthAt = alloc(<usize>sequenceCapacity << 2);
  sequencePoolCapacity = max(4 * m, 256);
  sequencePoolAt = alloc(<usize>sequencePoolCapacity << 2);
}

@inline export function pushed(position: i32, operation: i32): void {
  const own = i32At(longestLengthAt, operation);
  const below = position == 0 ? own : i32At(prefixMinAt, position - 1);
  setI32(prefixMinAt, position, own < below ? own : below);
}

/** The stack (depth operations) as a new sequence; returns its id. */
function newSequence(depth: i32): i32 {
  if (sequenceCount == sequenceCapacity) {
    const capacity = 2 * sequenceCapacity;
    const starts = alloc(<usize>capacity << 2);
    const lengths = alloc(<usize>capacity << 2);
    memory.copy(starts, sequenceStartAt, <usize>sequenceCount << 2);
    memory.copy(lengths, sequenceLengthAt, <usize>sequenceCount << 2);
    sequenceStartAt = starts;
    sequenceLengthAt = lengths;
    sequenceCapacity = capacity;
  }
  if (sequencePoolUsed + depth > sequencePoolCapacity) {
    const capacity = max(2 * sequencePoolCapacity, sequencePoolUsed + depth);
    const bigger = alloc(<usize>capacity << 2);
    memory.copy(bigger, sequencePoolAt, <usize>sequencePoolUsed << 2);
    sequencePoolAt = bigger;
    sequencePoolCapacity = capacity;
  }
  const id = sequenceCount++;
  setI32(sequenceStartAt, id, sequencePoolUsed);
  setI32(sequenceLengthAt, id, depth);
  for (let k = 0; k < depth; k++) {
    setI32(sequencePoolAt, sequencePoolUsed + k, i32At(operationOfAt, i32At(stackCallsAt, k)));
  }
  sequencePoolUsed += depth;
  return id;
}

/** A dead end with `depth` operations on the stack: a maximal linearizable prefix. */
export function record(depth: i32): void {
  if (!recording || depth == 0 || i32At(prefixMinAt, depth - 1) >= depth) return;
  let sequence: i32 = -1;
  let least: i32 = 0x7fffffff;
  for (let k = 0; k < depth; k++) {
    const operation = i32At(operationOfAt, i32At(stackCallsAt, k));
    if (i32At(longestLengthAt, operation) < depth) {
      if (sequence == -1) sequence = newSequence(depth);
      setI32(longestLengthAt, operation, depth);
      setI32(sequenceOfAt, operation, sequence);
    }
    const length = i32At(longestLengthAt, operation);
    if (length < least) least = length;
    setI32(prefixMinAt, k, least);
  }
}

/** The search succeeded: the stack is the longest linearization for everyone. */
export function recordComplete(depth: i32): void {
  if (!recording) return;
  const sequence = newSequence(depth);
  for (let operation = 0; operation < m; operation++) setI32(sequenceOfAt, operation, sequence);
}
