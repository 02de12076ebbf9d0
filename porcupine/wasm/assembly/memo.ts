// The memo: (linearized set, state id) configurations already explored, in an open-addressed
// table; the bits of every recorded set live one after another in word pools (a new pool when
// one is full: nothing is copied, and memory is touched only as sets are recorded).
//
// A set is recorded by its window: the words from the first that is not all ones to the last
// that is not zero. Every word below the window is all ones and every word above it zero, so
// the window (with where it starts) names the set exactly, and two sets are equal iff their
// windows are. The search linearizes operations roughly in order, so a set is mostly a run
// of ones and a few words of frontier: on one key of thousands of operations, a window is a
// word or two where the whole set is dozens.
import { NONE, alloc, i32At, mixHash, setI32 } from './memory';

// The linearized set of the search: its words and how many.
let wordsAt: usize = 0;
let wordCount: i32 = 0;
// Bounds on the window, kept as the search sets and clears bits: every word below lowHint is
// all ones, every word above highHint is zero. `window` narrows them to the window itself.
let lowHint: i32 = 0;
let highHint: i32 = -1;
// The window of the set being looked up: where it starts and how many words (see `window`).
let windowLow: i32 = 0;
let windowCount: i32 = 0;

let memoCapacity: i32 = 0;
let memoUsed: i32 = 0;
let memoHashesAt: usize = 0;
let memoWordsAtAt: usize = 0; // per slot: the address of its record (window start, count, words), or -1
let memoStatesAt: usize = 0;
let poolAt: usize = 0;
let poolUsed: i32 = 0;
let poolCapacity: i32 = 0;

/** Empties the memo for a search whose set (all zero) has `words32` words at `words`. */
export function memoReset(words: usize, words32: i32, expected: i32): void {
  wordsAt = words;
  wordCount = words32;
  lowHint = 0;
  highHint = -1;
  let capacity: i32 = 1024;
  while (capacity < 2 * expected && capacity < (1 << 22)) capacity <<= 1;
  memoAllocate(capacity);
  memoUsed = 0;
  poolCapacity = 1024;
  poolAt = alloc(<usize>poolCapacity << 2);
  poolUsed = 0;
}

/** The search set a bit in word `word`. */
@inline export function memoWordSet(word: i32): void {
  if (word > highHint) highHint = word;
}

/** The search cleared a bit in word `word`. */
@inline export function memoWordCleared(word: i32): void {
  if (word < lowHint) lowHint = word;
}

function memoAllocate(capacity: i32): void {
  memoCapacity = capacity;
  memoHashesAt = alloc(<usize>capacity << 2);
  memoWordsAtAt = alloc(<usize>capacity << 2);
  memoStatesAt = alloc(<usize>capacity << 2);
  memory.fill(memoWordsAtAt, 0xff, <usize>capacity << 2);
}

/**
 * Records (the current set, stateId), whose Zobrist hash is `setHash`; false when it was
 * recorded already.
 */
export function memoAddIfNew(setHash: i32, stateId: i32): bool {
  const hash = setHash ^ ((stateId + 1) * 0x9e3779b1);
  const mask = memoCapacity - 1;
  let slot = mixHash(hash) & mask;
  let known = false;
  for (;;) {
    const at = i32At(memoWordsAtAt, slot);
    if (at == NONE) break;
    if (i32At(memoHashesAt, slot) == hash && i32At(memoStatesAt, slot) == stateId) {
      if (!known) {
        window();
        known = true;
      }
      if (sameWindow(<usize>at)) return false;
    }
    slot = (slot + 1) & mask;
  }
  if (!known) window();
  setI32(memoHashesAt, slot, hash);
  setI32(memoStatesAt, slot, stateId);
  setI32(memoWordsAtAt, slot, storeWindow());
  if (++memoUsed * 2 > memoCapacity) memoGrow();
  return true;
}

/** Narrows the hints to the current set's window: windowLow and windowCount. */
function window(): void {
  let low = lowHint;
  while (low < wordCount && i32At(wordsAt, low) == -1) low++;
  let high = highHint;
  while (high >= low && i32At(wordsAt, high) == 0) high--;
  lowHint = low;
  // Words below `low` are all ones, so none above max(high, low - 1) holds a bit.
  highHint = max(high, low - 1);
  windowLow = low;
  windowCount = high - low + 1;
}

function sameWindow(record: usize): bool {
  if (i32At(record, 0) != windowLow || i32At(record, 1) != windowCount) return false;
  const stored = record + 8;
  const current = wordsAt + ((<usize>windowLow) << 2);
  for (let i = 0; i < windowCount; i++) if (i32At(stored, i) != i32At(current, i)) return false;
  return true;
}

function storeWindow(): i32 {
  const size = windowCount + 2;
  if (poolUsed + size > poolCapacity) {
    poolCapacity = max(2 * poolCapacity, size);
    poolAt = alloc(<usize>poolCapacity << 2);
    poolUsed = 0;
  }
  const at = poolAt + ((<usize>poolUsed) << 2);
  setI32(at, 0, windowLow);
  setI32(at, 1, windowCount);
  memory.copy(at + 8, wordsAt + ((<usize>windowLow) << 2), <usize>windowCount << 2);
  poolUsed += size;
  return <i32>at;
}

function memoGrow(): void {
  const oldCapacity = memoCapacity;
  const oldHashes = memoHashesAt;
  const oldWordsAt = memoWordsAtAt;
  const oldStates = memoStatesAt;
  memoAllocate(2 * oldCapacity);
  const mask = memoCapacity - 1;
  for (let old = 0; old < oldCapacity; old++) {
    const at = i32At(oldWordsAt, old);
    if (at == NONE) continue;
    const hash = i32At(oldHashes, old);
    let slot = mixHash(hash) & mask;
    while (i32At(memoWordsAtAt, slot) != NONE) slot = (slot + 1) & mask;
    setI32(memoHashesAt, slot, hash);
    setI32(memoWordsAtAt, slot, at);
    setI32(memoStatesAt, slot, i32At(oldStates, old));
  }
}
