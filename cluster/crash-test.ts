/**
 * A Jepsen-style test of a real cluster: concurrent HTTP clients do put, append and get on a
 * few keys while a nemesis kills (SIGKILL) and restarts nodes, the leader included, and
 * partitions the network. The history is then judged by porcupine against the KV model, and
 * every acknowledged append is looked for in the final values.
 *
 * How outcomes enter the history (see http-client.ts):
 * - ok: a complete operation, call and return times as the client saw them;
 * - failed for sure (every node refused it before starting it): left out, it never happened;
 * - unknown (timeout, node killed mid-request): a write is recorded with return = Infinity, so
 *   it may take effect at any point after its call, or never; a read is left out, since it
 *   changed nothing. A client whose operation is unknown continues under a fresh history id,
 *   because in the history its unknown operation never ends.
 *
 * Twice per run (or `clusterCrashes` times) the nemesis kills every node at once and restarts
 * them all: what was acknowledged must have been on a majority's disks.
 *
 * Keys "a…" only get appends and gets, so the final value must contain each acknowledged
 * append exactly once and each unknown one at most once; keys "m…" mix in puts. Keys change
 * generation every `keyGenerationMs` so that values (and the checker's states) stay short.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkOperationsTimeout, checkOperationsVerbose, describeFailure, kvModel, visualizePath, type Annotation, type KvInput, type KvOutput, type Operation } from '../porcupine/index.ts';
import { KvHttpClient, fetchStatus } from './http-client.ts';
import type { KvOperation } from './http-api.ts';
import { addresses, healCluster, killNode, partitionCluster, processAlive, restartNode, startCluster, stopCluster } from './supervisor.ts';

export interface CrashTestOptions {
  nodes: number;
  /** Ports of the nodes (one each); see findFreePorts. */
  basePort: number;
  dataDir: string;
  /** How long clients and nemesis run (default 40 s). */
  durationMs?: number;
  clients?: number;
  /** Average pause between two nemesis actions (default 2500 ms). */
  nemesisIntervalMs?: number;
  /** Client operation timeout (default 2500 ms). */
  opTimeoutMs?: number;
  keyGenerationMs?: number;
  /** Times every node is killed at once, then all restarted (default 2). */
  clusterCrashes?: number;
  seed?: number;
  nodeFlags?: string[];
  log?: (line: string) => void;
}

export interface CrashTestReport {
  seed: number;
  result: 'Ok' | 'Illegal' | 'Unknown';
  /** Operations in the checked history. */
  operations: number;
  /** Writes of unknown outcome that no read saw, left out of the check (see withoutUnobservedUnknownWrites). */
  unobserved: number;
  ok: number;
  unknown: number;
  failed: number;
  kills: number;
  leaderKills: number;
  /** Times every node was killed at once (then all restarted); counted in kills and restarts too. */
  clusterCrashes: number;
  restarts: number;
  partitions: number;
  /** Acknowledged appends missing from the final value, and appends found more than once. */
  lost: string[];
  duplicated: string[];
  /** Tokens in a final value that no client ever sent, or sent and was told failed. */
  phantom: string[];
  /** Where the history page was written (only when something is wrong). */
  visualization?: string;
  historyFile?: string;
  checkMs: number;
  explanation?: string;
}

