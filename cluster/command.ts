/**
 * `lab cluster …`: run the student's Raft and kvraft as real processes on this machine (or one
 * node per machine), look at them, and break them. The cli/ package calls runClusterCommand
 * and runDemoCommand; each prints through `out` and resolves to an exit code (0 ok, 1 failed,
 * 2 usage).
 */
import * as path from 'node:path';
import { UsageError, booleanFlag, flagHelp, numberFlag, parseArgs, parseGroups, stringFlag, type FlagSpec, type ParsedArgs } from './args.ts';
import { KvHttpClient } from './http-client.ts';
import { runNode } from './node.ts';
import {
  ClusterError,
  addresses,
  defaultDataDir,
  healCluster,
  inspectCluster,
  killNode,
  partitionCluster,
  readState,
  restartNode,
  startCluster,
  startOneNode,
  stopCluster,
  tail,
  type NodeReport,
} from './supervisor.ts';

export type Out = (line: string) => void;

const dataFlag: FlagSpec = { name: 'data', type: 'string', value: 'DIR', help: `where the cluster keeps its state, folders and logs (default ${defaultDataDir()})` };
const helpFlag: FlagSpec = { name: 'help', alias: 'h', type: 'boolean', help: 'show this help' };
const jsonFlag: FlagSpec = { name: 'json', type: 'boolean', help: 'print JSON instead of a table' };

const startFlags: FlagSpec[] = [
  { name: 'nodes', alias: 'n', type: 'number', value: 'N', help: 'number of nodes, 1 to 9 (default 3)' },
  { name: 'port', type: 'number', value: 'PORT', help: 'node i listens on PORT+i, for peers and HTTP alike (default 7000)' },
  { name: 'host', type: 'string', value: 'HOST', help: 'address to listen on (default 127.0.0.1)' },
  { name: 'id', type: 'number', value: 'I', help: 'start only node I of a cluster spread over machines (with --peers)' },
  { name: 'peers', type: 'string', value: 'H:P,...', help: 'every node of that cluster, same order on every machine (with --id)' },
  { name: 'clean', type: 'boolean', help: 'erase the nodes’ saved state first' },
  { name: 'durability', type: 'string', value: 'MODE', help: 'batch (default) or sync: see docs/cluster.md' },
  { name: 'fsync', type: 'string', value: 'on|off', help: 'off: survives kill -9 but not a power cut (default on)' },
  { name: 'maxraftstate', type: 'number', value: 'BYTES', help: 'snapshot when Raft state reaches this (default 8192, -1 never)' },
  dataFlag,
  jsonFlag,
  helpFlag,
];

interface Sub {
  name: string;
  args: string;
  summary: string;
  flags: FlagSpec[];
  run(parsed: ParsedArgs, out: Out): Promise<number>;
}

const subs: Sub[] = [
  { name: 'start', args: '-n N [--port P]', summary: 'start N node processes (Raft + KVServer + HTTP API each)', flags: startFlags, run: startCommand },
  { name: 'status', args: '', summary: 'a table of every node: role, term, leader, log/commit/apply/snapshot indices', flags: [dataFlag, jsonFlag, helpFlag], run: statusCommand },
  { name: 'kill', args: 'I', summary: 'kill -9 node I (no goodbye, no flush)', flags: [dataFlag, helpFlag], run: killCommand },
  { name: 'restart', args: 'I', summary: 'start node I again on its saved state (kills it first if it runs)', flags: [dataFlag, helpFlag], run: restartCommand },
  { name: 'partition', args: 'I,J/K', summary: 'cut the network into sides, e.g. 0,1/2 (one side: the rest form the other)', flags: [dataFlag, helpFlag], run: partitionCommand },
  { name: 'heal', args: '', summary: 'end the partition', flags: [dataFlag, helpFlag], run: healCommand },
  { name: 'stop', args: '', summary: 'stop every node (SIGTERM); the saved state stays for the next start', flags: [dataFlag, helpFlag], run: stopCommand },
  { name: 'get', args: 'KEY', summary: 'read a key through the cluster', flags: [dataFlag, helpFlag], run: (p, out) => kvCommand('get', p, out) },
  { name: 'put', args: 'KEY VALUE', summary: 'write a key through the cluster', flags: [dataFlag, helpFlag], run: (p, out) => kvCommand('put', p, out) },
  { name: 'append', args: 'KEY VALUE', summary: 'append to a key through the cluster', flags: [dataFlag, helpFlag], run: (p, out) => kvCommand('append', p, out) },
  { name: 'logs', args: 'I [-n LINES]', summary: "the end of node I's log", flags: [dataFlag, { name: 'lines', alias: 'n', type: 'number', value: 'N', help: 'how many lines (default 30)' }, helpFlag], run: logsCommand },
  { name: 'node', args: '--id I --peers ...', summary: 'run one node in the foreground (what start runs; see its --help)', flags: [], run: async () => 0 },
];

