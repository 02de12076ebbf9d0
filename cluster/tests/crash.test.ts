/**
 * The crash test: a 5-node cluster of real processes on loopback, six HTTP clients doing put,
 * append and get on a few keys, and a nemesis that kills (SIGKILL) and restarts nodes, the
 * leader included, partitions the network, and twice kills every node at once, for about 40 s.
 * The history must be
 * linearizable and no acknowledged write may be lost. On failure the message names the
 * history page (porcupine's visualization) and the history file.
 *
 * A second case does the same with every disk write held back (see below).
 *
 * LAB_CRASH_SEED=N replays the nemesis's choices (timing still varies); LAB_CRASH_MS changes
 * the length.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { checkOperations, kv, kvModel } from '../../porcupine/index.ts';
import { runCrashTest, withoutUnobservedUnknownWrites, type CrashTestOptions } from '../crash-test.ts';
import { findFreePorts } from '../ports.ts';

/** Runs the crash test, prints its summary line, and fails with the history page named if anything is wrong. */
async function crashTest(options: Pick<CrashTestOptions, 'nodes' | 'durationMs' | 'clusterCrashes' | 'nemesisIntervalMs' | 'nodeFlags'>, minOk: number): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-crash-'));
  const seed = process.env.LAB_CRASH_SEED !== undefined ? Number(process.env.LAB_CRASH_SEED) : undefined;
  const lines: string[] = [];
  const report = await runCrashTest({
    basePort: await findFreePorts(options.nodes),
    dataDir,
    seed,
    log: (line) => lines.push(line),
    ...options,
  });
  const summary =
    `seed ${report.seed}: ${report.operations} operations checked (${report.ok} ok, ${report.unknown} unknown, ${report.failed} refused), ` +
    `${report.kills} kills (${report.leaderKills} of the leader, ${report.clusterCrashes}× all nodes at once), ${report.restarts} restarts, ${report.partitions} partitions; ` +
    `${report.unobserved} unknown writes no read saw left out; ` +
    `linearizability: ${report.result} in ${report.checkMs.toFixed(0)} ms`;
  const where = report.visualization === undefined ? '' : `\nhistory page: ${report.visualization}\nhistory: ${report.historyFile}\nnemesis:\n  ${lines.join('\n  ')}`;
  process.stdout.write(`crash test: ${summary}\n`);
  expect(report.lost, `acknowledged appends lost: ${report.lost.slice(0, 10).join(', ')}${where}`).toEqual([]);
  expect(report.duplicated, `appends applied twice${where}`).toEqual([]);
  expect(report.phantom, `values nobody wrote${where}`).toEqual([]);
  expect(report.result, `${summary}\n${report.explanation ?? ''}${where}`).toBe('Ok');
  expect(report.kills + report.partitions).toBeGreaterThan(3);
  expect(report.ok).toBeGreaterThan(minOk);
  if (report.visualization === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
}

test('a real cluster under kills and partitions stays linearizable and loses no acknowledged write', async () => {
  await crashTest({ nodes: 5, durationMs: Number(process.env.LAB_CRASH_MS ?? 40_000) }, 200);
}, 120_000);

/**
 * The dangerous instant of early AppendEntries (commit-clamp.ts) is a leader killed after its
 * requests left and before its own write: on a fast disk, well under a millisecond. Here each
 * node's disk is slow by its own amount (--disk-delay: every write held back by a time drawn
 * at start in 0..30 ms), so a fast follower often answers before a slow leader has written,
 * and with 3 nodes that follower alone holds the entry; the nemesis kills the whole cluster up
 * to six times. An "ok" sent before the leader's copy was written (HTTP answers not gated)
 * loses writes here in about two runs of three; see docs/cluster.md.
 */
test('a real cluster with lagging disks, killed whole again and again, loses no acknowledged write', async () => {
  await crashTest({ nodes: 3, durationMs: Number(process.env.LAB_CRASH_MS ?? 20_000), clusterCrashes: 6, nemesisIntervalMs: 1500, nodeFlags: ['--disk-delay', '30'] }, 100);
}, 90_000);

test('unknown writes no read saw are left out; the others stay, and a lost write is still caught', () => {
  const unknownSeen = kv.append(1, 'a', '2.3;', 5, Infinity);
  const unknownUnseen = kv.append(2, 'a', '12.3;', 6, Infinity); // "2.3;" is inside "12.3;": tokens, not substrings
  const unknownPut = kv.put(3, 'a', '7.1;', 7, Infinity);
  const history = [kv.append(0, 'a', '1.1;', 0, 4), unknownSeen, unknownUnseen, unknownPut, kv.get(4, 'a', '1.1;2.3;', 10, 12)];
  expect(withoutUnobservedUnknownWrites(history)).toEqual([history[0], unknownSeen, history[4]]);
  expect(checkOperations(kvModel, withoutUnobservedUnknownWrites(history))).toBe(true);
  // An acknowledged append missing from a later read: not linearizable, with or without the pruning.
  const lost = [kv.append(0, 'a', '1.1;', 0, 4), unknownUnseen, kv.get(4, 'a', '', 10, 12)];
  expect(checkOperations(kvModel, lost)).toBe(false);
  expect(checkOperations(kvModel, withoutUnobservedUnknownWrites(lost))).toBe(false);
});
