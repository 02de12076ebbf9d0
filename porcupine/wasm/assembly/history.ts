// The history as the host writes it (times, clients, kinds, strings as UTF-16 code units),
// and what `prepare` derives from it: clients checked, strings hashed, operations grouped by
// key into partitions ordered as JavaScript sorts the keys.
import { NONE, alloc, currentTop, f64At, i32At, mixHash, resetTop, sameUnits, setI32 } from './memory';
import { BY_KEY_TEXT, mergeSort } from './sort';

/** Operation kinds, as the host numbers them. */
export const GET: i32 = 0;
export const PUT: i32 = 1;
export const APPEND_RETURN: i32 = 3;


export let count: i32 = 0;
export let stringCount: i32 = 0;
export let callsAt: usize = 0; // f64 per operation
export let returnsAt: usize = 0; // f64
export let clientsAt: usize = 0; // i32
export let kindsAt: usize = 0; // i32 (the host may set ANSWER_NOT_A_STRING; prepare clears it)
// Numbered by prepare (numberStrings) from the kinds, in the order the host wrote the strings:
export let keyStringAt: usize = 0; // i32: the string holding the operation's key
export let valueStringAt: usize = 0; // i32: the string a put or append writes, else -1
export let answerStringAt: usize = 0; // i32: the string a get or appendReturn answered; -2 not a string; else -1
export let stringStartAt: usize = 0; // i32 per string + 1: where it starts in `units`
export let unitsAt: usize = 0; // u16: every string's UTF-16 code units, one after another

/** Strings: their hash (see hashString). */
export let stringHashAt: usize = 0;

// Partitions: one per distinct key, ordered by key.
export let partitionCount: i32 = 0;
export let partStartAt: usize = 0; // i32 per partition + 1
export let partOpsAt: usize = 0; // i32: history indices grouped by partition, in history order
export let workAt: usize = 0; // where one partition's working memory starts

/**
 * Makes room for a history of `n` operations and up to 3n strings (a key, a written value
 * and an answer each). The host then fills the arrays (see the `*Pointer` exports: times,
 * clients, kinds and where each string starts, an operation's strings in the order key,
 * value, answer) and calls `reserveUnits`.
 */
export function reserve(n: i32): void {
  resetTop(__heap_base);
  count = n;
  const size = <usize>n;
  callsAt = alloc(size << 3);
  returnsAt = alloc(size << 3);
  clientsAt = alloc(size << 2);
  kindsAt = alloc(size << 2);
  keyStringAt = alloc(size << 2);
  valueStringAt = alloc(size << 2);
  answerStringAt = alloc(size << 2);
  stringStartAt = alloc((3 * size + 1) << 2);
}

/** Makes room for the code units of the `strings` strings the host wrote, `units` in all. */
export function reserveUnits(strings: i32, units: i32): void {
  stringCount = strings;
  unitsAt = alloc(<usize>units << 1);
}

export function callsPointer(): usize { return callsAt; }
export function returnsPointer(): usize { return returnsAt; }
export function clientsPointer(): usize { return clientsAt; }
export function kindsPointer(): usize { return kindsAt; }
export function stringStartsPointer(): usize { return stringStartAt; }
export function unitsPointer(): usize { return unitsAt; }

@inline export function stringData(string: i32): usize {
  return unitsAt + ((<usize>i32At(stringStartAt, string)) << 1);
}
@inline export function stringLength(string: i32): i32 {
  return i32At(stringStartAt, string + 1) - i32At(stringStartAt, string);
}

/**
 * Checks each client's operations are sequential, hashes the strings and groups operations
 * by key, partitions ordered by key. Returns 0 when the history is fine, 1 when the host
 * must validate it itself (a client overlaps itself or lists its operations out of call
 * order, or a time is malformed; the host's validation then names the problem or accepts).
 */
export function prepare(): i32 {
  numberStrings();
  const suspicious = checkClients();
  hashStrings();
  groupByKey();
  workAt = currentTop();
  return suspicious;
}

/** Set in a kind by the host: the operation's answer is not a string (so no state equals it). */
const ANSWER_NOT_A_STRING: i32 = 4;

/**
 * Numbers each operation's strings as the host wrote them (its key, then the value it
 * writes unless a get, then its answer for a get or appendReturn when that is a string), and
 * clears the host's flag from the kinds.
 */
