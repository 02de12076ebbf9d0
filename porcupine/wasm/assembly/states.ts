// States: strings interned by content to ids, per partition. '' is state 0.
//
// A state is held without copying: either a run of code units in the history (a put's value,
// or '') or another state followed by a string (an append's result: its head state and its
// tail). Building a state is then O(1) in memory however long it grows, and contents are
// compared segment by segment from the end, where an append's states differ.
import { NONE, alloc, i32At, mixHash, sameUnits, setI32 } from './memory';
import { hashPower, stringData, stringHashAt, stringLength, unitsAt } from './history';

let stateCount: i32 = 0;
let stateCapacity: i32 = 0;
let stateDataAt: usize = 0; // per state: where its code units are (a run), or the tail string's (an append)
let stateLengthAt: usize = 0;
let stateHashAt: usize = 0;
let stateHeadAt: usize = 0; // per state: its head state (an append), or -1 (a run)
let stateTableAt: usize = 0; // open addressing: state ids, -1 empty
let stateTableCapacity: i32 = 0;

/** How many distinct states the last search built, '' included (for tests). */
export function statesBuilt(): i32 {
  return stateCount;
}

/** Empties the state table and interns '' as state 0. */
export function statesReset(expected: i32): void {
  stateCount = 0;
  stateCapacity = 0;
  growStates(max(64, expected + 1));
  let capacity: i32 = 128;
  while (capacity < 4 * expected) capacity <<= 1;
  rebuildStateTable(capacity);
  addState(unitsAt, 0, NONE, 0, mixHash(0) & (stateTableCapacity - 1));
}

function growStates(capacity: i32): void {
  const data = alloc(<usize>capacity << 2);
  const lengths = alloc(<usize>capacity << 2);
  const hashes = alloc(<usize>capacity << 2);
  const heads = alloc(<usize>capacity << 2);
  memory.copy(data, stateDataAt, <usize>stateCount << 2);
  memory.copy(lengths, stateLengthAt, <usize>stateCount << 2);
  memory.copy(hashes, stateHashAt, <usize>stateCount << 2);
  memory.copy(heads, stateHeadAt, <usize>stateCount << 2);
  stateDataAt = data;
  stateLengthAt = lengths;
  stateHashAt = hashes;
  stateHeadAt = heads;
  stateCapacity = capacity;
}

/** A new open-addressed table of `capacity` slots (a power of two) holding every state. */
function rebuildStateTable(capacity: i32): void {
  stateTableCapacity = capacity;
  stateTableAt = alloc(<usize>capacity << 2);
  memory.fill(stateTableAt, 0xff, <usize>capacity << 2);
  const mask = capacity - 1;
  for (let state = 0; state < stateCount; state++) {
    let slot = mixHash(i32At(stateHashAt, state)) & mask;
    while (i32At(stateTableAt, slot) != NONE) slot = (slot + 1) & mask;
    setI32(stateTableAt, slot, state);
  }
}

/** Adds a state whose slot in the table was found empty; returns its id. */
function addState(data: usize, length: i32, head: i32, hash: i32, slot: i32): i32 {
  if (stateCount == stateCapacity) growStates(2 * stateCapacity);
  const id = stateCount++;
  store<i32>(stateDataAt + ((<usize>id) << 2), <i32>data);
  setI32(stateLengthAt, id, length);
  setI32(stateHashAt, id, hash);
  setI32(stateHeadAt, id, head);
  setI32(stateTableAt, slot, id);
  if (stateCount * 2 > stateTableCapacity) rebuildStateTable(2 * stateTableCapacity);
  return id;
}

/**
 * Whether the `length` code units at `data` are those of state `state` that end `end` units
 * into it (end ≤ the state's length).
 */
function unitsEndingAt(state: i32, end: i32, data: usize, length: i32): bool {
  // Walk the state's segments from its end: each append is its head, then its tail.
  let remaining = length;
  while (remaining > 0) {
    const head = i32At(stateHeadAt, state);
    const segment = <usize>i32At(stateDataAt, state);
    if (head == NONE) return sameUnits(segment + ((<usize>(end - remaining)) << 1), data, remaining);
    const headLength = i32At(stateLengthAt, head);
    if (end > headLength) {
      // The part of [end - remaining, end) inside the tail.
      const from = max(end - remaining, headLength);
      const count = end - from;
      if (!sameUnits(segment + ((<usize>(from - headLength)) << 1), data + ((<usize>(from - end + remaining)) << 1), count)) return false;
      remaining -= count;
      end = from;
    }
    state = head;
  }
  return true;
}

