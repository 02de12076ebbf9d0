/**
 * The memo of configurations already explored: (set of linearized operations, state). If
 * the search reaches one again by another order, everything below it was already tried.
 */
import type { Bitset } from './bitset.ts';

/** Configurations bucketed by the bitset's hash; states compared with the model's `equal`. */
export class MemoCache<S> {
  private readonly buckets = new Map<number, { bits: Uint32Array; states: S[] }[]>();

  constructor(private readonly equal: (a: S, b: S) => boolean) {}

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
    // Group states under identical bitsets so a hash collision costs one bits comparison.
    for (let i = 0; i < bucket.length; i++) {
      const slot = bucket[i];
      if (!bitset.equalsSnapshot(slot.bits)) continue;
      const states = slot.states;
      for (let j = 0; j < states.length; j++) if (this.equal(states[j], state)) return false;
      states.push(state);
      return true;
    }
    bucket.push({ bits: bitset.snapshot(), states: [state] });
    return true;
  }
}
