// Linear memory by hand: a bump allocator, typed loads and stores, hashing. Nothing in the
// module allocates managed objects.

/** Marks "none" in every index array. */
export const NONE: i32 = -1;

let top: usize = 0;

/** The host's: memory cannot grow any more (it throws, so this never returns). */
@external("env", "outOfMemory")
declare function outOfMemory(): void;

/** The most 64 KiB pages memory may grow to (for tests; else the whole 4 GiB). */
let pageLimit: i32 = 65536;

/** For tests: caps memory at `pages` pages (65536 lifts the cap). */
export function limitPagesForTests(pages: i32): void {
  pageLimit = pages;
}

/** Reserves `bytes` (8-aligned) at the top of memory, growing it as needed. */
export function alloc(bytes: usize): usize {
  const at = (top + 7) & ~(<usize>7);
  const end = at + bytes;
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = (end - have + 0xffff) >> 16;
    if (<usize>memory.size() + pages > <usize>pageLimit || memory.grow(<i32>pages) < 0) {
      outOfMemory();
      unreachable();
    }
  }
  top = end;
  return at;
}

/** Moves the top of memory back (or to `__heap_base` at the start of a check). */
export function resetTop(at: usize): void {
  top = at;
}

/** The current top of memory. */
export function currentTop(): usize {
  return top;
}

@inline export function i32At(base: usize, index: i32): i32 {
  return load<i32>(base + ((<usize>index) << 2));
}
@inline export function setI32(base: usize, index: i32, value: i32): void {
  store<i32>(base + ((<usize>index) << 2), value);
}
@inline export function f64At(base: usize, index: i32): f64 {
  return load<f64>(base + ((<usize>index) << 3));
}
@inline export function setF64(base: usize, index: i32, value: f64): void {
  store<f64>(base + ((<usize>index) << 3), value);
}
/** Whether `length` code units at a and at b are the same (eight bytes at a time). */
export function sameUnits(a: usize, b: usize, length: i32): bool {
  const bytes = (<usize>length) << 1;
  const wide = bytes & ~(<usize>7);
  for (let k: usize = 0; k < wide; k += 8) if (load<u64>(a + k) != load<u64>(b + k)) return false;
  for (let k = wide; k < bytes; k += 2) if (load<u16>(a + k) != load<u16>(b + k)) return false;
  return true;
}

@inline export function mixHash(hash: i32): i32 {
  const h = (hash ^ (hash >>> 16)) * 0x85ebca6b;
  return h ^ (h >>> 13);
}

export function mix32(value: i32): i32 {
  let h = value * 0x9e3779b9;
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}
