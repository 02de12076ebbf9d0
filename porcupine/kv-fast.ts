/**
 * The key/value check in one pass: a history checked against `kvModel` itself (its own
 * partition, init and step, the default equal) is read by one loop into the module's memory, and the
 * WebAssembly module (wasm/assembly/) does the rest: it runs compiled on a cold process, where
 * the JavaScript loops would still be interpreted. No string is hashed here: keys, written
 * values and answers go to the module as UTF-16 code units, where keys and values are hashed
 * (an answer only when the search first meets a state of its length) and states compared.
 *
 * It gives exactly what the general path gives (same verdicts, same partial linearizations,
 * same errors): wherever the history holds something it does not handle (an unknown op, a
 * written value that is not a string, a missing output, a malformed time), it declines and
 * the general path runs, which reports such input properly.
 */
import { isPast } from './clock.ts';
import { SearchMemoryError } from './errors.ts';
import { validateOperations } from './history.ts';
import { kvModel, stepsLikeKvModel, type KvInput, type KvOutput } from './kv.ts';
import { APPEND, APPEND_RETURN, GET, PUT } from './kv-program.ts';
import { lazyKvInfo } from './kv-fast-info.ts';
import type { SearchOutcome } from './search.ts';
import { SearchOutOfMemory } from './search-memory.ts';
import type { CheckResult, FullModel, Model, Operation, VerboseResult } from './types.ts';
import { dropKvSearchInstance, kvSearchInstance, releaseKvSearchMemory, type KvSearchExports } from './wasm/instance.ts';


/** Set in an operation's kind: its answer is not a string, so no state (always a string) equals it. */
const ANSWER_NOT_A_STRING = 4;

/** What `search` and `resume` return. */
const OK = 0;
const ILLEGAL = 1;
const PAUSED = 3;

/** Whether the module is taken (by a check started from a model's callback during a check). */
let busy = false;

/** Whether `model` is kvModel in all that the fast check relies on: its steps and its partition. */
export function isPlainKvModel<S, I, O>(model: Model<S, I, O>): boolean {
  return stepsLikeKvModel(model) && model.partition === (kvModel as unknown as Model<S, I, O>).partition;
}

/**
 * Checks `history` against kvModel; undefined where the fast check declines (see above) and
 * the caller must run the general one.
 */
export function checkKvFast<I, O>(
  model: FullModel<unknown, I, O>,
  history: readonly Operation<I, O>[],
  deadline: number,
  verbose: boolean,
): VerboseResult<I, O> | undefined {
  if (busy || history.length === 0) return undefined;
  const module = kvSearchInstance();
  if (module === undefined) return undefined;
  busy = true;
  try {
    if (!readHistory(module, history as readonly Operation<unknown, unknown>[])) return undefined;
    if (module.prepare() !== 0) validateOperations(model, history);
    return searchAll(module, history, module.partitions(), deadline, verbose);
  } catch (error) {
    // A partition's search ran out of memory: so would the general path's. The next check
    // gets a fresh instance.
    if (error instanceof SearchMemoryError) {
      dropKvSearchInstance();
      throw error;
    }
    // The module trapped, or ran out of memory before any search (a history too large for its
    // 4 GiB): the general path checks it instead, and the next check gets a fresh instance.
    if (!(error instanceof WebAssembly.RuntimeError || error instanceof SearchOutOfMemory)) throw error;
    dropKvSearchInstance();
    return undefined;
  } finally {
    busy = false;
    releaseKvSearchMemory();
  }
}

/**
 * Reads the history into the module's memory; false where the fast check declines. One loop,
 * so that a cold check reads every operation once, writing straight into the module's arrays.
 */
function readHistory(module: KvSearchExports, history: readonly Operation<unknown, unknown>[]): boolean {
  const n = history.length;
  module.reserve(n);
  const buffer = module.memory.buffer;
  const calls = new Float64Array(buffer, module.callsPointer(), n);
  const returns = new Float64Array(buffer, module.returnsPointer(), n);
  const clients = new Int32Array(buffer, module.clientsPointer(), n);
  const kinds = new Int32Array(buffer, module.kindsPointer(), n);
  const stringStarts = new Int32Array(buffer, module.stringStartsPointer(), 3 * n + 1);
  // Every string, one after another (concatenating is cheap: the engine joins them lazily).
  let text = '';
  let stringCount = 0;
  let units = 0;
  stringStarts[0] = 0;
  for (let index = 0; index < n; index++) {
    const operation = history[index];
    if (operation === null || typeof operation !== 'object') return false;
    const call = operation.call;
    const ret = operation.return;
    const clientId = operation.clientId;
    // Client ids the module cannot hold exactly (fractions, beyond 32 bits): the general path.
    if (typeof call !== 'number' || typeof ret !== 'number' || typeof clientId !== 'number' || (clientId | 0) !== clientId) return false;
    calls[index] = call;
    returns[index] = ret;
    clients[index] = clientId;
    const input = operation.input as KvInput | null;
    if (input === null || typeof input !== 'object') return false;
    const key = input.key;
    if (typeof key !== 'string') return false;
    text += key;
    units += key.length;
    stringStarts[++stringCount] = units;
    const op = input.op;
    let kind: number;
    if (op === 'get') kind = GET;
    else {
      if (op === 'put') kind = PUT;
      else if (op === 'append') kind = APPEND;
      else if (op === 'appendReturn') kind = APPEND_RETURN;
      else return false;
      const value = (input as { readonly value?: unknown }).value;
      if (typeof value !== 'string') return false;
      text += value;
      units += value.length;
      stringStarts[++stringCount] = units;
    }
    if (kind === GET || kind === APPEND_RETURN) {
      const output = operation.output as KvOutput | null;
      if (output === null || typeof output !== 'object') return false;
      const answer = output.value;
      if (typeof answer !== 'string') kind |= ANSWER_NOT_A_STRING;
      else {
        text += answer;
        units += answer.length;
        stringStarts[++stringCount] = units;
      }
    }
    kinds[index] = kind;
  }
  module.reserveUnits(stringCount, units);
  writeUnits(new Uint16Array(module.memory.buffer, module.unitsPointer(), units), text);
  return true;
}

