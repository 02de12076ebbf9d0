/**
 * `kvModel`'s step compiled for one partition, so the search never calls the model. States
 * are interned to ids (the search's state table); a get is legal iff its answer is the
 * state's string; a put's new state is its value's id, interned the first time it is needed;
 * an append's is found once per (state, operation) and remembered. Answers are compared,
 * never hashed: most are read once, so hashing them would cost more than it saves.
 *
 * It applies only where it means exactly what `kvModel.step` means: the model's own `init`
 * and `step` with the default `equal` (see `stepsLikeKvModel`), and, per partition, inputs
 * whose op is one of the four and whose written values are strings. Anything else (an unknown
 * op, a number written) goes to the general loop, which calls `step` and reports its errors.
 */
import type { KvInput, KvOutput } from './kv.ts';

export const GET = 0;
export const PUT = 1;
export const APPEND = 2;
export const APPEND_RETURN = 3;

/** States interned to ids: id → value and value → id. Shared with the search. */
export interface StateTable<S> {
  readonly states: S[];
  readonly idOf: Map<S, number>;
}

/** One partition's operations as integers. */
export interface KvProgram {
  /** Per operation: GET, PUT, APPEND or APPEND_RETURN. */
  readonly kinds: Uint8Array;
  /** Per operation: the value a put or append writes (undefined for a get). */
  readonly values: readonly (string | undefined)[];
  /** Per put: the id of its value once interned, else -1. */
  readonly valueIds: Int32Array;
  /** Per operation: what a get or appendReturn answered (undefined otherwise). */
  readonly answers: readonly unknown[];
  /** Per append: the state ids after it, by the state id before it (a small cache). */
  readonly appended: Map<number, number>;
}

/**
 * Compiles a partition; undefined where an operation falls outside
 * what the program can mean exactly (then the caller steps the model itself).
 */
export function compileKvPartition(inputs: readonly KvInput[], outputs: readonly KvOutput[]): KvProgram | undefined {
  const count = inputs.length;
  const kinds = new Uint8Array(count);
  const values = new Array<string | undefined>(count);
  const answers = new Array<unknown>(count);
  for (let operation = 0; operation < count; operation++) {
    const input = inputs[operation];
    if (input === null || typeof input !== 'object') return undefined;
    const kind = kvKindOf(input.op);
    if (kind < 0) return undefined;
    kinds[operation] = kind;
    if (kind !== GET) {
      const value = (input as { readonly value?: unknown }).value;
      if (typeof value !== 'string') return undefined;
      values[operation] = value;
    }
    if (kind === GET || kind === APPEND_RETURN) {
      const output = outputs[operation];
      if (output === null || typeof output !== 'object') return undefined;
      // A state is always a string: an answer that is not one matches none, as in `step`.
      answers[operation] = output.value;
    }
  }
  return { kinds, values, valueIds: new Int32Array(count).fill(-1), answers, appended: new Map() };
}

/** GET, PUT, APPEND or APPEND_RETURN for a kv op's name; -1 for anything else. */
export function kvKindOf(op: unknown): number {
  if (op === 'get') return GET;
  if (op === 'put') return PUT;
  if (op === 'append') return APPEND;
  if (op === 'appendReturn') return APPEND_RETURN;
  return -1;
}

/** The state id after put operation `operation`. */
export function putState(program: KvProgram, table: StateTable<string>, operation: number): number {
  let id = program.valueIds[operation]!;
  if (id === -1) program.valueIds[operation] = id = intern(table, program.values[operation]!);
  return id;
}

/** The state id after appending operation `operation`'s value to state `stateId`. */
export function appendState(program: KvProgram, table: StateTable<string>, stateId: number, operation: number, operationCount: number): number {
  const key = stateId * operationCount + operation;
  let id = program.appended.get(key);
  if (id === undefined) {
    id = intern(table, table.states[stateId]! + program.values[operation]!);
    program.appended.set(key, id);
  }
  return id;
}

/** The id of `value`, adding it to the table if new. */
export function intern<S>(table: StateTable<S>, value: S): number {
  let id = table.idOf.get(value);
  if (id === undefined) {
    id = table.states.length;
    table.states.push(value);
    table.idOf.set(value, id);
  }
  return id;
}