export function clusterUsage(): string {
  const width = Math.max(...subs.map((s) => `${s.name} ${s.args}`.length));
  return [
    'lab cluster — your Raft and kvraft for real: node processes over TCP, on disk, behind an HTTP API',
    '',
    'Usage: lab cluster <command> [arguments] [--data DIR]',
    '',
    'Commands:',
    ...subs.map((s) => `  ${`${s.name} ${s.args}`.padEnd(width)}  ${s.summary}`),
    '',
    'Examples:',
    '  lab cluster start -n 3                      nodes at 127.0.0.1:7000-7002',
    '  curl -XPUT localhost:7000/kv/x -d hello     (-L to follow a redirect to the leader)',
    '  lab cluster kill 0 && lab cluster status',
    '  lab cluster partition 0/1,2 && lab cluster heal',
    '',
    'More: lab cluster <command> --help, and docs/cluster.md.',
    '',
  ].join('\n');
}

function subUsage(sub: Sub): string {
  return [`Usage: lab cluster ${sub.name} ${sub.args}`.trimEnd(), '', sub.summary, '', ...(sub.flags.length > 0 ? ['Flags:', ...flagHelp(sub.flags), ''] : [])].join('\n');
}

function printBlock(out: Out, text: string): void {
  for (const line of text.replace(/\n$/, '').split('\n')) out(line);
}

