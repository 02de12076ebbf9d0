/**
 * Running out of memory in a search: the memos grow their pools here, and what cannot be
 * allocated becomes `SearchOutOfMemory`, which the search turns into a `SearchMemoryError`
 * naming the partition (a typed array's RangeError would otherwise read as the model's fault).
 */

/** Inside a search: an array could not grow. The search names the partition (see searchError). */
export class SearchOutOfMemory extends Error {
  constructor() {
    super('the search ran out of memory');
  }
}

/** For tests: the most words a memo's pool may hold (Infinity: as many as the engine allows). */
let poolWordLimit = Infinity;

/** @internal For tests: caps every memo's pool at `words` (Infinity lifts it). Returns the previous cap. */
export function setSearchMemoryLimitForTests(words: number): number {
  const previous = poolWordLimit;
  poolWordLimit = words;
  return previous;
}

/**
 * A pool with room for `needed` words, its first `used` words those of `pool` (which is
 * returned as is when it has room). It at least doubles, so appending is amortized O(1).
 */
export function poolWithRoom<B extends ArrayBufferLike>(pool: Uint32Array<B>, used: number, needed: number): Uint32Array<B> | Uint32Array<ArrayBuffer> {
  if (needed <= pool.length) return pool;
  const length = Math.max(2 * pool.length, needed);
  if (length > poolWordLimit) throw new SearchOutOfMemory();
  let bigger: Uint32Array<ArrayBuffer>;
  try {
    bigger = new Uint32Array(length);
  } catch (error) {
    if (error instanceof RangeError) throw new SearchOutOfMemory();
    throw error;
  }
  bigger.set(pool.subarray(0, used));
  return bigger;
}