/** A small seeded generator (mulberry32), so a run's choices can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Op = Operation<KvInput, KvOutput>;

interface AppendRecord {
  key: string;
  token: string;
  outcome: 'ok' | 'unknown' | 'failed';
}

export async function runCrashTest(options: CrashTestOptions): Promise<CrashTestReport> {
  const log = options.log ?? (() => {});
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = rng(seed);
  const durationMs = options.durationMs ?? 40_000;
  const clientCount = options.clients ?? 6;
  const nemesisIntervalMs = options.nemesisIntervalMs ?? 2500;
  const opTimeoutMs = options.opTimeoutMs ?? 2500;
  const keyGenerationMs = options.keyGenerationMs ?? 10_000;
  const n = options.nodes;
  const maxDown = Math.floor((n - 1) / 2);

  const state = await startCluster({ nodes: n, basePort: options.basePort, host: '127.0.0.1', dataDir: options.dataDir, nodeFlags: options.nodeFlags ?? [], clean: true, log });
  const t0 = performance.now();
  const clock = (): number => performance.now() - t0;
  const history: Op[] = [];
  const appends: AppendRecord[] = [];
  const annotations: Annotation[] = [];
  const report: CrashTestReport = { seed, result: 'Unknown', operations: 0, unobserved: 0, ok: 0, unknown: 0, failed: 0, kills: 0, leaderKills: 0, clusterCrashes: 0, restarts: 0, partitions: 0, lost: [], duplicated: [], phantom: [], checkMs: 0 };
  const keysEver = new Set<string>();
  let historyIds = 0;
  let stopping = false;

  const record = (clientId: number, operation: KvOperation, call: number, outcome: 'ok' | 'unknown', value: string): void => {
    const input: KvInput = operation.op === 'get' ? { op: 'get', key: operation.key } : { op: operation.op, key: operation.key, value: operation.value };
    history.push({ clientId, input, call, output: { value: operation.op === 'get' ? value : '' }, return: outcome === 'ok' ? clock() : Infinity });
  };

  const client = async (c: number): Promise<void> => {
    const kv = new KvHttpClient(addresses(state), { timeoutMs: opTimeoutMs, retryPauseMs: 30 });
    let historyId = historyIds++;
    try {
      for (let i = 0; !stopping; i++) {
        const gen = Math.floor(clock() / keyGenerationMs);
        const appendOnly = random() < 0.5;
        const key = `${appendOnly ? 'a' : 'm'}${Math.floor(random() * 2)}-g${gen}`;
        keysEver.add(key);
        const dice = random();
        const token = `${c}.${i};`;
        const operation: KvOperation =
          dice < 0.4 ? { op: 'get', key } : appendOnly || dice < 0.85 ? { op: 'append', key, value: token } : { op: 'put', key, value: token };
        const call = clock();
        const result = await kv.execute(operation);
        if (operation.op === 'append' && appendOnly) appends.push({ key, token, outcome: result.kind === 'ok' ? 'ok' : result.kind === 'unknown' ? 'unknown' : 'failed' });
        if (result.kind === 'ok') {
          report.ok++;
          record(historyId, operation, call, 'ok', result.value);
        } else if (result.kind === 'unknown') {
          report.unknown++;
          if (operation.op !== 'get') record(historyId, operation, call, 'unknown', '');
          historyId = historyIds++;
        } else {
          report.failed++;
          if (!result.why.startsWith('no node took it')) throw new Error(`client ${c}: ${operation.op} ${operation.key} was rejected: ${result.why}`);
        }
      }
    } finally {
      kv.close();
    }
  };

  const leaderOf = async (): Promise<number | null> => {
    const statuses = await Promise.all(state.nodes.map((x) => (processAlive(x.pid) ? fetchStatus(addresses(state)[x.id]!, 300) : Promise.resolve(null))));
    let best: number | null = null;
    let bestTerm = -1;
    statuses.forEach((s, id) => {
      if (s?.role === 'leader' && typeof s.term === 'number' && s.term > bestTerm) {
        best = id;
        bestTerm = s.term;
      }
    });
    return best;
  };

  /**
   * When the whole cluster is killed at once: once in each of `clusterCrashes` windows of
   * 30%/clusterCrashes of the run each, from 30% of it on (with 2: [30%, 45%] and [65%, 80%]).
   */
  const clusterCrashes = options.clusterCrashes ?? 2;
  const crashAllAtMs = Array.from({ length: clusterCrashes }, (_, j) => durationMs * (0.3 + (0.7 * j) / clusterCrashes + (0.3 / clusterCrashes) * random()));
  let partitionStart: number | undefined;
  let partitionLabel = '';
  const endPartition = async (): Promise<void> => {
    if (partitionStart === undefined) return;
    await healCluster(state);
    annotations.push({ time: partitionStart, endTime: clock(), label: partitionLabel, kind: 'fault' });
    log(`nemesis: heal`);
    partitionStart = undefined;
  };

  const nemesis = async (): Promise<void> => {
    while (!stopping) {
      await sleep(nemesisIntervalMs * (0.5 + random()));
      if (stopping) break;
      const down = state.nodes.filter((x) => !processAlive(x.pid)).map((x) => x.id);
      const dice = random();
      if (report.clusterCrashes < crashAllAtMs.length && clock() > crashAllAtMs[report.clusterCrashes]!) {
        // At each of its times, the whole cluster crashes at once: only what is on disk is left.
        await endPartition();
        let killed = 0;
        for (const x of state.nodes) if (killNode(state, x.id)) killed++;
        annotations.push({ time: clock(), label: 'kill -9 all', kind: 'fault' });
        log('nemesis: kill -9 every node, then restart them all');
        await sleep(200);
        await Promise.all(state.nodes.map((x) => restartNode(state, x.id, () => {})));
        annotations.push({ time: clock(), label: 'restart all', kind: 'fault' });
        report.kills += killed;
        report.restarts += n;
        report.clusterCrashes++;
      } else if (down.length > 0 && (down.length >= maxDown || dice < 0.4)) {
        const id = down[Math.floor(random() * down.length)]!;
        await restartNode(state, id, () => {});
        report.restarts++;
        annotations.push({ time: clock(), label: `restart ${id}`, kind: 'fault' });
        log(`nemesis: restart node ${id}`);
      } else if (partitionStart !== undefined && dice < 0.7) {
        await endPartition();
      } else if (dice < 0.75 && down.length < maxDown) {
        const leader = random() < 0.6 ? await leaderOf() : null;
        const up = state.nodes.filter((x) => processAlive(x.pid)).map((x) => x.id);
        const id = leader ?? up[Math.floor(random() * up.length)]!;
        killNode(state, id);
        report.kills++;
        if (leader !== null) report.leaderKills++;
        annotations.push({ time: clock(), label: `kill -9 ${id}${leader !== null ? ' (leader)' : ''}`, kind: 'fault' });
        log(`nemesis: kill -9 node ${id}${leader !== null ? ' (the leader)' : ''}`);
      } else if (partitionStart === undefined) {
        const leader = random() < 0.5 ? await leaderOf() : null;
        const ids = state.nodes.map((x) => x.id);
        let side: number[];
        if (leader !== null) side = [leader];
        else {
          for (let i = ids.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [ids[i], ids[j]] = [ids[j]!, ids[i]!];
          }
          side = ids.slice(0, 1 + Math.floor(random() * maxDown));
        }
        const sides = await partitionCluster(state, [side]);
        partitionStart = clock();
        partitionLabel = `partition ${sides.map((g) => g.join(',')).join('/')}${leader !== null ? ' (leader alone)' : ''}`;
        report.partitions++;
        log(`nemesis: ${partitionLabel}`);
      }
    }
  };

  try {
    const clientsDone = Promise.all(Array.from({ length: clientCount }, (_, c) => client(c)));
    const nemesisDone = nemesis();
    // Failures surface below, after the nemesis stops; until then they must not go unhandled.
    clientsDone.catch(() => (stopping = true));
    nemesisDone.catch(() => (stopping = true));
    const deadline = performance.now() + durationMs;
    while (!stopping && performance.now() < deadline) await sleep(100);
    stopping = true;
    await nemesisDone;
    await clientsDone;
    // Make the cluster whole, then read every key: the reads close the history.
    await endPartition();
    for (const x of state.nodes) {
      if (!processAlive(x.pid)) {
        await restartNode(state, x.id, () => {});
        report.restarts++;
        annotations.push({ time: clock(), label: `restart ${x.id}`, kind: 'fault' });
      }
    }
    const finalClient = new KvHttpClient(addresses(state), { timeoutMs: 10_000 });
    const finalValues = new Map<string, string>();
    for (const key of [...keysEver].sort()) {
      const call = clock();
      const r = await finalClient.get(key);
      if (r.kind !== 'ok') throw new Error(`the final read of ${key} failed after the cluster was healed: ${r.why}`);
      finalValues.set(key, r.value);
      history.push({ clientId: historyIds++, input: { op: 'get', key }, call, output: { value: r.value }, return: clock() });
    }
    finalClient.close();
    annotations.push({ time: clock(), label: 'final reads', kind: 'check' });

    // No acknowledged append lost, none applied twice, nothing nobody wrote.
    const sent = new Map<string, AppendRecord>();
    for (const a of appends) sent.set(`${a.key}|${a.token}`, a);
    for (const [key, value] of finalValues) {
      if (!key.startsWith('a')) continue;
      const counts = new Map<string, number>();
      for (const token of value.split(';').filter((t) => t !== '')) counts.set(`${token};`, (counts.get(`${token};`) ?? 0) + 1);
      for (const [token, count] of counts) {
        const a = sent.get(`${key}|${token}`);
        if (a === undefined || a.outcome === 'failed') report.phantom.push(`${key}: ${token}`);
        if (count > 1) report.duplicated.push(`${key}: ${token} ×${count}`);
      }
      for (const a of appends) if (a.key === key && a.outcome === 'ok' && !counts.has(a.token)) report.lost.push(`${key}: ${a.token}`);
    }

    const checked = withoutUnobservedUnknownWrites(history);
    report.operations = checked.length;
    report.unobserved = history.length - checked.length;
    const started = performance.now();
    report.result = checkOperationsTimeout(kvModel, checked, checkTimeoutMs);
    report.checkMs = performance.now() - started;
    if (report.result !== 'Ok' || report.lost.length + report.duplicated.length + report.phantom.length > 0) {
      const verbose = checkOperationsVerbose(kvModel, checked, checkTimeoutMs);
      report.explanation = describeFailure(kvModel, verbose.info);
      report.visualization = path.join(options.dataDir, 'history.html');
      report.historyFile = path.join(options.dataDir, 'history.json');
      visualizePath(kvModel, verbose.info, report.visualization, { title: `crash test, seed ${seed}`, annotations });
      fs.writeFileSync(report.historyFile, JSON.stringify({ seed, history: history.map((o) => ({ ...o, return: Number.isFinite(o.return) ? o.return : null })), annotations }, null, 1));
    }
    return report;
  } finally {
    stopping = true;
    const pids = state.nodes.map((x) => x.pid);
    await stopCluster(state).catch(() => {});
    // A node that would not stop must not outlive the test.
    for (const pid of pids) if (processAlive(pid)) process.kill(pid!, 'SIGKILL');
  }
}

