/**
 * Benchmark of the linearizability checker: a synthetic, linearizable key/value history of
 * 10 000 operations over 50 keys by 20 clients (fixed seed), checked without a time limit.
 * Prints the cold first run, then `porcupine_10k_ms=<median of the warm runs, ms>` last.
 */
import { checkOperationsTimeout, kvModel, makeLinearizableKvHistory } from '../porcupine/index.ts';

const ROUNDS = 15;

const history = makeLinearizableKvHistory({ seed: 6_5840, operations: 10_000, keys: 50, clients: 20 });
// The first round runs cold (parsing, JIT warm-up); report it, but time the median of the rest.
const coldStart = performance.now();
if (checkOperationsTimeout(kvModel, history, 0) !== 'Ok') throw new Error('synthetic history should be linearizable');
const coldMs = performance.now() - coldStart;

const times: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = performance.now();
  const result = checkOperationsTimeout(kvModel, history, 0);
  times.push(performance.now() - start);
  if (result !== 'Ok') throw new Error(`round ${round}: expected Ok, got ${result}`);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`porcupine_10k_cold_ms=${coldMs.toFixed(2)}`);
console.log(`rounds=${ROUNDS} min_ms=${times[0].toFixed(2)} max_ms=${times[times.length - 1].toFixed(2)}`);
console.log(`porcupine_10k_ms=${median.toFixed(2)}`);
