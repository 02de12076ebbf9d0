import { serialize, deserialize } from 'node:v8';
import { CodecError, checkSite, sampleCheck, type CheckSite } from './codec.ts';
import { arrayIndex, isPlainClass, varintSize } from './plain.ts';

export { checkSite, type CheckSite };

/**
 * How messages cross the simulated network without building bytes: one deep copy of the
 * value taken at send time, and the number of bytes `encode` would have produced for it,
 * counted while copying. Nothing on the simulated network reads the bytes themselves (only
 * their count, for `getTotalBytes` and the Passed line), so building and parsing a buffer
 * four times per RPC was pure cost.
 *
 * What the copy keeps is what `encode`/`decode` keep: own enumerable string-keyed properties
 * (a getter's current value), plain objects in place of class instances, arrays, strings,
 * numbers, booleans, null, undefined, Uint8Array and Buffer. Anything else inside a message
 * (Map, Set, Date, other typed arrays, bigint...) is copied by the v8 serializer itself, and a
 * message the copier cannot follow (a hole in an array, a cycle, a function, a symbol value)
 * goes entirely through `encode`/`decode`, with their errors. So the warnings, the errors and
 * the arriving values are those of the codec. One difference, as in labgob: an object
 * reachable twice arrives as two copies (v8 would keep the sharing).
 *
 * The count is the length of v8's encoding, computed with its format: it equals
 * `encode(value).length` for the values above, with one approximation: v8 writes a number
 * held in a heap cell as 9 bytes even when it is a small integer; the count follows the value
 * (a small integer costs 2-6 bytes), which keeps it independent of the engine's internals.
 */

/** A message in flight: its private copy, and its size in bytes. */
export interface WireMessage {
  /** The bytes `encode` would produce for the value; what the network counts. */
  readonly length: number;
}

class Message implements WireMessage {
  constructor(
    /** The copy taken at send time; handed to the first receiver. */
    private value: unknown,
    readonly length: number,
    private taken = false,
    private encoded: Uint8Array | undefined = undefined,
  ) {}

  /**
   * The copy itself the first time; a fresh copy of it after, which is only faithful if the
   * first receiver left its value alone: a network that delivers twice forks first.
   */
  take(): unknown {
    if (!this.taken) {
      this.taken = true;
      return this.value;
    }
    return this.copy();
  }

  /** The value itself, to read and never to change (observers and fault rules look inside). */
  view(): unknown {
    return this.value;
  }

  /** The value's v8 encoding (what `encode` makes of it), built once. */
  bytes(): Uint8Array {
    this.encoded ??= serialize(this.value);
    return this.encoded;
  }

  /** A fresh copy of the value, leaving the message as it was. */
  copy(): unknown {
    const again = copyMessageValue(this.value);
    return again === notCopyable ? deserialize(serialize(this.value)) : again;
  }
}

/** Deeper than this, the copier assumes a cycle and hands the value to the v8 serializer. */
const maxDepth = 200;
/** More objects than this in one message, and it assumes heavy sharing (a DAG) and does the same. */
const maxObjects = 1 << 20;
/** v8's header: a version tag and the format version. */
const headerBytes = 2;

/** Thrown inside the copier when a value must take the v8 path as a whole. */
class NeedsSerializer extends Error {}
const needsSerializer = new NeedsSerializer('not copyable by the fast path');

/** Bytes written so far by a v8 encoder of the message (its position matters: see stringSize). */
let offset = 0;
let objectsLeft = 0;

const argsSites = new Map<string, CheckSite>();

/**
 * The check site of the arguments of `svcMeth` ("args of Raft.AppendEntries"). RPC method
 * names are string constants, whose hash the engine keeps: looking one up costs next to
 * nothing, unlike the name built anew for every message.
 */
export function argsSite(svcMeth: string): CheckSite {
  let site = argsSites.get(svcMeth);
  if (site === undefined) {
    site = checkSite(`args of ${svcMeth}`);
    argsSites.set(svcMeth, site);
  }
  return site;
}

/**
 * Copies `value` for the network, checking it for warnings as `encode` does. `what` names it
 * in messages ("args of Raft.AppendEntries"), or is its check site (`argsSite`, `checkSite`).
 */
export function encodeMessage(value: unknown, what: string | CheckSite): WireMessage {
  sampleCheck(value, what);
  const copy = copyMessageValue(value);
  if (copy !== notCopyable) return new Message(copy, offset);
  // The v8 path: exactly encode + decode, with their errors (a function, a symbol, a cycle...).
  let bytes: Uint8Array;
  try {
    bytes = serialize(value);
  } catch (e) {
    sampleCheck(value, what, true); // a full walk names the path of a function, if that is the cause
    throw new CodecError(`${typeof what === 'string' ? what : what.what} cannot be encoded: ${(e as Error).message}. Send only plain data: objects, arrays, strings, numbers, booleans, Uint8Array, Map, Set.`);
  }
  return new Message(deserialize(bytes), bytes.length);
}

/** The value a message carries, for its receiver: never shared with the sender or another receiver. */
export function decodeMessage<T = unknown>(message: WireMessage): T {
  if (!(message instanceof Message)) throw new CodecError('decodeMessage needs a message made by encodeMessage');
  return message.take() as T;
}

/**
 * The bytes `encode` would have made of the message, for hooks that look inside messages
 * (an interceptor, the handled-RPC observer): built only when asked, from the copy, so it
 * must be called before a receiver takes the message.
 */
/**
 * What the message carries, without a copy: for observers that only read it. Once delivered,
 * the receiver owns the value, so a handler that changed its arguments shows the change.
 */
