/**
 * Key/value partitions in flat arrays, for handing them to a checker thread: times and op
 * kinds in typed arrays (moved, not copied), values and answers as arrays of strings. Cloning
 * the operation objects themselves (three objects per operation) cost the calling thread more
 * than searching them (measured: bench/porcupine-anchors.ts, 100k with the pool).
 *
 * The thread rebuilds each partition's entry list and compiled step (kv-program.ts) straight
 * from these arrays; no operation object is made on either side.
 */
import { buildEntryListFromTimes, type EntryList } from './entries.ts';
import type { KvInput, KvOutput } from './kv.ts';
import { APPEND, APPEND_RETURN, GET, PUT, type KvProgram } from './kv-program.ts';
import type { Operation } from './types.ts';

/** Several partitions, one after another. */
export interface KvWireShare {
  /** Partition k's operations are at offsets[k] .. offsets[k + 1] - 1. */
  readonly offsets: Int32Array;
  readonly calls: Float64Array;
  readonly returns: Float64Array;
  /** GET, PUT, APPEND or APPEND_RETURN. */
  readonly kinds: Uint8Array;
  /** What a put or append writes ('' for a get). */
  readonly values: string[];
  /** What a get or appendReturn answered ('' otherwise). */
  readonly answers: string[];
}

const kindOf: Readonly<Record<string, number>> = { get: GET, put: PUT, append: APPEND, appendReturn: APPEND_RETURN };

/**
 * Encodes the partitions, or returns undefined if one operation does not fit (an unknown op,
 * a value or answer that is not a string): those go to the thread as objects.
 */
export function encodeKvShare(partitions: readonly (readonly Operation<KvInput, KvOutput>[])[]): KvWireShare | undefined {
  let total = 0;
  for (const partition of partitions) total += partition.length;
  const offsets = new Int32Array(partitions.length + 1);
  const calls = new Float64Array(total);
  const returns = new Float64Array(total);
  const kinds = new Uint8Array(total);
  const values = new Array<string>(total);
  const answers = new Array<string>(total);
  let at = 0;
  for (let k = 0; k < partitions.length; k++) {
    const partition = partitions[k]!;
    offsets[k] = at;
    for (let i = 0; i < partition.length; i++, at++) {
      const operation = partition[i]!;
      const input = operation.input;
      const output = operation.output;
      if (input === null || typeof input !== 'object' || output === null || typeof output !== 'object') return undefined;
      const kind = Object.hasOwn(kindOf, input.op) ? kindOf[input.op] : undefined;
      if (kind === undefined) return undefined;
      const value = kind === GET ? '' : (input as { readonly value?: unknown }).value;
      const answer = kind === GET || kind === APPEND_RETURN ? output.value : '';
      if (typeof value !== 'string' || typeof answer !== 'string') return undefined;
      calls[at] = operation.call;
      returns[at] = operation.return;
      kinds[at] = kind;
      values[at] = value;
      answers[at] = answer;
    }
  }
  offsets[partitions.length] = at;
  return { offsets, calls, returns, kinds, values, answers };
}

/** The buffers `postMessage` can move instead of copying. */
export function transferablesOf(share: KvWireShare): ArrayBuffer[] {
  return [share.offsets.buffer, share.calls.buffer, share.returns.buffer, share.kinds.buffer] as ArrayBuffer[];
}

/** How many partitions the share holds. */
export function partitionCount(share: KvWireShare): number {
  return share.offsets.length - 1;
}

/** Partition k's entry list and compiled step. */
export function decodeKvPartition(share: KvWireShare, k: number): { list: EntryList<never, never>; program: KvProgram } {
  const from = share.offsets[k]!;
  const to = share.offsets[k + 1]!;
  const count = to - from;
  const list = buildEntryListFromTimes<never, never>(share.calls.subarray(from, to), share.returns.subarray(from, to), [], []);
  const program: KvProgram = {
    kinds: share.kinds.subarray(from, to),
    values: share.values.slice(from, to),
    valueIds: new Int32Array(count).fill(-1),
    answers: share.answers.slice(from, to),
    appended: new Map(),
  };
  return { list, program };
}
