/** The checker on hand-made register histories, porcupine's classic examples among them. */
import { describe, expect, it } from 'vitest';
import {
  checkEvents,
  checkEventsTimeout,
  checkEventsVerbose,
  checkOperations,
  checkOperationsTimeout,
  checkOperationsVerbose,
  type Model,
} from '../index.ts';
import { get, isValidPartialLinearization, put, registerModel, toEvents } from './helpers.ts';

describe('classic register examples', () => {
  it('accepts a put concurrent with two gets that see before and after', () => {
    // Client 2 reads 0 while the put is in flight, client 1 reads 100: order get0, put, get100.
    const history = [put(0, 100, 0, 100), get(1, 100, 25, 75), get(2, 0, 30, 60)];
    expect(checkOperations(registerModel, history)).toBe(true);
  });

  it('rejects a stale read after another client already saw the new value', () => {
    // get -> 200 returned at 30, so the put took effect by then; a get called at 40 cannot read 0.
    const history = [put(0, 200, 0, 100), get(1, 200, 10, 30), get(2, 0, 40, 90)];
    expect(checkOperations(registerModel, history)).toBe(false);
  });

  it('accepts a sequential history and rejects it once one read is wrong', () => {
    const history = [put(0, 1, 0, 10), get(0, 1, 20, 30), put(1, 2, 40, 50), get(1, 2, 60, 70)];
    expect(checkOperations(registerModel, history)).toBe(true);
    const wrong = [...history.slice(0, 3), get(1, 1, 60, 70)];
    expect(checkOperations(registerModel, wrong)).toBe(false);
  });

  it('accepts concurrent puts read in either order by concurrent gets', () => {
    const history = [put(0, 1, 0, 50), put(1, 2, 0, 50), get(2, 2, 10, 60), get(3, 1, 10, 60)];
    // put1, get->1, put2, get->2 fits inside the overlapping intervals.
    expect(checkOperations(registerModel, history)).toBe(true);
  });

  it('rejects two later reads that disagree about the last of two finished puts', () => {
    const history = [put(0, 1, 0, 10), put(1, 2, 0, 10), get(2, 2, 20, 30), get(3, 1, 40, 50)];
    expect(checkOperations(registerModel, history)).toBe(false);
  });

  it('rejects a read of a value that was never written', () => {
    expect(checkOperations(registerModel, [put(0, 1, 0, 10), get(1, 7, 0, 10)])).toBe(false);
  });

  it('treats operations that touch (a.return === b.call) as concurrent', () => {
    // A strict reading would need put before get; at equal times the checker cannot tell.
    expect(checkOperations(registerModel, [put(0, 5, 0, 10), get(1, 0, 10, 20)])).toBe(true);
    expect(checkOperations(registerModel, [put(0, 5, 0, 10), get(1, 0, 11, 20)])).toBe(false);
  });

  it('lets an operation that never returned take effect at any time after its call', () => {
    const history = [put(0, 9, 0, Infinity), get(1, 0, 5, 10), get(2, 9, 100, 110), get(3, 9, 200, 210)];
    expect(checkOperations(registerModel, history)).toBe(true);
    // ...but not before its call.
    expect(checkOperations(registerModel, [get(1, 9, 0, 4), put(0, 9, 5, Infinity)])).toBe(false);
  });

  it('says Ok for an empty history, whatever the entry point', () => {
    expect(checkOperations(registerModel, [])).toBe(true);
    expect(checkOperationsTimeout(registerModel, [], 10)).toBe('Ok');
    expect(checkOperationsVerbose(registerModel, [], 0).result).toBe('Ok');
    expect(checkEvents(registerModel, [])).toBe(true);
    expect(checkEventsVerbose(registerModel, [], 0).result).toBe('Ok');
  });
});

