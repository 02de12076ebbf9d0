/**
 * Throughput and latency of a real 3-node cluster running the reference Raft and kvraft:
 * node processes on loopback, TCP between them, state on disk (fsync on, batch durability
 * unless told otherwise), 16 concurrent HTTP clients each doing back-to-back puts on its own key.
 *
 *   npx tsx bench/cluster.ts [--seconds 10] [--clients 16] [--durability batch|sync] [--fsync on|off]
 *     → cluster_put_ops_per_s=…  cluster_put_p50_ms=…  cluster_put_p99_ms=…
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KvHttpClient, addresses, findFreePorts, startCluster, stopCluster, type ClusterState } from '../cluster/index.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at < 0 ? fallback : (args[at + 1] ?? fallback);
};
const seconds = Number(option('--seconds', '10'));
const clients = Number(option('--clients', '16'));
const durability = option('--durability', 'batch');
const fsyncMode = option('--fsync', 'on');
const warmupMs = 2000;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-bench-'));
let state: ClusterState | undefined;
try {
  state = await startCluster({
    nodes: 3,
    basePort: await findFreePorts(3),
    host: '127.0.0.1',
    dataDir,
    nodeFlags: ['--durability', durability, '--fsync', fsyncMode, ...(option('--maxraftstate', '') === '' ? [] : ['--maxraftstate', option('--maxraftstate', '')])],
    clean: true,
    log: () => {},
  });
  const client = new KvHttpClient(addresses(state), { timeoutMs: 10_000, retryPauseMs: 10 });
  // Until a leader answers.
  for (let i = 0; (await client.put('warm', 'up')).kind !== 'ok'; i++) if (i > 100) throw new Error('no leader after 100 tries');

  const latencies: number[] = [];
  let failures = 0;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        const r = await client.put(`key-${c}`, `value-${c}-${i}`);
        if (t < measureFrom) continue;
        if (r.kind === 'ok') latencies.push(performance.now() - t);
        else failures++;
      }
    }),
  );
  client.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  console.log(`cluster_nodes=3 cluster_clients=${clients} cluster_durability=${durability} cluster_fsync=${fsyncMode} cpus=${os.availableParallelism()}`);
  console.log(`cluster_put_ops_per_s=${(latencies.length / seconds).toFixed(0)}`);
  console.log(`cluster_put_p50_ms=${at(0.5).toFixed(1)}`);
  console.log(`cluster_put_p99_ms=${at(0.99).toFixed(1)}`);
  console.log(`cluster_put_failures=${failures}`);
} finally {
  if (state !== undefined) await stopCluster(state);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
