// Partial linearizations, for verbose checks: per operation, the longest linearizable
// prefix seen that contains it (what porcupine/partial-recorder.ts gives, kept differently).
//
// An operation's longest sequence is settled when it leaves the stack, not at each dead end:
// each stack slot keeps the best sequence recorded while its operation has been there (the
// longest, the earliest of equals), and passes it to the slot below when popped, since every
// sequence recorded above a slot holds the operations below it. A dead end is O(1) where
// updating every operation on the stack was O(depth), and each operation gets the sequence it
// would have got so: the earliest of the longest that hold it.
//
// A recorded sequence is the search's stack at a dead end. Two dead ends one after another
// share the bottom of the stack below the lowest point it was popped to in between, so each
// sequence keeps only what lies above that: its tail, and how much it shares with the
// sequence before it (which the host follows to read it whole). The stack runs thousands
// deep on one key, and copying it whole at each dead end would be the bulk of the work.
import { alloc, i32At, setI32 } from './memory';

// The search being recorded: whether to record, its size, its entries and its stack.
let recording = false;
let m: i32 = 0;
let operationOfAt: usize = 0;
let stackCallsAt: usize = 0;
let longestLengthAt: usize = 0;
let prefixMinAt: usize = 0; // per slot: the least longestLength (as last settled) of the slots up to it
let bestLengthAt: usize = 0; // per slot: the longest sequence since its operation was pushed (0 none)
let bestSequenceAt: usize = 0; // per slot: that sequence's id
let sequenceOfAt: usize = 0; // per local op: sequence id or -1
let sequenceTailAt: usize = 0; // per sequence: the address of its tail (i32 operations)
let sequenceSharedAt: usize = 0; // per sequence: how many operations it shares with the one before
let sequenceLengthAt: usize = 0;
let sequenceCount: i32 = 0;
let sequenceCapacity: i32 = 0;
// Tails live one after another in pools; a full pool is followed by a new, twice as large one.
let poolAt: usize = 0;
let poolUsed: i32 = 0;
let poolCapacity: i32 = 0;
/** The lowest the stack has been since the last sequence was recorded. */
let lowWater: i32 = 0;

/** Sequences recorded by the last verbose search: their number, tails, shared parts and lengths. */
export function sequences(): i32 { return sequenceCount; }
export function sequenceTails(): usize { return sequenceTailAt; }
export function sequenceShared(): usize { return sequenceSharedAt; }
export function sequenceLengths(): usize { return sequenceLengthAt; }
/**
 * Per local operation of the last verbose search that found no linearization: the id of its
 * longest sequence, or -1 (one that found one: see completeSequence).
 */
export function sequenceOf(): usize { return sequenceOfAt; }

/** Starts recording a search (or not, when `enabled` is false). */
export function startRecorder(enabled: bool, operationCount: i32, operationOf: usize, stackCalls: usize): void {
  recording = enabled;
  m = operationCount;
  operationOfAt = operationOf;
  stackCallsAt = stackCalls;
  sequenceCount = 0;
  lowWater = 0;
  if (!recording) return;
  longestLengthAt = alloc(<usize>m << 2);
  prefixMinAt = alloc(<usize>m << 2);
  sequenceOfAt = alloc(<usize>m << 2);
  memory.fill(longestLengthAt, 0, <usize>m << 2);
  memory.fill(prefixMinAt, 0, <usize>m << 2);
  memory.fill(sequenceOfAt, 0xff, <usize>m << 2);
  bestLengthAt = alloc(<usize>m << 2);
  bestSequenceAt = alloc(<usize>m << 2);
  sequenceCapacity = 64;
  sequenceTailAt = alloc(<usize>sequenceCapacity << 2);
  sequenceSharedAt = alloc(<usize>sequenceCapacity << 2);
  sequenceLengthAt = alloc(<usize>sequenceCapacity << 2);
  poolCapacity = max(m, 256);
  poolAt = alloc(<usize>poolCapacity << 2);
  poolUsed = 0;
}

/** The search pushed `operation` at slot `position`. */
@inline export function pushed(position: i32, operation: i32): void {
  const own = i32At(longestLengthAt, operation);
  const below = position == 0 ? own : i32At(prefixMinAt, position - 1);
  setI32(prefixMinAt, position, own < below ? own : below);
  setI32(bestLengthAt, position, 0);
}

