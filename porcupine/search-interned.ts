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
import type { KvInput, KvOutput } from './kv.ts';
import { APPEND_RETURN, GET, PUT, appendState, putState, compileKvPartition, intern, type KvProgram, type StateTable } from './kv-program.ts';

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
  // Interned states: id → state, and state → id; the current state is `states[stateId]`.
  const table: StateTable<S> = { states: [], idOf: new Map<S, number>() };
  const states = table.states;
  let stateId = intern(table, initialState(model));
  const program = request.kvProgram ?? (request.kvSteps ? compileKvPartition(inputs as readonly unknown[] as KvInput[], outputs as readonly unknown[] as KvOutput[]) : undefined);
  const kinds = program?.kinds;
  const strings = table as unknown as StateTable<string>;
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
        // The state after linearizing the operation now, or -1 if its output is illegal.
        let newId: number;
        if (kinds !== undefined) {
          const kind = kinds[operation]!;
          if (kind === GET) newId = program!.answers[operation] === states[stateId] ? stateId : -1;
          else if (kind === PUT) newId = putState(program!, strings, operation);
          else if (kind === APPEND_RETURN && program!.answers[operation] !== states[stateId]) newId = -1;
          else newId = appendState(program!, strings, stateId, operation, operationCount);
        } else {
          const state = states[stateId]!;
          const outcome = stepFunction(state, inputs[operation]!, outputs[operation]!);
          if (!Array.isArray(outcome) || outcome.length !== 2) throw new StepShapeError(outcome);
          if (!outcome[0]) newId = -1;
          else if (outcome[1] === state) newId = stateId;
          else newId = intern(table, outcome[1] as S);
        }
        if (newId >= 0) {
          const word = operation >>> 5;
          const bit = 1 << (operation & 31);
          words[word] |= bit;
          setHash ^= keys[operation]!;
          if (memo.addIfNew(words, setHash, newId)) {
            stackCalls[depth] = entry;
            stackStateIds[depth] = stateId;
            if (recordPartials) recorder.pushed(depth, operation);
            depth++;
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
        const popped = operationOf[entry]!;
        words[popped >>> 5] &= ~(1 << (popped & 31));
        setHash ^= keys[popped]!;
        unlift(list, entry);
        entry = next[entry]!;
      }
    }
  } catch (error) {
    throw searchError(request, states[stateId]!, operation, error);
  }
  recorder.recordComplete(stackCalls, operationOf, depth);
  return { result: 'Ok', longest: recorder.longest };
}
