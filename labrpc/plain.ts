/**
 * Which objects are plain data for the codec's fast paths (wire.ts's copier, v8-format.ts's
 * writer): instances of user classes are, since v8 sends their own enumerable properties;
 * instances of the engine's and the host's classes (Map, Date, typed arrays...) are not, since
 * their state is internal.
 */

/** Prototypes of the engine's and the host's classes: their instances have internal state. */
const builtinPrototypes = collectBuiltinPrototypes();
/** Per prototype: whether its instances are plain data (a user class, not extending a builtin). */
const plainClasses = new WeakMap<object, boolean>();

/** Whether an object with prototype `proto` is plain data: a user class that extends no builtin. */
export function isPlainClass(proto: unknown): boolean {
  if (typeof proto !== 'object' || proto === null) return false;
  const known = plainClasses.get(proto);
  if (known !== undefined) return known;
  let plain = true;
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    if (builtinPrototypes.has(p)) {
      plain = false;
      break;
    }
  }
  plainClasses.set(proto, plain);
  return plain;
}

function collectBuiltinPrototypes(): Set<object> {
  const prototypes = new Set<object>();
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    const value: unknown = descriptor?.value;
    if (typeof value !== 'function') continue;
    const prototype: unknown = (value as { prototype?: unknown }).prototype;
    if (typeof prototype === 'object' && prototype !== null && prototype !== Object.prototype) prototypes.add(prototype);
  }
  // Not globals, but with internal state all the same.
  prototypes.add(Object.getPrototypeOf(Uint8Array.prototype) as object);
  prototypes.add(Buffer.prototype);
  return prototypes;
}


/** Bytes of `value` as a base-128 varint (v8's serialization format writes lengths so). */
export function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** The key as an array index (0 .. 2^32 - 2, no leading zeros), or -1: v8 writes such keys as numbers. */
export function arrayIndex(key: string): number {
  if (key.length > 10 || (key.length > 1 && key.charCodeAt(0) === 48)) return -1;
  let index = 0;
  for (let i = 0; i < key.length; i++) {
    const digit = key.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    index = index * 10 + digit;
  }
  return index <= 0xfffffffe ? index : -1;
}
