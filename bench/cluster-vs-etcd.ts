/**
 * A 3-node raftlab cluster against a 3-node etcd cluster, on loopback, under one load generator:
 * 16 clients, each doing back-to-back puts on its own key over HTTP keep-alive, sent to the
 * leader, for 10 s after a 2 s warm-up. Both systems fsync before acknowledging (raftlab:
 * `--durability batch --fsync on`, its default; etcd: its defaults). The systems take turns,
 * round after round (raftlab, etcd, raftlab, etcd, ...), so a load change on the machine hits both.
 *
 *   npx tsx bench/cluster-vs-etcd.ts [--rounds 3] [--seconds 10] [--clients 16] [--maxraftstate BYTES]
 *     → cluster_put_ops_per_s=…  etcd_put_ops_per_s=…  cluster_vs_etcd_ratio=…
 *       cluster_put_p50_ms=…  cluster_put_p99_ms=…  etcd_put_p50_ms=…  etcd_put_p99_ms=…
 *
 * Each figure is the median over the rounds; each round's figures are printed as well.
 * etcd comes from Debian's package `etcd-server` (3.4): if `etcd` is not on the PATH the script
 * installs it with apt-get (root needed). Its client is etcd's own HTTP/JSON gateway
 * (POST /v3/kv/put, base64 keys and values), so both systems see the same HTTP client.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { addresses, fetchStatus, findFreePorts, startCluster, stopCluster, type Address, type ClusterState } from '../cluster/index.ts';

const args = process.argv.slice(2);
function numberOption(name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number, got "${args[at + 1] ?? ''}"`);
  return value;
}
const rounds = numberOption('--rounds', 3);
const seconds = numberOption('--seconds', 10);
const clients = numberOption('--clients', 16);
/** Passed to the raftlab nodes when given (their default otherwise). */
const maxraftstate = args.includes('--maxraftstate') ? numberOption('--maxraftstate', 0) : undefined;
const warmupMs = 2000;
const requestTimeoutMs = 10_000;

/** What one system answered to one put. */
type PutOutcome = { kind: 'ok' } | { kind: 'redirect'; leader: number } | { kind: 'error'; why: string };

