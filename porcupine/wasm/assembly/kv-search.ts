// The key/value linearizability search compiled to WebAssembly (AssemblyScript source).
//
// The same Wing–Gong search with Lowe's memo as porcupine/search-interned.ts, for kvModel
// only, over flat arrays in linear memory. The host writes the history's times and every
// string it holds (keys, written values, answers) as UTF-16 code units. Per partition, states
// are interned by content to ids: a get is legal iff its answer's id is the state's id, a
// put's new state is its value's id, and an append's new state is built and interned the
// first time a (state, operation) pair needs it. It visits configurations in the same order
// as the JavaScript loop, so verdicts and partial linearizations are the same.
//
// Build: npm run build:wasm (see porcupine/wasm/build.mjs). Memory is managed by hand with a
// bump pointer; nothing here allocates managed objects.

// ---- constants -----------------------------------------------------------------------

const NONE: i32 = -1;
const GET: i32 = 0;
const PUT: i32 = 1;
// const APPEND: i32 = 2;
const APPEND_RETURN: i32 = 3;

const OK: i32 = 0;
const ILLEGAL: i32 = 1;
const PAUSED: i32 = 3;

/**
 * Turns of the search loop per call: then it returns PAUSED and the host, having looked at
 * its clock, calls `resume`. Returning also lets the engine swap in optimized code for the
 * next call (it never replaces the code of a call that is running).
 */
const TURNS_PER_CALL: i32 = 1 << 14;

// ---- memory ----------------------------------------------------------------------------

let top: usize = 0;

/** Reserves `bytes` (8-aligned) at the top of memory, growing it as needed. */
function alloc(bytes: usize): usize {
  const at = (top + 7) & ~(<usize>7);
  const end = at + bytes;
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  top = end;
  return at;
}

// ---- the history (written by the host) -------------------------------------------------

let count: i32 = 0;
let stringCount: i32 = 0;
let callsAt: usize = 0; // f64 per operation
let returnsAt: usize = 0; // f64
let clientsAt: usize = 0; // i32
let kindsAt: usize = 0; // i32
let keyStringAt: usize = 0; // i32: the string holding the operation's key
let valueStringAt: usize = 0; // i32: the string a put or append writes, else -1
let answerStringAt: usize = 0; // i32: the string a get or appendReturn answered; -2 not a string; else -1
let stringStartAt: usize = 0; // i32 per string + 1: where it starts in `units`
let unitsAt: usize = 0; // u16: every string's UTF-16 code units, one after another

/** Strings: their hash and the hash base to the power of their length. */
let stringHashAt: usize = 0;
let stringPowerAt: usize = 0;

// Partitions: one per distinct key, ordered by key.
let partitionCount: i32 = 0;
let partStartAt: usize = 0; // i32 per partition + 1
let partOpsAt: usize = 0; // i32: history indices grouped by partition, in history order
let workAt: usize = 0; // where one partition's working memory starts

/**
 * Makes room for a history of `n` operations holding `strings` strings of `units` UTF-16
 * code units in all. The host then fills the arrays (see the `*At` exports).
 */
export function reserve(n: i32, strings: i32, units: i32): void {
  top = __heap_base;
  count = n;
  stringCount = strings;
  const size = <usize>n;
  callsAt = alloc(size << 3);
  returnsAt = alloc(size << 3);
  clientsAt = alloc(size << 2);
  kindsAt = alloc(size << 2);
  keyStringAt = alloc(size << 2);
  valueStringAt = alloc(size << 2);
  answerStringAt = alloc(size << 2);
  stringStartAt = alloc(<usize>(strings + 1) << 2);
  unitsAt = alloc(<usize>units << 1);
}

export function callsPointer(): usize { return callsAt; }
export function returnsPointer(): usize { return returnsAt; }
export function clientsPointer(): usize { return clientsAt; }
export function kindsPointer(): usize { return kindsAt; }
export function keyStringsPointer(): usize { return keyStringAt; }
export function valueStringsPointer(): usize { return valueStringAt; }
export function answerStringsPointer(): usize { return answerStringAt; }
export function stringStartsPointer(): usize { return stringStartAt; }
export function unitsPointer(): usize { return unitsAt; }

