/** Input the checker cannot judge gets a clear error, never a hang, a crash or a silent verdict. */
import { describe, expect, it } from 'vitest';
import {
  checkEvents,
  checkOperations,
  checkOperationsVerbose,
  InvalidHistoryError,
  kv,
  kvModel,
  ModelError,
  ModelStepError,
  OverlappingOperationsError,
  SearchMemoryError,
  type Event,
  type KvInput,
  type KvOutput,
  type Model,
  type Operation,
} from '../index.ts';
import { get, put, registerModel } from './helpers.ts';
import { setSearchMemoryLimitForTests } from '../search-memory.ts';
import { kvSearchInstance } from '../wasm/instance.ts';

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('a model that throws', () => {
  it('gives a ModelStepError that names the operation, the client and the state', () => {
    const fragile: typeof registerModel = {
      ...registerModel,
      step: (state, input, output) => {
        if (input.op === 'put' && input.value === 13) throw new Error('unlucky number');
        return registerModel.step(state, input, output);
      },
    };
    const error = thrown(() => checkOperations(fragile, [put(0, 1, 0, 10), put(4, 13, 20, 30)]));
    expect(error).toBeInstanceOf(ModelStepError);
    expect(error.message).toContain('put(13)');
    expect(error.message).toContain('client 4');
    expect(error.message).toContain('unlucky number');
    expect(error.message).toContain('in state 1');
    expect((error as ModelStepError).operationIndex).toBe(1);
    expect((error.cause as Error).message).toBe('unlucky number');
  });

  it('gives a ModelStepError when step returns something other than [ok, state]', () => {
    const broken = { ...registerModel, step: () => undefined as unknown as [boolean, number] };
    const error = thrown(() => checkOperations(broken, [put(0, 1, 0, 10)]));
    expect(error).toBeInstanceOf(ModelStepError);
    expect(error.message).toMatch(/returned undefined instead of \[ok, newState\]/);
  });

  it('names an unknown kv op', () => {
    const bogus = { clientId: 2, input: { op: 'delete', key: 'k' } as unknown as KvInput, output: { value: '' }, call: 0, return: 1 };
    const error = thrown(() => checkOperations(kvModel, [bogus]));
    expect(error).toBeInstanceOf(ModelStepError);
    expect(error.message).toContain("unknown kv op \"delete\"; use 'get', 'put', 'append' or 'appendReturn'");
  });

  it('gives a ModelError when init, equal or partition throws, or partition loses operations', () => {
    // Reading 1 forces the search to try put 2 before put 1: it revisits bits {0, 1}, so equal runs.
    const history = [put(0, 1, 0, 10), put(1, 2, 0, 10), get(2, 1, 20, 30)];
    const badInit = { ...registerModel, init: (): number => { throw new Error('no init'); } };
    expect(thrown(() => checkOperations(badInit, history))).toBeInstanceOf(ModelError);
    const badEqual: typeof registerModel = { ...registerModel, equal: () => { throw new Error('no equal'); } };
    expect(thrown(() => checkOperations(badEqual, history)).message).toMatch(/model.equal threw: Error: no equal/);
    const badPartition: typeof registerModel = { ...registerModel, partition: () => { throw new Error('no parts'); } };
    expect(thrown(() => checkOperations(badPartition, history)).message).toMatch(/model.partition threw/);
    const lossy: typeof registerModel = { ...registerModel, partition: (h) => [h.slice(1)] };
    const error = thrown(() => checkOperations(lossy, history));
    expect(error).toBeInstanceOf(ModelError);
    expect(error.message).toMatch(/returned 2 operations in all for a history of 3/);
  });
});

