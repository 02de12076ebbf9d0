import { serialize, deserialize } from 'node:v8';
import { writeV8 } from './v8-format.ts';

/**
 * The codec every RPC argument, reply and persisted value goes through: v8's structured
 * serialization format (written by v8-format.ts for plain data, by v8 for the rest), so a
 * receiver never shares an object with the sender and the byte length is the RPC's size. Like labgob, it warns about values that do not survive the trip; unlike
 * labgob, case does not matter, but prototypes do.
 */

/** A value that cannot be encoded at all (a function, a WeakMap...): the message says where it is. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

/** Receives each codec warning once; the default prints it to stderr as labgob does. */
export type WarningSink = (message: string) => void;

let sink: WarningSink = (message) => process.stderr.write(`${message}\n`);
const warned = new Set<string>();
let warnings = 0;

/** Replaces where warnings go (tests collect them); returns the previous sink. */
export function setWarningSink(next: WarningSink): WarningSink {
  const previous = sink;
  sink = next;
  return previous;
}

/** How many warnings have been issued so far (like labgob's errorCount). */
export function warningCount(): number {
  return warnings;
}

/** Forgets which warnings were given, so they can fire again (for tests). */
export function resetWarnings(): void {
  warned.clear();
  for (const site of encodings.values()) site.encodings = 0;
  warnings = 0;
}

/** Builtins that the structured serializer copies faithfully. */
const faithful = new Set<unknown>([
  Object.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  ArrayBuffer.prototype,
  Uint8Array.prototype,
  Int8Array.prototype,
  Uint16Array.prototype,
  Int16Array.prototype,
  Uint32Array.prototype,
  Int32Array.prototype,
  Float32Array.prototype,
  Float64Array.prototype,
  BigInt64Array.prototype,
  BigUint64Array.prototype,
  Uint8ClampedArray.prototype,
  DataView.prototype,
  Buffer.prototype,
  null,
]);

/** Walks at most this many nodes of a value per encode, so checking stays cheap for huge logs. */
const maxCheckedNodes = 2000;
/**
 * Every value of a kind (e.g. "args of Raft.AppendEntries") is checked for its first
 * `checkedFirst` encodings, then one in `checkEvery`: labgob checks each Go type once, and a
 * full walk of every message would cost more than the RPC itself.
 */
const checkedFirst = 64;
const checkEvery = 32;
const encodings = new Map<string, CheckSite>();

/**
 * @internal The encodings counted so far of one kind of value. Holding the site saves a
 * lookup by a freshly built name on every message (wire.ts keeps one per RPC method).
 */
export interface CheckSite {
  readonly what: string;
  encodings: number;
}

/** @internal The counter of `what`, made on first use. */
export function checkSite(what: string): CheckSite {
  let site = encodings.get(what);
  if (site === undefined) {
    site = { what, encodings: 0 };
    encodings.set(what, site);
  }
  return site;
}

/**
 * Encodes `value` to bytes. `what` names it in messages (e.g. "args of Raft.AppendEntries").
 * Throws CodecError for what cannot cross at all; warns once per (what, path, problem) for what
 * crosses damaged.
 */
export function encode(value: unknown, what = 'value'): Uint8Array {
  sampleCheck(value, what);
  // Plain data is written by a faster writer in the same format; the rest goes to v8 itself.
  const written = writeV8(value);
  if (written !== undefined) return written;
  try {
    return serialize(value);
  } catch (e) {
    sampleCheck(value, what, true); // a full walk names the path of a function, if that is the cause
    throw new CodecError(`${what} cannot be encoded: ${(e as Error).message}. Send only plain data: objects, arrays, strings, numbers, booleans, Uint8Array, Map, Set.`);
  }
}

/**
 * @internal Counts one encoding of `what` and, if this one is sampled (or `always`), walks
 * `value` for warnings and functions. Shared with the network's copier (wire.ts), so both
 * paths warn alike.
 */
export function sampleCheck(value: unknown, what: string | CheckSite, always = false): void {
  const site = typeof what === 'string' ? checkSite(what) : what;
  if (always) {
    check(value, site.what);
    return;
  }
  const n = ++site.encodings;
  if (n <= checkedFirst || n % checkEvery === 0) check(value, site.what);
}

/** Decodes bytes made by `encode` into a fresh value. */
export function decode<T = unknown>(bytes: Uint8Array): T {
  if (!(bytes instanceof Uint8Array)) throw new CodecError(`decode needs a Uint8Array, got ${describeType(bytes)}`);
  return deserialize(bytes) as T;
}

function check(root: unknown, what: string): void {
  if (root === null || typeof root !== 'object') {
    if (typeof root === 'function') throw functionError(what, '');
    return;
  }
  const stack: [unknown, string][] = [[root, '']];
  const seen = new Set<object>();
  let budget = maxCheckedNodes;
  while (stack.length > 0 && budget-- > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'function') throw functionError(what, path);
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (ArrayBuffer.isView(value)) continue;
    const proto: unknown = Object.getPrototypeOf(value);
    if (!faithful.has(proto)) {
      const className = (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object with a custom prototype';
      warn(what, path, `is an instance of class ${className}: it arrives as a plain object, without its prototype, methods, getters or #private fields. Send plain objects (interfaces), not class instances.`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      warn(what, path, 'has symbol-keyed properties: they are not sent. Use string keys.');
    }
    if (value instanceof Map) {
      for (const [k, v] of value) {
        stack.push([k, `${path}<key>`]);
        stack.push([v, `${path}.get(${String(k)})`]);
      }
      continue;
    }
    if (value instanceof Set) {
      for (const v of value) stack.push([v, `${path}<element>`]);
      continue;
    }
    if (Array.isArray(value)) {
      // Push no more than the walk can still visit: a 10 000-entry log must not cost 10 000 paths.
      const limit = Math.min(value.length, budget);
      for (let i = 0; i < limit; i++) {
        const element: unknown = value[i];
        if (element !== null && (typeof element === 'object' || typeof element === 'function')) stack.push([element, `${path}[${i}]`]);
      }
      continue;
    }
    const descriptors = Object.getOwnPropertyDescriptors(value);
    for (const key of Object.keys(descriptors)) {
      const d = descriptors[key]!;
      if (d.get !== undefined || d.set !== undefined) {
        warn(what, `${path}.${key}`, 'is a getter/setter: only the value it returns now is sent, as a plain field.');
        continue;
      }
      stack.push([d.value, `${path}.${key}`]);
    }
  }
}

function functionError(what: string, path: string): CodecError {
  return new CodecError(`${what}${path === '' ? '' : ` at ${path}`} is a function: functions cannot cross the network or be persisted. Send the data it would compute instead.`);
}

function warn(what: string, path: string, problem: string): void {
  const key = `${what}|${path.replace(/\[\d+\]/g, '[]')}|${problem}`;
  if (warned.has(key)) return;
  warned.add(key);
  warnings++;
  sink(`labrpc warning: ${what}${path === '' ? '' : ` at ${path}`} ${problem}`);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