@inline function i32At(base: usize, index: i32): i32 {
  return load<i32>(base + ((<usize>index) << 2));
}
@inline function setI32(base: usize, index: i32, value: i32): void {
  store<i32>(base + ((<usize>index) << 2), value);
}
@inline function f64At(base: usize, index: i32): f64 {
  return load<f64>(base + ((<usize>index) << 3));
}
@inline function stringData(string: i32): usize {
  return unitsAt + ((<usize>i32At(stringStartAt, string)) << 1);
}
@inline function stringLength(string: i32): i32 {
  return i32At(stringStartAt, string + 1) - i32At(stringStartAt, string);
}

/**
 * Checks each client's operations are sequential, hashes the strings and groups operations
 * by key, partitions ordered by key. Returns 0 when the history is fine, 1 when the host
 * must validate it itself (a client overlaps itself or lists its operations out of call
 * order, or a time is malformed; the host's validation then names the problem or accepts).
 */
export function prepare(): i32 {
  const suspicious = checkClients();
  hashStrings();
  groupByKey();
  workAt = top;
  return suspicious;
}

function checkClients(): i32 {
  const n = count;
  let suspicious: i32 = 0;
  // Per client, the latest operation so far: an open-addressed table of (client, index).
  let capacity: i32 = 16;
  while (capacity < 2 * n) capacity <<= 1;
  const mask = capacity - 1;
  const clientKeys = alloc(<usize>capacity << 2);
  const latest = alloc(<usize>capacity << 2);
  memory.fill(latest, 0xff, <usize>capacity << 2);
  for (let i = 0; i < n; i++) {
    const call = f64At(callsAt, i);
    const ret = f64At(returnsAt, i);
    if (!(call - call == 0) || ret != ret || ret < call) {
      suspicious = 1;
      continue;
    }
    const client = i32At(clientsAt, i);
    let slot = mixHash(client) & mask;
    for (;;) {
      const previous = i32At(latest, slot);
      if (previous == NONE) {
        setI32(clientKeys, slot, client);
        setI32(latest, slot, i);
        break;
      }
      if (i32At(clientKeys, slot) == client) {
        const previousCall = f64At(callsAt, previous);
        const previousReturn = f64At(returnsAt, previous);
        if (call > previousCall || (call == previousCall && ret >= previousReturn)) {
          if (call < previousReturn) suspicious = 1;
          setI32(latest, slot, i);
        } else {
          suspicious = 1;
        }
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  top = clientKeys; // the table is no longer needed
  return suspicious;
}

const HASH_BASE: i32 = 0x01000193;

/**
 * Hashes the keys and written values (answers are compared, never hashed: they are often the
 * longest strings and most are read once).
 */
function hashStrings(): void {
  stringHashAt = alloc(<usize>stringCount << 2);
  stringPowerAt = alloc(<usize>stringCount << 2);
  for (let i = 0; i < count; i++) {
    hashString(i32At(keyStringAt, i));
    const value = i32At(valueStringAt, i);
    if (value >= 0) hashString(value);
  }
}

function hashString(string: i32): void {
  const data = stringData(string);
  const length = stringLength(string);
  let hash: i32 = 0;
  let power: i32 = 1;
  for (let k = 0; k < length; k++) {
    hash = hash * HASH_BASE + <i32>load<u16>(data + ((<usize>k) << 1));
    power *= HASH_BASE;
  }
  setI32(stringHashAt, string, hash);
  setI32(stringPowerAt, string, power);
}

/** Whether `length` code units at a and at b are the same (eight bytes at a time). */
function sameUnits(a: usize, b: usize, length: i32): bool {
  const bytes = (<usize>length) << 1;
  const wide = bytes & ~(<usize>7);
  for (let k: usize = 0; k < wide; k += 8) if (load<u64>(a + k) != load<u64>(b + k)) return false;
  for (let k = wide; k < bytes; k += 2) if (load<u16>(a + k) != load<u16>(b + k)) return false;
  return true;
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
  // Distinct keys by content: an open-addressed table of key numbers; keyString per key.
  let capacity: i32 = 16;
  while (capacity < 2 * n) capacity <<= 1;
  const mask = capacity - 1;
  const table = alloc(<usize>capacity << 2);
  memory.fill(table, 0xff, <usize>capacity << 2);
  const keyString = alloc(<usize>n << 2);
  const keyOf = alloc(<usize>n << 2);
  let keys: i32 = 0;
  for (let i = 0; i < n; i++) {
    const string = i32At(keyStringAt, i);
    const hash = i32At(stringHashAt, string);
    const length = stringLength(string);
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
  sortKeys(order, scratch, keys, keyString);
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

/** Sorts key numbers by their strings (bottom-up merge sort). */
function sortKeys(keys: usize, scratch: usize, length: i32, keyString: usize): void {
  let from = keys;
  let to = scratch;
  for (let width = 1; width < length; width <<= 1) {
    for (let start = 0; start < length; start += 2 * width) {
      const middle = min(start + width, length);
      const end = min(start + 2 * width, length);
      let i = start;
      let j = middle;
      let k = start;
      while (i < middle && j < end) {
        const a = i32At(from, i);
        const b = i32At(from, j);
        if (compareStrings(i32At(keyString, b), i32At(keyString, a)) < 0) {
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
  if (from != keys) memory.copy(keys, from, <usize>length << 2);
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

// ---- one partition's search ------------------------------------------------------------

// The partition: m operations, local index → history index in `ops`.
let m: i32 = 0;
let opsAt: usize = 0;
// The entry list (see entries.ts): positions 1..2m in time order, 0 the head.
let operationOfAt: usize = 0;
let matchOfAt: usize = 0;
let nextAt: usize = 0;
let prevAt: usize = 0;
// The linearized set: words, and Zobrist keys per local operation.
let wordCount: i32 = 0;
let wordsAt: usize = 0;
let zobristAt: usize = 0;
// The stack.
let stackCallsAt: usize = 0;
let stackStatesAt: usize = 0;
// Per local operation: its kind.
let localKindsAt: usize = 0;
// Per local operation: a put's new state id; a get's or appendReturn's answer (a string, or
// -2 for an answer that is not a string, which no state equals).
let argsAt: usize = 0;
// Partial linearizations (verbose).
let recording = false;
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

/**
 * Starts the search of partition p. Returns 0 (linearizable), 1 (not), or 3 (paused: call
 * `resume`, or `giveUp` when out of time). With `verbose`, records the longest partial
 * linearization of every operation (see sequences).
 */
export function search(p: i32, verbose: i32): i32 {
  top = workAt;
  const first = i32At(partStartAt, p);
  m = i32At(partStartAt, p + 1) - first;
  opsAt = partOpsAt + ((<usize>first) << 2);
  recording = verbose != 0;
  buildEntries();
  wordCount = (m + 31) >>> 5;
  wordsAt = alloc(<usize>wordCount << 2);
  memory.fill(wordsAt, 0, <usize>wordCount << 2);
  zobristAt = alloc(<usize>m << 2);
  for (let i = 0; i < m; i++) setI32(zobristAt, i, mix32(i + 1));
  stackCallsAt = alloc(<usize>m << 2);
  stackStatesAt = alloc(<usize>m << 2);
  statesReset(m);
  argsAt = alloc(<usize>m << 2);
  localKindsAt = alloc(<usize>m << 2);
  for (let operation = 0; operation < m; operation++) {
    const global = i32At(opsAt, operation);
    const kind = i32At(kindsAt, global);
    setI32(localKindsAt, operation, kind);
    let arg: i32 = NONE;
    if (kind == PUT) arg = internString(i32At(valueStringAt, global));
    else if (kind == GET || kind == APPEND_RETURN) arg = i32At(answerStringAt, global);
    setI32(argsAt, operation, arg);
  }
  startRecorder();
  memoReset(4 * m);
  appendedReset(m);
  runDepth = 0;
  runStateId = 0; // the initial state '' is id 0
  runSetHash = 0;
  runEntry = i32At(nextAt, 0);
  return run();
}

/** Continues a paused search; returns as `search` does. */
export function resume(): i32 {
  return run();
}

/** Ends a paused search unfinished, recording the partial linearization it stands on. */
export function giveUp(): void {
  if (recording) record(runDepth);
}

// Where a paused search stands.
let runDepth: i32 = 0;
let runStateId: i32 = 0;
let runSetHash: i32 = 0;
let runEntry: i32 = 0;

function run(): i32 {
  // The arrays in locals: the baseline compiler that runs a cold module keeps locals in
  // registers but reloads globals on every use.
  const next = nextAt;
  const prev = prevAt;
  const matchOf = matchOfAt;
  const operationOf = operationOfAt;
  const kinds = localKindsAt;
  const args = argsAt;
  const words = wordsAt;
  const zobrist = zobristAt;
  const stackCalls = stackCallsAt;
  const stackStates = stackStatesAt;
  const verbose = recording;
  let depth = runDepth;
  let stateId = runStateId;
  let setHash = runSetHash;
  let entry = runEntry;
  let turns: i32 = 0;
  while (i32At(next, 0) != NONE) {
    if (++turns == TURNS_PER_CALL) {
      runDepth = depth;
      runStateId = stateId;
      runSetHash = setHash;
      runEntry = entry;
      return PAUSED;
    }
    const ret = i32At(matchOf, entry);
    if (ret != NONE) {
      const operation = i32At(operationOf, entry);
      const kind = i32At(kinds, operation);
      let newId: i32;
      if (kind == GET) newId = answers(stateId, i32At(args, operation)) ? stateId : -1;
      else if (kind == PUT) newId = i32At(args, operation);
      else if (kind == APPEND_RETURN && !answers(stateId, i32At(args, operation))) newId = -1;
      else newId = appended(stateId, operation);
      if (newId >= 0) {
        const wordAt = words + ((<usize>(operation >>> 5)) << 2);
        const bit = 1 << (operation & 31);
        store<i32>(wordAt, load<i32>(wordAt) | bit);
        const key = i32At(zobrist, operation);
        setHash ^= key;
        if (memoAddIfNew(setHash, newId)) {
          setI32(stackCalls, depth, entry);
          setI32(stackStates, depth, stateId);
          if (verbose) pushed(depth, operation);
          depth++;
          stateId = newId;
          // Unlink the call and its return.
          const entryNext = i32At(next, entry);
          const entryPrev = i32At(prev, entry);
          setI32(next, entryPrev, entryNext);
          if (entryNext != NONE) setI32(prev, entryNext, entryPrev);
          const retNext = i32At(next, ret);
          const retPrev = i32At(prev, ret);
          setI32(next, retPrev, retNext);
          if (retNext != NONE) setI32(prev, retNext, retPrev);
          entry = i32At(next, 0);
          continue;
        }
        store<i32>(wordAt, load<i32>(wordAt) & ~bit);
        setHash ^= key;
      }
      entry = i32At(next, entry);
    } else {
      if (depth == 0) return ILLEGAL;
      if (verbose) record(depth);
      depth--;
      entry = i32At(stackCalls, depth);
      stateId = i32At(stackStates, depth);
      const popped = i32At(operationOf, entry);
      const wordAt = words + ((<usize>(popped >>> 5)) << 2);
      store<i32>(wordAt, load<i32>(wordAt) & ~(1 << (popped & 31)));
      setHash ^= i32At(zobrist, popped);
      // Relink the return, then the call (the reverse of unlinking).
      const call = entry;
      const callReturn = i32At(matchOf, call);
      const retNext = i32At(next, callReturn);
      setI32(next, i32At(prev, callReturn), callReturn);
      if (retNext != NONE) setI32(prev, retNext, callReturn);
      const callNext = i32At(next, call);
      setI32(next, i32At(prev, call), call);
      if (callNext != NONE) setI32(prev, callNext, call);
      entry = i32At(next, entry);
    }
  }
  recordComplete(depth);
  return OK;
}

// ---- the entry list ----------------------------------------------------------------------

/**
 * Entries in time order; at equal times calls before returns, then by operation. An entry is
 * coded as 2 * local operation + (1 for a return).
 */
function buildEntries(): void {
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

// ---- the memo: (linearized set, state id) configurations already explored ----------------

let memoCapacity: i32 = 0;
let memoUsed: i32 = 0;
let memoHashesAt: usize = 0;
let memoWordsAtAt: usize = 0; // per slot: offset of its bits in the pool (words), or -1
let memoStatesAt: usize = 0;
let poolAt: usize = 0;
let poolUsed: i32 = 0;
let poolCapacity: i32 = 0;

function memoReset(expected: i32): void {
  let capacity: i32 = 1024;
  while (capacity < 2 * expected && capacity < (1 << 22)) capacity <<= 1;
  memoAllocate(capacity);
  memoUsed = 0;
  poolCapacity = max(wordCount * expected, 1024);
  poolAt = alloc(<usize>poolCapacity << 2);
  poolUsed = 0;
}

function memoAllocate(capacity: i32): void {
  memoCapacity = capacity;
  memoHashesAt = alloc(<usize>capacity << 2);
  memoWordsAtAt = alloc(<usize>capacity << 2);
  memoStatesAt = alloc(<usize>capacity << 2);
  memory.fill(memoWordsAtAt, 0xff, <usize>capacity << 2);
}

function memoAddIfNew(setHash: i32, stateId: i32): bool {
  const hash = setHash ^ ((stateId + 1) * 0x9e3779b1);
  const mask = memoCapacity - 1;
  let slot = mixHash(hash) & mask;
  for (;;) {
    const at = i32At(memoWordsAtAt, slot);
    if (at == NONE) break;
    if (i32At(memoHashesAt, slot) == hash && i32At(memoStatesAt, slot) == stateId && sameWords(at)) return false;
    slot = (slot + 1) & mask;
  }
  setI32(memoHashesAt, slot, hash);
  setI32(memoStatesAt, slot, stateId);
  setI32(memoWordsAtAt, slot, storeWords());
  if (++memoUsed * 2 > memoCapacity) memoGrow();
  return true;
}

function sameWords(at: i32): bool {
  const stored = poolAt + ((<usize>at) << 2);
  for (let i = 0; i < wordCount; i++) if (i32At(stored, i) != i32At(wordsAt, i)) return false;
  return true;
}

function storeWords(): i32 {
  if (poolUsed + wordCount > poolCapacity) {
    const capacity = max(2 * poolCapacity, poolUsed + wordCount);
    const bigger = alloc(<usize>capacity << 2);
    memory.copy(bigger, poolAt, <usize>poolUsed << 2);
    poolAt = bigger;
    poolCapacity = capacity;
  }
  const at = poolUsed;
  memory.copy(poolAt + ((<usize>at) << 2), wordsAt, <usize>wordCount << 2);
  poolUsed += wordCount;
  return at;
}

function memoGrow(): void {
  const oldCapacity = memoCapacity;
  const oldHashes = memoHashesAt;
  const oldWordsAt = memoWordsAtAt;
  const oldStates = memoStatesAt;
  memoAllocate(2 * oldCapacity);
  const mask = memoCapacity - 1;
  for (let old = 0; old < oldCapacity; old++) {
    const at = i32At(oldWordsAt, old);
    if (at == NONE) continue;
    const hash = i32At(oldHashes, old);
    let slot = mixHash(hash) & mask;
    while (i32At(memoWordsAtAt, slot) != NONE) slot = (slot + 1) & mask;
    setI32(memoHashesAt, slot, hash);
    setI32(memoWordsAtAt, slot, at);
    setI32(memoStatesAt, slot, i32At(oldStates, old));
  }
}

// ---- states: strings interned by content, per partition -----------------------------------

let stateCount: i32 = 0;
let stateCapacity: i32 = 0;
let stateDataAt: usize = 0; // per state: where its code units are
let stateLengthAt: usize = 0;
let stateHashAt: usize = 0;
let stateTableAt: usize = 0; // open addressing: state ids, -1 empty
let stateTableCapacity: i32 = 0;

/** Empties the state table and interns '' as state 0. */
function statesReset(expected: i32): void {
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
function answers(stateId: i32, string: i32): bool {
  if (string < 0) return false;
  const length = stringLength(string);
  return i32At(stateLengthAt, stateId) == length && sameUnits(stateData(stateId), stringData(string), length);
}

/** The id of the state equal to string `string`. */
function internString(string: i32): i32 {
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

// ---- appends: (state id, operation) → state id, built once ---------------------------------

let appendedCapacity: i32 = 0;
let appendedUsed: i32 = 0;
let appendedStatesAt: usize = 0; // per slot: state id before, or -1 for empty
let appendedOpsAt: usize = 0;
let appendedResultsAt: usize = 0;

function appendedReset(expected: i32): void {
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

function appended(stateId: i32, operation: i32): i32 {
  const mask = appendedCapacity - 1;
  let slot = mixHash(stateId * 0x3c6ef372 + operation) & mask;
  for (;;) {
    const state = i32At(appendedStatesAt, slot);
    if (state == NONE) break;
    if (state == stateId && i32At(appendedOpsAt, slot) == operation) return i32At(appendedResultsAt, slot);
    slot = (slot + 1) & mask;
  }
  const result = appendToState(stateId, i32At(valueStringAt, i32At(opsAt, operation)));
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

// ---- partial linearizations (the same bookkeeping as partial-recorder.ts) -----------------

function startRecorder(): void {
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

@inline function pushed(position: i32, operation: i32): void {
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
function record(depth: i32): void {
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
function recordComplete(depth: i32): void {
  if (!recording) return;
  const sequence = newSequence(depth);
  for (let operation = 0; operation < m; operation++) setI32(sequenceOfAt, operation, sequence);
}

// ---- hashing -----------------------------------------------------------------------------

@inline function mixHash(hash: i32): i32 {
  const h = (hash ^ (hash >>> 16)) * 0x85ebca6b;
  return h ^ (h >>> 13);
}

function mix32(value: i32): i32 {
  let h = value * 0x9e3779b9;
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}
