/** The key/value model: per-key partitions, 6.5840's semantics, append-with-return. */
import { describe, expect, it } from 'vitest';
import {
  checkEvents,
  checkOperations,
  checkOperationsVerbose,
  describeFailure,
  kv,
  kvModel,
  kvOpFromNumber,
} from '../index.ts';
import { toEvents } from './helpers.ts';

describe('kvModel', () => {
  it('reads a missing key as "", puts replace and appends concatenate', () => {
    const history = [
      kv.get(0, 'a', '', 0, 1),
      kv.append(0, 'a', 'x', 2, 3), // append on a missing key acts like put
      kv.append(0, 'a', 'y', 4, 5),
      kv.get(0, 'a', 'xy', 6, 7),
      kv.put(0, 'a', 'z', 8, 9),
      kv.get(0, 'a', 'z', 10, 11),
    ];
    expect(checkOperations(kvModel, history)).toBe(true);
  });

  it('accepts concurrent puts and gets on several keys', () => {
    const history = [
      kv.put(0, 'a', '1', 0, 50),
      kv.put(1, 'b', '2', 10, 60),
      kv.get(2, 'a', '1', 20, 30), // sees a's put, which is in flight
      kv.get(3, 'b', '', 20, 30), // does not see b's put yet, also fine
      kv.get(2, 'b', '2', 70, 80),
      kv.get(3, 'a', '1', 70, 80),
    ];
    expect(checkOperations(kvModel, history)).toBe(true);
  });

  it('rejects a stale read', () => {
    const history = [kv.put(0, 'k', 'new', 0, 10), kv.get(1, 'k', '', 20, 30)];
    expect(checkOperations(kvModel, history)).toBe(false);
  });

  it('rejects a lost append', () => {
    const history = [
      kv.append(0, 'k', 'a', 0, 10),
      kv.append(1, 'k', 'b', 5, 15),
      kv.get(2, 'k', 'b', 20, 30), // 'a' finished before the get began: it must show
    ];
    expect(checkOperations(kvModel, history)).toBe(false);
    expect(checkOperations(kvModel, [...history.slice(0, 2), kv.get(2, 'k', 'ab', 20, 30)])).toBe(true);
    expect(checkOperations(kvModel, [...history.slice(0, 2), kv.get(2, 'k', 'ba', 20, 30)])).toBe(true);
  });

  it('rejects an append applied twice', () => {
    const history = [kv.append(0, 'k', 'x', 0, 10), kv.get(1, 'k', 'xx', 20, 30)];
    expect(checkOperations(kvModel, history)).toBe(false);
  });

  it('checks keys independently: a failure on one key is found among good ones', () => {
    const good = Array.from({ length: 20 }, (_, i) => kv.put(i, `key${i}`, `v${i}`, 0, 10));
    const reads = Array.from({ length: 20 }, (_, i) => kv.get(i, `key${i}`, `v${i}`, 20, 30));
    expect(checkOperations(kvModel, [...good, ...reads])).toBe(true);
    reads[13] = kv.get(13, 'key13', 'v12', 20, 30);
    const { result, info } = checkOperationsVerbose(kvModel, [...good, ...reads], 0);
    expect(result).toBe('Illegal');
    // Partitions in sorted key order: key0, key1, key10, key11, key12, key13, ...
    const failing = info.partitions.flatMap((p, i) => (p.result === 'Illegal' ? [i] : []));
    expect(failing).toEqual([5]);
    expect(info.partitions[5].operations[0].input.key).toBe('key13');
  });

  it('appendReturn must return the old value, then appends', () => {
    const history = [
      kv.appendReturn(0, 'k', 'a', '', 0, 10),
      kv.appendReturn(1, 'k', 'b', 'a', 20, 30),
      kv.get(0, 'k', 'ab', 40, 50),
    ];
    expect(checkOperations(kvModel, history)).toBe(true);
    const wrongOld = [history[0], kv.appendReturn(1, 'k', 'b', '', 20, 30), history[2]];
    expect(checkOperations(kvModel, wrongOld)).toBe(false);
  });

  it('appendReturn outputs fix the order of concurrent appends', () => {
    const concurrent = [kv.appendReturn(0, 'k', 'a', 'b', 0, 10), kv.appendReturn(1, 'k', 'b', '', 0, 10)];
    expect(checkOperations(kvModel, [...concurrent, kv.get(2, 'k', 'ba', 20, 30)])).toBe(true);
    expect(checkOperations(kvModel, [...concurrent, kv.get(2, 'k', 'ab', 20, 30)])).toBe(false);
  });

  it('describes operations and states the 6.5840 way', () => {
    const describe = (o: ReturnType<typeof kv.get>) => kvModel.describeOperation!(o.input, o.output);
    expect(describe(kv.get(0, 'k', 'v', 0, 1))).toBe("get('k') -> 'v'");
    expect(describe(kv.put(0, 'k', 'v', 0, 1))).toBe("put('k', 'v')");
    expect(describe(kv.append(0, 'k', 'v', 0, 1))).toBe("append('k', 'v')");
    expect(describe(kv.appendReturn(0, 'k', 'v', 'old', 0, 1))).toBe("append('k', 'v') -> 'old'");
    expect(kvModel.describeState!("it's")).toBe("'it\\'s'");
  });

  it('maps 6.5840 op numbers', () => {
    expect([0, 1, 2, 3].map((n) => kvOpFromNumber(n as 0 | 1 | 2 | 3))).toEqual(['get', 'put', 'append', 'appendReturn']);
    expect(() => kvOpFromNumber(7 as 0)).toThrow(/unknown kv op number 7/);
  });

  it('partitions event histories by key too', () => {
    const history = [
      kv.put(0, 'a', '1', 0, 10),
      kv.put(1, 'b', '2', 5, 15),
      kv.get(0, 'a', '1', 20, 30),
      kv.get(1, 'b', '2', 20, 30),
    ];
    expect(checkEvents(kvModel, toEvents(history))).toBe(true);
    const parts = kvModel.partitionEvent!(toEvents(history));
    expect(parts.map((part) => part.map((event) => `${event.kind}${event.id}`))).toEqual([
      ['call0', 'return0', 'call2', 'return2'],
      ['call1', 'return1', 'call3', 'return3'],
    ]);
    history[3] = kv.get(1, 'b', '1', 20, 30);
    expect(checkEvents(kvModel, toEvents(history))).toBe(false);
  });

  it('explains a failure in words', () => {
    const history = [kv.put(0, 'k', 'new', 0, 10), kv.get(1, 'k', 'old', 20, 30)];
    const { info } = checkOperationsVerbose(kvModel, history, 0);
    const text = describeFailure(kvModel, info)!;
    expect(text).toContain("put('k', 'new')");
    expect(text).toContain("client 1: get('k') -> 'old' [call 20, return 30]");
    expect(text).toContain("state 'new'");
    expect(describeFailure(kvModel, checkOperationsVerbose(kvModel, history.slice(0, 1), 0).info)).toBeUndefined();
  });
});
