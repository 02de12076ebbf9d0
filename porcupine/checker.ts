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
import { summarizePartition } from './partials.ts';
import { searchPartition } from './search.ts';
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
  validateOperations(full, history);
  return checkPartitions(full, partitionOperations(full, history), deadline, false).result;
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
  validateOperations(full, history);
  return checkPartitions(full, partitionOperations(full, history), deadline, true);
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
  return checkPartitions(full, eventPartitions(full, events), deadline, false).result;
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
  return checkPartitions(full, eventPartitions(full, events), deadline, true);
}

function eventPartitions<S, I, O>(model: FullModel<S, I, O>, events: readonly Event<I, O>[]): Operation<I, O>[][] {
  const converted = eventsToOperations(events);
  validateOperations(model, converted.operations);
  return partitionEventOperations(model, events, converted);
}

/**
 * Searches partition after partition under one deadline. Any `Illegal` makes the whole
 * history `Illegal`; otherwise any partition left unfinished makes it `Unknown`.
 */
function checkPartitions<S, I, O>(
  model: FullModel<S, I, O>,
  partitions: readonly Operation<I, O>[][],
  deadline: number,
  verbose: boolean,
): VerboseResult<I, O> {
  const summaries: PartitionLinearization<I, O>[] = [];
  let illegal = false;
  let unfinished = false;
  for (let partitionIndex = 0; partitionIndex < partitions.length; partitionIndex++) {
    const operations = partitions[partitionIndex];
    if (unfinished || isPast(deadline)) {
      // Out of time: the remaining partitions stay unjudged.
      unfinished = true;
      if (verbose) summaries.push(summarizePartition(operations, 'Unknown', []));
      continue;
    }
    const outcome = searchPartition({
      model,
      operations,
      list: buildEntryList(operations),
      partitionIndex,
      deadline,
      recordPartials: verbose,
    });
    if (verbose) summaries.push(summarizePartition(operations, outcome.result, outcome.longest));
    if (outcome.result === 'Unknown') unfinished = true;
    if (outcome.result === 'Illegal') {
      illegal = true;
      if (!verbose) break;
    }
  }
  const result: CheckResult = illegal ? 'Illegal' : unfinished ? 'Unknown' : 'Ok';
  const info: LinearizationInfo<I, O> = { partitions: summaries };
  return { result, info };
}
