/**
 * The codec's warnings, like labgob's: each fires exactly when a value would arrive damaged,
 * once per (RPC type, path, problem), and never for plain data. A function cannot cross at all
 * and throws a CodecError that says where it is.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { encode, decode, CodecError, setWarningSink, warningCount, resetWarnings, type WarningSink } from '../index.ts';

let messages: string[] = [];
let previousSink: WarningSink;

beforeEach(() => {
  resetWarnings();
  messages = [];
  previousSink = setWarningSink((m) => messages.push(m));
});

afterEach(() => {
  setWarningSink(previousSink);
  resetWarnings();
});

class LogEntry {
  constructor(
    public term: number,
    public command: unknown,
  ) {}
  describe(): string {
    return `${this.term}:${String(this.command)}`;
  }
}

class Secretive {
  #hidden = 1;
  visible = 2;
  peek(): number {
    return this.#hidden;
  }
}

/** Plain data of every kind the codec copies faithfully. */
function plainSamples(): [string, unknown][] {
  const nullProto = Object.create(null) as Record<string, unknown>;
  nullProto.a = 1;
  return [
    ['number', 42],
    ['string', 'hello'],
    ['boolean', true],
    ['null', null],
    ['undefined', undefined],
    ['bigint', 12345678901234567890n],
    ['object', { term: 3, votedFor: -1, name: 'S1' }],
    ['array', [1, 'two', { three: 3 }]],
    ['Map', new Map<unknown, unknown>([['a', 1], [2, { b: [3] }]])],
    ['Set', new Set([1, 'x', 3])],
    ['Date', new Date(Date.UTC(2024, 5, 6))],
    ['Uint8Array', new Uint8Array([0, 1, 254, 255])],
    ['Int32Array', new Int32Array([-1, 2])],
    ['Float64Array', new Float64Array([0.5])],
    ['ArrayBuffer', new Uint8Array([9, 8]).buffer],
    ['RegExp', /ab+c/gi],
    ['null-prototype object', nullProto],
    [
      'nested',
      {
        log: [
          { term: 1, command: { op: 'put', key: 'k', value: 'v' } },
          { term: 2, command: [1, 2, 3] },
        ],
        index: new Map([[1, new Set(['a'])]]),
        snapshot: new Uint8Array([1, 2, 3]),
        when: new Date(0),
        deep: { a: { b: { c: { d: [[[{ e: 1 }]]] } } } },
      },
    ],
    ['array of 10 000 entries', Array.from({ length: 10_000 }, (_, i) => ({ term: i, command: `c${i}` }))],
  ];
}

describe('plain data', () => {
  for (const [name, value] of plainSamples()) {
    test(`${name}: no warning, and it round-trips`, () => {
      const bytes = encode(value, `args of Raft.${name}`);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes.length).toBeGreaterThan(0);
      expect(decode(bytes)).toEqual(value);
      expect(messages).toEqual([]);
      expect(warningCount()).toBe(0);
    });
  }

  test('a decoded value is a fresh copy', () => {
    const value = { a: { b: [1] } };
    const copy = decode<typeof value>(encode(value));
    expect(copy).toEqual(value);
    expect(copy).not.toBe(value);
    expect(copy.a).not.toBe(value.a);
    copy.a.b.push(2);
    expect(value.a.b).toEqual([1]);
  });

  test('shared and circular references survive without warnings', () => {
    const shared = { n: 1 };
    const circular: Record<string, unknown> = { shared, again: shared };
    circular.self = circular;
    const copy = decode<Record<string, unknown>>(encode(circular));
    expect(copy.self).toBe(copy);
    expect(copy.shared).toBe(copy.again);
    expect(warningCount()).toBe(0);
  });
});

