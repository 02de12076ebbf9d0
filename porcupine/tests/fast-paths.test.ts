/**
 * The fast paths against the plain ones: the search over interned states and the key/value
 * step compiled to integers must give exactly what the general loop gives (which steps the
 * model and compares states with `equal`), verdict and partial linearizations alike; entry
 * lists built from encoded integer keys must equal those built by comparison.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOperationsVerbose, kvModel, makeLinearizableKvHistory, type KvInput, type KvOutput, type Model, type Operation } from '../index.ts';
import { buildEntryList } from '../entries.ts';

type KvOperation = Operation<KvInput, KvOutput>;

/** Steps through `equal`: the general loop (memo of states, model.equal). */
const generalKv: Model<string, KvInput, KvOutput> = { ...kvModel, equal: (a, b) => a === b, workerModule: undefined };
/** Its own step function: interned states, but the model is called (no compiled step). */
const internedKv: Model<string, KvInput, KvOutput> = {
  ...kvModel,
  step: (state, input, output) => kvModel.step(state, input, output),
  workerModule: undefined,
};

function summary(model: Model<string, KvInput, KvOutput>, history: KvOperation[]): unknown {
  const { result, info } = checkOperationsVerbose(model, history, 0);
  return { result, partitions: info.partitions.map((p) => [p.result, p.partialLinearizations, p.longestContaining, p.failedOperation]) };
}

const smallOperation = fc.record({
  input: fc.oneof(
    fc.record({ op: fc.constant('get' as const), key: fc.constantFrom('a', 'b') }),
    fc.record({
      op: fc.constantFrom('put' as const, 'append' as const, 'appendReturn' as const),
      key: fc.constantFrom('a', 'b'),
      // Values that concatenate ambiguously ('x' + 'yx' === 'xy' + 'x'), so equal states arise by different orders.
      value: fc.constantFrom('x', 'y', 'xy', 'yx', ''),
    }),
  ),
  output: fc.constantFrom('', 'x', 'y', 'xy', 'yx', 'xyx', 'xxy'),
  call: fc.nat(20),
  length: fc.nat(12),
});

describe('fast paths agree with the general loop', () => {
  it('on small random histories (both verdicts), with verbose partial linearizations', () => {
    let legal = 0;
    let illegal = 0;
    fc.assert(
      fc.property(fc.array(smallOperation, { maxLength: 10 }), (drawn) => {
        const history: KvOperation[] = drawn.map((d, clientId) => ({
          clientId, input: d.input, call: d.call, output: { value: d.output }, return: d.call + d.length,
        }));
        const expected = summary(generalKv, history);
        if ((expected as { result: string }).result === 'Ok') legal++;
        else illegal++;
        expect(summary(kvModel, history)).toEqual(expected);
        expect(summary(internedKv, history)).toEqual(expected);
      }),
      { numRuns: 800 },
    );
    expect(Math.min(legal, illegal)).toBeGreaterThan(100);
  });

  it('on generated histories with concurrency, linearizable and corrupted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(), (seed, pick) => {
        const history = makeLinearizableKvHistory({ seed, operations: 150, keys: 2, clients: 6 });
        const corrupted = history.slice();
        const index = pick % history.length;
        corrupted[index] = { ...history[index]!, output: { value: 'never written' } };
        for (const candidate of [history, corrupted]) {
          const expected = summary(generalKv, candidate);
          expect(summary(kvModel, candidate)).toEqual(expected);
          expect(summary(internedKv, candidate)).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('falls back to the model for inputs the compiled step does not cover', () => {
    // A number written makes `state + value` numeric addition in kvModel.step: not compiled.
    const odd = [
      { clientId: 0, input: { op: 'put', key: 'k', value: 1 }, output: { value: '' }, call: 0, return: 10 },
      { clientId: 1, input: { op: 'append', key: 'k', value: 2 }, output: { value: '' }, call: 20, return: 30 },
      { clientId: 2, input: { op: 'get', key: 'k' }, output: { value: 3 }, call: 40, return: 50 },
    ] as unknown as KvOperation[];
    expect(checkOperationsVerbose(kvModel, odd, 0).result).toBe('Ok');
    expect(summary(kvModel, odd)).toEqual(summary(generalKv, odd));
  });
});

describe('entry lists', () => {
  const times = fc.array(fc.record({ call: fc.integer({ min: -50, max: 50 }), length: fc.nat(20), open: fc.boolean() }), { maxLength: 30 });
  const toHistory = (drawn: { call: number; length: number; open: boolean }[], shift: number): KvOperation[] =>
    drawn.map((d, clientId) => ({
      clientId,
      input: { op: 'get', key: 'k' },
      output: { value: '' },
      call: d.call + shift,
      return: d.open ? Infinity : d.call + d.length + shift,
    }));
  const shape = (history: KvOperation[]): unknown => {
    const list = buildEntryList(history);
    return [Array.from(list.operationOf), Array.from(list.matchOf), Array.from(list.next), Array.from(list.prev)];
  };

  it('are the same from encoded integer keys as from comparisons (fractional or huge times)', () => {
    fc.assert(
      fc.property(times, (drawn) => {
        const integers = shape(toHistory(drawn, 0));
        expect(shape(toHistory(drawn, 0.5))).toEqual(integers); // fractional: compared
        expect(shape(toHistory(drawn, 2 ** 52))).toEqual(integers); // beyond exact keys: compared
      }),
      { numRuns: 300 },
    );
  });

  it('order by time, calls before returns at equal times, then by operation', () => {
    const history = toHistory([{ call: 5, length: 0, open: false }, { call: 0, length: 5, open: false }, { call: 5, length: 3, open: true }], 0);
    // Entries: op1 call@0, op0 call@5, op2 call@5, op0 return@5, op1 return@5, op2 return@∞.
    expect(Array.from(buildEntryList(history).operationOf)).toEqual([-1, 1, 0, 2, 0, 1, 2]);
  });
});
