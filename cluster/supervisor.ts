/**
 * Starts, kills, restarts and partitions node processes on this machine, keeping what it knows
 * in a state file, DATA/cluster.json: each node's address, folder, log file and pid, and the
 * partition in force (re-applied to a node when it restarts).
 *
 * Nodes run detached (`node --import tsx cluster/node.ts ...`), so they outlive the command
 * that started them; their output goes to DATA/logs/node-I.log. A node listed with
 * `managed: false` runs on another machine: it can be inspected and partitioned from here,
 * but not killed or restarted.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fetchStatus, setReachable } from './http-client.ts';
import { formatAddress, parseAddress, type Address } from './transport.ts';

export const stateFileName = 'cluster.json';

/** Something about the cluster is not as the command needs it; the message says what to do. */
export class ClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}

export interface NodeRecord {
  id: number;
  address: string;
  dataDir: string;
  logFile: string;
  pid: number | null;
  /** False for a node on another machine (started there with --id). */
  managed: boolean;
}

export interface ClusterState {
  version: 1;
  dataDir: string;
  nodes: NodeRecord[];
  /** Extra flags every node of this cluster gets (durability, fsync, maxraftstate...). */
  nodeFlags: string[];
  /** Sides of the partition in force, or null. */
  partition: number[][] | null;
}

export function stateFile(dataDir: string): string {
  return path.join(dataDir, stateFileName);
}

export function readState(dataDir: string): ClusterState {
  const file = stateFile(dataDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ClusterError(`no cluster in ${dataDir} (no ${stateFileName}); start one with: lab cluster start -n 3${dataDir === defaultDataDir() ? '' : ` --data ${dataDir}`}`);
  }
  let state: ClusterState;
  try {
    state = JSON.parse(text) as ClusterState;
  } catch {
    throw new ClusterError(`${file} is not valid JSON; stop any nodes by hand (see their pids in it) and delete it, or use another --data`);
  }
  if (state.version !== 1 || !Array.isArray(state.nodes)) throw new ClusterError(`${file} is not a cluster state this version understands; delete it and start again`);
  return state;
}