describe('one client with two operations in flight', () => {
  it('is refused with an OverlappingOperationsError saying which client and operations', () => {
    const history = [kv.put(3, 'a', 'x', 0, 20), kv.get(1, 'a', 'x', 30, 40), kv.get(3, 'b', '', 10, 25)];
    const error = thrown(() => checkOperations(kvModel, history));
    expect(error).toBeInstanceOf(OverlappingOperationsError);
    expect(error).toBeInstanceOf(InvalidHistoryError);
    const overlap = error as OverlappingOperationsError;
    expect([overlap.clientId, overlap.firstIndex, overlap.secondIndex]).toEqual([3, 0, 2]);
    expect(error.message).toContain('client 3 has two operations in flight at once');
    expect(error.message).toContain("history[0] client 3: put('a', 'x') [call 0, return 20]");
    expect(error.message).toContain("history[2] client 3: get('b') -> '' [call 10, return 25]");
    expect(error.message).toContain('give each concurrent caller its own clientId');
  });

  it('is refused even when the second operation starts at the same time', () => {
    expect(() => checkOperations(kvModel, [kv.put(0, 'a', 'x', 5, 20), kv.put(0, 'a', 'y', 5, 6)])).toThrow(
      OverlappingOperationsError,
    );
  });

  it('is refused after an operation that never returned', () => {
    expect(() => checkOperations(kvModel, [kv.put(0, 'a', 'x', 0, Infinity), kv.get(0, 'a', 'x', 50, 60)])).toThrow(
      OverlappingOperationsError,
    );
  });

  it('is fine when one returns exactly when the next is called', () => {
    expect(checkOperations(kvModel, [kv.put(0, 'a', 'x', 0, 10), kv.get(0, 'a', 'x', 10, 20)])).toBe(true);
  });
});

describe('bad times', () => {
  it('refuses a return before its call', () => {
    const error = thrown(() => checkOperations(kvModel, [kv.put(0, 'a', 'x', 10, 5)]));
    expect(error).toBeInstanceOf(InvalidHistoryError);
    expect(error.message).toContain('returns before it is called (return 5 < call 10)');
  });

  it('refuses NaN and infinite calls, and NaN returns', () => {
    expect(() => checkOperations(kvModel, [kv.put(0, 'a', 'x', NaN, 5)])).toThrow(/call time NaN/);
    expect(() => checkOperations(kvModel, [kv.put(0, 'a', 'x', -Infinity, 5)])).toThrow(/call time -Infinity/);
    expect(() => checkOperations(kvModel, [kv.put(0, 'a', 'x', 0, NaN)])).toThrow(/return time NaN/);
  });

  it('refuses entries that are not operations', () => {
    expect(() => checkOperations(kvModel, [null as unknown as ReturnType<typeof kv.get>])).toThrow(InvalidHistoryError);
  });
});

describe('bad event histories', () => {
  const call = (id: number, clientId = 0): Event<number, number> => ({ clientId, kind: 'call', value: id, id });
  const ret = (id: number, clientId = 0): Event<number, number> => ({ clientId, kind: 'return', value: id, id });
  const echo: Model<number, number, number> = { init: () => 0, step: (s, i, o) => [i === o, s] };

  it('accepts a good one', () => {
    expect(checkEvents(echo, [call(1), ret(1), call(2, 1), call(3), ret(2, 1), ret(3)])).toBe(true);
  });

  it('refuses a return with no call before it', () => {
    expect(() => checkEvents(echo, [ret(1), call(1)])).toThrow(/events\[0\] returns operation id 1, which was never called/);
  });

  it('refuses a repeated call or return', () => {
    expect(() => checkEvents(echo, [call(1), ret(1), call(1), ret(1)])).toThrow(/calls operation id 1 again/);
    expect(() => checkEvents(echo, [call(1), ret(1), ret(1)])).toThrow(/returns operation id 1 a second time/);
  });

  it('refuses a call that never returns', () => {
    expect(() => checkEvents(echo, [call(1), call(2, 1), ret(2, 1)])).toThrow(/operation id 1 \(client 0\) is called at events\[0\] but never returns/);
  });

  it('refuses a return from another client, and an unknown kind', () => {
    expect(() => checkEvents(echo, [call(1, 0), ret(1, 5)])).toThrow(/for client 5, but client 0 called it/);
    const odd = { clientId: 0, kind: 'cancel', value: 1, id: 1 } as unknown as Event<number, number>;
    expect(() => checkEvents(echo, [odd])).toThrow(/has kind "cancel"; it must be 'call' or 'return'/);
  });

  it('refuses overlapping operations of one client', () => {
    expect(() => checkEvents(echo, [call(1), call(2), ret(1), ret(2)])).toThrow(OverlappingOperationsError);
  });

  it('refuses a partitionEvent that splits an operation or loses one', () => {
    const splitter: Model<number, number, number> = {
      ...echo,
      partitionEvent: (events) => [events.filter((e) => e.kind === 'call'), events.filter((e) => e.kind === 'return')],
    };
    expect(() => checkEvents(splitter, [call(1), ret(1)])).toThrow(/put operation id 1 in parts 0 and 1/);
    const loser: Model<number, number, number> = { ...echo, partitionEvent: (events) => [events.slice(0, 2)] };
    expect(() => checkEvents(loser, [call(1), ret(1), call(2), ret(2)])).toThrow(/left out operation/);
  });
});