/** How long porcupine may search; a history it cannot settle in that time fails the test as "Unknown". */
const checkTimeoutMs = 30_000;

/**
 * Leaves out the writes whose outcome is unknown and whose value no read ever returned.
 *
 * Such a write may be linearized "never", and that is the only choice that matters: every
 * written value is a unique token, so had it taken effect before some read, that read (or one
 * after it, before the next put) would hold the token. Placing it anywhere no read can see is
 * the same, for every read, as leaving it out. So the history is linearizable with it exactly
 * when it is without it. The search does not know this: it tries each such write at every
 * point, and a handful of them multiply its work beyond any time limit (5 unknown appends on a
 * key of 340 operations: more than 20 s, against 2 ms without).
 */
export function withoutUnobservedUnknownWrites(history: readonly Op[]): Op[] {
  const seen = new Map<string, Set<string>>();
  for (const o of history) {
    if (o.input.op !== 'get') continue;
    let tokens = seen.get(o.input.key);
    if (tokens === undefined) seen.set(o.input.key, (tokens = new Set()));
    for (const t of o.output.value.split(';')) if (t !== '') tokens.add(`${t};`);
  }
  return history.filter((o) => o.input.op === 'get' || Number.isFinite(o.return) || seen.get(o.input.key)?.has(o.input.value) === true);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
