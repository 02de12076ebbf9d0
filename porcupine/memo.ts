/**
 * The memo of configurations already explored, for models with their own `equal`: (set of
 * linearized operations, state). If the search reaches one again by another order,
 * everything below it was already tried. (Models compared by `===` use memo-interned.ts.)
 *
 * An open-addressing hash table in typed arrays: no object per configuration, and the bits of
 * every recorded set live one after another in a single word pool. States that `equal` calls
 * the same may differ, so only the set's hash picks the slot (as in porcupine), and states
 * found under the same set are compared with `equal`.
 */
import type { Bitset } from './bitset.ts';
import { poolWithRoom } from './search-memory.ts';

/** Slots start at this many and double when half full. */
const initialCapacity = 1 << 10;

/** `model.equal` threw; the search reports it as a ModelError. */
export class EqualError extends Error {
  constructor(readonly thrown: unknown) {
    super('model.equal threw');
  }
}

export class MemoCache<S> {
  private capacity = initialCapacity;
  private mask = initialCapacity - 1;
  private used = 0;
  /** Per slot: the configuration's hash; meaningful where `wordsAt` is not -1. */
  private hashes = new Int32Array(initialCapacity);
  /** Per slot: offset of its bits in `pool`, or -1 for an empty slot. */
  private wordsAt = new Int32Array(initialCapacity).fill(-1);
  private states: S[] = new Array<S>(initialCapacity);
  private pool: Uint32Array;
  private poolUsed = 0;

  constructor(
    private readonly equal: (a: S, b: S) => boolean,
    private readonly wordCount: number,
    /** How many configurations to make room for at first (the table grows past it). */
    expected = 256,
  ) {
    // Room for the expected configurations up front: growing copies the pool, and on a
    // cold first check every copy runs before the engine has optimized anything.
    this.pool = new Uint32Array(Math.min(Math.max(1024, wordCount * expected), 1 << 23));
    while (this.capacity < 2 * expected && this.capacity < 1 << 22) this.capacity *= 2;
    this.mask = this.capacity - 1;
    this.hashes = new Int32Array(this.capacity);
    this.wordsAt = new Int32Array(this.capacity).fill(-1);
    this.states = new Array<S>(this.capacity);
  }

  /**
   * Records (bitset, state) and returns true, or returns false if it was already there.
   * Copies the bits only when it records, so a hit allocates nothing.
   */
  addIfNew(bitset: Bitset, state: S): boolean {
    const hash = bitset.hash;
    const words = bitset.words;
    const wordCount = this.wordCount;
    const { hashes, wordsAt, states, pool, mask } = this;
    let slot = mix(hash) & mask;
    for (;;) {
      const at = wordsAt[slot]!;
      if (at === -1) break;
      if (hashes[slot] === hash && sameWords(pool, at, words, wordCount) && this.sameState(states[slot]!, state)) return false;
      slot = (slot + 1) & mask;
    }
    hashes[slot] = hash;
    wordsAt[slot] = this.store(words);
    states[slot] = state;
    if (++this.used * 2 > this.capacity) this.grow();
    return true;
  }

  private sameState(a: S, b: S): boolean {
    try {
      return this.equal(a, b);
    } catch (error) {
      throw new EqualError(error);
    }
  }

  /** Appends the words to the pool; returns where they start. */
  private store(words: Uint32Array): number {
    const wordCount = this.wordCount;
    this.pool = poolWithRoom(this.pool, this.poolUsed, this.poolUsed + wordCount);
    const at = this.poolUsed;
    this.pool.set(words, at);
    this.poolUsed += wordCount;
    return at;
  }

  private grow(): void {
    const { hashes, wordsAt, states, capacity } = this;
    this.capacity = 2 * capacity;
    this.mask = this.capacity - 1;
    this.hashes = new Int32Array(this.capacity);
    this.wordsAt = new Int32Array(this.capacity).fill(-1);
    this.states = new Array<S>(this.capacity);
    for (let old = 0; old < capacity; old++) {
      if (wordsAt[old] === -1) continue;
      let slot = mix(hashes[old]!) & this.mask;
      while (this.wordsAt[slot] !== -1) slot = (slot + 1) & this.mask;
      this.hashes[slot] = hashes[old]!;
      this.wordsAt[slot] = wordsAt[old]!;
      this.states[slot] = states[old]!;
    }
  }
}

function sameWords(pool: Uint32Array, at: number, words: Uint32Array, wordCount: number): boolean {
  for (let i = 0; i < wordCount; i++) if (pool[at + i] !== words[i]) return false;
  return true;
}

/** Spreads a hash over the low bits that pick the slot. */
function mix(hash: number): number {
  let h = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}
