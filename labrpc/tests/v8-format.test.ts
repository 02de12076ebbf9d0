/**
 * The codec's own writer (v8-format.ts) against v8's serializer: the same bytes wherever the
 * engine holds integers as small integers, the same value after decoding always, and v8 itself
 * for whatever the writer does not take.
 */
import { serialize, deserialize } from 'node:v8';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { writeV8 } from '../v8-format.ts';
import { decode, encode, resetWarnings, setWarningSink, type WarningSink } from '../index.ts';

let previousSink: WarningSink;

beforeEach(() => {
  resetWarnings();
  previousSink = setWarningSink(() => {}); // getters below warn, as they should
});

afterEach(() => {
  setWarningSink(previousSink);
  resetWarnings();
});

class Entry {
  constructor(
    public Term: number,
    public Command: unknown,
  ) {}
}

/** Plain data whose every number the engine holds as a small integer or a double it cannot hold otherwise. */
const samples: [string, unknown][] = [
  ['empty object', {}],
  ['a Raft state', { currentTerm: 7, votedFor: -1, log: [{ Term: 1, Command: 'x' }, { Term: 7, Command: { op: 'put', key: 'k' } }], lastIncludedIndex: 0 }],
  ['int32 edges', [0, -1, 63, 64, -65, 8191, 8192, 2 ** 20, -(2 ** 31), 2 ** 31 - 1]],
  ['doubles', { big: 2 ** 31, frac: 0.1, inf: -Infinity, nan: NaN, negZero: -0, safe: Number.MAX_SAFE_INTEGER }],
  ['Latin-1 and two-byte strings at odd and even offsets', ['', 'é', '€', 'a€', { k: 'ab€' }, 'x'.repeat(200), '€'.repeat(100)]],
  ['index keys', { 0: 1, 7: 2, 2147483648: 3, 4294967294: 4, 4294967295: 5, '01': 6, a: 7 }],
  ['booleans, null, undefined', [true, false, null, undefined, { u: undefined }]],
  ['bytes', { u8: new Uint8Array([0, 1, 255]), buf: Buffer.from([9, 8, 7]), empty: new Uint8Array(0) }],
  ['a large Uint8Array', new Uint8Array(100_000).fill(3)],
  ['nested chunks', { logChunks: [encode([{ Term: 1, Command: 2 }]), encode([])] }],
  ['null prototype', Object.assign(Object.create(null) as object, { a: 1 })],
  ['long array', Array.from({ length: 300 }, (_, i) => ({ Term: i, Command: `c${i}` }))],
];

describe('writeV8 writes what v8.serialize writes', () => {
  for (const [name, value] of samples) {
    test(name, () => {
      const ours = writeV8(value);
      expect(ours).toBeInstanceOf(Buffer);
      expect(Buffer.compare(ours!, serialize(value))).toBe(0);
      expect(deserialize(ours!)).toEqual(deserialize(serialize(value)));
    });
  }

  test('a class instance is written as its own fields, as v8 does', () => {
    const value = { log: [new Entry(2, 'c')] };
    expect(Buffer.compare(writeV8(value)!, serialize(value))).toBe(0);
  });

  test('an integer the engine holds as a double is written shorter, and decodes the same', () => {
    const doubles = [1.5, 2]; // a double array: v8 writes 2 as a double
    const ours = writeV8(doubles)!;
    expect(ours.length).toBeLessThan(serialize(doubles).length);
    expect(deserialize(ours)).toEqual(doubles);
  });

  test('what it does not take is left to v8 (encode still gives v8 bytes)', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const value of [new Map([[1, 2]]), new Set([1]), new Date(0), 10n, [1, , 3], new Int32Array([1]), cycle, { deep: new Map() }]) {
      expect(writeV8(value)).toBeUndefined();
      expect(Buffer.compare(Buffer.from(encode(value)), serialize(value))).toBe(0);
    }
  });

  test('a getter that encodes while being encoded gets v8, and both values come out right', () => {
    const inner = { a: [1, 2, 3] };
    const value = {
      get nested(): unknown {
        return decode(encode(inner));
      },
    };
    expect(decode(encode(value))).toEqual({ nested: inner });
  });

  test('a getter that throws is reported by the codec as before', () => {
    const value = {
      get broken(): number {
        throw new Error('no value');
      },
    };
    expect(() => encode(value)).toThrow(/cannot be encoded: no value/);
  });

  test('any value of plain data: the same bytes, the same value (property)', () => {
    // Integers made with `| 0` are held as small integers, as v8 needs to write them as such.
    const leaf = fc.oneof(fc.integer().map((n) => n | 0), fc.double(), fc.string({ unit: 'binary' }), fc.boolean(), fc.constant(null), fc.constant(undefined));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
      array: fc.array(tie('node'), { maxLength: 6 }),
      object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('node'), { maxKeys: 6 }),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const ours = writeV8(v);
        const theirs = serialize(v);
        expect(ours).toBeDefined();
        expect(deserialize(ours!)).toEqual(deserialize(theirs));
        // Where the engine held a whole number as a double (an array's element kind, say), v8
        // writes 9 bytes and we fewer; without numbers, the bytes are the same.
        expect(ours!.length).toBeLessThanOrEqual(theirs.length);
        if (!hasNumber(v)) expect(Buffer.compare(ours!, theirs)).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

/** Whether a number sits somewhere in `v` (as a value, not a key). */
function hasNumber(v: unknown): boolean {
  if (typeof v === 'number') return true;
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasNumber);
  return false;
}
