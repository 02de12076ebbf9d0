/**
 * The search loop for models whose states compare by identity, the default `equal` (see
 * search.ts for the algorithm). Every state the model returns is interned: equal states
 * (`===`, with NaN equal to itself) share one small integer id, so the memo compares and
 * hashes integers and never calls the model, and hashing a state costs one Map lookup in
 * the engine instead of a walk over it in JavaScript.
 *
 * The loop is written flat (the linearized set's bits and hash inline, no helper objects):
 * a cold first check runs it before the engine has optimized anything, where every call and
 * allocation shows in the time.
 */
import { zobristKeys } from './bitset.ts';
import { isPast } from './clock.ts';
import { ABORT, HEARTBEAT, TURNS_PER_CLOCK_READ } from './control.ts';
import { NONE, unlift } from './entries.ts';
import { InternedMemo } from './memo-interned.ts';
import { PartialRecorder } from './partial-recorder.ts';
import { StepShapeError, initialState, searchError } from './search-failures.ts';
import type { SearchOutcome, SearchRequest } from './search.ts';

/** One memo for every search of the process, reused so that each partition does not allocate its own. */
let sharedMemo: InternedMemo | undefined;
/** Whether `sharedMemo` is taken (a model's step could, in theory, start another check). */
let sharedMemoBusy = false;

/** Searches one partition whose model compares states with `===`. */
export function searchInterned<S, I, O>(request: SearchRequest<S, I, O>): SearchOutcome {
  const reuse = !sharedMemoBusy;
  const memo = reuse ? (sharedMemo ??= new InternedMemo()) : new InternedMemo();
  sharedMemoBusy = true;
  try {
    return searchWith(request, memo);
  } finally {
    if (reuse) sharedMemoBusy = false;
  }
}

function searchWith<S, I, O>(request: SearchRequest<S, I, O>, memo: InternedMemo): SearchOutcome {
  const { model, list, deadline, recordPartials, control } = request;
  const { operationOf, matchOf, next, prev, inputs, outputs } = list;
  const operationCount = list.operationCount;
  const recorder = new PartialRecorder(operationCount, recordPartials);
  // The linearized set: bits, and the XOR of the Zobrist keys of its members.
  const words = new Uint32Array((operationCount + 31) >>> 5);
  const keys = zobristKeys(operationCount);
  let setHash = 0;
  memo.reset(words.length, 4 * operationCount);
  const stepFunction = model.step;
  // The stack of linearized calls and the state id before each: parallel, preallocated.
  const stackCalls = new Int32Array(operationCount);
  const stackStateIds = new Int32Array(operationCount);
  let depth = 0;
  let state = initialState(model);
  // Interned states: id → state, and state → id.
  const states: S[] = [state];
  const idOf = new Map<S, number>();
  idOf.set(state, 0);
  let stateId = 0;
  let entry = next[0]!;
  let turns = 0;
  let operation = -1;

  try {
    while (next[0] !== NONE) {
      if (++turns === TURNS_PER_CLOCK_READ) {
        turns = 0;
        if (control !== undefined) Atomics.add(control, HEARTBEAT, 1);
        if (isPast(deadline) || (control !== undefined && Atomics.load(control, ABORT) !== 0)) {
          recorder.record(stackCalls, operationOf, depth);
          return { result: 'Unknown', longest: recorder.longest };
        }
      }
      const ret = matchOf[entry]!;
      if (ret !== NONE) {
        operation = operationOf[entry]!;
        const outcome = stepFunction(state, inputs[operation]!, outputs[operation]!);
        if (!Array.isArray(outcome) || outcome.length !== 2) throw new StepShapeError(outcome);
        if (outcome[0]) {
          const newState = outcome[1] as S;
          let newId: number | undefined = newState === state ? stateId : idOf.get(newState);
          if (newId === undefined) {
            newId = states.length;
            states.push(newState);
            idOf.set(newState, newId);
          }
          const word = operation >>> 5;
          const bit = 1 << (operation & 31);
          words[word] |= bit;
          setHash ^= keys[operation]!;
          if (memo.addIfNew(words, setHash, newId)) {
            stackCalls[depth] = entry;
            stackStateIds[depth] = stateId;
            if (recordPartials) recorder.pushed(depth, operation);
            depth++;
            state = newState;
            stateId = newId;
            // Unlink the call and its return (see entries.ts).
            next[prev[entry]!] = next[entry]!;
            if (next[entry] !== NONE) prev[next[entry]!] = prev[entry]!;
            next[prev[ret]!] = next[ret]!;
            if (next[ret] !== NONE) prev[next[ret]!] = prev[ret]!;
            entry = next[0]!;
            continue;
          }
          words[word] &= ~bit;
          setHash ^= keys[operation]!;
        }
        entry = next[entry]!;
      } else {
        if (depth === 0) return { result: 'Illegal', longest: recorder.longest };
        recorder.record(stackCalls, operationOf, depth);
        depth--;
        entry = stackCalls[depth]!;
        stateId = stackStateIds[depth]!;
        state = states[stateId]!;
        const popped = operationOf[entry]!;
        words[popped >>> 5] &= ~(1 << (popped & 31));
        setHash ^= keys[popped]!;
        unlift(list, entry);
        entry = next[entry]!;
      }
    }
  } catch (error) {
    throw searchError(request, state, operation, error);
  }
  recorder.recordComplete(stackCalls, operationOf, depth);
  return { result: 'Ok', longest: recorder.longest };
}
