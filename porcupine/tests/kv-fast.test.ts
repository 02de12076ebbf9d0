/**
 * The one-pass key/value check (kv-fast.ts and its WebAssembly search): it must take the
 * histories it claims, give exactly what the JavaScript loops give, decline what it cannot
 * mean exactly, and keep the time limit; and the committed module must match its source.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkOperationsTimeout,
  checkOperationsVerbose,
  kv,
  kvModel,
  makeLinearizableKvHistory,
  OverlappingOperationsError,
  type KvInput,
  type KvOutput,
  type Model,
  type Operation,
} from '../index.ts';
import { checkKvFast } from '../kv-fast.ts';
import { kvSearchInstance, replaceKvSearchInstanceForTests, type KvSearchExports } from '../wasm/instance.ts';
import { fillDefaults } from '../model.ts';

type KvOperation = Operation<KvInput, KvOutput>;

const full = fillDefaults(kvModel);
/** The JavaScript loop over interned states (not the one-pass check: its own partition). */
const javascriptKv: Model<string, KvInput, KvOutput> = { ...kvModel, partition: (history) => kvModel.partition!(history) };

function fast(history: readonly KvOperation[], verbose: boolean, timeoutMs = 0) {
  return checkKvFast(full as never, history, timeoutMs > 0 ? performance.now() + timeoutMs : Infinity, verbose);
}

function summary(result: { result: string; info: { partitions: readonly { result: string; operations: readonly KvOperation[]; partialLinearizations: unknown; longestContaining: unknown; failedOperation: number }[] } }) {
  return {
    result: result.result,
    partitions: result.info.partitions.map((p) => [p.result, p.operations, p.partialLinearizations, p.longestContaining, p.failedOperation]),
  };
}

function corrupt(history: KvOperation[], after: number): KvOperation[] {
  const copy = history.slice();
  const index = copy.findIndex((o, i) => i > after && o.input.op === 'get');
  copy[index] = { ...copy[index]!, output: { value: 'never written' } };
  return copy;
}

