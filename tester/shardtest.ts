import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkOperationsVerbose, describeFailure, kvModel, visualizePath, type KvInput, type KvOutput, type LinearizationInfo, type VerboseResult } from '../porcupine/index.ts';
import { randString } from './config.ts';
import { fail } from './failure.ts';
import { registerHarnessTest } from './harness.ts';
import { abbrev, OpLog } from './kvtest.ts';
import { print } from './output.ts';
import { ShardConfig, type ShardClerk, type ShardConfigOptions } from './shardconfig.ts';

/**
 * The shardkv test helpers: a port of the helpers of 6.5840's `src/shardkv/test_test.go`
 * (2023) — check, the linearizability check of the unreliable test — plus shardTest(), which
 * registers a 4B test on the simulator.
 */

/** The parts of the shardkv lab: the graded suite and its optional challenges. */
export type ShardPart = '4B' | '4B-challenge';

/** Real time (ms) porcupine may search; after it the history is assumed linearizable. */
export const linearizabilityCheckTimeout = 1000;

export interface ShardTestOptions extends ShardConfigOptions {
  /** Servers per replica group. */
  n: number;
  unreliable?: boolean;
  /** Snapshot threshold in bytes; -1: never. */
  maxraftstate: number;
}

/** Registers a test named `Test: <title> (<part>)`; the body calls begin()/end() itself. */
export function shardTest(part: ShardPart, title: string, options: ShardTestOptions, body: (cfg: ShardConfig, name: string) => Promise<void>): void {
  registerHarnessTest(`Test: ${title} (${part})`, () => new ShardConfig(options.n, options.unreliable ?? false, options.maxraftstate, options), body);
}

/** Go's randstring: n random URL-safe characters. */
export const randstring = randString;

/** ck.Get(key) must return value; a mismatch names the key's shard, its owners and who answered. */
export async function check(cfg: ShardConfig, ck: ShardClerk, key: string, value: string): Promise<void> {
  const v = await ck.Get(key);
  cfg.op();
  if (v !== value) {
    const id = (ck as { id?: number }).id ?? -1;
    fail('check', `Get(${key}): expected:\n${abbrev(value)}\nreceived:\n${abbrev(v)}`, {
      expected: value === '' ? "'' (empty)" : abbrev(value),
      seen: `${v === '' ? "'' (empty)" : abbrev(v)}${staleHint(value, v)}; ${cfg.describeShard(key)}; ${cfg.describeLastAnswer(id)}`,
    });
  }
}

/** Says what kind of wrong a value is: a lost write, missing appends, or something else. */
function staleHint(expected: string, seen: string): string {
  if (seen === '' && expected !== '') return ' (the key is missing: its data did not move with the shard, or a write was lost)';
  if (expected.startsWith(seen)) return ` (stale: the last ${expected.length - seen.length} characters written are missing)`;
  if (seen.startsWith(expected)) return ` (${seen.length - expected.length} characters more than written: an Append applied twice?)`;
  return '';
}

/** Counted Clerk calls, as the Go tests make them through ck directly. */
export async function put(cfg: ShardConfig, ck: ShardClerk, key: string, value: string): Promise<void> {
  await ck.Put(key, value);
  cfg.op();
}

export async function append(cfg: ShardConfig, ck: ShardClerk, key: string, value: string): Promise<void> {
  await ck.Append(key, value);
  cfg.op();
}

export async function get(cfg: ShardConfig, ck: ShardClerk, key: string): Promise<string> {
  const v = await ck.Get(key);
  cfg.op();
  return v;
}

export { OpLog };

/** Checks the history with porcupine; not linearizable: writes the visualization and fails. */
export function checkLinearizable(name: string, opLog: OpLog): void {
  const history = opLog.read();
  let verdict: VerboseResult<KvInput, KvOutput>;
  try {
    verdict = checkOperationsVerbose(kvModel, history, linearizabilityCheckTimeout);
  } catch (e) {
    fail('linearizability', `the linearizability checker could not judge the history of ${history.length} operations: ${String(e)}`, { expected: 'a verdict from porcupine', seen: String(e) });
  }
  if (verdict.result === 'Illegal') {
    const file = writeVisualization(name, verdict.info);
    if (file !== undefined) print(`info: wrote history visualization to ${file}`);
    fail('linearizability', file !== undefined ? `history is not linearizable; see ${file}` : 'history is not linearizable', { expected: 'a linearizable history', seen: explain(verdict.info) });
  } else if (verdict.result === 'Unknown') {
    print('info: linearizability check timed out, assuming history is ok');
  }
}

function explain(info: LinearizationInfo<KvInput, KvOutput>): string {
  try {
    return describeFailure(kvModel, info) ?? 'no partition was reported illegal';
  } catch (e) {
    return `(could not describe the failure: ${String(e)})`;
  }
}

const visualizationDir = fileURLToPath(new URL('../.lab/shardkv/', import.meta.url));

function writeVisualization(name: string, info: LinearizationInfo<KvInput, KvOutput>): string | undefined {
  const file = `${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${process.pid}-${process.hrtime.bigint()}.html`;
  for (const dir of [visualizationDir, tmpdir()]) {
    try {
      mkdirSync(dir, { recursive: true });
      const path = join(dir, file);
      visualizePath(kvModel, info, path, { title: `${name}: history` });
      return path;
    } catch {
      // try the next place
    }
  }
  return undefined;
}