/** One system under test: where its nodes listen, and how a put is said over HTTP. */
interface System {
  name: 'cluster' | 'etcd';
  nodes: Address[];
  leader: number;
  request(key: string, value: string): { method: string; path: string; body: string };
  outcome(status: number, body: string): PutOutcome;
  /** Counters of the leader's disk, read when the measurement starts and ends (raftlab only). */
  diskCounters?(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

interface RoundResult {
  opsPerS: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  /** How the leader's disk counters moved during the measurement. */
  disk: Record<string, number>;
}

function post(agent: http.Agent, address: Address, method: string, urlPath: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: address.host, port: address.port, method, path: urlPath, agent, timeout: requestTimeoutMs, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${requestTimeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The load generator both systems get: `clients` loops of back-to-back puts, each on its own key. */
async function runLoad(system: System): Promise<RoundResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients * 2 });
  const latencies: number[] = [];
  let failures = 0;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + seconds * 1000;
  let diskAtStart: Promise<Record<string, number>> | undefined;
  const measureTimer = setTimeout(() => (diskAtStart = system.diskCounters?.()), warmupMs);
  const disk: Record<string, number> = {};
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; performance.now() < end; i++) {
          const t = performance.now();
          const { method, path: urlPath, body } = system.request(`key-${c}`, `value-${c}-${i}`);
          let outcome: PutOutcome;
          try {
            const answer = await post(agent, system.nodes[system.leader]!, method, urlPath, body);
            outcome = system.outcome(answer.status, answer.body);
          } catch (e) {
            outcome = { kind: 'error', why: (e as Error).message };
          }
          if (outcome.kind === 'redirect') system.leader = outcome.leader;
          if (t < measureFrom) continue;
          if (outcome.kind === 'ok') latencies.push(performance.now() - t);
          else failures++;
          if (outcome.kind === 'error') await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    const before = await diskAtStart;
    const after = await system.diskCounters?.();
    if (before !== undefined && after !== undefined) for (const name of Object.keys(after)) disk[name] = after[name]! - (before[name] ?? 0);
  } finally {
    clearTimeout(measureTimer);
    agent.destroy();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { opsPerS: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), failures, disk };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

// --- raftlab ----------------------------------------------------------------------------------

async function startRaftlab(root: string): Promise<System> {
  const dataDir = path.join(root, 'raftlab');
  const state: ClusterState = await startCluster({ nodes: 3, basePort: await findFreePorts(3), host: '127.0.0.1', dataDir, nodeFlags: ['--durability', 'batch', '--fsync', 'on', ...(maxraftstate === undefined ? [] : ['--maxraftstate', String(maxraftstate)])], clean: true, log: () => {} });
  const nodes = addresses(state);
  const leader = await waitFor('no raftlab leader', 20_000, async () => {
    const statuses = await Promise.all(nodes.map((a) => fetchStatus(a, 500)));
    const id = statuses.findIndex((s) => s?.role === 'leader');
    return id < 0 ? null : id;
  });
  return {
    name: 'cluster',
    nodes,
    leader,
    request: (key, value) => ({ method: 'PUT', path: `/kv/${encodeURIComponent(key)}`, body: JSON.stringify({ value }) }),
    outcome: (status, body) => {
      if (status === 200) return { kind: 'ok' };
      const answer = JSON.parse(body) as { leader?: unknown; error?: unknown };
      if (status === 307 && typeof answer.leader === 'number') return { kind: 'redirect', leader: answer.leader };
      return { kind: 'error', why: `${status} ${String(answer.error)}` };
    },
    diskCounters: async () => {
      const status = await fetchStatus(nodes[leader]!, 2000);
      const persister = (status?.persister ?? {}) as Record<string, unknown>;
      const counters: Record<string, number> = {};
      for (const name of ['saves', 'flushes', 'fsyncs', 'bytesWritten']) if (typeof persister[name] === 'number') counters[name] = persister[name];
      return counters;
    },
    stop: async () => {
      await stopCluster(state);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// --- etcd -------------------------------------------------------------------------------------

function etcdBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).stdout.trim();
  if (found !== '') return found;
  console.error('etcd is not installed; installing the Debian package etcd-server (apt-get)...');
  let install = spawnSync('apt-get', ['install', '-y', 'etcd-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    install = spawnSync('apt-get', ['install', '-y', 'etcd-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const after = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).stdout.trim();
  if (install.status !== 0 || after === '') throw new Error('could not install etcd: run `apt-get install etcd-server` as root, then run this again');
  return after;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

async function startEtcd(root: string, binary: string): Promise<System> {
  const base = await findFreePorts(6);
  const names = [0, 1, 2].map((i) => `n${i}`);
  const peerUrl = (i: number): string => `http://127.0.0.1:${base + 3 + i}`;
  const nodes: Address[] = [0, 1, 2].map((i) => ({ host: '127.0.0.1', port: base + i }));
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const clientUrl = `http://127.0.0.1:${nodes[i]!.port}`;
    const child = spawn(
      binary,
      [
        '--name', names[i]!,
        '--data-dir', path.join(root, 'etcd', names[i]!),
        '--listen-client-urls', clientUrl,
        '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrl(i),
        '--initial-advertise-peer-urls', peerUrl(i),
        '--initial-cluster', initialCluster,
        '--initial-cluster-token', `bench-${base}`,
        '--initial-cluster-state', 'new',
        '--logger', 'zap',
        '--log-level', 'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
    children.push(child);
  }
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    fs.rmSync(path.join(root, 'etcd'), { recursive: true, force: true });
  };
  try {
    const agent = new http.Agent({ keepAlive: false });
    // The node whose member id is the leader every node reports.
    const leader = await waitFor('no etcd leader', 30_000, async () => {
      const statuses = await Promise.all(nodes.map((a) => post(agent, a, 'POST', '/v3/maintenance/status', '{}').catch(() => null)));
      for (let i = 0; i < 3; i++) {
        const s = statuses[i];
        if (s?.status !== 200) continue;
        const body = JSON.parse(s.body) as { header?: { member_id?: string }; leader?: string };
        if (body.leader !== undefined && body.leader !== '0' && body.header?.member_id === body.leader) return i;
      }
      return null;
    });
    return {
      name: 'etcd',
      nodes,
      leader,
      request: (key, value) => ({ method: 'POST', path: '/v3/kv/put', body: JSON.stringify({ key: b64(key), value: b64(value) }) }),
      outcome: (status, body) => (status === 200 ? { kind: 'ok' } : { kind: 'error', why: `${status} ${body.slice(0, 200)}` }),
      stop,
    };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; etcd said:\n${logs.join('').slice(-2000)}`);
  }
}

// --- the run ------------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const binary = etcdBinary();
const etcdVersion = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-vs-etcd-'));
const results: Record<'cluster' | 'etcd', RoundResult[]> = { cluster: [], etcd: [] };
try {
  console.log(`# 3 nodes each on 127.0.0.1, ${clients} clients, ${seconds} s of puts after ${warmupMs / 1000} s of warm-up, ${rounds} rounds; ${etcdVersion}; cpus=${os.availableParallelism()} load=${os.loadavg()[0]!.toFixed(2)}`);
  for (let round = 1; round <= rounds; round++) {
    for (const name of ['cluster', 'etcd'] as const) {
      const system = name === 'cluster' ? await startRaftlab(root) : await startEtcd(root, binary);
      let result: RoundResult;
      try {
        result = await runLoad(system);
      } finally {
        await system.stop();
      }
      results[name].push(result);
      const disk = Object.entries(result.disk).map(([k, v]) => ` ${name}_round${round}_leader_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}=${v}`).join('');
      console.log(`${name}_round${round}_put_ops_per_s=${result.opsPerS.toFixed(0)} ${name}_round${round}_put_p50_ms=${result.p50Ms.toFixed(1)} ${name}_round${round}_put_p99_ms=${result.p99Ms.toFixed(1)} ${name}_round${round}_put_failures=${result.failures}${disk} load=${os.loadavg()[0]!.toFixed(2)}`);
    }
  }
  const figure = (name: 'cluster' | 'etcd', pick: (r: RoundResult) => number): number => median(results[name].map(pick));
  const clusterOps = figure('cluster', (r) => r.opsPerS);
  const etcdOps = figure('etcd', (r) => r.opsPerS);
  console.log(`cluster_put_ops_per_s=${clusterOps.toFixed(0)}`);
  console.log(`etcd_put_ops_per_s=${etcdOps.toFixed(0)}`);
  console.log(`cluster_vs_etcd_ratio=${(clusterOps / etcdOps).toFixed(2)}`);
  console.log(`cluster_put_p50_ms=${figure('cluster', (r) => r.p50Ms).toFixed(1)}`);
  console.log(`cluster_put_p99_ms=${figure('cluster', (r) => r.p99Ms).toFixed(1)}`);
  console.log(`etcd_put_p50_ms=${figure('etcd', (r) => r.p50Ms).toFixed(1)}`);
  console.log(`etcd_put_p99_ms=${figure('etcd', (r) => r.p99Ms).toFixed(1)}`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
