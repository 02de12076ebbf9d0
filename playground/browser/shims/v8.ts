/**
 * The browser's `node:v8` serialize/deserialize: V8's structured-serialization wire format
 * (version 15, as Node 20 writes it, typed arrays as Node's host objects) written in plain
 * TypeScript, so labrpc's codec counts the same bytes and makes the same copies in a page as in
 * Node. For plain data (whole numbers, doubles, strings, objects, packed arrays, Map, Set, Date,
 * bigint, typed arrays) the bytes equal Node's; two things JavaScript cannot see may differ in
 * length only (never in the value decoded): arrays V8 keeps "holey" and whole numbers V8 keeps
 * as doubles. The trace hash does not depend on byte counts.
 */

const formatVersion = 15;

const tag = {
  padding: 0x00,
  version: 0xff,
  undefined: 0x5f, // _
  null: 0x30, // 0
  true: 0x54, // T
  false: 0x46, // F
  int32: 0x49, // I
  double: 0x4e, // N
  bigint: 0x5a, // Z
  oneByteString: 0x22, // "
  twoByteString: 0x63, // c
  utf8String: 0x53, // S
  objectReference: 0x5e, // ^
  beginObject: 0x6f, // o
  endObject: 0x7b, // {
  beginSparseArray: 0x61, // a
  endSparseArray: 0x40, // @
  beginDenseArray: 0x41, // A
  endDenseArray: 0x24, // $
  theHole: 0x2d, // -
  date: 0x44, // D
  beginMap: 0x3b, // ;
  endMap: 0x3a, // :
  beginSet: 0x27, // '
  endSet: 0x2c, // ,
  arrayBuffer: 0x42, // B
  hostObject: 0x5c, // \
} as const;

/** Node's DefaultSerializer numbers typed-array kinds in this order (its host-object tag). */
const viewKinds: { name: string; make: (buffer: ArrayBuffer, offset: number, bytes: number) => ArrayBufferView }[] = [
  { name: 'Int8Array', make: (b, o, n) => new Int8Array(b, o, n) },
  { name: 'Uint8Array', make: (b, o, n) => new Uint8Array(b, o, n) },
  { name: 'Uint8ClampedArray', make: (b, o, n) => new Uint8ClampedArray(b, o, n) },
  { name: 'Int16Array', make: (b, o, n) => new Int16Array(b, o, n / 2) },
  { name: 'Uint16Array', make: (b, o, n) => new Uint16Array(b, o, n / 2) },
  { name: 'Int32Array', make: (b, o, n) => new Int32Array(b, o, n / 4) },
  { name: 'Uint32Array', make: (b, o, n) => new Uint32Array(b, o, n / 4) },
  { name: 'Float32Array', make: (b, o, n) => new Float32Array(b, o, n / 4) },
  { name: 'Float64Array', make: (b, o, n) => new Float64Array(b, o, n / 8) },
  { name: 'DataView', make: (b, o, n) => new DataView(b, o, n) },
  { name: 'Buffer', make: (b, o, n) => new Uint8Array(b, o, n) },
  { name: 'BigInt64Array', make: (b, o, n) => new BigInt64Array(b, o, n / 8) },
  { name: 'BigUint64Array', make: (b, o, n) => new BigUint64Array(b, o, n / 8) },
];

function viewKindIndex(view: ArrayBufferView): number {
  const name = view.constructor.name;
  const i = viewKinds.findIndex((k) => k.name === name);
  return i >= 0 ? i : 1; // a subclass of Uint8Array (e.g. a Buffer shim) travels as its base
}

/**
 * V8's deserializer makes every array it reads "holey" (and Node writes such arrays as sparse
 * ones); the arrays read here are remembered so that writing them again gives Node's bytes.
 */
const holeyArrays = new WeakSet<unknown[]>();

const isSmi = (n: number): boolean => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 && !Object.is(n, -0);
/** Keys V8 stores as array elements: canonical whole numbers up to 2^32 - 2. */
const isIndexKey = (key: string): boolean => /^(0|[1-9]\d*)$/.test(key) && Number(key) <= 4294967294;

