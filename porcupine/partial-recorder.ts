/** The per-operation record of the longest partial linearization, for verbose checks. */
/**
 * Keeps, per operation, the longest partial linearization seen that contains it.
 *
 * At a dead end with `depth` operations on the stack, the stack improves the record of some
 * operation only if one of them has a record shorter than `depth`. Records only grow, so
 * `prefixMin[k]`, the least record among stack positions 0..k when last computed, is a lower
 * bound: where it is at least `depth`, nothing improves and the dead end costs O(1) instead
 * of a walk down the stack (which made verbose checks several times slower than plain ones).
 */
export class PartialRecorder {
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