describe('verbose mode on bad input', () => {
  it('throws the same errors', () => {
    expect(() => checkOperationsVerbose(kvModel, [kv.put(0, 'a', 'x', 10, 5)], 0)).toThrow(InvalidHistoryError);
    expect(() => checkOperationsVerbose(kvModel, [kv.put(0, 'a', 'x', 0, 5), kv.put(0, 'a', 'y', 4, 6)], 0)).toThrow(
      OverlappingOperationsError,
    );
  });
});

describe('histories read back from JSON', () => {
  it('are checked like any other (plain objects, no class instances needed)', () => {
    const parsed: unknown = JSON.parse(
      '[{"clientId":0,"input":{"op":"put","key":"k","value":"v"},"output":{"value":""},"call":0,"return":1},' +
        '{"clientId":1,"input":{"op":"get","key":"k"},"output":{"value":"v"},"call":2,"return":3}]',
    );
    expect(checkOperations(kvModel, parsed as Operation<KvInput, KvOutput>[])).toBe(true);
  });
});

describe('a search that runs out of memory', () => {
  // 14 clients append 6 times each, all at once, and a read answers what nobody wrote: an
  // exhaustive search explores a vast number of orders before it can say Illegal.
  const hard: Operation<KvInput, KvOutput>[] = [];
  for (let c = 0; c < 14; c++) {
    for (let round = 0; round < 6; round++) hard.push(kv.append(c, 'k', `${c}.${round};`, round * 10, round * 10 + 9));
  }
  hard.push(kv.get(99, 'k', 'impossible', 1000, 1001));
  const outOfMemory = /^the search of partition 0 \(85 operations\) ran out of memory: .* time limit/;

  it('is named, with the partition, in the JavaScript searches (not blamed on the model)', () => {
    const previous = setSearchMemoryLimitForTests(1 << 16);
    try {
      const models = [
        { ...kvModel, partition: (history: Operation<KvInput, KvOutput>[]) => kvModel.partition!(history) }, // interned states
        { ...kvModel, equal: (a: string, b: string) => a === b }, // the model's own equal
      ];
      for (const model of models) {
        const error = thrown(() => checkOperations(model, hard));
        expect(error).toBeInstanceOf(SearchMemoryError);
        expect(error.message).toMatch(outOfMemory);
        expect((error as SearchMemoryError).partitionIndex).toBe(0);
      }
    } finally {
      setSearchMemoryLimitForTests(previous);
    }
  });

  it('is named, with the partition, in the key/value module, which then starts afresh', () => {
    const capped = kvSearchInstance()!;
    capped.limitPagesForTests(64);
    const error = thrown(() => checkOperations(kvModel, hard));
    expect(error).toBeInstanceOf(SearchMemoryError);
    expect(error.message).toMatch(outOfMemory);
    // The capped instance was dropped: the next check gets a fresh one.
    expect(checkOperations(kvModel, [kv.put(0, 'k', 'a', 0, 1), kv.get(1, 'k', 'a', 2, 3)])).toBe(true);
    expect(kvSearchInstance()).not.toBe(capped);
  });
});