/** Whether state a's content is state b's followed by the `length` code units at `data`. */
function isAppended(a: i32, b: i32, data: usize, length: i32): bool {
  const aLength = i32At(stateLengthAt, a);
  if (aLength != i32At(stateLengthAt, b) + length) return false;
  // The usual case: a is that very append (states are interned, so equal heads are the same id).
  if (i32At(stateHeadAt, a) == b && sameUnits(<usize>i32At(stateDataAt, a), data, length)) return true;
  if (!unitsEndingAt(a, aLength, data, length)) return false;
  // b's segments, from its end, against the start of a.
  let end = aLength - length;
  let state = b;
  while (end > 0) {
    const head = i32At(stateHeadAt, state);
    const segment = <usize>i32At(stateDataAt, state);
    const headLength = head == NONE ? 0 : i32At(stateLengthAt, head);
    if (!unitsEndingAt(a, end, segment, end - headLength)) return false;
    end = headLength;
    state = head;
  }
  return true;
}

/** State `stateId`'s length in code units. */
@inline export function stateLength(stateId: i32): i32 {
  return i32At(stateLengthAt, stateId);
}

/** Whether state `stateId` is string `string` (one hashed by hashString). */
export function isString(stateId: i32, string: i32): bool {
  const length = stringLength(string);
  return (
    i32At(stateLengthAt, stateId) == length &&
    i32At(stateHashAt, stateId) == i32At(stringHashAt, string) &&
    unitsEndingAt(stateId, length, stringData(string), length)
  );
}

/** The id of the state equal to string `string`. */
export function internString(string: i32): i32 {
  const hash = i32At(stringHashAt, string);
  const length = stringLength(string);
  const data = stringData(string);
  const mask = stateTableCapacity - 1;
  let slot = mixHash(hash) & mask;
  for (;;) {
    const state = i32At(stateTableAt, slot);
    if (state == NONE) break;
    if (i32At(stateHashAt, state) == hash && i32At(stateLengthAt, state) == length && unitsEndingAt(state, length, data, length)) return state;
    slot = (slot + 1) & mask;
  }
  return addState(data, length, NONE, hash, slot);
}

/** The id of the state `stateId` followed by string `string`, added if new. */
function appendToState(stateId: i32, string: i32): i32 {
  const tailLength = stringLength(string);
  const length = i32At(stateLengthAt, stateId) + tailLength;
  const hash = i32At(stateHashAt, stateId) * hashPower(tailLength) + i32At(stringHashAt, string);
  const tail = stringData(string);
  const mask = stateTableCapacity - 1;
  let slot = mixHash(hash) & mask;
  for (;;) {
    const state = i32At(stateTableAt, slot);
    if (state == NONE) break;
    if (i32At(stateHashAt, state) == hash && i32At(stateLengthAt, state) == length && isAppended(state, stateId, tail, tailLength)) return state;
    slot = (slot + 1) & mask;
  }
  return addState(tail, length, stateId, hash, slot);
}

// Appends: (state id, operation) → state id, built once.

let appendedCapacity: i32 = 0;
let appendedUsed: i32 = 0;
let appendedStatesAt: usize = 0; // per slot: state id before, or -1 for empty
let appendedOpsAt: usize = 0;
let appendedResultsAt: usize = 0;

export function appendedReset(expected: i32): void {
  let capacity: i32 = 64;
  while (capacity < 2 * expected) capacity <<= 1;
  appendedAllocate(capacity);
  appendedUsed = 0;
}

function appendedAllocate(capacity: i32): void {
  appendedCapacity = capacity;
  appendedStatesAt = alloc(<usize>capacity << 2);
  appendedOpsAt = alloc(<usize>capacity << 2);
  appendedResultsAt = alloc(<usize>capacity << 2);
  memory.fill(appendedStatesAt, 0xff, <usize>capacity << 2);
}

export function appended(stateId: i32, operation: i32, value: i32): i32 {
  const mask = appendedCapacity - 1;
  let slot = mixHash(stateId * 0x3c6ef372 + operation) & mask;
  for (;;) {
    const state = i32At(appendedStatesAt, slot);
    if (state == NONE) break;
    if (state == stateId && i32At(appendedOpsAt, slot) == operation) return i32At(appendedResultsAt, slot);
    slot = (slot + 1) & mask;
  }
  const result = appendToState(stateId, value);
  setI32(appendedStatesAt, slot, stateId);
  setI32(appendedOpsAt, slot, operation);
  setI32(appendedResultsAt, slot, result);
  if (++appendedUsed * 2 > appendedCapacity) appendedGrow();
  return result;
}

function appendedGrow(): void {
  const oldCapacity = appendedCapacity;
  const oldStates = appendedStatesAt;
  const oldOps = appendedOpsAt;
  const oldResults = appendedResultsAt;
  appendedAllocate(2 * oldCapacity);
  const mask = appendedCapacity - 1;
  for (let old = 0; old < oldCapacity; old++) {
    const state = i32At(oldStates, old);
    if (state == NONE) continue;
    const operation = i32At(oldOps, old);
    let slot = mixHash(state * 0x3c6ef372 + operation) & mask;
    while (i32At(appendedStatesAt, slot) != NONE) slot = (slot + 1) & mask;
    setI32(appendedStatesAt, slot, state);
    setI32(appendedOpsAt, slot, operation);
    setI32(appendedResultsAt, slot, i32At(oldResults, old));
  }
}
