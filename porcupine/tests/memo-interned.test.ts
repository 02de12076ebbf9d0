/** The memo of (linearized set, state id): what counts as seen, across collisions, growth and reset. */
import { describe, expect, it } from 'vitest';
import { InternedMemo } from '../memo-interned.ts';

const golden = 0x9e3779b1;

describe('InternedMemo', () => {
  it('tells configurations apart by set and by state, even when their hashes collide', () => {
    const memo = new InternedMemo();
    memo.reset(2, 16);
    const words = Uint32Array.of(5, 1);
    expect(memo.addIfNew(words, 123, 0)).toBe(true);
    expect(memo.addIfNew(words, 123, 0)).toBe(false);
    // Same set, another state, a set hash chosen so that the configuration hash is the same.
    const colliding = 123 ^ Math.imul(1, golden) ^ Math.imul(2, golden);
    expect(memo.addIfNew(words, colliding, 1)).toBe(true);
    expect(memo.addIfNew(words, colliding, 1)).toBe(false);
    // Another set under the same hash and state.
    expect(memo.addIfNew(Uint32Array.of(5, 3), 123, 0)).toBe(true);
  });

  it('keeps everything while it grows, and forgets everything on reset', () => {
    const memo = new InternedMemo();
    memo.reset(1, 4);
    const words = new Uint32Array(1);
    for (let i = 0; i < 5_000; i++) {
      words[0] = i;
      expect(memo.addIfNew(words, i & 7, i % 3)).toBe(true);
    }
    for (let i = 0; i < 5_000; i++) {
      words[0] = i;
      expect(memo.addIfNew(words, i & 7, i % 3)).toBe(false);
    }
    memo.reset(1, 4);
    words[0] = 42;
    expect(memo.addIfNew(words, 42 & 7, 0)).toBe(true);
  });
});
