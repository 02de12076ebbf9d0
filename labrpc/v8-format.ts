import { arrayIndex, isPlainClass, varintSize } from './plain.ts';

/**
 * Writes plain data in v8's serialization format (what `v8.serialize` makes and
 * `v8.deserialize` reads), in JavaScript. v8's own serializer spends most of a microsecond on
 * each small object of a Raft log (it looks every property up the slow, general way), and a
 * Raft that persists its whole log on every change encodes its log over and over: in the churn
 * tests that was most of the suite's time. This writer does the same job several times faster.
 *
 * It writes what wire.ts counts: objects (plain, null-prototype, or of a user class: their own
 * enumerable string-keyed properties), dense arrays, strings, numbers, booleans, null,
 * undefined, Uint8Array and Buffer. For anything else inside the value (Map, Set, Date, other
 * typed arrays, bigint, a hole in an array, a cycle, a function, a symbol) it gives up, and the
 * caller hands the whole value to v8. Its bytes decode to the same value as v8's, with the
 * differences wire.ts lists: a number the engine holds as a double but whose value is a small
 * integer is written as an integer (shorter), an object reachable twice is written twice (v8
 * writes a reference), and an array's non-index properties are not written.
 */

/** v8's format version (Node 20's v8 writes 15), written after the 0xFF version tag. */
const formatVersion = 15;
/** Deeper than this, the writer assumes a cycle and gives up. */
const maxDepth = 200;
/** More objects than this and it assumes heavy sharing (a DAG, which it would blow up) and gives up. */
const maxObjects = 1 << 20;
/** Host-object type indices of Node's serializer: Uint8Array, Buffer. */
const uint8ArrayType = 1;
const bufferType = 10;

// v8's tags (src/objects/value-serializer.cc).
const tagPadding = 0x00;
const tagVersion = 0xff;
const tagUndefined = 0x5f; // '_'
const tagNull = 0x30; // '0'
const tagTrue = 0x54; // 'T'
const tagFalse = 0x46; // 'F'
const tagInt32 = 0x49; // 'I', zigzag varint
const tagDouble = 0x4e; // 'N', 8 bytes little-endian
const tagOneByteString = 0x22; // '"', varint length, Latin-1 bytes
const tagTwoByteString = 0x63; // 'c', varint byte length, UTF-16LE at an even offset
const tagBeginObject = 0x6f; // 'o'
const tagEndObject = 0x7b; // '{', varint property count
const tagBeginDenseArray = 0x41; // 'A', varint length
const tagEndDenseArray = 0x24; // '$', varint property count, varint length
const tagHostObject = 0x5c; // '\\', Node's: type index, byte length, bytes

/** Thrown inside the writer when the value must go through v8 whole. */
class GiveUp extends Error {}
const giveUp = new GiveUp('not writable by the fast path');

let buffer = new Uint8Array(1 << 16);
let view = new DataView(buffer.buffer);
let pos = 0;
let objectsLeft = 0;
/** A getter that encodes while being encoded would overwrite the scratch buffer: v8 takes such a value. */
let busy = false;

/**
 * `value` in v8's format, as a fresh Buffer (what v8.serialize returns); undefined when the
 * value holds something only v8 can write.
 */
export function writeV8(value: unknown): Buffer | undefined {
  if (busy) return undefined;
  busy = true;
  pos = 0;
  objectsLeft = maxObjects;
  try {
    reserve(2);
    buffer[pos++] = tagVersion;
    buffer[pos++] = formatVersion;
    writeValue(value, 0);
  } catch {
    // giveUp, or a getter that threw: v8 takes the value and reports what it finds, as before.
    return undefined;
  } finally {
    busy = false;
  }
  const out = allocate(pos);
  out.set(buffer.subarray(0, pos));
  // Keep a huge scratch buffer only while it is used: one giant snapshot should not pin memory.
  if (buffer.length > 1 << 24) grow(1 << 16, false);
  return out;
}

function writeValue(value: unknown, depth: number): void {
  switch (typeof value) {
    case 'number':
      return writeNumber(value);
    case 'string':
      return writeString(value);
    case 'boolean':
      reserve(1);
      buffer[pos++] = value ? tagTrue : tagFalse;
      return;
    case 'undefined':
      reserve(1);
      buffer[pos++] = tagUndefined;
      return;
    case 'object':
      if (value === null) {
        reserve(1);
        buffer[pos++] = tagNull;
        return;
      }
      if (depth >= maxDepth || --objectsLeft < 0) throw giveUp;
      return writeObject(value, depth + 1);
    default:
      // bigint (v8 writes it), function and symbol (v8 throws the codec's error for them).
      throw giveUp;
  }
}