function numberStrings(): void {
  let next: i32 = 0;
  for (let i = 0; i < count; i++) {
    const flagged = i32At(kindsAt, i);
    const kind = flagged & 3;
    setI32(kindsAt, i, kind);
    setI32(keyStringAt, i, next++);
    let value: i32 = NONE;
    if (kind != GET) value = next++;
    setI32(valueStringAt, i, value);
    let answer: i32 = NONE;
    if (kind == GET || kind == APPEND_RETURN) answer = (flagged & ANSWER_NOT_A_STRING) != 0 ? -2 : next++;
    setI32(answerStringAt, i, answer);
  }
}

function checkClients(): i32 {
  const n = count;
  let suspicious: i32 = 0;
  // Per client, the latest operation so far: an open-addressed table of (client, index),
  // grown as clients come (a history has few, however long it is).
  const start = currentTop();
  clientTable(64);
  let clients: i32 = 0;
  for (let i = 0; i < n; i++) {
    const call = f64At(callsAt, i);
    const ret = f64At(returnsAt, i);
    if (!(call - call == 0) || ret != ret || ret < call) {
      suspicious = 1;
      continue;
    }
    const client = i32At(clientsAt, i);
    let slot = mixHash(client) & (clientCapacity - 1);
    for (;;) {
      const previous = i32At(clientLatestAt, slot);
      if (previous == NONE) {
        setI32(clientKeysAt, slot, client);
        setI32(clientLatestAt, slot, i);
        if (++clients * 2 > clientCapacity) growClientTable();
        break;
      }
      if (i32At(clientKeysAt, slot) == client) {
        const previousCall = f64At(callsAt, previous);
        const previousReturn = f64At(returnsAt, previous);
        if (call > previousCall || (call == previousCall && ret >= previousReturn)) {
          if (call < previousReturn) suspicious = 1;
          setI32(clientLatestAt, slot, i);
        } else {
          suspicious = 1;
        }
        break;
      }
      slot = (slot + 1) & (clientCapacity - 1);
    }
  }
  resetTop(start); // the table is no longer needed
  return suspicious;
}

// checkClients' table: client ids and, per slot, the client's latest operation (-1 empty).
let clientCapacity: i32 = 0;
let clientKeysAt: usize = 0;
let clientLatestAt: usize = 0;

function clientTable(capacity: i32): void {
  clientCapacity = capacity;
  clientKeysAt = alloc(<usize>capacity << 2);
  clientLatestAt = alloc(<usize>capacity << 2);
  memory.fill(clientLatestAt, 0xff, <usize>capacity << 2);
}

function growClientTable(): void {
  const oldCapacity = clientCapacity;
  const oldKeys = clientKeysAt;
  const oldLatest = clientLatestAt;
  clientTable(2 * oldCapacity);
  const mask = clientCapacity - 1;
  for (let old = 0; old < oldCapacity; old++) {
    const latest = i32At(oldLatest, old);
    if (latest == NONE) continue;
    const client = i32At(oldKeys, old);
    let slot = mixHash(client) & mask;
    while (i32At(clientLatestAt, slot) != NONE) slot = (slot + 1) & mask;
    setI32(clientKeysAt, slot, client);
    setI32(clientLatestAt, slot, latest);
  }
}

const HASH_BASE: i32 = 0x01000193;

/**
 * Hashes the keys and written values (an answer is hashed only when the search first meets a
 * state of its length: answers are often the longest strings, and many are never compared).
 */
function hashStrings(): void {
  stringHashAt = alloc(<usize>stringCount << 2);
  for (let i = 0; i < count; i++) {
    hashString(i32At(keyStringAt, i));
    const value = i32At(valueStringAt, i);
    if (value >= 0) hashString(value);
  }
}

/**
 * Hashes string `string` into stringHashAt: a polynomial hash of its code units, so that the
 * hash of a followed by b is a's hash times hashPower(b's length) plus b's hash.
 */
export function hashString(string: i32): void {
  const data = stringData(string);
  const length = stringLength(string);
  let hash: i32 = 0;
  for (let k = 0; k < length; k++) hash = hash * HASH_BASE + <i32>load<u16>(data + ((<usize>k) << 1));
  setI32(stringHashAt, string, hash);
}

/** The hash base to the power `length` (wrapping, as the hashes do). */
export function hashPower(length: i32): i32 {
  let power: i32 = 1;
  let base = HASH_BASE;
  for (let e = length; e != 0; e >>>= 1) {
    if (e & 1) power *= base;
    base *= base;
  }
  return power;
}

