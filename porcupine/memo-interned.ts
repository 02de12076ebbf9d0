/**
 * The memo of explored configurations for models whose states compare by identity (the
 * default `equal`): states are interned to small integers (see search-interned.ts), so a
 * configuration is (linearized set, state id) and the table needs no call to the model.
 *
 * An open-addressing table in typed arrays; the bits of every recorded set live one after
 * another in a single word pool. A configuration's hash mixes the set's Zobrist hash with
 * its state id, so the many states one set can reach land in different slots.
 */
import { poolWithRoom } from './search-memory.ts';

/** Slots start at this many and double when half full. */
const initialCapacity = 1 << 10;

export class InternedMemo {
  private capacity = initialCapacity;
  private mask = initialCapacity - 1;
  private used = 0;
  /** Per slot: the configuration's hash; meaningful where `wordsAt` is not -1. */
  private hashes = new Int32Array(initialCapacity);
  /** Per slot: offset of its bits in `pool`, or -1 for an empty slot. */
  private wordsAt = new Int32Array(initialCapacity).fill(-1);
  private stateIds = new Int32Array(initialCapacity);
  private pool = new Uint32Array(1024);
  private poolUsed = 0;
  private wordCount = 1;

  constructor() {
    // Store other values in every field now: the engine treats a field that kept its first
    // value as a constant, and optimized search code that relied on it was thrown away
    // (deoptimized) mid-check the first time `reset` or `grow` replaced an array.
    this.allocate(initialCapacity >> 1);
    this.allocate(initialCapacity);
    this.pool = new Uint32Array(1024);
    this.poolUsed = 1;
    this.poolUsed = 0;
    this.wordCount = 2;
    this.wordCount = 1;
    this.used = 1;
    this.used = 0;
    // Take the paths an easy search rarely takes (a probe past a full slot, a hit), so that
    // the engine has seen them before it optimizes the search: optimized code that meets a
    // path it never saw is thrown away mid-check. Then forget these entries.
    this.reset(1, 1);
    // Enough calls that the engine has started recording feedback (it does not at first).
    // Equal hashes and states with different bits: probes past full slots, then hits.
    const words = new Uint32Array(1);
    for (let round = 0; round < 4; round++) {
      for (let bits = 0; bits < 16; bits++) {
        words[0] = bits;
        this.addIfNew(words, 0, round & 1);
      }
    }
    this.reset(1, 1);
  }

  private allocate(capacity: number): void {
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.hashes = new Int32Array(capacity);
    this.wordsAt = new Int32Array(capacity).fill(-1);
    this.stateIds = new Int32Array(capacity);
  }

  /**
   * Empties the table for a partition whose sets take `wordCount` words, making room for
   * about `expected` configurations (the table grows past it). Reuses the arrays: a cold
   * check of many partitions would otherwise allocate and zero them once per partition.
   */
  reset(wordCount: number, expected: number): void {
    this.wordCount = wordCount;
    let capacity = this.capacity;
    while (capacity < 2 * expected && capacity < 1 << 22) capacity *= 2;
    if (capacity !== this.capacity) this.allocate(capacity);
    else this.wordsAt.fill(-1);
    this.used = 0;
    this.poolUsed = 0;
    const poolWords = Math.min(wordCount * expected, 1 << 23);
    if (this.pool.length < poolWords) this.pool = new Uint32Array(poolWords);
  }

  /**
   * Records (set, state) and returns true, or returns false if it was already there.
   * `words` and `setHash` are the set's bits and Zobrist hash. Copies the bits only when it
   * records, so a hit allocates nothing.
   */
  addIfNew(words: Uint32Array, setHash: number, stateId: number): boolean {
    const hash = (setHash ^ Math.imul(stateId + 1, 0x9e3779b1)) | 0;
    const wordCount = this.wordCount;
    const { hashes, wordsAt, stateIds, pool, mask } = this;
    let slot = mix(hash) & mask;
    for (;;) {
      const at = wordsAt[slot]!;
      if (at === -1) break;
      if (hashes[slot] === hash && stateIds[slot] === stateId && sameWords(pool, at, words, wordCount)) return false;
      slot = (slot + 1) & mask;
    }
    hashes[slot] = hash;
    stateIds[slot] = stateId;
    wordsAt[slot] = this.store(words);
    if (++this.used * 2 > this.capacity) this.grow();
    return true;
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
    const { hashes, wordsAt, stateIds, capacity } = this;
    this.allocate(2 * capacity);
    for (let old = 0; old < capacity; old++) {
      if (wordsAt[old] === -1) continue;
      let slot = mix(hashes[old]!) & this.mask;
      while (this.wordsAt[slot] !== -1) slot = (slot + 1) & this.mask;
      this.hashes[slot] = hashes[old]!;
      this.wordsAt[slot] = wordsAt[old]!;
      this.stateIds[slot] = stateIds[old]!;
    }
  }
}

function sameWords(pool: Uint32Array, at: number, words: Uint32Array, wordCount: number): boolean {
  for (let i = 0; i < wordCount; i++) if (pool[at + i] !== words[i]) return false;
  return true;
}

/** Spreads a hash over the low bits that pick the slot. */
function mix(hash: number): number {
  const h = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}
