import { NShards, type Config } from '../shardctrler/index.ts';
import { CtrlerConfig, type CtrlerClerk, type CtrlerConfigOptions } from './ctrlerconfig.ts';
import { fail } from './failure.ts';
import { registerHarnessTest } from './harness.ts';

/**
 * The shardctrler test helpers: a port of the helpers of 6.5840's `src/shardctrler/test_test.go`
 * (2023) — check (groups, no unassigned shard, balance) and check_same_config — plus
 * ctrlerTest(), which registers a 4A test on the simulator.
 */

export interface CtrlerTestOptions extends CtrlerConfigOptions {
  /** Number of controller servers. */
  servers: number;
  unreliable?: boolean;
}

/** Registers a graded 4A test named `Test: <title> (4A)`; the body calls begin()/end() per section. */
export function ctrlerTest(title: string, options: CtrlerTestOptions, body: (cfg: CtrlerConfig) => Promise<void>): void {
  registerHarnessTest(`Test: ${title} (4A)`, () => new CtrlerConfig(options.servers, options.unreliable ?? false, options), (cfg) => body(cfg));
}

/** The latest configuration has exactly `groups`, assigns every shard to one of them, and is balanced. */
export async function check(groups: number[], ck: CtrlerClerk): Promise<void> {
  const c = await ck.Query(-1);
  const have = gidsOf(c);
  if (have.length !== groups.length) {
    fail('check', `wanted ${groups.length} groups, got ${have.length}`, { expected: `groups [${groups.join(' ')}]`, seen: `groups [${have.join(' ')}] in configuration ${c.Num}` });
  }
  // are the groups as expected?
  for (const g of groups) {
    if (c.Groups[g] === undefined) fail('check', `missing group ${g}`, { expected: `groups [${groups.join(' ')}]`, seen: `groups [${have.join(' ')}] in configuration ${c.Num}` });
  }
  // any un-allocated shards?
  if (groups.length > 0) {
    c.Shards.forEach((g, s) => {
      if (c.Groups[g] === undefined) fail('check', `shard ${s} -> invalid group ${g}`, { expected: `every shard assigned to one of [${groups.join(' ')}]`, seen: `Shards ${fmtShards(c)} in configuration ${c.Num}` });
    });
  }
  // more or less balanced sharding?
  const counts = new Map<number, number>();
  for (const g of c.Shards) counts.set(g, (counts.get(g) ?? 0) + 1);
  let min = 257;
  let max = 0;
  for (const g of have) {
    const n = counts.get(g) ?? 0;
    if (n > max) max = n;
    if (n < min) min = n;
  }
  if (max > min + 1) {
    fail('check', `max ${max} too much larger than min ${min}`, { expected: 'every group to hold the same number of shards, give or take one', seen: `Shards ${fmtShards(c)} in configuration ${c.Num}` });
  }
}

/** The two configurations are the same: Num, Shards, and each group's server list. */
export function checkSameConfig(c1: Config, c2: Config): void {
  const details = { expected: fmtConfig(c1), seen: fmtConfig(c2) };
  if (c1.Num !== c2.Num) fail('check_same_config', 'Num wrong', details);
  if (c1.Shards.some((g, i) => c2.Shards[i] !== g)) fail('check_same_config', 'Shards wrong', details);
  if (gidsOf(c1).length !== gidsOf(c2).length) fail('check_same_config', 'number of Groups is wrong', details);
  for (const gid of gidsOf(c1)) {
    const sa = c1.Groups[gid]!;
    const sa1 = c2.Groups[gid];
    if (sa1 === undefined || sa1.length !== sa.length) fail('check_same_config', 'len(Groups) wrong', details);
    for (let j = 0; j < sa.length; j++) if (sa[j] !== sa1[j]) fail('check_same_config', 'Groups wrong', details);
  }
}

/** The gids of a configuration's groups, in increasing order. */
export function gidsOf(c: Config): number[] {
  return Object.keys(c.Groups)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Go's %v of a Shards array: [1 1 2 2 ...]. */
export function fmtShards(c: Config): string {
  return `[${c.Shards.join(' ')}]`;
}

export function fmtConfig(c: Config): string {
  return `{Num ${c.Num} Shards ${fmtShards(c)} Groups {${gidsOf(c)
    .map((g) => `${g}:[${c.Groups[g]!.join(' ')}]`)
    .join(' ')}}}`;
}

export { NShards };
