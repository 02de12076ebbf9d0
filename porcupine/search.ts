/**
 * The Wing–Gong linearizability search with Lowe's memoization, on one partition.
 *
 * Walk the entry list from its head. At a call entry, try to linearize that operation now:
 * if the model accepts its output in the current state and the resulting configuration
 * (linearized set, state) is new, unlink it, push it on the stack and restart from the head.
 * Otherwise move on to the next entry. Reaching a return entry means its operation should
 * already be linearized and is not: backtrack (pop, relink, try the entry after the popped
 * call). The list empties: linearizable. The stack empties at a return: not linearizable.
 */
import { Bitset } from './bitset.ts';
import { isPast } from './clock.ts';
import { ABORT, HEARTBEAT } from './control.ts';
import { type EntryList, NONE, unlift } from './entries.ts';
import { ModelError, ModelStepError, describeThrown } from './errors.ts';
import { EqualError, MemoCache } from './memo.ts';
import { describeStateSafely, operationForHumans, shallowEqual } from './model.ts';
import type { CheckResult, FullModel, Operation } from './types.ts';

/** How many loop turns between looks at the clock: a clock read costs far more than a turn. */
const TURNS_PER_CLOCK_READ = 1024;

export interface SearchRequest<S, I, O> {
  readonly model: FullModel<S, I, O>;
  readonly operations: readonly Operation<I, O>[];
  readonly list: EntryList<I, O>;
  /** For error messages. */
  readonly partitionIndex: number;
  /** Real time (see clock.ts) at which to give up; Infinity for never. */
  readonly deadline: number;
  /** Whether to record, per operation, the longest partial linearization containing it. */
  readonly recordPartials: boolean;
  /**
   * Shared with the caller when the search runs on a checker thread (see worker.ts): the
   * search stops as soon as `control[ABORT]` is set, and bumps `control[HEARTBEAT]`.
   */
  readonly control?: Int32Array;
}


export interface SearchOutcome {
  readonly result: CheckResult;
  /**
   * Per operation, the longest partial linearization found that contains it (operation
   * indices in order; shared arrays), when recording. Undefined entries: never linearized.
   */
  readonly longest: readonly (readonly number[] | undefined)[];
}

/** Searches one partition for a linearization. */
export function searchPartition<S, I, O>(request: SearchRequest<S, I, O>): SearchOutcome {
  const { model, list, deadline, recordPartials, control } = request;
  const { operationOf, matchOf, next, prev, inputs, outputs } = list;
  const operationCount = list.operationCount;
  const recorder = new PartialRecorder(operationCount, recordPartials);
  const linearized = new Bitset(operationCount);
  const cache = new MemoCache<S>(model.equal, model.equal === shallowEqual, linearized.words.length, 4 * operationCount);
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

/** `model.step` returned something other than `[ok, newState]`. */
class StepShapeError extends Error {
  constructor(readonly returned: unknown) {
    super('bad step result');
  }
}

/** Turns a failure inside the loop into an error that names the operation (or the memo's equal). */
function searchError<S, I, O>(request: SearchRequest<S, I, O>, state: S, operation: number, error: unknown): Error {
  if (error instanceof StepShapeError) {
    return stepError(request, state, operation, `returned ${String(error.returned)} instead of [ok, newState]`, undefined);
  }
  if (error instanceof EqualError) return new ModelError(`model.equal threw: ${describeThrown(error.thrown)}`, { cause: error.thrown });
  return stepError(request, state, operation, `threw ${describeThrown(error)}`, error);
}

function initialState<S, I, O>(model: FullModel<S, I, O>): S {
  try {
    return model.init();
  } catch (error) {
    throw new ModelError(`model.init threw: ${describeThrown(error)}`, { cause: error });
  }
}

function stepError<S, I, O>(
  request: SearchRequest<S, I, O>,
  state: S,
  operation: number,
  what: string,
  cause: unknown,
): ModelStepError {
  const { model, operations, partitionIndex } = request;
  return new ModelStepError(
    `model.step ${what} on operation ${operation} of partition ${partitionIndex} ` +
      `(${operationForHumans(model, operations[operation])}) in state ${describeStateSafely(model, state)}. ` +
      `Fix the model's step, or the history's input that it cannot handle.`,
    partitionIndex,
    operation,
    cause,
  );
}

/**
 * Keeps, per operation, the longest partial linearization seen that contains it.
 *
 * At a dead end with `depth` operations on the stack, the stack improves the record of some
 * operation only if one of them has a record shorter than `depth`. Records only grow, so
 * `prefixMin[k]`, the least record among stack positions 0..k when last computed, is a lower
 * bound: where it is at least `depth`, nothing improves and the dead end costs O(1) instead
 * of a walk down the stack (which made verbose checks several times slower than plain ones).
 */
class PartialRecorder {
  readonly longest: (readonly number[] | undefined)[];
  private readonly longestLength: Int32Array;
  private readonly prefixMin: Int32Array;

  constructor(
    operationCount: number,
    private readonly enabled: boolean,
  ) {
    this.longest = enabled ? new Array<readonly number[] | undefined>(operationCount).fill(undefined) : [];
    this.longestLength = new Int32Array(enabled ? operationCount : 0);
    this.prefixMin = new Int32Array(enabled ? operationCount : 0);
  }

  /** `operation` was pushed at stack position `position`. */
  pushed(position: number, operation: number): void {
    const own = this.longestLength[operation]!;
    const below = position === 0 ? own : this.prefixMin[position - 1]!;
    this.prefixMin[position] = own < below ? own : below;
  }

  /** Called where the search is stuck: the stack is a maximal linearizable prefix. */
  record(stackCalls: Int32Array, operationOf: Int32Array, depth: number): void {
    if (!this.enabled || depth === 0 || this.prefixMin[depth - 1]! >= depth) return;
    const { longestLength, prefixMin } = this;
    let sequence: number[] | undefined;
    let least = 0x7fffffff;
    for (let k = 0; k < depth; k++) {
      const operation = operationOf[stackCalls[k]!]!;
      if (longestLength[operation]! < depth) {
        if (sequence === undefined) {
          sequence = new Array<number>(depth);
          for (let j = 0; j < depth; j++) sequence[j] = operationOf[stackCalls[j]!]!;
        }
        longestLength[operation] = depth;
        this.longest[operation] = sequence;
      }
      const length = longestLength[operation]!;
      if (length < least) least = length;
      prefixMin[k] = least;
    }
  }

  /** The search succeeded: the stack is a full linearization, the longest for everyone. */
  recordComplete(stackCalls: Int32Array, operationOf: Int32Array, depth: number): void {
    if (!this.enabled) return;
    const sequence = new Array<number>(depth);
    for (let k = 0; k < depth; k++) sequence[k] = operationOf[stackCalls[k]!]!;
    this.longest.fill(sequence);
  }
}
