/** A few lines of text saying where a history stops being linearizable, for failure reports. */
import { describeStateSafely, fillDefaults, operationForHumans } from './model.ts';
import type { LinearizationInfo, Model } from './types.ts';

/** How many steps of the longest linearization to show before the failure. */
const STEPS_SHOWN = 5;

/**
 * Describes the first failure (by the failed operation's return time) in the info of a
 * verbose check, or returns undefined if no partition is `Illegal`.
 */
export function describeFailure<S, I, O>(model: Model<S, I, O>, info: LinearizationInfo<I, O>): string | undefined {
  const full = fillDefaults(model);
  let chosen = -1;
  for (let index = 0; index < info.partitions.length; index++) {
    const partition = info.partitions[index];
    if (partition.result !== 'Illegal') continue;
    if (chosen === -1) {
      chosen = index;
      continue;
    }
    const best = info.partitions[chosen];
    if (partition.operations[partition.failedOperation].return < best.operations[best.failedOperation].return) {
      chosen = index;
    }
  }
  if (chosen === -1) return undefined;

  const partition = info.partitions[chosen];
  const sequence = partition.partialLinearizations[0] ?? [];
  const lines: string[] = [];
  let state = full.init();
  const states = [state];
  for (const operation of sequence) {
    const { input, output } = partition.operations[operation];
    state = full.step(state, input, output)[1];
    states.push(state);
  }
  lines.push(
    `not linearizable: partition ${chosen} (${partition.operations.length} operations); ` +
      `the longest linearization found covers ${sequence.length} of them.`,
  );
  const first = Math.max(0, sequence.length - STEPS_SHOWN);
  if (first > 0) lines.push(`  ... ${first} earlier steps`);
  for (let k = first; k < sequence.length; k++) {
    const operation = partition.operations[sequence[k]];
    lines.push(`  ${k + 1}. ${operationForHumans(full, operation)}  => ${describeStateSafely(full, states[k + 1])}`);
  }
  const failed = partition.operations[partition.failedOperation];
  lines.push(
    `  stuck at ${operationForHumans(full, failed)}: it must take effect before it returns, ` +
      `and no order the search tried allows it (the longest linearization ends in state ` +
      `${describeStateSafely(full, state)}).`,
  );
  return lines.join('\n');
}
