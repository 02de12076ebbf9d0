/**
 * A checker thread of the pool (parallel.ts): imports the model named in each job, searches
 * the partitions it was given, answers on the job's port, and raises the job's done flag.
 */
import { type MessagePort, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fillDefaults } from './model.ts';
import { kvModel, stepsLikeKvModel } from './kv.ts';
import { decodeKvPartition, encodeKvShare, partitionCount, type KvWireShare } from './kv-wire.ts';
import { checkOperationsTimeout } from './checker.ts';
import { makeLinearizableKvHistory } from './synthetic.ts';
import { buildEntryList } from './entries.ts';
import { searchPartition, type SearchOutcome } from './search.ts';
import { deadlineAfter } from './clock.ts';
import { DONE } from './control.ts';
import type { Model, Operation } from './types.ts';


/** What the caller sends for one job. */
export interface Job {
  readonly moduleUrl: string;
  readonly exportName: string;
  /** The partitions as operations; empty when they come as `kvShare`. */
  readonly partitions: readonly (readonly Operation<unknown, unknown>[])[];
  /** The partitions of a key/value model in flat arrays (kv-wire.ts), instead of `partitions`. */
  readonly kvShare?: KvWireShare;
  /** Index of each partition in the whole history, for error messages. */
  readonly partitionIndices: readonly number[];
  /** Real time left, in ms; 0: no limit. */
  readonly timeoutMs: number;
  readonly verbose: boolean;
  readonly control: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** The answer on the job's port. */
export type JobAnswer = { readonly ok: true; readonly outcomes: readonly SearchOutcome[] } | { readonly ok: false; readonly message: string };

const models = new Map<string, Model<unknown, unknown, unknown>>();

async function modelOf(moduleUrl: string, exportName: string): Promise<Model<unknown, unknown, unknown>> {
  const key = `${moduleUrl}#${exportName}`;
  let model = models.get(key);
  if (model === undefined) {
    const module = (await import(moduleUrl)) as Record<string, unknown>;
    model = module[exportName] as Model<unknown, unknown, unknown> | undefined;
    if (model === undefined || typeof model.step !== 'function') throw new Error(`${moduleUrl} exports no model named ${exportName}`);
    models.set(key, model);
  }
  return model;
}

async function run(job: Job): Promise<JobAnswer> {
  const control = new Int32Array(job.control);
  try {
    const raw = await modelOf(job.moduleUrl, job.exportName);
    const model = fillDefaults(raw);
    const kvSteps = stepsLikeKvModel(raw);
    const deadline = deadlineAfter(job.timeoutMs);
    const outcomes: SearchOutcome[] = [];
    const wire = job.kvShare;
    const count = wire === undefined ? job.partitions.length : partitionCount(wire);
    for (let k = 0; k < count; k++) {
      const common = { model, partitionIndex: job.partitionIndices[k]!, deadline, recordPartials: job.verbose, control, kvSteps };
      let outcome: SearchOutcome;
      if (wire === undefined) {
        const operations = job.partitions[k]!;
        outcome = searchPartition({ ...common, operations, list: buildEntryList(operations) });
      } else {
        // The compiled step never calls the model, so no error needs the operations.
        const { list, program } = decodeKvPartition(wire, k);
        outcome = searchPartition({ ...common, operations: [], list, kvProgram: program });
      }
      outcomes.push(outcome);
      // Without the partial linearizations, one Illegal partition settles the whole check.
      if (outcome.result === 'Illegal' && !job.verbose) break;
      if (outcome.result === 'Unknown') break;
    }
    return { ok: true, outcomes };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

if (!isMainThread && parentPort !== null && (workerData as { porcupineWorker?: boolean } | undefined)?.porcupineWorker === true) {
  const ready = new Int32Array((workerData as { ready: SharedArrayBuffer }).ready);
  parentPort.on('message', (job: Job) => {
    void run(job).then((answer) => {
      job.port.postMessage(answer);
      job.port.close();
      const control = new Int32Array(job.control);
      Atomics.store(control, DONE, 1);
      Atomics.notify(control, DONE);
    });
  });
  warmUp();
  Atomics.store(ready, 0, 1);
  parentPort.postMessage('ready');
}

/**
 * Runs the key/value search once on a small synthetic history before the thread says it is
 * ready, so that the first real share runs optimized code: a thread's engine starts cold, and
 * a cold search of a share took longer than the calling thread's whole check.
 */
function warmUp(): void {
  try {
    const history = makeLinearizableKvHistory({ seed: 1, operations: 4_000, keys: 8, clients: 8 });
    checkOperationsTimeout(kvModel, history, 1_000);
    // The path a share takes: flat arrays decoded into entry lists and compiled steps.
    const wire = encodeKvShare(kvModel.partition!(history));
    if (wire === undefined) return;
    const model = fillDefaults(kvModel);
    for (let k = 0; k < partitionCount(wire); k++) {
      const { list, program } = decodeKvPartition(wire, k);
      searchPartition({ model, operations: [], list, kvProgram: program, partitionIndex: k, deadline: deadlineAfter(1_000), recordPartials: k % 2 === 0 });
    }
  } catch {
    // Only a warm-up: a real job reports real errors.
  }
}
