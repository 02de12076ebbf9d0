/**
 * The key/value model of 6.5840's kvraft tests (`models.KvModel`), with one addition:
 * `appendReturn`, an append that answers with the value it replaced.
 *
 * Operations are named by strings rather than 6.5840's numbers 0/1/2 so that a history reads
 * on its own; `kvOpFromNumber` maps the numbers for code ported from Go.
 */
import type { Event, Model, Operation } from './types.ts';

/** `get`, `put`, `append`, and `appendReturn` (append, answering with the old value). */
export type KvOp = 'get' | 'put' | 'append' | 'appendReturn';

/** The input of a key/value operation. `value` is what put/append write; a get has none. */
export type KvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put' | 'append' | 'appendReturn'; readonly key: string; readonly value: string };

/**
 * The output: what a get returned, or the old value for `appendReturn`. Put and append
 * ignore it (record `''`).
 */
export interface KvOutput {
  readonly value: string;
}

/** 6.5840 numbers its operations 0 get, 1 put, 2 append; 3 is our `appendReturn`. */
export function kvOpFromNumber(op: 0 | 1 | 2 | 3): KvOp {
  const ops: readonly KvOp[] = ['get', 'put', 'append', 'appendReturn'];
  const name = ops[op];
  if (name === undefined) throw new RangeError(`unknown kv op number ${String(op)}; use 0 get, 1 put, 2 append, 3 appendReturn`);
  return name;
}

/**
 * Keys are independent, so each key is its own partition (ordered by sorted key) and the
 * state is just that key's value; a missing key reads as "".
 */
export const kvModel: Model<string, KvInput, KvOutput> = {
  partition: (history) => partitionByKey(history),
  partitionEvent: partitionKvEvents,
  init: () => '',
  step(state, input, output) {
    switch (input.op) {
      case 'get':
        return [output.value === state, state];
      case 'put':
        return [true, input.value];
      case 'append':
        return [true, state + input.value];
      case 'appendReturn':
        return [output.value === state, state + input.value];
      default:
        throw new TypeError(
          `unknown kv op ${JSON.stringify((input as { op: unknown }).op)}; use 'get', 'put', 'append' or 'appendReturn'`,
        );
    }
  },
  describeOperation(input, output) {
    switch (input.op) {
      case 'get':
        return `get(${quote(input.key)}) -> ${quote(output.value)}`;
      case 'put':
        return `put(${quote(input.key)}, ${quote(input.value)})`;
      case 'append':
        return `append(${quote(input.key)}, ${quote(input.value)})`;
      case 'appendReturn':
        return `append(${quote(input.key)}, ${quote(input.value)}) -> ${quote(output.value)}`;
      default:
        return `unknown op ${JSON.stringify(input)}`;
    }
  },
  describeState: (state) => quote(state),
  workerModule: { url: import.meta.url, exportName: 'kvModel' },
};

/**
 * Whether `model` steps exactly as `kvModel`: its own `init` and `step`, and the default
 * `equal`. Such a model's check may run the step compiled to integers (kv-program.ts); a copy
 * with another `partition` or `describeOperation` still qualifies.
 */
export function stepsLikeKvModel<S, I, O>(model: Model<S, I, O>): boolean {
  const kv = kvModel as unknown as Model<S, I, O>;
  return model.step === kv.step && model.init === kv.init && model.equal === undefined;
}

/** `'text'`, with quotes and control characters escaped. */
function quote(text: string): string {
  return `'${JSON.stringify(String(text)).slice(1, -1).replaceAll("'", "\\'")}'`;
}

/**
 * Operations by key, as `groupByKey` would group them, in two passes into arrays of the
 * right size: on a cold check, growing one array per key and calling a key function per
 * operation cost more than all the rest of the partitioning.
 */
function partitionByKey(history: readonly Operation<KvInput, KvOutput>[]): Operation<KvInput, KvOutput>[][] {
  const groupOf = new Int32Array(history.length);
  const groupOfKey = new Map<string, number>();
  const sizes = numberKeys(history, groupOf, groupOfKey);
  return fillParts(history, groupOf, groupOfKey, sizes);
}

// The two passes are separate functions so that the engine, optimizing the first pass's loop
// while it runs, does not compile the second pass before it has run (and throw that away).

/** Numbers the keys in order of appearance, fills `groupOf`, returns each group's size. */
function numberKeys(history: readonly Operation<KvInput, KvOutput>[], groupOf: Int32Array, groupOfKey: Map<string, number>): number[] {
  const sizes: number[] = [];
  for (let index = 0; index < history.length; index++) {
    const key = history[index]!.input.key;
    let group = groupOfKey.get(key);
    if (group === undefined) {
      group = sizes.length;
      groupOfKey.set(key, group);
      sizes.push(0);
    }
    groupOf[index] = group;
    sizes[group]!++;
  }
  return sizes;
}

/** The parts, ordered by key, each in history order. */
function fillParts(
  history: readonly Operation<KvInput, KvOutput>[],
  groupOf: Int32Array,
  groupOfKey: Map<string, number>,
  sizes: readonly number[],
): Operation<KvInput, KvOutput>[][] {
  const sortedKeys = [...groupOfKey.keys()].sort();
  const parts = new Array<Operation<KvInput, KvOutput>[]>(sortedKeys.length);
  const partOfGroup = new Int32Array(sortedKeys.length);
  for (let rank = 0; rank < sortedKeys.length; rank++) {
    const group = groupOfKey.get(sortedKeys[rank]!)!;
    partOfGroup[group] = rank;
    parts[rank] = new Array<Operation<KvInput, KvOutput>>(sizes[group]!);
  }
  const filled = new Int32Array(sortedKeys.length);
  for (let index = 0; index < history.length; index++) {
    const part = partOfGroup[groupOf[index]!]!;
    parts[part]![filled[part]!++] = history[index]!;
  }
  return parts;
}

function groupByKey<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return [...groups.keys()].sort().map((key) => groups.get(key)!);
}

/** Events by key: a return event has no key, so it follows its call's. */
function partitionKvEvents(history: readonly Event<KvInput, KvOutput>[]): Event<KvInput, KvOutput>[][] {
  const keyById = new Map<number, string>();
  for (const event of history) if (event.kind === 'call') keyById.set(event.id, event.value.key);
  // A return without a call gets a key no call has; the checker then reports it properly.
  return groupByKey(history, (event) => keyById.get(event.id) ?? `\u0000no call for id ${event.id}`);
}

/** Shorthand constructors for KV operations, mostly for tests and examples. */
export const kv = {
  get: (clientId: number, key: string, value: string, call: number, ret: number): Operation<KvInput, KvOutput> => ({
    clientId, input: { op: 'get', key }, output: { value }, call, return: ret,
  }),
  put: (clientId: number, key: string, value: string, call: number, ret: number): Operation<KvInput, KvOutput> => ({
    clientId, input: { op: 'put', key, value }, output: { value: '' }, call, return: ret,
  }),
  append: (clientId: number, key: string, value: string, call: number, ret: number): Operation<KvInput, KvOutput> => ({
    clientId, input: { op: 'append', key, value }, output: { value: '' }, call, return: ret,
  }),
  appendReturn: (
    clientId: number, key: string, value: string, old: string, call: number, ret: number,
  ): Operation<KvInput, KvOutput> => ({
    clientId, input: { op: 'appendReturn', key, value }, output: { value: old }, call, return: ret,
  }),
} as const;
