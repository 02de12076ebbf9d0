/**
 * The linearizability checker against Go porcupine's figures, with the anchor protocol: every
 * run in a fresh process (so the first, cold check is the one timed), the median of 3 runs,
 * building the history not timed. Shapes (synthetic key/value histories, fixed seeds):
 *
 *   10k        10 000 operations, 50 keys, 20 clients (linearizable)
 *   100k       100 000 operations, 500 keys, 50 clients (linearizable)
 *   1key_ok    2 000 operations, 1 key, 5 clients (linearizable)
 *   1key_bad   the same with one read after the midpoint corrupted (not linearizable)
 *
 * each checked plain (`checkOperationsTimeout`) and verbose (`checkOperationsVerbose`). In a
 * fresh process the checker threads are cold, so those checks run in one thread; the 100k
 * shape is also run with the pool warmed first (`warmUpCheckerThreads`, not timed), as in a
 * test run's later checks: `porcupine_100k_pool_ms`, `porcupine_100k_verbose_pool_ms`. Threads
 * take only histories of 250 000 operations or more (porcupine/parallel.ts says why), so these
 * measure a check beside a warm, idle pool.
 *
 *   npx tsx bench/porcupine-anchors.ts [shape] [--runs N]
 *     → porcupine_10k_ms=…  porcupine_10k_verbose_ms=…  porcupine_100k_ms=…  …
 *
 * `shape` runs one shape only; `--runs N` takes the median of N runs instead of 3 (a busy
 * machine's first checks vary by half their time from run to run).
 *
 * With `PORCUPINE_GO_BIN=path`, a program that reads a history as JSON (the file given as
 * its last argument; `-verbose` for a verbose check) and prints `ms=<check time>`, the same
 * histories are also checked by it, alternating with ours run by run: `go_porcupine_*_ms`.
 * `PORCUPINE_GO_ARGS` adds arguments to it (e.g. `-statehash`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkOperationsTimeout,
  checkOperationsVerbose,
  kvModel,
  makeLinearizableKvHistory,
  type KvInput,
  type KvOutput,
  type Operation,
  warmUpCheckerThreads,
} from '../porcupine/index.ts';

interface Shape {
  readonly name: string;
  readonly expected: 'Ok' | 'Illegal';
  build(): Operation<KvInput, KvOutput>[];
}

type Mode = 'plain' | 'verbose' | 'plain+pool' | 'verbose+pool';

const shapes: readonly Shape[] = [
  { name: '10k', expected: 'Ok', build: () => makeLinearizableKvHistory({ seed: 6_5840, operations: 10_000, keys: 50, clients: 20 }) },
  { name: '100k', expected: 'Ok', build: () => makeLinearizableKvHistory({ seed: 6_5841, operations: 100_000, keys: 500, clients: 50 }) },
  { name: '1key_ok', expected: 'Ok', build: () => oneKey() },
  { name: '1key_bad', expected: 'Illegal', build: () => corrupted(oneKey()) },
];

/** How many fresh processes per figure (the protocol's 3 unless `--runs N`). */
function runsWanted(args: readonly string[]): number {
  const at = args.indexOf('--runs');
  if (at === -1) return 3;
  const runs = Number(args[at + 1]);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a whole number of runs of at least 1, got ${args[at + 1] ?? 'nothing'}`);
  return runs;
}

function oneKey(): Operation<KvInput, KvOutput>[] {
  return makeLinearizableKvHistory({ seed: 6_5842, operations: 2_000, keys: 1, clients: 5 });
}

/** The history with the first read after its midpoint answering a value nobody wrote. */
function corrupted(history: Operation<KvInput, KvOutput>[]): Operation<KvInput, KvOutput>[] {
  const index = history.findIndex((operation, i) => i > history.length / 2 && operation.input.op === 'get');
  const copy = history.slice();
  copy[index] = { ...history[index]!, output: { value: 'never written' } };
  return copy;
}

/** Child: build one history, check it once, print the check's real time. */
async function runOne(shapeName: string, mode: Mode): Promise<void> {
  const shape = shapes.find((s) => s.name === shapeName);
  if (shape === undefined) throw new Error(`unknown shape ${shapeName}; use one of ${shapes.map((s) => s.name).join(', ')}`);
  const history = shape.build();
  const verbose = mode.startsWith('verbose');
  if (mode.endsWith('+pool') && (await warmUpCheckerThreads()) === 0) throw new Error('no checker threads on this host');
  const start = performance.now();
  const result = verbose ? checkOperationsVerbose(kvModel, history, 0).result : checkOperationsTimeout(kvModel, history, 0);
  const ms = performance.now() - start;
  if (result !== shape.expected) throw new Error(`${shape.name}: expected ${shape.expected}, got ${result}`);
  console.log(`ms=${ms.toFixed(2)}`);
}

/** Child: write a shape's history as JSON for the Go program. */
function writeJson(shapeName: string, path: string): void {
  const shape = shapes.find((s) => s.name === shapeName)!;
  const rows = shape.build().map((o) => ({ c: o.clientId, i: o.input, o: o.output.value, a: o.call, b: o.return }));
  writeFileSync(path, JSON.stringify(rows));
}

function msOf(output: string, what: string): number {
  const match = /ms=([\d.]+)/.exec(output);
  if (match === null) throw new Error(`${what} printed no ms=…: ${output}`);
  return Number(match[1]);
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function main(): void {
  const self = fileURLToPath(import.meta.url);
  const goBin = process.env.PORCUPINE_GO_BIN;
  const goArgs = (process.env.PORCUPINE_GO_ARGS ?? '').split(' ').filter((a) => a !== '');
  const args = process.argv.slice(2);
  const runs = runsWanted(args);
  const only = args.find((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--runs');
  if (only !== undefined && !shapes.some((shape) => shape.name === only)) throw new Error(`unknown shape ${only}; use one of ${shapes.map((s) => s.name).join(', ')}`);
  const dir = goBin === undefined ? undefined : mkdtempSync(join(tmpdir(), 'porcupine-anchors-'));
  try {
    for (const shape of shapes) {
      if (only !== undefined && shape.name !== only) continue;
      const json = dir === undefined ? undefined : join(dir, `${shape.name}.json`);
      if (json !== undefined) execFileSync(process.execPath, [...process.execArgv, self, '--json', shape.name, json], { stdio: 'inherit' });
      const modes: Mode[] = shape.name === '100k' ? ['plain', 'verbose', 'plain+pool', 'verbose+pool'] : ['plain', 'verbose'];
      for (const mode of modes) {
        const verbose = mode.startsWith('verbose');
        const pool = mode.endsWith('+pool');
        const ours: number[] = [];
        const go: number[] = [];
        for (let run = 0; run < runs; run++) {
          const output = execFileSync(process.execPath, [...process.execArgv, self, '--one', shape.name, mode], { encoding: 'utf8' });
          ours.push(msOf(output, 'the checker'));
          if (goBin !== undefined && json !== undefined && !pool) {
            go.push(msOf(execFileSync(goBin, [...goArgs, ...(verbose ? ['-verbose'] : []), json], { encoding: 'utf8' }), goBin));
          }
        }
        const suffix = `${verbose ? '_verbose' : ''}${pool ? '_pool' : ''}`;
        console.log(`porcupine_${shape.name}${suffix}_runs_ms=${ours.map((ms) => ms.toFixed(1)).join(',')}`);
        console.log(`porcupine_${shape.name}${suffix}_ms=${median(ours).toFixed(1)}`);
        if (go.length > 0) {
          console.log(`go_porcupine_${shape.name}${suffix}_runs_ms=${go.map((ms) => ms.toFixed(1)).join(',')}`);
          console.log(`go_porcupine_${shape.name}${suffix}_ms=${median(go).toFixed(1)}`);
          console.log(`porcupine_${shape.name}${suffix}_vs_go=${(median(ours) / median(go)).toFixed(2)}`);
        }
      }
    }
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--one') await runOne(process.argv[3]!, process.argv[4] as Mode);
else if (process.argv[2] === '--json') writeJson(process.argv[3]!, process.argv[4]!);
else main();
