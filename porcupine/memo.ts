/**
 * The memo of configurations already explored: (set of linearized operations, state). If
 * the search reaches one again by another order, everything below it was already tried.
 */
import type { Bitset } from './bitset.ts';

interface Slot<S> {
  readonly bits: Uint32Array;
  /** States seen with these bits: a Set under identity equality, else a list scanned with `equal`. */
  readonly states: Set<S> | S[];
}

/**
 * Configurations bucketed by the bitset's hash. Under identity equality (the default, and
 * what the KV model uses: its states are strings) states go in a Set, which matters: many
 * orders of concurrent appends give many states for one bitset, and scanning them with
 * `equal` made the search quadratic in their number.
 */
export class MemoCache<S> {
  private readonly buckets = new Map<number, Slot<S>[]>();

  constructor(
    private readonly equal: (a: S, b: S) => boolean,
    private readonly identityEquality: boolean,
  ) {}

  /**
   * Records (bitset, state) and returns true, or returns false if it was already there.
   * Copies the bits only when it records, so a hit allocates nothing.
   */
  addIfNew(bitset: Bitset, state: S): boolean {
    let bucket = this.buckets.get(bitset.hash);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(bitset.hash, bucket);
    }
    for (let i = 0; i < bucket.length; i++) {
      const slot = bucket[i];
      if (!bitset.equalsSnapshot(slot.bits)) continue;
      return this.addState(slot.states, state);
    }
    bucket.push({ bits: bitset.snapshot(), states: this.identityEquality ? new Set([state]) : [state] });
    return true;
  }

  private addState(states: Set<S> | S[], state: S): boolean {
    if (states instanceof Set) {
      if (states.has(state)) return false;
      states.add(state);
      return true;
    }
    for (let j = 0; j < states.length; j++) if (this.equal(states[j], state)) return false;
    states.push(state);
    return true;
  }
}
