/** Properties over random histories (fast-check), including a brute-force reference. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkEvents,
  checkOperations,
  checkOperationsVerbose,
  kvModel,
  makeLinearizableKvHistory,
  type KvInput,
  type KvOutput,
  type Operation,
} from '../index.ts';
import { bruteForceLinearizable, isValidPartialLinearization, toEvents, wholeStoreKvModel } from './helpers.ts';

type KvOperation = Operation<KvInput, KvOutput>;

const kvInput: fc.Arbitrary<KvInput> = fc.oneof(
  fc.record({ op: fc.constant('get' as const), key: fc.constantFrom('a', 'b', 'c') }),
  fc.record({
    op: fc.constantFrom('put' as const, 'append' as const, 'appendReturn' as const),
    key: fc.constantFrom('a', 'b', 'c'),
    value: fc.string({ maxLength: 3 }),
  }),
);

/** Runs the inputs one after another in disjoint intervals, giving each its true output. */
function sequentialHistory(steps: { input: KvInput; gap: number; length: number; clientId: number }[]): KvOperation[] {
  const store = new Map<string, string>();
  let time = 0;
  return steps.map(({ input, gap, length, clientId }) => {
    const call = time + gap;
    const ret = call + length;
    time = ret + 1;
    const old = store.get(input.key) ?? '';
    let value = '';
    if (input.op === 'get') value = old;
    else {
      store.set(input.key, input.op === 'put' ? input.value : old + input.value);
      if (input.op === 'appendReturn') value = old;
    }
    return { clientId, input, call, output: { value }, return: ret };
  });
}

const sequentialSteps = fc.array(
  fc.record({ input: kvInput, gap: fc.nat(5), length: fc.nat(5), clientId: fc.nat(4) }),
  { maxLength: 60 },
);

/** A value no put or append can produce: written values never contain NUL. */
const NEVER_WRITTEN = '\u0000never written';

describe('properties', () => {
  it('a sequential execution with non-overlapping intervals is always Ok', () => {
    fc.assert(
      fc.property(sequentialSteps, (steps) => {
        expect(checkOperations(kvModel, sequentialHistory(steps))).toBe(true);
      }),
    );
  });

  it('a concurrent linearizable execution is Ok, and Illegal once a get returns a value never written', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        (seed, keys, clients, pick) => {
          const history = makeLinearizableKvHistory({ seed, operations: 120, keys, clients });
          expect(checkOperations(kvModel, history)).toBe(true);
          const gets = history.flatMap((o, i) => (o.input.op === 'get' ? [i] : []));
          fc.pre(gets.length > 0);
          const index = gets[pick % gets.length];
          const corrupted = history.slice();
          corrupted[index] = { ...history[index], output: { value: NEVER_WRITTEN } };
          expect(checkOperations(kvModel, corrupted)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('agrees with a brute-force search on small arbitrary histories', () => {
    const operation = fc.record({
      input: fc.oneof(
        fc.record({ op: fc.constant('get' as const), key: fc.constantFrom('a', 'b') }),
        fc.record({
          op: fc.constantFrom('put' as const, 'append' as const, 'appendReturn' as const),
          key: fc.constantFrom('a', 'b'),
          value: fc.constantFrom('x', 'y'),
        }),
      ),
      // Outputs from a small set, so that both verdicts come up often.
      output: fc.constantFrom('', 'x', 'y', 'xy', 'yx'),
      call: fc.nat(12),
      length: fc.nat(8),
    });
    let legal = 0;
    let illegal = 0;
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 7 }), (drawn) => {
        // One client per operation, so any overlap is allowed.
        const history: KvOperation[] = drawn.map((d, clientId) => ({
          clientId, input: d.input, call: d.call, output: { value: d.output }, return: d.call + d.length,
        }));
        const expected = bruteForceLinearizable(wholeStoreKvModel, history);
        if (expected) legal++;
        else illegal++;
        expect(checkOperations(kvModel, history)).toBe(expected);
        expect(checkEvents(kvModel, toEvents(history))).toBe(expected);
        expect(checkOperationsVerbose(kvModel, history, 0).result).toBe(expected ? 'Ok' : 'Illegal');
      }),
      { numRuns: 1500 },
    );
    // The generator must exercise both answers, or the test proves little.
    expect(Math.min(legal, illegal)).toBeGreaterThan(200);
  });

  it('every partial linearization in verbose info is a legal, real-time-respecting prefix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(), (seed, pick) => {
        const history = makeLinearizableKvHistory({ seed, operations: 80, keys: 2, clients: 6 });
        const index = pick % history.length;
        const corrupted = history.slice();
        corrupted[index] = { ...history[index], output: { value: NEVER_WRITTEN } };
        for (const candidate of [history, corrupted]) {
          const { result, info } = checkOperationsVerbose(kvModel, candidate, 0);
          expect(result).toBe(checkOperations(kvModel, candidate) ? 'Ok' : 'Illegal');
          for (const partition of info.partitions) {
            const lengths = partition.partialLinearizations.map((sequence) => sequence.length);
            expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
            for (const sequence of partition.partialLinearizations) {
              expect(isValidPartialLinearization(kvModel, partition.operations, sequence)).toBe(true);
            }
            if (partition.result === 'Ok') {
              expect(partition.partialLinearizations[0]).toHaveLength(partition.operations.length);
            }
            partition.longestContaining.forEach((which, operation) => {
              if (which >= 0) expect(partition.partialLinearizations[which]).toContain(operation);
            });
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