export function messageView(message: WireMessage): unknown {
  if (!(message instanceof Message)) throw new CodecError('messageView needs a message made by encodeMessage');
  return message.view();
}

export function messageBytes(message: WireMessage): Uint8Array {
  if (!(message instanceof Message)) throw new CodecError('messageBytes needs a message made by encodeMessage');
  return message.bytes();
}

/**
 * A second, independent message with the same content, for a network that delivers one
 * message twice (duplication): fork before the first delivery, since a receiver owns and may
 * change the value it was handed.
 */
export function forkMessage(message: WireMessage): WireMessage {
  if (!(message instanceof Message)) throw new CodecError('forkMessage needs a message made by encodeMessage');
  return new Message(message.copy(), message.length);
}

/** What `copyMessageValue` returns for a value that must go through v8 whole. */
const notCopyable: unique symbol = Symbol('not copyable');

/**
 * A deep copy, its encoded length left in `offset`; or `notCopyable` if the value must go
 * through v8 whole. (No result object: this runs twice per RPC.)
 */
function copyMessageValue(value: unknown): unknown {
  offset = headerBytes;
  objectsLeft = maxObjects;
  try {
    return copyValue(value, 0);
  } catch (e) {
    if (e === needsSerializer) return notCopyable;
    throw e;
  }
}

function copyValue(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'number':
      offset += numberSize(value);
      return value;
    case 'string':
      offset += stringSize(value);
      return value;
    case 'boolean':
    case 'undefined':
      offset += 1;
      return value;
    case 'object':
      if (value === null) {
        offset += 1;
        return value;
      }
      if (depth >= maxDepth || --objectsLeft < 0) throw needsSerializer;
      return copyObject(value, depth + 1);
    case 'bigint':
      return copyWithSerializer(value);
    default:
      // function, symbol: the v8 path throws the codec's error for them.
      throw needsSerializer;
  }
}

function copyObject(value: object, depth: number): unknown {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) return copyArray(value as unknown[], depth);
  if (proto === Object.prototype || proto === null) return copyFields(value as Record<string, unknown>, depth);
  if (proto === Uint8Array.prototype) return copyBytes(value as Uint8Array, new Uint8Array(value as Uint8Array), 1);
  if (proto === Buffer.prototype) return copyBytes(value as Uint8Array, Buffer.from(value as Uint8Array), 10);
  if (isPlainClass(proto)) return copyFields(value as Record<string, unknown>, depth);
  return copyWithSerializer(value);
}

/** A plain object or a class instance: v8 sends its own enumerable string-keyed properties. */
function copyFields(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const keys = Object.keys(value);
  const copy: Record<string, unknown> = {};
  offset += 1; // 'o'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    offset += keySize(key);
    const field = copyValue(value[key], depth);
    if (key === '__proto__') Object.defineProperty(copy, key, { value: field, enumerable: true, writable: true, configurable: true });
    else copy[key] = field;
  }
  offset += 1 + varintSize(keys.length); // '{' count
  return copy;
}

/** A dense array (v8's 'A' ... '$' form); a hole sends the whole message through v8. */
function copyArray(value: unknown[], depth: number): unknown[] {
  const length = value.length;
  const copy: unknown[] = [];
  offset += 1 + varintSize(length); // 'A' length
  for (let i = 0; i < length; i++) {
    const element = value[i];
    if (element === undefined && !(i in value)) throw needsSerializer;
    copy.push(copyValue(element, depth));
  }
  offset += 2 + varintSize(length); // '$' 0 length
  return copy;
}

/** Node writes a typed array as a host object: tag, type index, byte length, the bytes. */
function copyBytes(source: Uint8Array, copy: Uint8Array, typeIndex: number): Uint8Array {
  offset += 1 + varintSize(typeIndex) + varintSize(source.byteLength) + source.byteLength;
  return copy;
}

/** Map, Set, Date, bigint, other typed arrays...: v8 copies them, and says how long they are. */
function copyWithSerializer(value: unknown): unknown {
  let bytes: Uint8Array;
  try {
    bytes = serialize(value);
  } catch {
    throw needsSerializer;
  }
  offset += bytes.length - headerBytes;
  return deserialize(bytes);
}

/** v8 writes an int32 as 'I' and a zigzag varint, every other number as 'N' and 8 bytes. */
function numberSize(value: number): number {
  if ((value | 0) === value && !(value === 0 && 1 / value < 0)) return 1 + varintSize(((value << 1) ^ (value >> 31)) >>> 0);
  return 9;
}

/**
 * v8 writes a Latin-1 string as '"', a varint length and a byte per character; any other as
 * 'c', a varint byte length and two bytes per character, after a padding byte when needed to
 * put those bytes at an even offset.
 */
function stringSize(value: string): number {
  const length = value.length;
  if (isLatin1(value)) return 1 + varintSize(length) + length;
  const byteLength = 2 * length;
  const padding = (offset + 1 + varintSize(byteLength)) & 1;
  return padding + 1 + varintSize(byteLength) + byteLength;
}

const beyondLatin1 = /[^\u0000-\u00ff]/;

function isLatin1(value: string): boolean {
  if (value.length > 32) return !beyondLatin1.test(value);
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return false;
  return true;
}

/** A property key: an array index is written as a number, any other key as a string. */
function keySize(key: string): number {
  const first = key.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    const index = arrayIndex(key);
    if (index >= 0) return index <= 0x7fffffff ? numberSize(index) : 9;
  }
  // A key's size never depends on the position except through padding, which stringSize handles.
  return stringSize(key);
}