/**
 * The search popped its stack down to `depth` operations: the operation leaving slot `depth`
 * settles its longest sequence, and the slot below inherits the slot's best.
 */
@inline export function popped(depth: i32): void {
  if (depth < lowWater) lowWater = depth;
  const length = i32At(bestLengthAt, depth);
  if (length == 0) return;
  const sequence = i32At(bestSequenceAt, depth);
  const operation = i32At(operationOfAt, i32At(stackCallsAt, depth));
  if (length > i32At(longestLengthAt, operation)) {
    setI32(longestLengthAt, operation, length);
    setI32(sequenceOfAt, operation, sequence);
  }
  if (depth > 0 && length > i32At(bestLengthAt, depth - 1)) {
    setI32(bestLengthAt, depth - 1, length);
    setI32(bestSequenceAt, depth - 1, sequence);
  }
}

/** The stack (depth operations) as a new sequence; returns its id. */
function newSequence(depth: i32): i32 {
  if (sequenceCount == sequenceCapacity) {
    const capacity = 2 * sequenceCapacity;
    sequenceTailAt = grown(sequenceTailAt, capacity);
    sequenceSharedAt = grown(sequenceSharedAt, capacity);
    sequenceLengthAt = grown(sequenceLengthAt, capacity);
    sequenceCapacity = capacity;
  }
  // The first sequence shares nothing; lowWater never exceeds the depth of the one before.
  const shared = sequenceCount == 0 ? 0 : min(lowWater, depth);
  const tailLength = depth - shared;
  if (poolUsed + tailLength > poolCapacity) {
    poolCapacity = max(2 * poolCapacity, tailLength);
    poolAt = alloc(<usize>poolCapacity << 2);
    poolUsed = 0;
  }
  const tail = poolAt + ((<usize>poolUsed) << 2);
  for (let k = 0; k < tailLength; k++) setI32(tail, k, i32At(operationOfAt, i32At(stackCallsAt, shared + k)));
  poolUsed += tailLength;
  const id = sequenceCount++;
  setI32(sequenceTailAt, id, <i32>tail);
  setI32(sequenceSharedAt, id, shared);
  setI32(sequenceLengthAt, id, depth);
  lowWater = depth;
  return id;
}

/** A copy of the `sequenceCount` i32s at `from` in a new array of `capacity`. */
function grown(from: usize, capacity: i32): usize {
  const to = alloc(<usize>capacity << 2);
  memory.copy(to, from, <usize>sequenceCount << 2);
  return to;
}

/**
 * A dead end with `depth` operations on the stack: a maximal linearizable prefix, recorded
 * where it may be longer than what one of them holds. Every operation on the stack holds at
 * least the least settled length (prefixMin) and at least the top slot's best (which holds
 * them all), so where either reaches `depth`, the prefix is no one's longest. Otherwise it is
 * longer than the top slot's best, and becomes it.
 */
export function record(depth: i32): void {
  if (!recording || depth == 0) return;
  const top = depth - 1;
  if (i32At(prefixMinAt, top) >= depth || i32At(bestLengthAt, top) >= depth) return;
  setI32(bestLengthAt, top, depth);
  setI32(bestSequenceAt, top, newSequence(depth));
}

/** The search stops with `depth` operations on the stack: records it and settles them all. */
export function abandon(depth: i32): void {
  if (!recording) return;
  record(depth);
  for (let slot = depth - 1; slot >= 0; slot--) popped(slot);
}

/** The last verbose search's linearization, when it found one: m operations in order. */
let completeAt: usize = 0;

/** Where the last verbose search that succeeded wrote its linearization (m i32s). */
export function completeSequence(): usize { return completeAt; }

/**
 * The search succeeded: the stack is the longest linearization for everyone. It is written
 * whole, one operation after another, for the host to copy in one go.
 */
export function recordComplete(depth: i32): void {
  if (!recording) return;
  completeAt = alloc(<usize>depth << 2);
  for (let k = 0; k < depth; k++) setI32(completeAt, k, i32At(operationOfAt, i32At(stackCallsAt, k)));
}
