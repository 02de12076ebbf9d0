// One partition's search: the loop, where it stands between calls, and the exports that
// drive it. The same Wing–Gong search with Lowe's memo as porcupine/search-interned.ts, for kvModel
// only, over flat arrays in linear memory. The host writes the history's times and every
// string it holds (keys, written values, answers) as UTF-16 code units. Per partition, states
// are interned by content to ids: a get is legal iff its answer is the state (compared once:
// see answeredByAt), a put's new state is its value's id, and an append's new state is built
// and interned the first time a (state, operation) pair needs it. It visits configurations
// in the same order as the JavaScript loop, so verdicts and partial linearizations are the
// same.

import { NONE, alloc, i32At, mix32, resetTop, setI32 } from './memory';
import { APPEND_RETURN, GET, PUT, answerStringAt, hashString, kindsAt, partOpsAt, partStartAt, stringLength, valueStringAt, workAt } from './history';
import { buildEntries, matchOfAt, nextAt, operationOfAt, prevAt } from './entries';
import { memoAddIfNew, memoReset, memoWordCleared, memoWordSet } from './memo';
import { appended, appendedReset, internString, isString, stateLength, statesReset } from './states';
import { abandon, popped, pushed, record, recordComplete, startRecorder } from './recorder';

/** What `search` and `resume` return. */
const OK: i32 = 0;
const ILLEGAL: i32 = 1;
const PAUSED: i32 = 3;

/**
 * Turns of the search loop per call: then it returns PAUSED and the host, having looked at
 * its clock, calls `resume`. Returning also lets the engine swap in optimized code for the
 * next call (it never replaces the code of a call that is running).
 */
const TURNS_PER_CALL: i32 = 1 << 14;

// The partition: m operations, local index → history index in `ops`.
let m: i32 = 0;
let opsAt: usize = 0;
// The linearized set: words, and Zobrist keys per local operation.
let wordCount: i32 = 0;
let wordsAt: usize = 0;
let zobristAt: usize = 0;
// The stack.
let stackCallsAt: usize = 0;
let stackStatesAt: usize = 0;
// Per local operation: its kind.
let localKindsAt: usize = 0;
// Per local operation: the string a put or append writes, else -1.
let valuesAt: usize = 0;
// Per local operation: a put's new state id; a get's or appendReturn's answer (a string, or
// -2 for an answer that is not a string, which no state equals).
let argsAt: usize = 0;
// Per local operation with an answer: the state found to equal it; else HASHED once its
// answer is hashed, -1 before. States are interned by content, so no other state can equal
// it: at most one comparison of content per answer, however many times the search tries it.
let answeredByAt: usize = 0;
const HASHED: i32 = -3;
// Whether this search records partial linearizations.
let recording = false;
/**
 * Starts the search of partition p. Returns 0 (linearizable), 1 (not), or 3 (paused: call
 * `resume`, or `giveUp` when out of time). With `verbose`, records the longest partial
 * linearization of every operation (see sequences).
 */
export function search(p: i32, verbose: i32): i32 {
  resetTop(workAt);
  const first = i32At(partStartAt, p);
  m = i32At(partStartAt, p + 1) - first;
  opsAt = partOpsAt + ((<usize>first) << 2);
  recording = verbose != 0;
  buildEntries(m, opsAt);
  wordCount = (m + 31) >>> 5;
  wordsAt = alloc(<usize>wordCount << 2);
  memory.fill(wordsAt, 0, <usize>wordCount << 2);
  zobristAt = alloc(<usize>m << 2);
  for (let i = 0; i < m; i++) setI32(zobristAt, i, collidingSets ? 0 : mix32(i + 1));
  stackCallsAt = alloc(<usize>m << 2);
  stackStatesAt = alloc(<usize>m << 2);
  statesReset(m);
  argsAt = alloc(<usize>m << 2);
  localKindsAt = alloc(<usize>m << 2);
  answeredByAt = alloc(<usize>m << 2);
  memory.fill(answeredByAt, 0xff, <usize>m << 2);
  valuesAt = alloc(<usize>m << 2);
  for (let operation = 0; operation < m; operation++) {
    const global = i32At(opsAt, operation);
    const kind = i32At(kindsAt, global);
    setI32(localKindsAt, operation, kind);
    setI32(valuesAt, operation, i32At(valueStringAt, global));
    let arg: i32 = NONE;
    if (kind == PUT) arg = internString(i32At(valueStringAt, global));
    else if (kind == GET || kind == APPEND_RETURN) arg = i32At(answerStringAt, global);
    setI32(argsAt, operation, arg);
  }
  startRecorder(recording, m, operationOfAt, stackCallsAt);
  memoReset(wordsAt, wordCount, 4 * m);
  appendedReset(m);
  runDepth = 0;
  runStateId = 0; // the initial state '' is id 0
  runSetHash = 0;
  runEntry = i32At(nextAt, 0);
  return run();
}

/** For tests: every set hashes alike, so the memo tells sets apart by content alone. */
let collidingSets = false;

/** For tests: with `on`, every linearized set hashes alike (see collidingSets). */
export function collideSetHashesForTests(on: i32): void {
  collidingSets = on != 0;
}

/** Continues a paused search; returns as `search` does. */
export function resume(): i32 {
  return run();
}

/** Ends a paused search unfinished, recording the partial linearization it stands on. */
export function giveUp(): void {
  abandon(runDepth);
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
  const answeredBy = answeredByAt;
  const values = valuesAt;
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
      if (kind == GET) newId = isAnswer(answeredBy, operation, stateId, i32At(args, operation)) ? stateId : -1;
      else if (kind == PUT) newId = i32At(args, operation);
      else if (kind == APPEND_RETURN && !isAnswer(answeredBy, operation, stateId, i32At(args, operation))) newId = -1;
      else newId = appended(stateId, operation, i32At(values, operation));
      if (newId >= 0) {
        const word = operation >>> 5;
        const wordAt = words + ((<usize>word) << 2);
        const bit = 1 << (operation & 31);
        store<i32>(wordAt, load<i32>(wordAt) | bit);
        memoWordSet(word);
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
        memoWordCleared(word);
        setHash ^= key;
      }
      entry = i32At(next, entry);
    } else {
      if (depth == 0) return ILLEGAL;
      if (verbose) {
        record(depth);
        popped(depth - 1);
      }
      depth--;
      entry = i32At(stackCalls, depth);
      stateId = i32At(stackStates, depth);
      const popped = i32At(operationOf, entry);
      const word = popped >>> 5;
      const wordAt = words + ((<usize>word) << 2);
      store<i32>(wordAt, load<i32>(wordAt) & ~(1 << (popped & 31)));
      memoWordCleared(word);
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

/** Whether state `stateId` is what `operation` answered (string `answer`); see answeredByAt. */
@inline function isAnswer(answeredBy: usize, operation: i32, stateId: i32, answer: i32): bool {
  const known = i32At(answeredBy, operation);
  if (known >= 0) return known == stateId;
  // An answer that is not a string (-2) is no state.
  if (answer < 0 || stateLength(stateId) != stringLength(answer)) return false;
  if (known == NONE) {
    hashString(answer);
    setI32(answeredBy, operation, HASHED);
  }
  if (!isString(stateId, answer)) return false;
  setI32(answeredBy, operation, stateId);
  return true;
}