/** Writes the state file atomically, so a command killed half-way leaves the old one. */
export function writeState(state: ClusterState): void {
  const file = stateFile(state.dataDir);
  const temp = `${file}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(temp, file);
}

export function defaultDataDir(): string {
  return path.join('.lab', 'cluster');
}

export function addresses(state: ClusterState): Address[] {
  return state.nodes.map((n) => parseAddress(n.address));
}

export function processAlive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const nodeScript = fileURLToPath(new URL('./node.ts', import.meta.url));
/** tsx's loader, by absolute URL, so a node starts whatever the working directory. */
function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

export interface StartOptions {
  nodes: number;
  basePort: number;
  host: string;
  dataDir: string;
  nodeFlags: string[];
  /** Erase the nodes' folders first. */
  clean: boolean;
  log: (line: string) => void;
}

/** Starts N nodes on host:basePort+i; resolves once each answers /status. */
export async function startCluster(options: StartOptions): Promise<ClusterState> {
  const dataDir = path.resolve(options.dataDir);
  let previous: ClusterState | undefined;
  if (fs.existsSync(stateFile(dataDir))) {
    previous = readState(dataDir);
    const running = previous.nodes.filter((n) => n.managed && processAlive(n.pid));
    if (running.length > 0) {
      throw new ClusterError(`a cluster is already running from ${dataDir} (node${running.length > 1 ? 's' : ''} ${running.map((n) => `${n.id} pid ${n.pid}`).join(', ')}); stop it first: lab cluster stop${dataDir === path.resolve(defaultDataDir()) ? '' : ` --data ${options.dataDir}`}`);
    }
  }
  const addressesWanted = Array.from({ length: options.nodes }, (_, i) => formatAddress({ host: options.host, port: options.basePort + i }));
  if (previous !== undefined && !options.clean) {
    const before = previous.nodes.map((n) => n.address).join(',');
    if (before !== addressesWanted.join(',')) {
      throw new ClusterError(`${dataDir} holds the state of a cluster at ${before}; start that one again with the same -n and --port, or add --clean to erase it, or use another --data`);
    }
  }
  fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const state: ClusterState = {
    version: 1,
    dataDir,
    nodes: addressesWanted.map((address, id) => ({
      id,
      address,
      dataDir: path.join(dataDir, `node-${id}`),
      logFile: path.join(dataDir, 'logs', `node-${id}.log`),
      pid: null,
      managed: true,
    })),
    nodeFlags: options.nodeFlags,
    partition: null,
  };
  if (options.clean) {
    for (const n of state.nodes) {
      fs.rmSync(n.dataDir, { recursive: true, force: true });
      fs.rmSync(n.logFile, { force: true });
    }
  }
  writeState(state);
  const started = await Promise.allSettled(state.nodes.map((n) => spawnNode(state, n.id, options.log)));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    // Half a cluster is no use: stop the nodes that did start, and say why the others did not.
    await stopCluster(state);
    throw failed.reason instanceof ClusterError ? new ClusterError(`${failed.reason.message}\nThe nodes that started were stopped again.`) : failed.reason;
  }
  return state;
}

/** Starts one node of a cluster spread over machines: this machine runs node `id` only. */
export async function startOneNode(options: { id: number; peers: string[]; dataDir: string; nodeFlags: string[]; log: (line: string) => void }): Promise<ClusterState> {
  const dataDir = path.resolve(options.dataDir);
  if (fs.existsSync(stateFile(dataDir))) {
    const previous = readState(dataDir);
    const running = previous.nodes.filter((n) => n.managed && processAlive(n.pid));
    if (running.length > 0) throw new ClusterError(`node ${running[0]!.id} already runs from ${dataDir} (pid ${running[0]!.pid}); stop it first`);
  }
  fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const state: ClusterState = {
    version: 1,
    dataDir,
    nodes: options.peers.map((address, id) => ({
      id,
      address: formatAddress(parseAddress(address)),
      dataDir: path.join(dataDir, `node-${id}`),
      logFile: path.join(dataDir, 'logs', `node-${id}.log`),
      pid: null,
      managed: id === options.id,
    })),
    nodeFlags: options.nodeFlags,
    partition: null,
  };
  writeState(state);
  await spawnNode(state, options.id, options.log);
  return state;
}

/** The reachable set for node `id` under `groups` (its own side), or null without a partition. */
export function reachableFor(groups: number[][] | null, id: number): number[] | null {
  if (groups === null) return null;
  return groups.find((g) => g.includes(id)) ?? [id];
}

/** Starts node `id`'s process and waits until it answers; records its pid. */
export async function spawnNode(state: ClusterState, id: number, log: (line: string) => void): Promise<number> {
  const record = state.nodes[id]!;
  if (!record.managed) throw new ClusterError(`node ${id} runs on another machine (${record.address}); start it there`);
  const reachable = reachableFor(state.partition, id);
  const args = [
    '--import',
    tsxLoader(),
    nodeScript,
    '--id',
    String(id),
    '--peers',
    state.nodes.map((n) => n.address).join(','),
    '--data',
    record.dataDir,
    ...(reachable === null ? [] : ['--reachable', reachable.join(',')]),
    ...state.nodeFlags,
  ];
  fs.mkdirSync(path.dirname(record.logFile), { recursive: true });
  const logFd = fs.openSync(record.logFile, 'a');
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, NODE_OPTIONS: '' } });
  fs.closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new ClusterError(`could not start node ${id}: ${process.execPath} did not run`);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.unref();
  record.pid = pid;
  writeState(state);
  const address = parseAddress(record.address);
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    if (exited !== undefined) {
      record.pid = null;
      writeState(state);
      throw new ClusterError(`node ${id} exited at start (code ${String(exited)}):\n${tail(record.logFile, 6)}\n(full log: ${record.logFile})`);
    }
    if ((await fetchStatus(address, 500)) !== null) {
      log(`node ${id} up at http://${record.address} (pid ${pid})`);
      return pid;
    }
    await sleep(100);
  }
  throw new ClusterError(`node ${id} (pid ${pid}) did not answer on ${record.address} within 20 s; see ${record.logFile}`);
}

/** The last `lines` lines of a log file, indented. */
export function tail(file: string, lines: number): string {
  try {
    const all = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return all
      .slice(-lines)
      .map((l) => `  ${l}`)
      .join('\n');
  } catch {
    return '  (no log)';
  }
}

