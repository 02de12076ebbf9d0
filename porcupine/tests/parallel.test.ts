/**
 * Checking on several threads: the same verdicts and partial linearizations as in the calling
 * thread, the time limit, and what happens when a thread cannot do its share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkOperationsTimeout,
  checkOperationsVerbose,
  kv,
  kvModel,
  makeLinearizableKvHistory,
  ModelStepError,
  stopCheckerThreads,
  warmUpCheckerThreads,
  type KvInput,
  type KvOutput,
  type Model,
  type Operation,
} from '../index.ts';
import { jobsPosted, setParallelMinOperations } from '../parallel.ts';
import { throwingModel } from './fixtures/throwing-model.ts';

const history = makeLinearizableKvHistory({ seed: 77, operations: 3_000, keys: 20, clients: 10 });
const corrupted = history.slice();
const badIndex = history.findIndex((o, i) => i > 1500 && o.input.op === 'get');
corrupted[badIndex] = { ...history[badIndex]!, output: { value: 'never written' } };
const inThread: Model<string, KvInput, KvOutput> = { ...kvModel, workerModule: undefined };

let previousMin = 0;
beforeAll(async () => {
  previousMin = setParallelMinOperations(1);
  expect(await warmUpCheckerThreads()).toBeGreaterThan(0);
}, 60_000);

afterAll(async () => {
  setParallelMinOperations(previousMin);
  await stopCheckerThreads();
});

describe('on threads', () => {
  it('gives the verdicts of the calling thread', () => {
    const jobs = jobsPosted();
    expect(checkOperationsTimeout(kvModel, history, 0)).toBe('Ok');
    expect(checkOperationsTimeout(kvModel, corrupted, 0)).toBe('Illegal');
    expect(jobsPosted()).toBeGreaterThanOrEqual(jobs + 2);
  });

  it('gives the same partial linearizations and failing operation as the calling thread', () => {
    for (const h of [history, corrupted]) {
      const threaded = checkOperationsVerbose(kvModel, h, 0);
      const local = checkOperationsVerbose(inThread, h, 0);
      expect(threaded.result).toBe(local.result);
      expect(threaded.info.partitions.map((p) => [p.result, p.partialLinearizations, p.longestContaining, p.failedOperation])).toEqual(
        local.info.partitions.map((p) => [p.result, p.partialLinearizations, p.longestContaining, p.failedOperation]),
      );
    }
  });

  it('sends operations the flat encoding cannot hold as objects, with the same verdicts', () => {
    // An answer that is not a string matches no state; the flat arrays hold only strings.
    const odd = history.slice();
    const index = history.findIndex((o, i) => i > 1500 && o.input.op === 'get');
    odd[index] = { ...history[index]!, output: { value: 7 as unknown as string } };
    const jobs = jobsPosted();
    expect(checkOperationsTimeout(kvModel, odd, 0)).toBe('Illegal');
    expect(checkOperationsVerbose(kvModel, odd, 0).info.partitions.map((p) => p.failedOperation)).toEqual(
      checkOperationsVerbose(inThread, odd, 0).info.partitions.map((p) => p.failedOperation),
    );
    expect(jobsPosted()).toBeGreaterThan(jobs);
  });

  it('answers Unknown within the time limit when the search is too long', () => {
    // Many keys, each with 12 clients appending at once: hopeless without a limit.
    const hard: Operation<KvInput, KvOutput>[] = [];
    for (let key = 0; key < 4; key++) {
      for (let c = 0; c < 12; c++) {
        for (let round = 0; round < 6; round++) {
          hard.push(kv.append(key * 100 + c, `k${key}`, `${c}.${round};`, round * 10, round * 10 + 9));
        }
      }
      hard.push(kv.get(key * 100 + 99, `k${key}`, 'impossible', 1000, 1001));
    }
    const start = performance.now();
    expect(checkOperationsTimeout(kvModel, hard, 300)).toBe('Unknown');
    expect(performance.now() - start).toBeLessThan(300 + 3_000);
  });

  it('falls back to the calling thread when a thread cannot load the model', () => {
    const missing: Model<string, KvInput, KvOutput> = { ...kvModel, workerModule: { url: kvModel.workerModule!.url, exportName: 'noSuchModel' } };
    expect(checkOperationsTimeout(missing, history, 0)).toBe('Ok');
    expect(checkOperationsTimeout(missing, corrupted, 0)).toBe('Illegal');
  });

  it('reports a model that throws as in the calling thread, naming the operation', () => {
    // The thread's search fails; the calling thread redoes its share and throws the usual error.
    const jobs = jobsPosted();
    expect(() => checkOperationsTimeout(throwingModel, history, 0)).toThrow(ModelStepError);
    expect(() => checkOperationsTimeout(throwingModel, history, 0)).toThrow(/model.step threw Error: boom on operation \d+ of partition \d+/);
    expect(jobsPosted()).toBeGreaterThan(jobs);
  });

  it('stops and restarts: after stopCheckerThreads, checks still run', async () => {
    await stopCheckerThreads();
    expect(checkOperationsTimeout(kvModel, history, 0)).toBe('Ok');
    expect(await warmUpCheckerThreads()).toBeGreaterThan(0);
    expect(checkOperationsTimeout(kvModel, corrupted, 0)).toBe('Illegal');
  }, 60_000);
});