describe('class instances', () => {
  test('warn once, naming the class and the path', () => {
    encode({ entries: [new LogEntry(1, 'x')] }, 'args of Raft.AppendEntries');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^labrpc warning: args of Raft\.AppendEntries at \.entries\[0\] is an instance of class LogEntry/);
    expect(messages[0]).toMatch(/plain objects/);
    expect(warningCount()).toBe(1);
  });

  test('at the root: no path in the message', () => {
    encode(new LogEntry(1, 'x'), 'args of Raft.AppendEntries');
    expect(messages).toEqual([expect.stringMatching(/^labrpc warning: args of Raft\.AppendEntries is an instance of class LogEntry/)]);
  });

  test('arrive as plain objects without their methods (what the warning is about)', () => {
    const copy = decode<LogEntry>(encode(new LogEntry(1, 'x')));
    expect(copy).toEqual({ term: 1, command: 'x' });
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as Partial<LogEntry>).describe).toBeUndefined();
  });

  test('#private fields: the class warning fires and the field is lost', () => {
    const copy = decode<Record<string, unknown>>(encode({ s: new Secretive() }, 'reply of KVServer.Get'));
    expect(copy).toEqual({ s: { visible: 2 } });
    expect(messages).toEqual([expect.stringMatching(/reply of KVServer\.Get at \.s is an instance of class Secretive/)]);
  });

  test('once per RPC type: the same path in later calls and other array indices stays quiet', () => {
    for (let i = 0; i < 5; i++) {
      encode({ entries: [new LogEntry(i, 'a'), new LogEntry(i, 'b'), new LogEntry(i, 'c')] }, 'args of Raft.AppendEntries');
    }
    expect(warningCount()).toBe(1);
    expect(messages).toHaveLength(1);
  });

  test('a different RPC type or a different path warns again', () => {
    encode({ entries: [new LogEntry(1, 'a')] }, 'args of Raft.AppendEntries');
    encode({ entries: [new LogEntry(1, 'a')] }, 'args of Raft.InstallSnapshot');
    encode({ last: new LogEntry(1, 'a') }, 'args of Raft.AppendEntries');
    expect(warningCount()).toBe(3);
    expect(messages[1]).toMatch(/args of Raft\.InstallSnapshot at \.entries\[0\]/);
    expect(messages[2]).toMatch(/args of Raft\.AppendEntries at \.last /);
  });

  test('inside Map values, Map keys and Set elements', () => {
    encode({ m: new Map([['k', new LogEntry(1, 'a')]]) }, 'a');
    encode({ m: new Map([[new LogEntry(1, 'a'), 1]]) }, 'b');
    encode({ s: new Set([new LogEntry(1, 'a')]) }, 'c');
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/a at \.m\.get\(k\) is an instance of class LogEntry/);
    expect(messages[1]).toMatch(/b at \.m<key> is an instance of class LogEntry/);
    expect(messages[2]).toMatch(/c at \.s<element> is an instance of class LogEntry/);
  });

  test('resetWarnings lets a warning fire again', () => {
    encode(new LogEntry(1, 'a'), 'x');
    resetWarnings();
    expect(warningCount()).toBe(0);
    encode(new LogEntry(1, 'a'), 'x');
    expect(warningCount()).toBe(1);
    expect(messages).toHaveLength(2);
  });
});

describe('symbol keys', () => {
  test('warn once per path, and the keyed values are not sent', () => {
    const tag = Symbol('tag');
    const value = { a: 1, [tag]: 'secret', inner: { [Symbol('x')]: 1 } };
    const copy = decode<Record<string | symbol, unknown>>(encode(value, 'args of Raft.RequestVote'));
    expect(copy).toEqual({ a: 1, inner: {} });
    expect(copy[tag]).toBeUndefined();
    expect(messages).toHaveLength(2);
    expect(messages.some((m) => /args of Raft\.RequestVote has symbol-keyed properties/.test(m))).toBe(true);
    expect(messages.some((m) => /args of Raft\.RequestVote at \.inner has symbol-keyed properties/.test(m))).toBe(true);
    encode(value, 'args of Raft.RequestVote');
    expect(warningCount()).toBe(2);
  });

  test('a class instance with symbol keys gets both warnings (two problems, one path)', () => {
    const entry = new LogEntry(1, 'a') as LogEntry & Record<symbol, unknown>;
    entry[Symbol('s')] = 1;
    encode({ e: entry }, 'x');
    expect(messages).toHaveLength(2);
    expect(messages.filter((m) => m.includes('x at .e ')).length).toBe(2);
  });
});