function managedNode(state: ClusterState, id: number): NodeRecord {
  const record = state.nodes[id];
  if (record === undefined) throw new ClusterError(`no node ${id}; the nodes are 0..${state.nodes.length - 1}`);
  if (!record.managed) throw new ClusterError(`node ${id} runs on another machine (${record.address}); do that there`);
  return record;
}

/** SIGKILL: no goodbye, no flush. Returns false if it was not running. */
export function killNode(state: ClusterState, id: number): boolean {
  const record = managedNode(state, id);
  const alive = processAlive(record.pid);
  if (alive) process.kill(record.pid!, 'SIGKILL');
  record.pid = null;
  writeState(state);
  return alive;
}

/** Kills node `id` if it runs, then starts it again on its folder. */
export async function restartNode(state: ClusterState, id: number, log: (line: string) => void): Promise<number> {
  const record = managedNode(state, id);
  if (processAlive(record.pid)) {
    process.kill(record.pid!, 'SIGKILL');
    await waitForExit(record.pid!, 5000);
  }
  record.pid = null;
  return spawnNode(state, id, log);
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!processAlive(pid)) return true;
    await sleep(20);
  }
  return false;
}

/**
 * Cuts the cluster into sides: each node then talks only to the nodes of its side. With one
 * group, the others form the second side. Nodes that are down get it when they restart.
 */
export async function partitionCluster(state: ClusterState, groups: number[][]): Promise<number[][]> {
  const n = state.nodes.length;
  let sides = groups;
  if (groups.length === 1) {
    const rest = state.nodes.map((x) => x.id).filter((id) => !groups[0]!.includes(id));
    sides = rest.length > 0 ? [groups[0]!, rest] : groups;
  } else {
    const listed = new Set(groups.flat());
    const missing = state.nodes.map((x) => x.id).filter((id) => !listed.has(id));
    if (missing.length > 0) throw new ClusterError(`node${missing.length > 1 ? 's' : ''} ${missing.join(',')} ${missing.length > 1 ? 'are' : 'is'} on no side; list every node (0..${n - 1}), e.g. 0,1/2`);
  }
  state.partition = sides;
  writeState(state);
  await applyPartition(state);
  return sides;
}

export async function healCluster(state: ClusterState): Promise<void> {
  state.partition = null;
  writeState(state);
  await applyPartition(state);
}

/** Tells every running node its side; nodes that do not answer get it when restarted. */
async function applyPartition(state: ClusterState): Promise<void> {
  await Promise.all(
    state.nodes.map(async (n) => {
      if (n.managed && !processAlive(n.pid)) return;
      try {
        await setReachable(parseAddress(n.address), reachableFor(state.partition, n.id));
      } catch {
        // Down or unreachable: a restart applies the partition from the state file.
      }
    }),
  );
}

/** SIGTERM to every node (they write what is pending and exit), SIGKILL after 5 s. */
export async function stopCluster(state: ClusterState): Promise<number[]> {
  const stopped: number[] = [];
  for (const n of state.nodes) {
    if (!n.managed || !processAlive(n.pid)) continue;
    process.kill(n.pid!, 'SIGTERM');
    stopped.push(n.id);
  }
  await Promise.all(
    stopped.map(async (id) => {
      const pid = state.nodes[id]!.pid!;
      if (!(await waitForExit(pid, 5000)) && processAlive(pid)) process.kill(pid, 'SIGKILL');
    }),
  );
  for (const n of state.nodes) if (n.managed) n.pid = null;
  state.partition = null;
  writeState(state);
  return stopped;
}

export interface NodeReport {
  record: NodeRecord;
  /** 'up' answers, 'down' has no process, 'hung' has a process that does not answer, 'remote' is elsewhere and silent. */
  state: 'up' | 'down' | 'hung' | 'remote';
  status: Record<string, unknown> | null;
}

export async function inspectCluster(state: ClusterState, timeoutMs = 1000): Promise<NodeReport[]> {
  return Promise.all(
    state.nodes.map(async (record): Promise<NodeReport> => {
      const alive = record.managed ? processAlive(record.pid) : true;
      const status = alive ? await fetchStatus(parseAddress(record.address), timeoutMs) : null;
      const s = status !== null ? 'up' : !record.managed ? 'remote' : alive ? 'hung' : 'down';
      return { record, state: s, status };
    }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