export async function runClusterCommand(argv: string[], out: Out): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    printBlock(out, clusterUsage());
    return name === undefined ? 2 : 0;
  }
  const sub = subs.find((s) => s.name === name);
  if (sub === undefined) {
    out(`lab cluster: unknown command "${name}"; the commands are ${subs.map((s) => s.name).join(', ')}`);
    return 2;
  }
  if (sub.name === 'node') return runNode(rest);
  try {
    const parsed = parseArgs(rest, sub.flags);
    if (booleanFlag(parsed, 'help')) {
      printBlock(out, subUsage(sub));
      return 0;
    }
    return await sub.run(parsed, out);
  } catch (e) {
    if (e instanceof UsageError) {
      out(`lab cluster ${sub.name}: ${e.message}`);
      out(`(lab cluster ${sub.name} --help shows the usage)`);
      return 2;
    }
    if (e instanceof ClusterError) {
      printBlock(out, `lab cluster ${sub.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function dataDir(parsed: ParsedArgs): string {
  return stringFlag(parsed, 'data') ?? defaultDataDir();
}

function nodeId(parsed: ParsedArgs, nodes: number): number {
  const text = parsed.positionals[0];
  const id = Number(text);
  if (text === undefined || !Number.isInteger(id) || id < 0 || id >= nodes) throw new UsageError(`name a node: 0 to ${nodes - 1}`);
  if (parsed.positionals.length > 1) throw new UsageError(`one node at a time; got "${parsed.positionals.join(' ')}"`);
  return id;
}

function noPositionals(parsed: ParsedArgs): void {
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
}

function nodeFlagsFrom(parsed: ParsedArgs): string[] {
  const flags: string[] = [];
  const durability = stringFlag(parsed, 'durability');
  if (durability !== undefined) {
    if (durability !== 'batch' && durability !== 'sync') throw new UsageError(`--durability must be batch or sync, got "${durability}"`);
    flags.push('--durability', durability);
  }
  const fsync = stringFlag(parsed, 'fsync');
  if (fsync !== undefined) {
    if (fsync !== 'on' && fsync !== 'off') throw new UsageError(`--fsync must be on or off, got "${fsync}"`);
    flags.push('--fsync', fsync);
  }
  const maxraftstate = numberFlag(parsed, 'maxraftstate', { integer: true, min: -1 });
  if (maxraftstate !== undefined) flags.push('--maxraftstate', String(maxraftstate));
  return flags;
}

async function startCommand(parsed: ParsedArgs, out: Out): Promise<number> {
  noPositionals(parsed);
  const id = numberFlag(parsed, 'id', { integer: true, min: 0 });
  const peers = stringFlag(parsed, 'peers');
  const dir = dataDir(parsed);
  const started = performance.now();
  if (id !== undefined || peers !== undefined) {
    if (id === undefined || peers === undefined) throw new UsageError('--id and --peers go together: --id I --peers HOST:PORT,HOST:PORT,...');
    const list = peers.split(',');
    if (id >= list.length) throw new UsageError(`--id ${id} is not in --peers (${list.length} nodes: 0..${list.length - 1})`);
    await startOneNode({ id, peers: list, dataDir: dir, nodeFlags: nodeFlagsFrom(parsed), log: out });
    out(`node ${id} of ${list.length} started; start the others on their machines with the same --peers`);
    return 0;
  }
  const n = numberFlag(parsed, 'nodes', { integer: true, min: 1, max: 9 }) ?? 3;
  const port = numberFlag(parsed, 'port', { integer: true, min: 1, max: 65535 - 9 }) ?? 7000;
  const host = stringFlag(parsed, 'host') ?? '127.0.0.1';
  const state = await startCluster({ nodes: n, basePort: port, host, dataDir: dir, nodeFlags: nodeFlagsFrom(parsed), clean: booleanFlag(parsed, 'clean'), log: out });
  const shown = path.relative('.', state.dataDir);
  out(`cluster of ${n} started in ${((performance.now() - started) / 1000).toFixed(1)} s; state in ${shown === '' || shown.startsWith('..') ? state.dataDir : shown}`);
  out(`try: curl -L -XPUT ${state.nodes[0]!.address}/kv/hello -d world   then   lab cluster status`);
  return 0;
}

function cell(value: unknown): string {
  return value === null || value === undefined ? '-' : String(value);
}

/** Renders the status table (exported for tests and the demo). */
export function statusTable(reports: NodeReport[]): string[] {
  const header = ['NODE', 'ADDRESS', 'PID', 'STATE', 'ROLE', 'TERM', 'LEADER', 'LOG', 'COMMIT', 'APPLIED', 'SNAPSHOT', 'REACHES'];
  const rows = reports.map(({ record, state, status: s }) => [
    String(record.id),
    record.address,
    record.managed ? cell(record.pid) : 'remote',
    state,
    cell(s?.role),
    cell(s?.term),
    cell(s?.leader),
    cell(s?.lastLogIndex),
    cell(s?.commitIndex),
    cell(s?.appliedIndex),
    cell(s?.snapshotIndex),
    s === null ? '-' : Array.isArray(s.reachable) ? (s.reachable as number[]).join(',') : 'all',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

async function statusCommand(parsed: ParsedArgs, out: Out): Promise<number> {
  noPositionals(parsed);
  const state = readState(dataDir(parsed));
  const reports = await inspectCluster(state);
  if (booleanFlag(parsed, 'json')) {
    out(JSON.stringify({ dataDir: state.dataDir, partition: state.partition, nodes: reports.map((r) => ({ ...r.record, state: r.state, status: r.status })) }, null, 2));
    return 0;
  }
  for (const line of statusTable(reports)) out(line);
  const leaders = new Set(reports.filter((r) => r.status?.role === 'leader').map((r) => r.record.id));
  out('');
  out(state.partition === null ? 'network: whole' : `network: partitioned ${state.partition.map((g) => g.join(',')).join(' / ')}`);
  out(leaders.size === 0 ? 'no node says it leads (election under way, or no majority up)' : `leader${leaders.size > 1 ? 's (a stale one has not heard of the newer term yet)' : ''}: ${[...leaders].join(', ')}`);
  return 0;
}

async function killCommand(parsed: ParsedArgs, out: Out): Promise<number> {
  const state = readState(dataDir(parsed));
  const id = nodeId(parsed, state.nodes.length);
  out(killNode(state, id) ? `node ${id} killed (SIGKILL)` : `node ${id} was not running`);
  return 0;
}

async function restartCommand(parsed: ParsedArgs, out: Out): Promise<number> {
  const state = readState(dataDir(parsed));
  const id = nodeId(parsed, state.nodes.length);
  await restartNode(state, id, out);
  return 0;
}

async function partitionCommand(parsed: ParsedArgs, out: Out): Promise<number> {
  const state = readState(dataDir(parsed));
  const text = parsed.positionals.join('');
  if (text === '') throw new UsageError('name the sides, e.g. lab cluster partition 0,1/2');
  const sides = await partitionCluster(state, parseGroups(text, state.nodes.length));
  out(`partitioned: ${sides.map((g) => `{${g.join(',')}}`).join(' | ')} (each side hears only itself; lab cluster heal ends it)`);
  return 0;
}

async function healCommand(parsed: ParsedArgs, out: Out): Promise<number> {
  noPositionals(parsed);
  await healCluster(readState(dataDir(parsed)));
  out('healed: every node reaches every other');
  return 0;
}

async function stopCommand(parsed: ParsedArgs, out: Out): Promise<number> {
  noPositionals(parsed);
  const state = readState(dataDir(parsed));
  const stopped = await stopCluster(state);
  const again = state.nodes.every((n) => n.managed) ? 'start again with the same -n and --port to resume, or with --clean to erase it' : 'start again with the same --id and --peers to resume';
  out(stopped.length === 0 ? 'no node was running' : `stopped node${stopped.length > 1 ? 's' : ''} ${stopped.join(', ')}; the saved state stays in ${state.dataDir} (${again})`);
  return 0;
}

async function kvCommand(op: 'get' | 'put' | 'append', parsed: ParsedArgs, out: Out): Promise<number> {
  const state = readState(dataDir(parsed));
  const [key, value, ...extra] = parsed.positionals;
  if (key === undefined || (op !== 'get' && value === undefined) || extra.length > 0 || (op === 'get' && value !== undefined)) {
    throw new UsageError(op === 'get' ? 'usage: lab cluster get KEY' : `usage: lab cluster ${op} KEY VALUE`);
  }
  const client = new KvHttpClient(addresses(state), { timeoutMs: 5000 });
  try {
    const r = op === 'get' ? await client.get(key) : op === 'put' ? await client.put(key, value!) : await client.append(key, value!);
    if (r.kind === 'ok') {
      out(op === 'get' ? r.value : `ok (applied by leader ${r.node})`);
      return 0;
    }
    out(r.kind === 'unknown' ? `outcome unknown: ${r.why}` : `failed: ${r.why}`);
    return 1;
  } finally {
    client.close();
  }
}

async function logsCommand(parsed: ParsedArgs, out: Out): Promise<number> {
  const state = readState(dataDir(parsed));
  const id = nodeId(parsed, state.nodes.length);
  const lines = numberFlag(parsed, 'lines', { integer: true, min: 1 }) ?? 30;
  printBlock(out, tail(state.nodes[id]!.logFile, lines).replace(/^ {2}/gm, ''));
  return 0;
}
