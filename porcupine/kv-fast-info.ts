/**
 * A fast key/value check's verbose data (kv-fast.ts): copied out of the module's memory as
 * the check runs, and assembled into the `LinearizationInfo` the view and the explanations
 * read only when `partitions` is first read. A test run checks every history verbosely but
 * reads the info only when a history is not linearizable, so a passing check does not pay
 * for it.
 */
import { summarizePartition } from './partials.ts';
import type { SearchOutcome } from './search.ts';
import type { CheckResult, LinearizationInfo, Operation, PartitionLinearization } from './types.ts';

/** What a verbose fast check keeps, all of it out of the module's memory. */
export interface KvFastVerboseData<I, O> {
  /** The history as checked (a copy of the array: the caller may reuse its own). */
  readonly history: readonly Operation<I, O>[];
  /** History indices grouped by partition, and where each partition starts (one more at the end). */
  readonly operations: Int32Array;
  readonly starts: Int32Array;
  /** Per partition: its verdict, undefined where the deadline came first. */
  readonly results: readonly (CheckResult | undefined)[];
  /** Per linearizable partition: its linearization (local indices in order). */
  readonly complete: readonly (Int32Array | undefined)[];
  /** Per other judged partition: each operation's longest partial linearization. */
  readonly longest: readonly (SearchOutcome['longest'] | undefined)[];
}

/** The info for `data`, assembled when `partitions` is first read (then kept). */
export function lazyKvInfo<I, O>(data: KvFastVerboseData<I, O>): LinearizationInfo<I, O> {
  let partitions: readonly PartitionLinearization<I, O>[] | undefined;
  return {
    get partitions(): readonly PartitionLinearization<I, O>[] {
      partitions ??= assemble(data);
      return partitions;
    },
  };
}

function assemble<I, O>(data: KvFastVerboseData<I, O>): PartitionLinearization<I, O>[] {
  const { history, operations, starts } = data;
  const summaries: PartitionLinearization<I, O>[] = [];
  for (let partition = 0; partition + 1 < starts.length; partition++) {
    const start = starts[partition]!;
    const part = new Array<Operation<I, O>>(starts[partition + 1]! - start);
    for (let k = 0; k < part.length; k++) part[k] = history[operations[start + k]!]!;
    const linearization = data.complete[partition];
    summaries.push(
      linearization !== undefined
        ? linearized(part, numbers(linearization))
        : summarizePartition(part, data.results[partition] ?? 'Unknown', data.longest[partition] ?? []),
    );
  }
  return summaries;
}

/** The values of `array` as an array of numbers (a loop: faster than Array.from on a cold engine). */
function numbers(array: Int32Array): number[] {
  const result = new Array<number>(array.length);
  for (let k = 0; k < array.length; k++) result[k] = array[k]!;
  return result;
}

/** A linearizable partition's data for the view: what summarizePartition gives when every operation holds `sequence`. */
function linearized<I, O>(operations: Operation<I, O>[], sequence: readonly number[]): PartitionLinearization<I, O> {
  return { operations, result: 'Ok', partialLinearizations: [sequence], longestContaining: new Array<number>(operations.length).fill(0), failedOperation: -1 };
}
