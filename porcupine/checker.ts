/**
 * The entry points: check a history of operations or of events against a model, with or
 * without a time limit, with or without the data for the visualization.
 *
 * Malformed input throws (see errors.ts) instead of yielding a verdict: a history where a
 * client overlaps itself or time runs backwards is a bug in the recorder, and calling it
 * "Illegal" would send the reader hunting for a bug in the system under test.
 */
import { deadlineAfter, isPast } from './clock.ts';
import { buildEntryList } from './entries.ts';
import {
  eventsToOperations,
  partitionEventOperations,
  partitionOperations,
  validateOperations,
} from './history.ts';
import { fillDefaults } from './model.ts';
import { stepsLikeKvModel } from './kv.ts';
import { checkKvFast, isPlainKvModel } from './kv-fast.ts';
import { summarizePartition } from './partials.ts';
import { searchInParallel, threadsWouldTake } from './parallel.ts';
import { searchPartition, type SearchOutcome } from './search.ts';
import type {
  CheckResult,
  Event,
  FullModel,
  LinearizationInfo,
  Model,
  Operation,
  PartitionLinearization,
  VerboseResult,
} from './types.ts';

/** Whether the history is linearizable; searches as long as it takes. */
export function checkOperations<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[]): boolean {
  return checkOperationsTimeout(model, history, 0) === 'Ok';
}

/**
 * Checks the history, giving up with `Unknown` after `timeoutMs` of real time (0: no limit).
 * Stops at the first partition that is not linearizable.
 */
export function checkOperationsTimeout<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  timeoutMs: number,
): CheckResult {
  const deadline = deadlineAfter(timeoutMs);
  const full = fillDefaults(model);
  const fast = useKvFast(model, history) ? checkKvFast(full as FullModel<unknown, I, O>, history, deadline, false) : undefined;
  if (fast !== undefined) return fast.result;
  validateOperations(full, history);
  return checkPartitions(full, partitionOperations(full, history), deadline, false, stepsLikeKvModel(model)).result;
}

/**
 * Checks every partition (it does not stop at the first failure) and returns, with the
 * verdict, the partial linearizations that `visualize` draws.
 */
export function checkOperationsVerbose<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  timeoutMs: number,
): VerboseResult<I, O> {
  const deadline = deadlineAfter(timeoutMs);
  const full = fillDefaults(model);
  const fast = useKvFast(model, history) ? checkKvFast(full as FullModel<unknown, I, O>, history, deadline, true) : undefined;
  if (fast !== undefined) return fast;
  validateOperations(full, history);
  return checkPartitions(full, partitionOperations(full, history), deadline, true, stepsLikeKvModel(model));
}

/** Whether the check goes to the one-pass key/value search (kv-fast.ts) rather than the general one. */
function useKvFast<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[]): boolean {
  return isPlainKvModel(model) && !threadsWouldTake(history.length);
}

/** `checkOperations` for an event history. */
export function checkEvents<S, I, O>(model: Model<S, I, O>, events: readonly Event<I, O>[]): boolean {
  return checkEventsTimeout(model, events, 0) === 'Ok';
}

/** `checkOperationsTimeout` for an event history. */
export function checkEventsTimeout<S, I, O>(
  model: Model<S, I, O>,
  events: readonly Event<I, O>[],
  timeoutMs: number,
): CheckResult {
  const deadline = deadlineAfter(timeoutMs);
  const full = fillDefaults(model);
  return checkPartitions(full, eventPartitions(full, events), deadline, false, stepsLikeKvModel(model)).result;
}

/**
 * `checkOperationsVerbose` for an event history. The operations in the returned info carry
 * event positions as their `call` and `return` times.
 */
export function checkEventsVerbose<S, I, O>(
  model: Model<S, I, O>,
  events: readonly Event<I, O>[],
  timeoutMs: number,
): VerboseResult<I, O> {
  const deadline = deadlineAfter(timeoutMs);
  const full = fillDefaults(model);
  return checkPartitions(full, eventPartitions(full, events), deadline, true, stepsLikeKvModel(model));
}

function eventPartitions<S, I, O>(model: FullModel<S, I, O>, events: readonly Event<I, O>[]): Operation<I, O>[][] {
  const converted = eventsToOperations(events);
  validateOperations(model, converted.operations);
  return partitionEventOperations(model, events, converted);
}

/**
 * Searches every partition under one deadline: on several threads when that pays (see
 * parallel.ts), else one after another. Any `Illegal` makes the whole history `Illegal`;
 * otherwise any partition left unfinished makes it `Unknown`.
 */
function checkPartitions<S, I, O>(
  model: FullModel<S, I, O>,
  partitions: readonly Operation<I, O>[][],
  deadline: number,
  verbose: boolean,
  kvSteps: boolean,
): VerboseResult<I, O> {
  const searchLocally = (partitionIndex: number): SearchOutcome => {
    const operations = partitions[partitionIndex]!;
    return searchPartition({ model, operations, list: buildEntryList(operations), partitionIndex, deadline, recordPartials: verbose, kvSteps });
  };
  const outcomes =
    searchInParallel(model, model.workerModule, partitions, deadline, verbose, kvSteps, searchLocally) ??
    searchInTurn(partitions.length, deadline, verbose, searchLocally);

  const summaries: PartitionLinearization<I, O>[] = [];
  let illegal = false;
  let unfinished = false;
  for (let partitionIndex = 0; partitionIndex < partitions.length; partitionIndex++) {
    const outcome = outcomes[partitionIndex];
    // Unsearched: out of time, or the verdict was already Illegal.
    const result: CheckResult = outcome?.result ?? 'Unknown';
    if (result === 'Illegal') illegal = true;
    if (result === 'Unknown') unfinished = true;
    if (verbose) summaries.push(summarizePartition(partitions[partitionIndex]!, result, outcome?.longest ?? []));
  }
  const result: CheckResult = illegal ? 'Illegal' : unfinished ? 'Unknown' : 'Ok';
  const info: LinearizationInfo<I, O> = { partitions: summaries };
  return { result, info };
}

/** The partitions one after another in this thread, stopping where the verdict is known or time is up. */
function searchInTurn(
  count: number,
  deadline: number,
  verbose: boolean,
  searchLocally: (partitionIndex: number) => SearchOutcome,
): (SearchOutcome | undefined)[] {
  const outcomes = new Array<SearchOutcome | undefined>(count);
  for (let partitionIndex = 0; partitionIndex < count; partitionIndex++) {
    if (isPast(deadline)) break; // the remaining partitions stay unjudged
    const outcome = searchLocally(partitionIndex);
    outcomes[partitionIndex] = outcome;
    if (outcome.result === 'Unknown') break;
    if (outcome.result === 'Illegal' && !verbose) break;
  }
  return outcomes;
}