class Writer {
  private bytes = new Uint8Array(256);
  length = 0;
  private readonly ids = new Map<object, number>();
  private nextId = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }

  varint(n: number): void {
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      this.byte(b);
    } while (n > 0);
  }

  double(n: number): void {
    this.scratch.setFloat64(0, n, true);
    this.raw(new Uint8Array(this.scratch.buffer));
  }

  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'undefined':
        return this.byte(tag.undefined);
      case 'boolean':
        return this.byte(v ? tag.true : tag.false);
      case 'number':
        return this.number(v);
      case 'bigint':
        this.byte(tag.bigint);
        return this.bigint(v);
      case 'string':
        return this.string(v);
      case 'object':
        if (v === null) return this.byte(tag.null);
        return this.receiver(v);
      default:
        throw new DataCloneError(`${typeof v === 'function' ? (v as { name?: string }).name || 'function' : String(v)} could not be cloned.`);
    }
  }

  private number(n: number): void {
    if (isSmi(n)) {
      this.byte(tag.int32);
      this.varint(n >= 0 ? n * 2 : -n * 2 - 1); // zigzag
    } else {
      this.byte(tag.double);
      this.double(n);
    }
  }

  private bigint(v: bigint): void {
    const negative = v < 0n;
    let magnitude = negative ? -v : v;
    const words: bigint[] = [];
    while (magnitude > 0n) {
      words.push(magnitude & 0xffffffffffffffffn);
      magnitude >>= 64n;
    }
    this.varint(words.length * 8 * 2 + (negative ? 1 : 0));
    const word = new DataView(new ArrayBuffer(8));
    for (const w of words) {
      word.setBigUint64(0, w, true);
      this.raw(new Uint8Array(word.buffer));
    }
  }

  private string(s: string): void {
    let oneByte = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0xff) {
        oneByte = false;
        break;
      }
    }
    if (oneByte) {
      this.byte(tag.oneByteString);
      this.varint(s.length);
      this.reserve(s.length);
      for (let i = 0; i < s.length; i++) this.bytes[this.length++] = s.charCodeAt(i);
      return;
    }
    const byteLength = s.length * 2;
    // V8 aligns two-byte string data on an even offset.
    if ((this.length + 1 + varintSize(byteLength)) & 1) this.byte(tag.padding);
    this.byte(tag.twoByteString);
    this.varint(byteLength);
    this.reserve(byteLength);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      this.bytes[this.length++] = c & 0xff;
      this.bytes[this.length++] = c >>> 8;
    }
  }

  private receiver(o: object): void {
    const id = this.ids.get(o);
    if (id !== undefined) {
      this.byte(tag.objectReference);
      this.varint(id);
      return;
    }
    this.ids.set(o, this.nextId++);
    if (ArrayBuffer.isView(o)) {
      this.byte(tag.hostObject);
      this.varint(viewKindIndex(o));
      this.varint(o.byteLength);
      this.raw(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
      return;
    }
    if (o instanceof ArrayBuffer) {
      this.byte(tag.arrayBuffer);
      this.varint(o.byteLength);
      this.raw(new Uint8Array(o));
      return;
    }
    if (Array.isArray(o)) return this.array(o);
    if (o instanceof Date) {
      this.byte(tag.date);
      this.double(o.getTime());
      return;
    }
    if (o instanceof Map) {
      this.byte(tag.beginMap);
      for (const [k, v] of o) {
        this.value(k);
        this.value(v);
      }
      this.byte(tag.endMap);
      this.varint(o.size * 2);
      return;
    }
    if (o instanceof Set) {
      this.byte(tag.beginSet);
      for (const v of o) this.value(v);
      this.byte(tag.endSet);
      this.varint(o.size);
      return;
    }
    if (o instanceof RegExp || o instanceof Error || o instanceof WeakMap || o instanceof WeakSet || o instanceof Promise) {
      throw new DataCloneError(`${Object.prototype.toString.call(o)} cannot be sent in the playground; send plain data.`);
    }
    this.byte(tag.beginObject);
    const count = this.properties(o, Object.keys(o));
    this.byte(tag.endObject);
    this.varint(count);
  }

  private properties(o: object, keys: string[]): number {
    for (const key of keys) {
      if (isIndexKey(key)) this.number(Number(key));
      else this.string(key);
      this.value((o as Record<string, unknown>)[key]);
    }
    return keys.length;
  }

  private array(a: unknown[]): void {
    const keys = Object.keys(a);
    const extra = keys.slice(a.length);
    // V8 writes a packed array densely; an array with holes is written as index/value pairs.
    const holes = holeyArrays.has(a) || keys.length - extra.length !== a.length;
    if (holes) {
      this.byte(tag.beginSparseArray);
      this.varint(a.length);
      const count = this.properties(a, keys);
      this.byte(tag.endSparseArray);
      this.varint(count);
      this.varint(a.length);
      return;
    }
    this.byte(tag.beginDenseArray);
    this.varint(a.length);
    // An array holding only numbers, one of them not a small integer, is a double array in V8.
    const doubles = a.length > 0 && a.every((x) => typeof x === 'number') && a.some((x) => !isSmi(x as number));
    for (const x of a) {
      if (doubles) {
        this.byte(tag.double);
        this.double(x as number);
      } else {
        this.value(x);
      }
    }
    const count = this.properties(a, extra);
    this.byte(tag.endDenseArray);
    this.varint(count);
    this.varint(a.length);
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** What V8 throws for a value it cannot clone. */
export class DataCloneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataCloneError';
  }
}

/** `v8.serialize`: the header, then the value. */
export function serialize(value: unknown): Uint8Array {
  const w = new Writer();
  w.byte(tag.version);
  w.varint(formatVersion);
  w.value(value);
  return w.result();
}