/** Orders two strings by their code units, as JavaScript's default sort does: <0, 0 or >0. */
function compareStrings(a: i32, b: i32): i32 {
  const dataA = stringData(a);
  const dataB = stringData(b);
  const lengthA = stringLength(a);
  const lengthB = stringLength(b);
  const shorter = min(lengthA, lengthB);
  for (let k = 0; k < shorter; k++) {
    const unitA = <i32>load<u16>(dataA + ((<usize>k) << 1));
    const unitB = <i32>load<u16>(dataB + ((<usize>k) << 1));
    if (unitA != unitB) return unitA - unitB;
  }
  return lengthA - lengthB;
}

/** Numbers the distinct keys, orders them, and groups the operations by key (stable). */
function groupByKey(): void {
  const n = count;
  // Distinct keys by content: an open-addressed table of key numbers, grown as keys come;
  // keyString per key.
  let capacity: i32 = 64;
  let mask = capacity - 1;
  let table = alloc(<usize>capacity << 2);
  memory.fill(table, 0xff, <usize>capacity << 2);
  const keyString = alloc(<usize>n << 2);
  const keyOf = alloc(<usize>n << 2);
  let keys: i32 = 0;
  for (let i = 0; i < n; i++) {
    const string = i32At(keyStringAt, i);
    const hash = i32At(stringHashAt, string);
    const length = stringLength(string);
    if (keys * 2 >= capacity) {
      capacity <<= 1;
      mask = capacity - 1;
      table = alloc(<usize>capacity << 2);
      memory.fill(table, 0xff, <usize>capacity << 2);
      for (let key = 0; key < keys; key++) {
        let slot = mixHash(i32At(stringHashAt, i32At(keyString, key))) & mask;
        while (i32At(table, slot) != NONE) slot = (slot + 1) & mask;
        setI32(table, slot, key);
      }
    }
    let slot = mixHash(hash) & mask;
    let key: i32 = NONE;
    for (;;) {
      const candidate = i32At(table, slot);
      if (candidate == NONE) break;
      const other = i32At(keyString, candidate);
      if (i32At(stringHashAt, other) == hash && stringLength(other) == length && sameUnits(stringData(other), stringData(string), length)) {
        key = candidate;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (key == NONE) {
      key = keys++;
      setI32(table, slot, key);
      setI32(keyString, key, string);
    }
    setI32(keyOf, i, key);
  }
  // Rank the keys by content.
  const order = alloc(<usize>keys << 2);
  const scratch = alloc(<usize>keys << 2);
  for (let key = 0; key < keys; key++) setI32(order, key, key);
  sortingKeyStrings = keyString;
  mergeSort(order, scratch, keys, BY_KEY_TEXT);
  const rankOf = scratch;
  for (let rank = 0; rank < keys; rank++) setI32(rankOf, i32At(order, rank), rank);
  partitionCount = keys;
  partStartAt = alloc(<usize>(keys + 1) << 2);
  memory.fill(partStartAt, 0, <usize>(keys + 1) << 2);
  for (let i = 0; i < n; i++) {
    const rank = i32At(rankOf, i32At(keyOf, i));
    setI32(keyOf, i, rank);
    setI32(partStartAt, rank + 1, i32At(partStartAt, rank + 1) + 1);
  }
  for (let p = 0; p < keys; p++) setI32(partStartAt, p + 1, i32At(partStartAt, p + 1) + i32At(partStartAt, p));
  partOpsAt = alloc(<usize>n << 2);
  const fill = order;
  memory.copy(fill, partStartAt, <usize>keys << 2);
  for (let i = 0; i < n; i++) {
    const rank = i32At(keyOf, i);
    const at = i32At(fill, rank);
    setI32(partOpsAt, at, i);
    setI32(fill, rank, at + 1);
  }
}

/** The key strings of the keys being sorted (see keyBefore). */
let sortingKeyStrings: usize = 0;

/** Whether key a's string sorts before key b's (of the keys being sorted). */
export function keyBefore(a: i32, b: i32): bool {
  return compareStrings(i32At(sortingKeyStrings, a), i32At(sortingKeyStrings, b)) < 0;
}

/** How many partitions (distinct keys) the history has. */
export function partitions(): i32 {
  return partitionCount;
}

/** Where partition p's operations start in `partitionOperations` (p = partitions() gives the end). */
export function partitionStart(p: i32): i32 {
  return i32At(partStartAt, p);
}

/** Where the grouped history indices live (i32 each). */
export function partitionOperations(): usize {
  return partOpsAt;
}