function writeObject(value: object, depth: number): void {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) return writeArray(value as unknown[], depth);
  if (proto === Object.prototype || proto === null) return writeFields(value as Record<string, unknown>, depth);
  if (proto === Uint8Array.prototype) return writeBytes(value as Uint8Array, uint8ArrayType);
  if (proto === Buffer.prototype) return writeBytes(value as Uint8Array, bufferType);
  if (isPlainClass(proto)) return writeFields(value as Record<string, unknown>, depth);
  throw giveUp;
}

function writeFields(value: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(value);
  reserve(1);
  buffer[pos++] = tagBeginObject;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    writeKey(key);
    writeValue(value[key], depth);
  }
  reserve(6);
  buffer[pos++] = tagEndObject;
  writeVarint(keys.length);
}

function writeArray(value: unknown[], depth: number): void {
  const length = value.length;
  reserve(6);
  buffer[pos++] = tagBeginDenseArray;
  writeVarint(length);
  for (let i = 0; i < length; i++) {
    const element = value[i];
    if (element === undefined && !(i in value)) throw giveUp; // a hole: v8 writes a sparse array
    writeValue(element, depth);
  }
  reserve(11);
  buffer[pos++] = tagEndDenseArray;
  writeVarint(0);
  writeVarint(length);
}

function writeBytes(value: Uint8Array, typeIndex: number): void {
  const length = value.byteLength;
  reserve(11 + length);
  buffer[pos++] = tagHostObject;
  writeVarint(typeIndex);
  writeVarint(length);
  buffer.set(value, pos);
  pos += length;
}

/** A property key: an array index is written as a number, any other key as a string. */
function writeKey(key: string): void {
  const first = key.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    const index = arrayIndex(key);
    if (index >= 0) return index <= 0x7fffffff ? writeNumber(index) : writeDouble(index);
  }
  writeString(key);
}

function writeNumber(value: number): void {
  if ((value | 0) === value && !(value === 0 && 1 / value < 0)) {
    reserve(6);
    buffer[pos++] = tagInt32;
    writeVarint(((value << 1) ^ (value >> 31)) >>> 0);
    return;
  }
  writeDouble(value);
}

function writeDouble(value: number): void {
  reserve(9);
  buffer[pos++] = tagDouble;
  view.setFloat64(pos, value, true);
  pos += 8;
}

/** Latin-1 as one byte a character; anything else as UTF-16, padded to an even offset as v8 does. */
function writeString(value: string): void {
  const length = value.length;
  reserve(11 + 2 * length);
  const start = pos;
  buffer[pos++] = tagOneByteString;
  writeVarint(length);
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) {
      pos = start;
      return writeTwoByteString(value);
    }
    buffer[pos++] = code;
  }
}

function writeTwoByteString(value: string): void {
  const byteLength = 2 * value.length;
  if (((pos + 1 + varintSize(byteLength)) & 1) === 1) buffer[pos++] = tagPadding;
  buffer[pos++] = tagTwoByteString;
  writeVarint(byteLength);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    buffer[pos++] = code & 0xff;
    buffer[pos++] = code >>> 8;
  }
}

/** Caller has reserved the room (5 bytes at most). */
function writeVarint(value: number): void {
  let v = value >>> 0;
  while (v >= 0x80) {
    buffer[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buffer[pos++] = v;
}

/** A Buffer, as v8.serialize returns, where there is one (a browser's Buffer shim has no allocUnsafe). */
function allocate(bytes: number): Buffer {
  return typeof Buffer.allocUnsafe === 'function' ? Buffer.allocUnsafe(bytes) : (new Uint8Array(bytes) as Buffer);
}

function reserve(bytes: number): void {
  if (pos + bytes > buffer.length) grow(pos + bytes, true);
}

function grow(atLeast: number, keep: boolean): void {
  let size = 1 << 16;
  while (size < atLeast) size *= 2;
  const next = new Uint8Array(size);
  if (keep) next.set(buffer.subarray(0, pos));
  buffer = next;
  view = new DataView(buffer.buffer);
}