class Reader {
  offset = 0;
  private readonly objects: unknown[] = [];
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  byte(): number {
    if (this.offset >= this.bytes.length) throw new Error('Unable to deserialize cloned data: unexpected end of data.');
    return this.bytes[this.offset++]!;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
  }

  double(): number {
    const n = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return n;
  }

  raw(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw new Error('Unable to deserialize cloned data: unexpected end of data.');
    // A copy with its own buffer (Buffer#slice would share memory).
    const out = new Uint8Array(n);
    out.set(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return out;
  }

  value(): unknown {
    let t = this.byte();
    while (t === tag.padding) t = this.byte();
    switch (t) {
      case tag.undefined:
        return undefined;
      case tag.null:
        return null;
      case tag.true:
        return true;
      case tag.false:
        return false;
      case tag.int32: {
        const z = this.varint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case tag.double:
        return this.double();
      case tag.bigint:
        return this.bigint();
      case tag.oneByteString: {
        const n = this.varint();
        const data = this.raw(n);
        let s = '';
        for (let i = 0; i < data.length; i++) s += String.fromCharCode(data[i]!);
        return s;
      }
      case tag.twoByteString: {
        const data = this.raw(this.varint());
        let s = '';
        for (let i = 0; i + 1 < data.length; i += 2) s += String.fromCharCode(data[i]! | (data[i + 1]! << 8));
        return s;
      }
      case tag.utf8String:
        return new TextDecoder().decode(this.raw(this.varint()));
      case tag.objectReference: {
        const id = this.varint();
        if (id >= this.objects.length) throw new Error(`Unable to deserialize cloned data: reference to unknown object ${id}.`);
        return this.objects[id];
      }
      case tag.beginObject: {
        const o: Record<string, unknown> = {};
        this.objects.push(o);
        this.properties(o, tag.endObject);
        this.varint();
        return o;
      }
      case tag.beginDenseArray: {
        const n = this.varint();
        const a: unknown[] = new Array<unknown>(n);
        holeyArrays.add(a);
        this.objects.push(a);
        for (let i = 0; i < n; i++) {
          if (this.bytes[this.offset] === tag.theHole) {
            this.offset++;
            continue;
          }
          a[i] = this.value();
        }
        this.properties(a as unknown as Record<string, unknown>, tag.endDenseArray);
        this.varint();
        this.varint();
        return a;
      }
      case tag.beginSparseArray: {
        const n = this.varint();
        const a: unknown[] = new Array<unknown>(n);
        holeyArrays.add(a);
        this.objects.push(a);
        this.properties(a as unknown as Record<string, unknown>, tag.endSparseArray);
        this.varint();
        this.varint();
        return a;
      }
      case tag.date: {
        const d = new Date(this.double());
        this.objects.push(d);
        return d;
      }
      case tag.beginMap: {
        const m = new Map<unknown, unknown>();
        this.objects.push(m);
        while (this.peek() !== tag.endMap) m.set(this.value(), this.value());
        this.offset++;
        this.varint();
        return m;
      }
      case tag.beginSet: {
        const s = new Set<unknown>();
        this.objects.push(s);
        while (this.peek() !== tag.endSet) s.add(this.value());
        this.offset++;
        this.varint();
        return s;
      }
      case tag.arrayBuffer: {
        const b = this.raw(this.varint()).buffer;
        this.objects.push(b);
        return b;
      }
      case tag.hostObject: {
        const kind = viewKinds[this.varint()];
        const n = this.varint();
        if (kind === undefined) throw new Error('Unable to deserialize cloned data: unknown typed array kind.');
        const data = this.raw(n);
        const view = kind.make(data.buffer as ArrayBuffer, 0, n);
        this.objects.push(view);
        return view;
      }
      default:
        throw new Error(`Unable to deserialize cloned data: unknown tag 0x${t.toString(16)} at byte ${this.offset - 1}.`);
    }
  }

  private peek(): number {
    while (this.bytes[this.offset] === tag.padding) this.offset++;
    return this.bytes[this.offset]!;
  }

  private properties(o: Record<string, unknown>, end: number): void {
    while (this.peek() !== end) {
      const key = this.value();
      o[String(key)] = this.value();
    }
    this.offset++;
  }

  private bigint(): bigint {
    const bits = this.varint();
    const negative = (bits & 1) === 1;
    const bytes = Math.floor(bits / 2);
    let v = 0n;
    for (let i = bytes - 8; i >= 0; i -= 8) {
      v = (v << 64n) | this.view.getBigUint64(this.offset + i, true);
    }
    this.offset += bytes;
    return negative ? -v : v;
  }
}

/** `v8.deserialize`: a fresh value from bytes made by `serialize` (or by Node's v8.serialize). */
export function deserialize(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  if (r.byte() !== tag.version) throw new Error('Unable to deserialize cloned data: no version header.');
  const version = r.varint();
  if (version > formatVersion) throw new Error(`Unable to deserialize cloned data: format version ${version} is newer than ${formatVersion}.`);
  return r.value();
}
