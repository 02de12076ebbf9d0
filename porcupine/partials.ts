/** Turns the search's per-operation records into the per-partition visualization data. */
import type { SearchOutcome } from './search.ts';
import type { CheckResult, Operation, PartitionLinearization } from './types.ts';

/** The distinct partial linearizations (longest first), who is in which, and where it failed. */
export function summarizePartition<I, O>(
  operations: readonly Operation<I, O>[],
  result: CheckResult,
  longest: SearchOutcome['longest'],
): PartitionLinearization<I, O> {
  // The search shares one array among all operations of a sequence: dedupe by identity.
  const indexOf = new Map<readonly number[], number>();
  const distinct: (readonly number[])[] = [];
  for (const sequence of longest) {
    if (sequence !== undefined && !indexOf.has(sequence)) {
      indexOf.set(sequence, distinct.length);
      distinct.push(sequence);
    }
  }
  // Stable sort: equal lengths keep the order the search found them in.
  const partialLinearizations = distinct
    .map((sequence, order) => ({ sequence, order }))
    .sort((a, b) => b.sequence.length - a.sequence.length || a.order - b.order)
    .map(({ sequence }) => sequence);
  partialLinearizations.forEach((sequence, index) => indexOf.set(sequence, index));
  const longestContaining = operations.map((_, operation) => {
    const sequence = longest[operation];
    return sequence === undefined ? -1 : indexOf.get(sequence)!;
  });
  const failedOperation = result === 'Illegal' ? firstOutside(operations, partialLinearizations[0] ?? []) : -1;
  return { operations, result, partialLinearizations, longestContaining, failedOperation };
}

/** The earliest-returning operation not in `sequence` (ties: earlier call, then lower index). */
function firstOutside<I, O>(operations: readonly Operation<I, O>[], sequence: readonly number[]): number {
  const inside = new Set(sequence);
  let best = -1;
  for (let index = 0; index < operations.length; index++) {
    if (inside.has(index)) continue;
    if (best === -1 || earlier(operations[index], operations[best])) best = index;
  }
  return best;
}

function earlier<I, O>(a: Operation<I, O>, b: Operation<I, O>): boolean {
  return a.return < b.return || (a.return === b.return && a.call < b.call);
}
