/**
 * The set of operations linearized so far, as bits in a Uint32Array, with a Zobrist hash
 * kept up to date on every change: each operation owns a random 32-bit key and the hash is
 * the XOR of the keys of the set bits, so adding or removing one costs O(1), not O(n).
 */

/** A fixed-size bitset over operation indices 0..size-1 that knows its own hash. */
export class Bitset {
  readonly words: Uint32Array;
  /** XOR of `zobristKey(i)` over the set bits. */
  hash = 0;
  private readonly keys: Int32Array;

  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
    this.keys = zobristKeys(size);
  }

  has(index: number): boolean {
    return (this.words[index >>> 5] & (1 << (index & 31))) !== 0;
  }

  /** Sets a bit that is clear (the search never sets one twice). */
  set(index: number): void {
    this.words[index >>> 5] |= 1 << (index & 31);
    this.hash ^= this.keys[index];
  }

  /** Clears a bit that is set. */
  clear(index: number): void {
    this.words[index >>> 5] &= ~(1 << (index & 31));
    this.hash ^= this.keys[index];
  }

  /** A copy of the bits, for the memo cache to keep. */
  snapshot(): Uint32Array {
    return this.words.slice();
  }

  /** Whether the bits equal a snapshot taken from a bitset of the same size. */
  equalsSnapshot(other: Uint32Array): boolean {
    const words = this.words;
    for (let i = 0; i < words.length; i++) if (words[i] !== other[i]) return false;
    return true;
  }
}

/** Keys depend only on the index, so one table, grown on demand, serves every bitset. */
let sharedKeys = new Int32Array(0);

/**
 * Zobrist keys for operations 0..size-1 (the table may be longer). Deterministic (a hash of
 * the index), so a check behaves the same on every run.
 */
export function zobristKeys(size: number): Int32Array {
  if (size > sharedKeys.length) {
    const keys = new Int32Array(Math.max(size, 2 * sharedKeys.length, 4096));
    for (let i = 0; i < keys.length; i++) keys[i] = mix32(i + 1);
    sharedKeys = keys;
  }
  return sharedKeys;
}

/** The murmur3 finalizer over a golden-ratio multiple: cheap and well spread. */
function mix32(value: number): number {
  let h = Math.imul(value, 0x9e3779b9);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
