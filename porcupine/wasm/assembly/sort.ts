// A stable merge sort of i32 codes in linear memory, by one of the module's orders.
import { i32At, setI32 } from './memory';
import { entryBefore } from './entries';
import { keyBefore } from './history';

/** Entries (2 * local operation + 1 for a return) by time; see entries.ts. */
export const BY_TIME: i32 = 0;
/** Keys by the code units of their strings; see history.ts. */
export const BY_KEY_TEXT: i32 = 1;

/**
 * Whether a sorts before b in `order`. An order is a number, not a function, so that each
 * comparison is a direct call the compiler inlines (a function value would be an indirect call).
 */
@inline function before(order: i32, a: i32, b: i32): bool {
  return order == BY_TIME ? entryBefore(a, b) : keyBefore(a, b);
}

/**
 * Sorts `length` i32 codes at `codes` in `order` (stable; `scratch` the same size): insertion
 * into runs of 8 first (most histories arrive nearly sorted), then bottom-up merges.
 */
export function mergeSort(codes: usize, scratch: usize, length: i32, order: i32): void {
  for (let start = 0; start < length; start += 8) {
    const end = min(start + 8, length);
    for (let i = start + 1; i < end; i++) {
      const code = i32At(codes, i);
      let j = i - 1;
      while (j >= start && before(order, code, i32At(codes, j))) {
        setI32(codes, j + 1, i32At(codes, j));
        j--;
      }
      setI32(codes, j + 1, code);
    }
  }
  let from = codes;
  let to = scratch;
  for (let width = 8; width < length; width <<= 1) {
    for (let start = 0; start < length; start += 2 * width) {
      const middle = min(start + width, length);
      const end = min(start + 2 * width, length);
      let i = start;
      let j = middle;
      let k = start;
      // Already in order: copy.
      if (middle >= end || !before(order, i32At(from, middle), i32At(from, middle - 1))) {
        memory.copy(to + ((<usize>start) << 2), from + ((<usize>start) << 2), <usize>(end - start) << 2);
        continue;
      }
      while (i < middle && j < end) {
        const a = i32At(from, i);
        const b = i32At(from, j);
        if (before(order, b, a)) {
          setI32(to, k++, b);
          j++;
        } else {
          setI32(to, k++, a);
          i++;
        }
      }
      while (i < middle) setI32(to, k++, i32At(from, i++));
      while (j < end) setI32(to, k++, i32At(from, j++));
    }
    const swap = from;
    from = to;
    to = swap;
  }
  if (from != codes) memory.copy(codes, from, <usize>length << 2);
}