/** The code units of `text` into `target` (exactly, lone surrogates included). */
function writeUnits(target: Uint16Array, text: string): void {
  const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
  if (NodeBuffer !== undefined) {
    NodeBuffer.from(target.buffer, target.byteOffset, target.byteLength).write(text, 0, 'utf16le');
    return;
  }
  for (let k = 0; k < text.length; k++) target[k] = text.charCodeAt(k);
}

/**
 * Searches the partitions in turn, as the general path does. Verbose: copies what the info
 * needs out of the module's memory, to be assembled when read (kv-fast-info.ts).
 */
function searchAll<I, O>(
  module: KvSearchExports,
  history: readonly Operation<I, O>[],
  partitionCount: number,
  deadline: number,
  verbose: boolean,
): VerboseResult<I, O> {
  const results: (CheckResult | undefined)[] = new Array<CheckResult | undefined>(partitionCount);
  const longest: SearchOutcome['longest'][] = [];
  // Per linearizable partition, its linearization: the longest for every operation.
  const complete: (Int32Array | undefined)[] = [];
  for (let partition = 0; partition < partitionCount; partition++) {
    if (isPast(deadline)) break; // the remaining partitions stay unjudged
    const size = module.partitionStart(partition + 1) - module.partitionStart(partition);
    const result = searchOneNamingMemory(module, partition, size, verbose, deadline);
    results[partition] = result;
    if (verbose) {
      if (result === 'Ok') complete[partition] = new Int32Array(module.memory.buffer, module.completeSequence(), size).slice();
      else longest[partition] = readLongest(module, size);
    }
    if (result === 'Unknown') break;
    if (result === 'Illegal' && !verbose) break;
  }
  let illegal = false;
  let unfinished = false;
  for (let partition = 0; partition < partitionCount; partition++) {
    const result = results[partition] ?? 'Unknown';
    if (result === 'Illegal') illegal = true;
    if (result === 'Unknown') unfinished = true;
  }
  const verdict = illegal ? 'Illegal' : unfinished ? 'Unknown' : 'Ok';
  if (!verbose) return { result: verdict, info: { partitions: [] } };
  const starts = new Int32Array(partitionCount + 1);
  for (let partition = 0; partition <= partitionCount; partition++) starts[partition] = module.partitionStart(partition);
  const operations = new Int32Array(module.memory.buffer, module.partitionOperations(), history.length).slice();
  return { result: verdict, info: lazyKvInfo({ history: history.slice(), operations, starts, results, complete, longest }) };
}

/**
 * Sequence `id` of the last verbose search, as an array of operations: its tail, then the
 * part it shares with the sequence before it, and so on down (see wasm/assembly/recorder.ts).
 */
function readSequence(module: KvSearchExports, id: number): number[] {
  const buffer = module.memory.buffer;
  const tails = new Uint32Array(buffer, module.sequenceTails(), id + 1);
  const shared = new Int32Array(buffer, module.sequenceShared(), id + 1);
  const lengths = new Int32Array(buffer, module.sequenceLengths(), id + 1);
  const sequence = new Array<number>(lengths[id]!);
  let end = sequence.length;
  for (let at = id; end > 0; at--) {
    const from = shared[at]!;
    if (from >= end) continue;
    const tail = new Int32Array(buffer, tails[at]!, end - from);
    for (let k = from; k < end; k++) sequence[k] = tail[k - from]!;
    end = from;
  }
  return sequence;
}

/** searchOne, where running out of memory names the partition (its search would not fare better in JavaScript). */
function searchOneNamingMemory(module: KvSearchExports, partition: number, size: number, verbose: boolean, deadline: number): CheckResult {
  try {
    return searchOne(module, partition, verbose, deadline);
  } catch (error) {
    if (error instanceof SearchOutOfMemory) throw new SearchMemoryError(partition, size);
    throw error;
  }
}

/** Searches one partition, looking at the clock each time the module pauses. */
function searchOne(module: KvSearchExports, partition: number, verbose: boolean, deadline: number): CheckResult {
  let status = module.search(partition, verbose ? 1 : 0);
  while (status === PAUSED) {
    if (isPast(deadline)) {
      module.giveUp();
      return 'Unknown';
    }
    status = module.resume();
  }
  if (status === OK) return 'Ok';
  if (status === ILLEGAL) return 'Illegal';
  throw new Error(`kv search module returned status ${status}`);
}

/**
 * The last verbose search's records: per operation, its longest sequence (arrays shared by the
 * operations of one sequence). Only sequences some operation still holds are read: most that
 * the search recorded were outgrown.
 */
function readLongest(module: KvSearchExports, operationCount: number): SearchOutcome['longest'] {
  const sequenceOf = new Int32Array(module.memory.buffer, module.sequenceOf(), operationCount);
  const read = new Map<number, number[]>();
  const longest = new Array<readonly number[] | undefined>(operationCount);
  for (let operation = 0; operation < operationCount; operation++) {
    const id = sequenceOf[operation]!;
    if (id < 0) continue;
    let sequence = read.get(id);
    if (sequence === undefined) read.set(id, (sequence = readSequence(module, id)));
    longest[operation] = sequence;
  }
  return longest;
}
