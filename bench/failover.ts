/**
 * Failover time of a real 3-node cluster running the reference Raft and kvraft: kill -9 the
 * leader, and time until the first write succeeds on the new leader. 20 kills (the killed node
 * is restarted and caught up before the next); prints the median and the spread.
 *
 *   npx tsx bench/failover.ts [--kills 20]
 *     → failover_ms=…  failover_p90_ms=…  failover_max_ms=…
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KvHttpClient, addresses, fetchStatus, findFreePorts, killNode, restartNode, startCluster, stopCluster, type ClusterState } from '../cluster/index.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--kills');
const kills = at < 0 ? 20 : Number(args[at + 1]);

async function leaderOf(state: ClusterState): Promise<{ id: number; term: number; applied: number[] } | null> {
  const statuses = await Promise.all(addresses(state).map((a) => fetchStatus(a, 500)));
  const leaders = statuses.flatMap((s, id) => (s?.role === 'leader' ? [{ id, term: s.term as number }] : []));
  if (leaders.length !== 1) return null;
  return { ...leaders[0]!, applied: statuses.map((s) => (typeof s?.appliedIndex === 'number' ? s.appliedIndex : -1)) };
}

/** A stable leader that every node follows, with every node caught up. */
async function settled(state: ClusterState): Promise<number> {
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    const l = await leaderOf(state);
    if (l !== null && l.applied.every((a) => a === l.applied[l.id])) return l.id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the cluster did not settle within 20 s');
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-failover-'));
let state: ClusterState | undefined;
try {
  state = await startCluster({ nodes: 3, basePort: await findFreePorts(3), host: '127.0.0.1', dataDir, nodeFlags: [], clean: true, log: () => {} });
  const client = new KvHttpClient(addresses(state), { retryPauseMs: 5 });
  const times: number[] = [];
  for (let k = 0; k < kills; k++) {
    const old = await settled(state);
    if ((await client.put('before', String(k))).kind !== 'ok') throw new Error('a write failed on a healthy cluster');
    killNode(state, old);
    const killedAt = performance.now();
    for (;;) {
      const r = await client.put('after', String(k), 2000);
      if (r.kind === 'ok' && r.node !== old) break;
    }
    times.push(performance.now() - killedAt);
    await restartNode(state, old, () => {});
  }
  client.close();
  times.sort((a, b) => a - b);
  const q = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  console.log(`failover_kills=${kills}`);
  console.log(`failover_ms=${((times[Math.floor((times.length - 1) / 2)]! + times[Math.ceil((times.length - 1) / 2)]!) / 2).toFixed(0)}`);
  console.log(`failover_min_ms=${times[0]!.toFixed(0)}`);
  console.log(`failover_p90_ms=${q(0.9).toFixed(0)}`);
  console.log(`failover_max_ms=${times[times.length - 1]!.toFixed(0)}`);
} finally {
  if (state !== undefined) await stopCluster(state);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
