/** Shared test helpers: a register model, a brute-force reference checker, event conversion. */
import type { Event, KvInput, KvOutput, Model, Operation } from '../index.ts';

export type RegisterInput = { readonly op: 'put'; readonly value: number } | { readonly op: 'get' };

/** porcupine's classic example model: one integer register, initially 0. */
export const registerModel: Model<number, RegisterInput, number> = {
  init: () => 0,
  step: (state, input, output) => (input.op === 'put' ? [true, input.value] : [output === state, state]),
  describeOperation: (input, output) => (input.op === 'put' ? `put(${input.value})` : `get() -> ${output}`),
};

export function put(clientId: number, value: number, call: number, ret: number): Operation<RegisterInput, number> {
  return { clientId, input: { op: 'put', value }, output: 0, call, return: ret };
}

export function get(clientId: number, value: number, call: number, ret: number): Operation<RegisterInput, number> {
  return { clientId, input: { op: 'get' }, output: value, call, return: ret };
}

/**
 * The definition, by exhaustion: some order of all operations respects real time (a before
 * b whenever a returns strictly before b is called) and is legal for the model. For ≤ 8 ops.
 */
export function bruteForceLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[]): boolean {
  const n = history.length;
  const placed = new Array<boolean>(n).fill(false);
  const search = (state: S, count: number): boolean => {
    if (count === n) return true;
    for (let i = 0; i < n; i++) {
      if (placed[i]) continue;
      // i can go next only if no unplaced operation must come before it.
      let ready = true;
      for (let j = 0; j < n && ready; j++) if (!placed[j] && j !== i && history[j].return < history[i].call) ready = false;
      if (!ready) continue;
      const [ok, next] = model.step(state, history[i].input, history[i].output);
      if (!ok) continue;
      placed[i] = true;
      const found = search(next, count + 1);
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(model.init(), 0);
}

/**
 * The same history as events, in time order with calls before returns at equal times (the
 * checker's own tie rule), so both forms mean the same thing.
 */
export function toEvents<I, O>(history: readonly Operation<I, O>[]): Event<I, O>[] {
  const stamped: { time: number; isReturn: number; id: number; event: Event<I, O> }[] = [];
  history.forEach((operation, id) => {
    stamped.push({ time: operation.call, isReturn: 0, id, event: { clientId: operation.clientId, kind: 'call', value: operation.input, id } });
    stamped.push({ time: operation.return, isReturn: 1, id, event: { clientId: operation.clientId, kind: 'return', value: operation.output, id } });
  });
  stamped.sort((a, b) => a.time - b.time || a.isReturn - b.isReturn || a.id - b.id);
  return stamped.map((entry) => entry.event);
}

/** Whether `sequence` is a legal order of these operations that respects real time. */
export function isValidPartialLinearization<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  sequence: readonly number[],
): boolean {
  let state = model.init();
  for (let k = 0; k < sequence.length; k++) {
    const operation = operations[sequence[k]];
    for (let j = k + 1; j < sequence.length; j++) if (operations[sequence[j]].return < operation.call) return false;
    const [ok, next] = model.step(state, operation.input, operation.output);
    if (!ok) return false;
    state = next;
  }
  // Nothing left out may have had to come before an included operation.
  const inside = new Set(sequence);
  for (let i = 0; i < operations.length; i++) {
    if (inside.has(i)) continue;
    for (const k of sequence) if (operations[i].return < operations[k].call) return false;
  }
  return true;
}

/**
 * A KV model that keeps the whole store as its state and never partitions: a reference for
 * `kvModel`, written independently of it, to test partitioning as well as the search.
 */
export const wholeStoreKvModel: Model<Readonly<Record<string, string>>, KvInput, KvOutput> = {
  init: () => ({}),
  step(store, input, output) {
    const old = store[input.key] ?? '';
    if (input.op === 'get') return [output.value === old, store];
    const value = input.op === 'put' ? input.value : old + input.value;
    const ok = input.op === 'appendReturn' ? output.value === old : true;
    return [ok, { ...store, [input.key]: value }];
  },
};
