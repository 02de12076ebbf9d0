// The memo: (linearized set, state id) configurations already explored, in an open-addressed
// table; the bits of every recorded set live one after another in word pools (a new pool when
// one is full: nothing is copied, and memory is touched only as sets are recorded).
import { NONE, alloc, i32At, mixHash, setI32 } from './memory';

// The linearized set of the search: its words and how many.
let wordsAt: usize = 0;
let wordCount: i32 = 0;

let memoCapacity: i32 = 0;
let memoUsed: i32 = 0;
let memoHashesAt: usize = 0;
let memoWordsAtAt: usize = 0; // per slot: the address of its bits, or -1
let memoStatesAt: usize = 0;
let poolAt: usize = 0;
let poolUsed: i32 = 0;
let poolCapacity: i32 = 0;

export function memoReset(words: usize, words32: i32, expected: i32): void {
  wordsAt = words;
  wordCount = words32;
  let capacity: i32 = 1024;
  while (capacity < 2 * expected && capacity < (1 << 22)) capacity <<= 1;
  memoAllocate(capacity);
  memoUsed = 0;
  // Room for a few sets (or 4 KiB) at first; each new pool doubles.
  poolCapacity = max(wordCount * 64, 1024);
  poolAt = alloc(<usize>poolCapacity << 2);
  poolUsed = 0;
}

function memoAllocate(capacity: i32): void {
  memoCapacity = capacity;
  memoHashesAt = alloc(<usize>capacity << 2);
  memoWordsAtAt = alloc(<usize>capacity << 2);
  memoStatesAt = alloc(<usize>capacity << 2);
  memory.fill(memoWordsAtAt, 0xff, <usize>capacity << 2);
}

export function memoAddIfNew(setHash: i32, stateId: i32): bool {
  const hash = setHash ^ ((stateId + 1) * 0x9e3779b1);
  const mask = memoCapacity - 1;
  let slot = mixHash(hash) & mask;
  for (;;) {
    const at = i32At(memoWordsAtAt, slot);
    if (at == NONE) break;
    if (i32At(memoHashesAt, slot) == hash && i32At(memoStatesAt, slot) == stateId && sameWords(at)) return false;
    slot = (slot + 1) & mask;
  }
  setI32(memoHashesAt, slot, hash);
  setI32(memoStatesAt, slot, stateId);
  setI32(memoWordsAtAt, slot, storeWords());
  if (++memoUsed * 2 > memoCapacity) memoGrow();
  return true;
}

function sameWords(at: i32): bool {
  const stored = <usize>at;
  for (let i = 0; i < wordCount; i++) if (i32At(stored, i) != i32At(wordsAt, i)) return false;
  return true;
}

function storeWords(): i32 {
  if (poolUsed + wordCount > poolCapacity) {
    poolCapacity *= 2;
    poolAt = alloc(<usize>poolCapacity << 2);
    poolUsed = 0;
  }
  const at = poolAt + ((<usize>poolUsed) << 2);
  memory.copy(at, wordsAt, <usize>wordCount << 2);
  poolUsed += wordCount;
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
