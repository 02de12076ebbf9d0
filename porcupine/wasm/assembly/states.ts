// States: strings interned by content to ids, per partition. '' is state 0.
import { NONE, alloc, i32At, mixHash, sameUnits, setI32 } from './memory';
import { stringData, stringHashAt, stringLength, stringPowerAt, unitsAt } from './history';

let stateCount: i32 = 0;
let stateCapacity: i32 = 0;
let stateDataAt: usize = 0; // per state: where its code units are
let stateLengthAt: usize = 0;
let stateHashAt: usize = 0;
let stateTableAt: usize = 0; // open addressing: state ids, -1 empty
let stateTableCapacity: i32 = 0;

/** Empties the state table and interns '' as state 0. */
export function statesReset(expected: i32): void {
  stateCount = 0;
  stateCapacity = 0;
  growStates(max(64, expected + 1));
  let capacity: i32 = 128;
  while (capacity < 4 * expected) capacity <<= 1;
  rebuildStateTable(capacity);
  addState(unitsAt, 0, 0, mixHash(0) & (stateTableCapacity - 1));
}

function growStates(capacity: i32): void {
  const data = alloc(<usize>capacity << 2);
  const lengths = alloc(<usize>capacity << 2);
  const hashes = alloc(<usize>capacity << 2);
  memory.copy(data, stateDataAt, <usize>stateCount << 2);
  memory.copy(lengths, stateLengthAt, <usize>stateCount << 2);
  memory.copy(hashes, stateHashAt, <usize>stateCount << 2);
  stateDataAt = data;
  stateLengthAt = lengths;
  stateHashAt = hashes;
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
function addState(data: usize, length: i32, hash: i32, slot: i32): i32 {
  if (stateCount == stateCapacity) growStates(2 * stateCapacity);
  const id = stateCount++;
  store<i32>(stateDataAt + ((<usize>id) << 2), <i32>data);
  setI32(stateLengthAt, id, length);
  setI32(stateHashAt, id, hash);
  setI32(stateTableAt, slot, id);
  if (stateCount * 2 > stateTableCapacity) rebuildStateTable(2 * stateTableCapacity);
  return id;
}

@inline function stateData(state: i32): usize {
  return <usize>i32At(stateDataAt, state);
}

/** Whether state `stateId` is what answer `string` says (-2: not a string, never). */
export function answers(stateId: i32, string: i32): bool {
  if (string < 0) return false;
  const length = stringLength(string);
  return i32At(stateLengthAt, stateId) == length && sameUnits(stateData(stateId), stringData(string), length);
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
    if (i32At(stateHashAt, state) == hash && i32At(stateLengthAt, state) == length && sameUnits(stateData(state), data, length)) return state;
    slot = (slot + 1) & mask;
  }
  return addState(data, length, hash, slot);
}

/** The id of the state `stateId` followed by string `string`, built if new. */
function appendToState(stateId: i32, string: i32): i32 {
  const headLength = i32At(stateLengthAt, stateId);
  const tailLength = stringLength(string);
  const length = headLength + tailLength;
  const hash = i32At(stateHashAt, stateId) * i32At(stringPowerAt, string) + i32At(stringHashAt, string);
  const head = stateData(stateId);
  const tail = stringData(string);
  const mask = stateTableCapacity - 1;
  let slot = mixHash(hash) & mask;
  for (;;) {
    const state = i32At(stateTableAt, slot);
    if (state == NONE) break;
    if (i32At(stateHashAt, state) == hash && i32At(stateLengthAt, state) == length) {
      const data = stateData(state);
      if (sameUnits(data, head, headLength) && sameUnits(data + ((<usize>headLength) << 1), tail, tailLength)) return state;
    }
    slot = (slot + 1) & mask;
  }
  const data = alloc(<usize>length << 1);
  memory.copy(data, head, <usize>headLength << 1);
  memory.copy(data + ((<usize>headLength) << 1), tail, <usize>tailLength << 1);
  return addState(data, length, hash, slot);
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
