/**
 * Synthetic linearizable key/value histories, for tests and benchmarks: clients issue
 * operations with random, overlapping intervals; each operation takes effect at a random
 * instant inside its interval, and outputs come from applying them in that order. So the
 * history is linearizable by construction, with plenty of concurrency for the checker.
 */
import type { KvInput, KvOutput } from './kv.ts';
import { createRandom } from './random.ts';
import type { Operation } from './types.ts';

export interface SyntheticKvOptions {
  readonly seed: number;
  readonly operations: number;
  readonly keys: number;
  readonly clients: number;
  /** Longest operation, in time units (default 50). */
  readonly durationMax?: number;
  /** Longest pause of a client between two operations (default 10). */
  readonly thinkMax?: number;
}

/**
 * Builds the history. Operation mix: 40% get, 20% put, 30% append, 10% appendReturn; every
 * written value is unique, so a wrong read cannot pass by coincidence.
 */
export function makeLinearizableKvHistory(options: SyntheticKvOptions): Operation<KvInput, KvOutput>[] {
  const random = createRandom(options.seed);
  const durationMax = options.durationMax ?? 50;
  const thinkMax = options.thinkMax ?? 10;
  const freeAt = Array.from({ length: options.clients }, () => random.int(thinkMax + 1));
  const planned: { clientId: number; input: KvInput; call: number; effect: number; tie: number; ret: number }[] = [];
  for (let k = 0; k < options.operations; k++) {
    // The client free soonest goes next, as in a real run.
    let clientId = 0;
    for (let c = 1; c < freeAt.length; c++) if (freeAt[c] < freeAt[clientId]) clientId = c;
    const call = freeAt[clientId] + random.int(thinkMax + 1);
    const ret = call + random.int(durationMax + 1);
    const effect = call + random.int(ret - call + 1);
    freeAt[clientId] = ret;
    const key = `k${random.int(options.keys)}`;
    const value = `${clientId}.${k};`;
    const roll = random.next();
    const input: KvInput =
      roll < 0.4 ? { op: 'get', key }
      : roll < 0.6 ? { op: 'put', key, value }
      : roll < 0.9 ? { op: 'append', key, value }
      : { op: 'appendReturn', key, value };
    planned.push({ clientId, input, call, effect, tie: random.next(), ret });
  }

  const outputs = new Array<KvOutput>(planned.length);
  const store = new Map<string, string>();
  const order = planned.map((_, index) => index);
  order.sort((a, b) => planned[a].effect - planned[b].effect || planned[a].tie - planned[b].tie);
  for (const index of order) {
    const { input } = planned[index];
    const old = store.get(input.key) ?? '';
    if (input.op === 'get') outputs[index] = { value: old };
    else {
      store.set(input.key, input.op === 'put' ? input.value : old + input.value);
      outputs[index] = { value: input.op === 'appendReturn' ? old : '' };
    }
  }
  return planned.map(({ clientId, input, call, ret }, index) => ({
    clientId, input, call, output: outputs[index], return: ret,
  }));
}