describe('getters', () => {
  test('an own getter warns once, naming its path; its current value is sent', () => {
    let calls = 0;
    const value = {
      plain: 1,
      get computed(): number {
        calls++;
        return 41 + calls;
      },
    };
    const copy = decode<Record<string, unknown>>(encode({ v: value }, 'reply of Raft.RequestVote'));
    expect(copy).toEqual({ v: { plain: 1, computed: 42 } });
    expect(messages).toEqual([expect.stringMatching(/reply of Raft\.RequestVote at \.v\.computed is a getter\/setter/)]);
    encode({ v: value }, 'reply of Raft.RequestVote');
    expect(warningCount()).toBe(1);
  });

  test('a setter-only property warns too', () => {
    const value = {};
    Object.defineProperty(value, 'onlySet', { set: () => undefined, enumerable: true });
    encode(value, 'y');
    expect(messages).toEqual([expect.stringMatching(/y at \.onlySet is a getter\/setter/)]);
  });

  test('class getters on the prototype are covered by the class warning alone', () => {
    class WithGetter {
      x = 1;
      get double(): number {
        return this.x * 2;
      }
    }
    encode(new WithGetter(), 'z');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/class WithGetter/);
  });
});

describe('functions and other values that cannot cross', () => {
  test('a nested function throws a CodecError naming its path, and is not a warning', () => {
    expect(() => encode({ a: { b: [1, () => 2] } }, 'args of Raft.AppendEntries')).toThrow(CodecError);
    expect(() => encode({ a: { b: [1, () => 2] } }, 'args of Raft.AppendEntries')).toThrow(/args of Raft\.AppendEntries at \.a\.b\[1\] is a function/);
    expect(warningCount()).toBe(0);
    expect(messages).toEqual([]);
  });

  test('a function at the root, in a Map or in a Set', () => {
    expect(() => encode(() => 1, 'root')).toThrow(/^root is a function/);
    expect(() => encode({ m: new Map([['f', () => 1]]) }, 'm')).toThrow(/m at \.m\.get\(f\) is a function/);
    expect(() => encode(new Set([() => 1]), 's')).toThrow(/s at <element> is a function/);
  });

  test('a method on a plain object is a function too', () => {
    expect(() => encode({ term: 1, go(): void {} }, 'args')).toThrow(/args at \.go is a function/);
  });

  test('a symbol value or a WeakMap cannot be encoded: CodecError with advice', () => {
    expect(() => encode({ s: Symbol('x') }, 'args of A.B')).toThrow(CodecError);
    expect(() => encode({ s: Symbol('x') }, 'args of A.B')).toThrow(/args of A\.B cannot be encoded.*plain data/);
    expect(() => encode({ w: new WeakMap() }, 'args of A.C')).toThrow(CodecError);
  });

  test('decode refuses what is not bytes', () => {
    expect(() => decode('abc' as unknown as Uint8Array)).toThrow(CodecError);
    expect(() => decode({} as unknown as Uint8Array)).toThrow(/decode needs a Uint8Array, got Object/);
  });
});

describe('the warning sink', () => {
  test('setWarningSink returns the previous sink, and warnings go to the new one only', () => {
    const other: string[] = [];
    const mine = setWarningSink((m) => other.push(m));
    try {
      encode(new LogEntry(1, 'a'), 'q');
    } finally {
      setWarningSink(mine);
    }
    expect(other).toHaveLength(1);
    expect(messages).toEqual([]);
    encode(new LogEntry(1, 'a'), 'r');
    expect(messages).toHaveLength(1);
  });
});
