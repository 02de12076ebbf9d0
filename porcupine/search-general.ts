/**
 * The search loop for models with their own `equal` (see search.ts for the algorithm): the
 * memo keeps the states themselves and compares them with `model.equal`.
 */
import { Bitset } from './bitset.ts';
import { isPast } from './clock.ts';
import { ABORT, HEARTBEAT, TURNS_PER_CLOCK_READ } from './control.ts';
import { NONE, unlift } from './entries.ts';
import { MemoCache } from './memo.ts';
import { PartialRecorder } from './partial-recorder.ts';
import { StepShapeError, initialState, searchError } from './search-failures.ts';
import type { SearchOutcome, SearchRequest } from './search.ts';

/** Searches one partition, comparing states with `model.equal`. */
export function searchWithEqual<S, I, O>(request: SearchRequest<S, I, O>): SearchOutcome {
  const { model, list, deadline, recordPartials, control } = request;
  const { operationOf, matchOf, next, prev, inputs, outputs } = list;
  const operationCount = list.operationCount;
  const recorder = new PartialRecorder(operationCount, recordPartials);
  const linearized = new Bitset(operationCount);
  const cache = new MemoCache<S>(model.equal, linearized.words.length, 4 * operationCount);
  const stepFunction = model.step;
  // The stack of linearized calls and the state before each: parallel, preallocated arrays.
  const stackCalls = new Int32Array(operationCount);
  const stackStates: S[] = new Array<S>(operationCount);
  let depth = 0;
  let state = initialState(model);
  let entry = next[0]!;
  let turns = 0;
  let operation = -1;

  // One loop, no calls but the model's and the memo's: a cold first check runs it before the
  // engine has optimized anything, so every call and allocation here shows in its time.
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
          const newState = outcome[1];
          linearized.set(operation);
          if (cache.addIfNew(linearized, newState)) {
            stackCalls[depth] = entry;
            stackStates[depth] = state;
            if (recordPartials) recorder.pushed(depth, operation);
            depth++;
            state = newState;
            // Unlink the call and its return (see entries.ts).
            next[prev[entry]!] = next[entry]!;
            if (next[entry] !== NONE) prev[next[entry]!] = prev[entry]!;
            next[prev[ret]!] = next[ret]!;
            if (next[ret] !== NONE) prev[next[ret]!] = prev[ret]!;
            entry = next[0]!;
            continue;
          }
          linearized.clear(operation);
        }
        entry = next[entry]!;
      } else {
        if (depth === 0) return { result: 'Illegal', longest: recorder.longest };
        recorder.record(stackCalls, operationOf, depth);
        depth--;
        entry = stackCalls[depth]!;
        state = stackStates[depth]!;
        linearized.clear(operationOf[entry]!);
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