describe('models', () => {
  it('uses equal() to merge states that are different objects', () => {
    // State as an object: without equal, the memo would never hit; the verdict must not change.
    type Box = { readonly value: number };
    const boxed: Model<Box, { op: 'put'; value: number } | { op: 'get' }, number> = {
      init: () => ({ value: 0 }),
      step: (state, input, output) =>
        input.op === 'put' ? [true, { value: input.value }] : [output === state.value, state],
      equal: (a, b) => a.value === b.value,
    };
    const history = [put(0, 1, 0, 100), put(1, 1, 0, 100), put(2, 2, 0, 100), get(3, 1, 200, 210)];
    expect(checkOperations(boxed, history)).toBe(true);
    expect(checkOperations(boxed, [...history.slice(0, 3), get(3, 3, 200, 210)])).toBe(false);
  });

  it('calls model.partition and judges each part alone', () => {
    const calls: number[] = [];
    const byClientParity: typeof registerModel = {
      ...registerModel,
      partition: (history) => {
        calls.push(history.length);
        return [history.filter((o) => o.clientId % 2 === 0), history.filter((o) => o.clientId % 2 === 1)];
      },
    };
    // Separately, each parity is a fine register; together the reads contradict each other.
    const history = [put(0, 1, 0, 10), get(2, 1, 20, 30), get(1, 0, 40, 50)];
    expect(checkOperations(registerModel, history)).toBe(false);
    expect(checkOperations(byClientParity, history)).toBe(true);
    expect(calls).toEqual([3]);
  });
});

describe('verbose results', () => {
  it('gives the full linearization of an Ok history', () => {
    const history = [put(0, 100, 0, 100), get(1, 100, 25, 75), get(2, 0, 30, 60)];
    const { result, info } = checkOperationsVerbose(registerModel, history, 0);
    expect(result).toBe('Ok');
    const [partition] = info.partitions;
    expect(partition.result).toBe('Ok');
    expect(partition.partialLinearizations).toEqual([[2, 0, 1]]);
    expect(partition.longestContaining).toEqual([0, 0, 0]);
    expect(partition.failedOperation).toBe(-1);
  });

  it('gives the longest partial linearizations and the stuck operation of an Illegal one', () => {
    const history = [put(0, 200, 0, 100), get(1, 200, 10, 30), get(2, 0, 40, 90)];
    const { result, info } = checkOperationsVerbose(registerModel, history, 0);
    expect(result).toBe('Illegal');
    const [partition] = info.partitions;
    expect(partition.result).toBe('Illegal');
    expect(partition.partialLinearizations[0]).toEqual([0, 1]);
    for (const sequence of partition.partialLinearizations) {
      expect(isValidPartialLinearization(registerModel, history, sequence)).toBe(true);
    }
    expect(partition.failedOperation).toBe(2);
    expect(partition.longestContaining[2]).toBe(-1);
  });

  it('keeps distinct partial linearizations, longest first, and which one each operation is in', () => {
    // Both puts finish before three concurrent reads that disagree: reads of 1 fit after
    // put 2, put 1; the read of 2 fits only after put 1, put 2.
    const history = [put(0, 1, 0, 10), put(1, 2, 0, 10), get(2, 1, 20, 30), get(3, 2, 20, 30), get(4, 1, 20, 30)];
    const [partition] = checkOperationsVerbose(registerModel, history, 0).info.partitions;
    expect(partition.partialLinearizations).toEqual([[1, 0, 2, 4], [0, 1, 3]]);
    expect(partition.longestContaining).toEqual([0, 0, 0, 1, 0]);
    expect(partition.failedOperation).toBe(3);
  });

  it('names as failed the earliest-returning operation outside the longest linearization', () => {
    const history = [put(0, 1, 0, 10), get(1, 9, 50, 60), get(2, 7, 20, 30)];
    const [partition] = checkOperationsVerbose(registerModel, history, 0).info.partitions;
    expect(partition.partialLinearizations).toEqual([[0]]);
    expect(partition.failedOperation).toBe(2);
  });

  it('checks every partition, where the plain check stops at the first failure', () => {
    let partitions = 0;
    const model: typeof registerModel = {
      ...registerModel,
      partition: (history) => history.map((operation) => [operation]),
      init: () => {
        partitions++;
        return 0;
      },
    };
    const history = [get(0, 1, 0, 1), get(1, 2, 0, 1), get(2, 0, 0, 1)];
    expect(checkOperationsTimeout(model, history, 0)).toBe('Illegal');
    expect(partitions).toBe(1);
    const { info } = checkOperationsVerbose(model, history, 0);
    expect(info.partitions.map((p) => p.result)).toEqual(['Illegal', 'Illegal', 'Ok']);
  });
});

