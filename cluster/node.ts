/**
 * A node process: `node --import tsx cluster/node.ts --id I --peers host:port,host:port,...`.
 * `lab cluster start` runs these; to spread a cluster over machines, run one per machine with
 * the same --peers list (see docs/cluster.md). Exits 2, saying why, if it cannot start (bad
 * flags, damaged state, a folder it cannot write, a port in use); exits 1 if its disk fails
 * under it; exits 0 on SIGTERM or SIGINT after writing what is pending.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError, flagHelp, numberFlag, parseArgs, stringFlag, type FlagSpec } from './args.ts';
import { startNode, type NodeOptions, type RunningNode } from './kvnode.ts';
import { parseAddress, type Address } from './transport.ts';

export const nodeFlags: FlagSpec[] = [
  { name: 'id', type: 'number', value: 'I', help: "this node's index in --peers (0-based)" },
  { name: 'peers', type: 'string', value: 'H:P,...', help: 'every node of the cluster, in the same order on every node' },
  { name: 'data', type: 'string', value: 'DIR', help: "this node's folder (default .lab/cluster/node-I)" },
  { name: 'listen', type: 'string', value: 'HOST', help: 'interface to listen on (default: the host in --peers; 0.0.0.0 for all)' },
  { name: 'maxraftstate', type: 'number', value: 'BYTES', help: 'snapshot when Raft state reaches this size (default 8192; -1 never)' },
  { name: 'durability', type: 'string', value: 'MODE', help: 'batch (default: group commit, output waits for the disk) or sync (fsync in every Save)' },
  { name: 'fsync', type: 'string', value: 'on|off', help: 'off: atomic renames only, survives kill -9 but not a power cut (default on)' },
  { name: 'rpc-timeout', type: 'number', value: 'MS', help: 'a call to a peer resolves false after this long (default 2000)' },
  { name: 'disk-delay', type: 'number', value: 'MS', help: 'testing only: a slow disk, each write held back by a time drawn at start in 0..MS ms (default 0)' },
  { name: 'reachable', type: 'string', value: 'IDS', help: 'start partitioned: only these nodes reachable, e.g. 0,1 (default all)' },
  { name: 'help', alias: 'h', type: 'boolean', help: 'show this help' },
];

export function nodeUsage(): string {
  return ['Usage: node --import tsx cluster/node.ts --id I --peers HOST:PORT,HOST:PORT,... [flags]', '', ...flagHelp(nodeFlags), ''].join('\n');
}

/** Turns the node's flags into options; throws UsageError. */
export function nodeOptionsFromArgs(argv: readonly string[], log: (line: string) => void): NodeOptions {
  const parsed = parseArgs(argv, nodeFlags);
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const peersText = stringFlag(parsed, 'peers');
  if (peersText === undefined) throw new UsageError('--peers is required: the address of every node, e.g. --peers 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002');
  let peers: Address[];
  try {
    peers = peersText.split(',').map(parseAddress);
  } catch (e) {
    throw new UsageError(`--peers: ${(e as Error).message}`);
  }
  const id = numberFlag(parsed, 'id', { integer: true, min: 0, max: peers.length - 1 });
  if (id === undefined) throw new UsageError(`--id is required: this node's index in --peers, 0 to ${peers.length - 1}`);
  const durability = stringFlag(parsed, 'durability') ?? 'batch';
  if (durability !== 'batch' && durability !== 'sync') throw new UsageError(`--durability must be batch or sync, got "${durability}"`);
  const fsyncText = stringFlag(parsed, 'fsync') ?? 'on';
  if (fsyncText !== 'on' && fsyncText !== 'off') throw new UsageError(`--fsync must be on or off, got "${fsyncText}"`);
  const reachableText = stringFlag(parsed, 'reachable');
  let reachable: number[] | null = null;
  if (reachableText !== undefined && reachableText !== 'all') {
    reachable = reachableText.split(',').map((t) => {
      const n = Number(t);
      if (!Number.isInteger(n) || n < 0 || n >= peers.length) throw new UsageError(`--reachable: "${t}" is not a node id (0..${peers.length - 1})`);
      return n;
    });
  }
  return {
    id,
    peers,
    dataDir: stringFlag(parsed, 'data') ?? path.join('.lab', 'cluster', `node-${id}`),
    listenHost: stringFlag(parsed, 'listen'),
    maxraftstate: numberFlag(parsed, 'maxraftstate', { integer: true, min: -1 }),
    durability,
    fsync: fsyncText === 'on',
    rpcTimeoutMs: numberFlag(parsed, 'rpc-timeout', { min: 10, max: 60_000 }),
    diskDelayMs: numberFlag(parsed, 'disk-delay', { min: 0, max: 1000 }),
    reachable,
    log,
  };
}

function timestamp(): string {
  return new Date().toISOString().slice(11, 23);
}

/** Runs a node until a signal; resolves with the exit code it should end with. */
export async function runNode(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(nodeUsage());
    return 0;
  }
  let id = '?';
  const log = (line: string): void => {
    process.stderr.write(`${timestamp()} [node ${id}] ${line}\n`);
  };
  let options: NodeOptions;
  try {
    options = nodeOptionsFromArgs(argv, log);
  } catch (e) {
    process.stderr.write(`node: ${(e as Error).message}\n\n${nodeUsage()}`);
    return 2;
  }
  id = String(options.id);
  let fatal: ((code: number) => void) | undefined;
  const ended = new Promise<number>((resolve) => {
    fatal = resolve;
  });
  options.onFatal = () => fatal?.(1);
  // Student code runs here for real: report what it throws, keep the node up (6.5840 would crash
  // the whole test; a cluster node that dies is just a crash, which Raft tolerates anyway).
  const seen = new Set<string>();
  const report = (kind: string) => (e: unknown): void => {
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    if (seen.size < 100 && !seen.has(text)) {
      seen.add(text);
      log(`${kind}: ${text}`);
    }
  };
  process.on('uncaughtException', report('uncaught exception'));
  process.on('unhandledRejection', report('unhandled rejection'));

  let node: RunningNode;
  try {
    node = await startNode(options);
  } catch (e) {
    log(`cannot start: ${(e as Error).message}`);
    return 2;
  }
  const stop = (signal: string) => (): void => {
    log(`${signal}: stopping`);
    void node.stop().then(
      () => fatal?.(0),
      (e: unknown) => {
        log(`stopping failed: ${(e as Error).message}`);
        fatal?.(1);
      },
    );
  };
  process.once('SIGTERM', stop('SIGTERM'));
  process.once('SIGINT', stop('SIGINT'));
  return ended;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  const code = await runNode(process.argv.slice(2));
  process.exit(code);
}