describe('the one-pass key/value check', () => {
  it('takes synthetic histories and agrees with the JavaScript loop, verbose data included', () => {
    const history = makeLinearizableKvHistory({ seed: 5, operations: 3_000, keys: 30, clients: 12 });
    for (const h of [history, corrupt(history, 1_500)]) {
      const taken = fast(h, true);
      expect(taken).toBeDefined();
      expect(summary(taken!)).toEqual(summary(checkOperationsVerbose(javascriptKv, h, 0)));
      expect(fast(h, false)!.result).toBe(checkOperationsTimeout(javascriptKv, h, 0));
    }
    expect(fast(history, false)!.result).toBe('Ok');
    expect(fast(corrupt(history, 1_500), false)!.result).toBe('Illegal');
    // More keys and clients than the module's tables start with.
    const wide = makeLinearizableKvHistory({ seed: 6, operations: 2_000, keys: 100, clients: 40 });
    expect(summary(fast(wide, true)!)).toEqual(summary(checkOperationsVerbose(javascriptKv, wide, 0)));
  });

  it('keeps its verbose data apart from later checks and from the caller\'s array', () => {
    // The info is assembled when first read, from copies: checks in between reuse the module's
    // memory, and the caller may reuse its array.
    const history = makeLinearizableKvHistory({ seed: 21, operations: 600, keys: 6, clients: 5 });
    const bad = corrupt(history, 300);
    const expected = [summary(checkOperationsVerbose(javascriptKv, history, 0)), summary(checkOperationsVerbose(javascriptKv, bad, 0))];
    const mine = history.slice();
    const taken = [fast(mine, true)!, fast(bad, true)!];
    fast(makeLinearizableKvHistory({ seed: 22, operations: 900, keys: 3, clients: 7 }), true);
    mine.reverse();
    expect(taken.map(summary)).toEqual(expected);
  });

  it('on one key with long values, both verdicts', () => {
    const history = makeLinearizableKvHistory({ seed: 9, operations: 1_500, keys: 1, clients: 5 });
    expect(fast(history, false)!.result).toBe('Ok');
    expect(fast(corrupt(history, 700), false)!.result).toBe('Illegal');
    expect(summary(fast(corrupt(history, 700), true)!)).toEqual(summary(checkOperationsVerbose(javascriptKv, corrupt(history, 700), 0)));
  });

  it('keeps of each partial linearization only what it does not share with the one before', () => {
    const history = corrupt(makeLinearizableKvHistory({ seed: 9, operations: 1_500, keys: 1, clients: 5 }), 700);
    expect(fast(history, true)!.result).toBe('Illegal');
    const module = kvSearchInstance()!;
    const count = module.sequences();
    const lengths = new Int32Array(module.memory.buffer, module.sequenceLengths(), count);
    const shared = new Int32Array(module.memory.buffer, module.sequenceShared(), count);
    let whole = 0;
    let kept = 0;
    for (let id = 0; id < count; id++) {
      whole += lengths[id]!;
      kept += lengths[id]! - shared[id]!;
    }
    expect(count).toBeGreaterThan(10);
    // The stack is hundreds deep and changes a little from one dead end to the next.
    expect(kept * 10).toBeLessThan(whole);
  });

  it('compares states by content: a put of "ab" equals "a" then an append of "b"', () => {
    const history = [
      kv.put(0, 'k', 'a', 0, 1),
      kv.append(0, 'k', 'b', 2, 3),
      kv.get(0, 'k', 'ab', 4, 5),
      kv.put(1, 'k', 'ab', 6, 7),
      kv.appendReturn(1, 'k', '', 'ab', 8, 9),
      kv.get(1, 'k', 'ab', 10, 11),
    ];
    expect(fast(history, false)!.result).toBe('Ok');
    history[5] = kv.get(1, 'k', 'ba', 10, 11);
    expect(fast(history, false)!.result).toBe('Illegal');
  });

  it('compares appended states piece by piece, however they were split', () => {
    // Concurrent appends of "x" and "xx" make "xxx" either way; then "xxx" + "y", read back.
    const history = [
      kv.append(0, 'k', 'x', 0, 10),
      kv.append(1, 'k', 'xx', 0, 10),
      kv.get(2, 'k', 'xxx', 11, 12),
      kv.append(2, 'k', 'y', 13, 14),
      kv.get(2, 'k', 'xxxy', 15, 16),
      kv.put(3, 'k', 'xxxy', 17, 18),
      kv.append(3, 'k', 'zz', 19, 20),
      kv.get(3, 'k', 'xxxyzz', 21, 22),
    ];
    expect(fast(history, false)!.result).toBe('Ok');
    expect(summary(fast(history, true)!)).toEqual(summary(checkOperationsVerbose(javascriptKv, history, 0)));
    for (const [index, wrong] of [[2, 'xxy'], [4, 'xxyx'], [4, 'yxxx'], [7, 'xxxyz'], [7, 'xxyxzz']] as const) {
      const changed = history.slice();
      changed[index] = kv.get(2, 'k', wrong, changed[index]!.call, changed[index]!.return);
      expect(fast(changed, false)!.result).toBe('Illegal');
      expect(checkOperationsTimeout(javascriptKv, changed, 0)).toBe('Illegal');
    }
  });

  it('interns states by content: "a" + "bc" and "ab" + "c" are one state', () => {
    const history = [
      kv.put(0, 'k', 'a', 0, 1),
      kv.append(0, 'k', 'bc', 2, 3),
      kv.put(0, 'k', 'ab', 4, 5),
      kv.append(0, 'k', 'c', 6, 7),
      kv.put(0, 'k', 'x', 8, 9),
      kv.append(0, 'k', 'yz', 10, 11),
    ];
    expect(fast(history, false)!.result).toBe('Ok');
    // '', the puts 'a', 'ab' and 'x', then 'abc' (once) and 'xyz'.
    expect(kvSearchInstance()!.statesBuilt()).toBe(6);
  });

  it('keeps apart states that share a length and a hash but not their content', () => {
    // Two strings with the module's polynomial hash in common.
    const first = 'a\u8000\u8000';
    const second = 'h\u74f6\u87df';
    const history = [
      kv.put(0, 'k', first, 0, 1),
      kv.append(0, 'k', 'c', 2, 3),
      kv.get(0, 'k', `${first}c`, 4, 5),
      kv.put(0, 'k', second, 6, 7),
      kv.append(0, 'k', 'c', 8, 9),
      kv.get(0, 'k', `${second}c`, 10, 11),
    ];
    expect(fast(history, false)!.result).toBe('Ok');
    expect(kvSearchInstance()!.statesBuilt()).toBe(5);
    history[5] = kv.get(0, 'k', `${first}c`, 10, 11);
    expect(fast(history, false)!.result).toBe('Illegal');
  });

  it('orders partitions by key as JavaScript sorts strings (code units), with any characters', () => {
    const keys = ['b', 'a', '', '\uff61', '\u{1f600}', 'a\u0000', '\ud800', 'é', 'ab'];
    const history = keys.map((key, i) => kv.put(i, key, `v${i}\ud800`, i, i + 1));
    history.push(...keys.map((key, i) => kv.get(100 + i, key, `v${i}\ud800`, 50 + i, 51 + i)));
    const taken = fast(history, true)!;
    expect(taken.result).toBe('Ok');
    expect(taken.info.partitions.map((p) => p.operations[0]!.input.key)).toEqual([...keys].sort());
    expect(summary(taken)).toEqual(summary(checkOperationsVerbose(javascriptKv, history, 0)));
    // A lone surrogate is a code unit like any other: a different one is a different value.
    history[history.length - 1] = kv.get(200, 'ab', `v8\udc00`, 60, 61);
    expect(fast(history, false)!.result).toBe('Illegal');
  });

  it('treats an answer that is not a string as matching no state', () => {
    const history: KvOperation[] = [kv.put(0, 'k', '7', 0, 1), { ...kv.get(1, 'k', '7', 2, 3), output: { value: 7 as unknown as string } }];
    expect(fast(history, false)!.result).toBe('Illegal');
    expect(checkOperationsTimeout(javascriptKv, history, 0)).toBe('Illegal');
    // Operations after it keep their own strings (the answer takes none).
    const more = [...history, kv.put(2, 'j', 'x', 4, 5), kv.get(3, 'j', 'x', 6, 7)];
    expect(summary(fast(more, true)!)).toEqual(summary(checkOperationsVerbose(javascriptKv, more, 0)));
  });

  it('validates clients as the general path does', () => {
    const overlapping = [kv.put(0, 'k', 'a', 0, 10), kv.put(0, 'k', 'b', 5, 12)];
    expect(() => fast(overlapping, false)).toThrow(OverlappingOperationsError);
    // Listed out of call order but sequential: accepted.
    const unordered = [kv.put(0, 'k', 'b', 20, 30), kv.put(0, 'k', 'a', 0, 10), kv.get(1, 'k', 'b', 31, 32)];
    expect(fast(unordered, false)!.result).toBe('Ok');
    const backwards = [kv.put(0, 'k', 'a', 10, 5)];
    expect(() => fast(backwards, false)).toThrow(/returns before it is called/);
    // Many clients and keys (the module's tables grow as they come): each client's first
    // operation, then one that overlaps it, for the first client and for the last.
    const many = Array.from({ length: 300 }, (_, c) => kv.put(c, `k${c}`, 'a', c, c + 10));
    for (const client of [0, 299]) {
      expect(() => fast([...many, kv.put(client, 'x', 'b', client + 5, client + 20)], false)).toThrow(OverlappingOperationsError);
    }
    expect(fast([...many, kv.put(299, 'x', 'b', 310, 320)], false)!.result).toBe('Ok');
  });

  it('declines what it cannot mean exactly, and the general path reports it', () => {
    const unknownOp = [{ clientId: 0, input: { op: 'cas', key: 'k' } as unknown as KvInput, output: { value: '' }, call: 0, return: 1 }];
    expect(fast(unknownOp, false)).toBeUndefined();
    expect(() => checkOperationsTimeout(kvModel, unknownOp, 0)).toThrow(/unknown kv op "cas"/);
    const numberWritten = [{ ...kv.put(0, 'k', 'a', 0, 1), input: { op: 'put', key: 'k', value: 5 } as unknown as KvInput }];
    expect(fast(numberWritten, false)).toBeUndefined();
    expect(fast([kv.put(0.5, 'k', 'a', 0, 1)], false)).toBeUndefined();
    expect(fast([{ ...kv.put(0, 'k', 'a', 0, 1), call: '0' as unknown as number }], false)).toBeUndefined();
    expect(() => checkOperationsTimeout(kvModel, [{ ...kv.put(0, 'k', 'a', 0, 1), call: '0' as unknown as number }], 0)).toThrow(/call time/);
  });

  it('answers Unknown when the time limit passes mid-search, with the partial linearization so far', () => {
    const hard: KvOperation[] = [];
    for (let c = 0; c < 14; c++) {
      for (let round = 0; round < 6; round++) hard.push(kv.append(c, 'k', `${c}.${round};`, round * 10, round * 10 + 9));
    }
    hard.push(kv.get(99, 'k', 'impossible', 1000, 1001));
    const start = performance.now();
    const taken = fast(hard, true, 200)!;
    expect(taken.result).toBe('Unknown');
    expect(performance.now() - start).toBeLessThan(200 + 2_000);
    const partition = taken.info.partitions[0]!;
    expect(partition.partialLinearizations.length).toBeGreaterThan(0);
    // Every operation of a partial linearization holds one at least as long (those still on
    // the stack when the search stopped included).
    for (const sequence of partition.partialLinearizations) {
      for (const operation of sequence) {
        const held = partition.longestContaining[operation]!;
        expect(held).toBeGreaterThanOrEqual(0);
        expect(partition.partialLinearizations[held]!.length).toBeGreaterThanOrEqual(sequence.length);
      }
    }
  });

  it('agrees with the JavaScript loop on random small histories with ambiguous values', () => {
    const operation = fc.record({
      op: fc.constantFrom('get' as const, 'put' as const, 'append' as const, 'appendReturn' as const),
      key: fc.constantFrom('a', 'b', '\u{1f600}'),
      value: fc.constantFrom('x', 'y', 'xy', 'yx', '', '\ud800'),
      output: fc.constantFrom('', 'x', 'y', 'xy', 'yx', 'xyx', 'xxy'),
      client: fc.nat(3),
      call: fc.nat(30),
      length: fc.nat(12),
    });
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 12 }), (drawn) => {
        // Each client's operations one after another.
        const freeAt = new Map<number, number>();
        const history: KvOperation[] = drawn.map((d) => {
          const call = Math.max(d.call, freeAt.get(d.client) ?? 0);
          freeAt.set(d.client, call + d.length);
          const input = (d.op === 'get' ? { op: 'get', key: d.key } : { op: d.op, key: d.key, value: d.value }) as KvInput;
          return { clientId: d.client, input, output: { value: d.output }, call, return: call + d.length };
        });
        const expected = summary(checkOperationsVerbose(javascriptKv, history, 0));
        const taken = fast(history, true);
        if (history.length === 0) expect(taken).toBeUndefined();
        else expect(summary(taken!)).toEqual(expected);
      }),
      { numRuns: 600 },
    );
  });

  it('tells linearized sets apart by content alone when every set hashes alike', () => {
    // The memo keeps a set as its window (see wasm/assembly/memo.ts); with the hash giving
    // nothing away, a window wrongly bounded would merge two sets and change the search.
    const module = kvSearchInstance()!;
    module.collideSetHashesForTests(1);
    try {
      for (let seed = 0; seed < 6; seed++) {
        const history = makeLinearizableKvHistory({ seed: 900 + seed, operations: 150 + 40 * seed, keys: 1 + (seed % 2), clients: 3 + seed });
        for (const h of [history, corrupt(history, history.length / 2)]) {
          expect(summary(fast(h, true)!)).toEqual(summary(checkOperationsVerbose(javascriptKv, h, 0)));
        }
      }
    } finally {
      module.collideSetHashesForTests(0);
    }
  });

  it('falls back to the general path when the module traps, then starts afresh', () => {
    const real = kvSearchInstance()!;
    const trapping: KvSearchExports = { ...real, memory: real.memory, prepare: () => { throw new WebAssembly.RuntimeError('unreachable'); } };
    const history = makeLinearizableKvHistory({ seed: 3, operations: 300, keys: 3, clients: 4 });
    replaceKvSearchInstanceForTests(trapping);
    try {
      expect(fast(history, false)).toBeUndefined();
      replaceKvSearchInstanceForTests(trapping);
      expect(checkOperationsTimeout(kvModel, corrupt(history, 150), 0)).toBe('Illegal');
      // The trapped instance was dropped: the next check runs on a new one.
      expect(fast(history, false)!.result).toBe('Ok');
    } finally {
      replaceKvSearchInstanceForTests(undefined);
    }
  });

  it('is built from its source: the committed module is up to date', () => {
    const output = execFileSync(process.execPath, ['porcupine/wasm/build.mjs', '--check'], { encoding: 'utf8' });
    expect(output).toContain('up to date');
  }, 60_000);
});