describe('event histories', () => {
  it('gives the same verdicts as the operations they come from', () => {
    const ok = [put(0, 100, 0, 100), get(1, 100, 25, 75), get(2, 0, 30, 60)];
    const illegal = [put(0, 200, 0, 100), get(1, 200, 10, 30), get(2, 0, 40, 90)];
    expect(checkEvents(registerModel, toEvents(ok))).toBe(true);
    expect(checkEvents(registerModel, toEvents(illegal))).toBe(false);
    expect(checkEventsTimeout(registerModel, toEvents(illegal), 100)).toBe('Illegal');
  });

  it('reports event positions as times in verbose info', () => {
    const { info } = checkEventsVerbose(registerModel, toEvents([put(0, 1, 0, 10), get(1, 1, 20, 30)]), 0);
    expect(info.partitions[0].operations.map((o) => [o.call, o.return])).toEqual([[0, 1], [2, 3]]);
  });
});

describe('time limit', () => {
  // n appends all concurrent, then a read no order can produce: the search must try every
  // order of every subset (the memo cannot merge different strings), about e·n! states.
  function pathological(n: number) {
    const appendModel: Model<string, { op: 'append'; value: string } | { op: 'get' }, string> = {
      init: () => '',
      step: (state, input, output) => (input.op === 'append' ? [true, state + input.value] : [output === state, state]),
    };
    const history = Array.from({ length: n }, (_, i) => ({
      clientId: i, input: { op: 'append' as const, value: String.fromCharCode(97 + i) }, output: '', call: 0, return: 100,
    }));
    return { appendModel, history: [...history, { clientId: n, input: { op: 'get' as const }, output: 'impossible', call: 200, return: 210 }] };
  }

  it('gives Unknown when the limit runs out, quickly', () => {
    const { appendModel, history } = pathological(14);
    const start = performance.now();
    expect(checkOperationsTimeout(appendModel, history, 30)).toBe('Unknown');
    expect(performance.now() - start).toBeLessThan(1000);
    const verbose = checkOperationsVerbose(appendModel, history, 30);
    expect(verbose.result).toBe('Unknown');
    expect(verbose.info.partitions[0].result).toBe('Unknown');
  });

  it('gives Illegal for the same kind of history when it is small enough to finish', () => {
    const { appendModel, history } = pathological(5);
    expect(checkOperationsTimeout(appendModel, history, 0)).toBe('Illegal');
  });

  it('says Illegal if a partition judged before the time ran out is Illegal, else Unknown', () => {
    const { appendModel, history } = pathological(14);
    const wrongRead = { clientId: 99, input: { op: 'get' as const }, output: 'x', call: 0, return: 1 };
    const withWrongRead = [...history, wrongRead];
    const isWrongRead = (o: { clientId: number }) => o.clientId === 99;
    const wrongFirst: typeof appendModel = {
      ...appendModel,
      partition: (h) => [h.filter(isWrongRead), h.filter((o) => !isWrongRead(o))],
    };
    const wrongLast: typeof appendModel = {
      ...appendModel,
      partition: (h) => [h.filter((o) => !isWrongRead(o)), h.filter(isWrongRead)],
    };
    expect(checkOperationsVerbose(wrongFirst, withWrongRead, 30).result).toBe('Illegal');
    const late = checkOperationsVerbose(wrongLast, withWrongRead, 30);
    expect(late.result).toBe('Unknown');
    expect(late.info.partitions.map((p) => p.result)).toEqual(['Unknown', 'Unknown']);
  });
});
