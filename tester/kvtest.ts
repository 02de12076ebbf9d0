import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { now, randomInt, sleep } from '../sim/index.ts';
import { checkOperationsVerbose, describeFailure, kvModel, visualizePath, type KvInput, type KvOutput, type LinearizationInfo, type Operation, type VerboseResult } from '../porcupine/index.ts';
import { makeKvConfig, testTimeLimitMs, type KvClerk, type KvConfig, type KvConfigOptions } from './kvconfig.ts';
import { randInt } from './config.ts';
import { fail } from './failure.ts';
import { print } from './output.ts';
import { registerSimTest } from './simtest.ts';
import type { PassedStats } from './runner.ts';

/**
 * The kvraft test helpers: a port of the helpers of 6.5840's `src/kvraft/test_test.go` (2023)
 * — the Get/Put/Append wrappers that count operations and record the history, check,
 * checkClntAppends, checkConcurrentAppends, partitioner, GenericTest, GenericTestSpeed and the
 * linearizability check — plus kvTest(), which registers a test on the simulator.
 *
 * Differences from Go: the history's times are the run's clock (virtual time) in ns, made
 * strictly increasing (see OpLog.stamp); the visualization of a non-linearizable history goes to `.lab/kvraft/`
 * in the repository (os.tmpdir() if that cannot be written) and the failure says where;
 * checker errors (a malformed history, a model that throws) fail the test with the checker's
 * message instead of crashing the run.
 */

/** The parts of the kvraft lab (3X: targeted schedules beyond 6.5840). */
export type KvPart = '3A' | '3B' | '3X';

/** "The tester generously allows solutions to complete elections in one second" (ms). */
export const electionTimeout = 1000;
/** Real time (ms) porcupine may search; after it the history is assumed linearizable. */
export const linearizabilityCheckTimeout = 1000;

export interface KvTestOptions extends KvConfigOptions {
  /** Number of kvservers (each with its Raft). */
  servers: number;
  /** The network drops, delays and reorders RPCs (set after all servers are connected). */
  unreliable?: boolean;
  /** Snapshot when the Raft state reaches this many bytes; -1 (the default): never. */
  maxraftstate?: number;
}

/**
 * Registers a graded kvraft test named `Test: <title> (<part>)`, as 6.5840 titles them:
 *
 *   kvTest('3B', 'snapshot size is reasonable', { servers: 3, maxraftstate: 1000 }, async (cfg, name) => {
 *     const ck = cfg.makeClient(cfg.all());
 *     cfg.begin(name);
 *     ...
 *     cfg.end();
 *   });
 *
 * The body calls cfg.begin()/cfg.end() itself, as the Go tests do (one test may have several
 * sections, each with its own Passed line). kvTest makes the config, always cleans up, ends the
 * test at once when a client loop started with cfg.go() fails, and fails it at the 120 s limit
 * naming the Clerk calls that had not returned.
 */
export function kvTest(part: KvPart, title: string, options: KvTestOptions, body: (cfg: KvConfig, name: string) => Promise<void>): void {
  const name = `Test: ${title} (${part})`;
  registerSimTest(name, async (): Promise<PassedStats> => {
    const cfg = makeKvConfig(options.servers, options.unreliable ?? false, options.maxraftstate ?? -1, options);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeLimit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(cfg.timeLimitFailure()), Math.max(0, testTimeLimitMs - cfg.elapsedMs()));
    });
    timeLimit.catch(() => undefined);
    try {
      const running = body(cfg, name);
      // If a failure elsewhere wins the race, the body is abandoned; its later failure must not go unhandled.
      running.catch(() => undefined);
      await Promise.race([running, cfg.backgroundFailure, timeLimit]);
      cfg.checkBackground();
      if (cfg.passed.length === 0) throw new Error(`${name}: the test body returned without calling cfg.end(), so nothing says it passed`);
      return totals(cfg);
    } catch (e) {
      cfg.markFailed();
      throw e;
    } finally {
      clearTimeout(timer);
      cfg.cleanup();
    }
  });
}

/** The Passed numbers of the whole test: the sum over its sections. */
function totals(cfg: KvConfig): PassedStats {
  const sum: PassedStats = { timeS: 0, peers: cfg.n, rpcs: 0, cmds: 0 };
  for (const s of cfg.passed) {
    sum.timeS += s.timeS;
    sum.rpcs += s.rpcs;
    sum.cmds += s.cmds;
  }
  return sum;
}

// -----------------------------------------------------------------------------------------
// History

/** One key/value operation as porcupine checks it. */
export type KvOperation = Operation<KvInput, KvOutput>;

/**
 * The operations of a test, in the order they returned (Go's mutex-protected OpLog), and the
 * clock that stamps them.
 */
export class OpLog {
  private readonly operations: KvOperation[] = [];
  private lastStampNs = -1;

  /**
   * The run's clock in ns, made strictly increasing: events at one virtual instant still
   * happen one after another, and a return stamped before a call says the operation really
   * ended before the other began (as Go's ns clock would). Equal stamps would make them
   * concurrent, which only makes the check weaker and slower.
   */
  stamp(): number {
    this.lastStampNs = Math.max(Math.round(now() * 1e6), this.lastStampNs + 1);
    return this.lastStampNs;
  }

  append(op: KvOperation): void {
    this.operations.push(op);
  }

  /** A copy of the history so far. */
  read(): KvOperation[] {
    return [...this.operations];
  }
}

/** ck.Get(key), counted, and recorded in `log` (unless null) as client `cli`. */
export async function Get(cfg: KvConfig, ck: KvClerk, key: string, log: OpLog | null, cli: number): Promise<string> {
  const start = log?.stamp() ?? 0;
  const v = await ck.Get(key);
  const end = log?.stamp() ?? 0;
  cfg.op();
  log?.append({ clientId: cli, input: { op: 'get', key }, output: { value: v }, call: start, return: end });
  return v;
}

/** ck.Put(key, value), counted, and recorded in `log` (unless null) as client `cli`. */
export async function Put(cfg: KvConfig, ck: KvClerk, key: string, value: string, log: OpLog | null, cli: number): Promise<void> {
  const start = log?.stamp() ?? 0;
  await ck.Put(key, value);
  const end = log?.stamp() ?? 0;
  cfg.op();
  log?.append({ clientId: cli, input: { op: 'put', key, value }, output: { value: '' }, call: start, return: end });
}

/** ck.Append(key, value), counted, and recorded in `log` (unless null) as client `cli`. */
export async function Append(cfg: KvConfig, ck: KvClerk, key: string, value: string, log: OpLog | null, cli: number): Promise<void> {
  const start = log?.stamp() ?? 0;
  await ck.Append(key, value);
  const end = log?.stamp() ?? 0;
  cfg.op();
  log?.append({ clientId: cli, input: { op: 'append', key, value }, output: { value: '' }, call: start, return: end });
}

// -----------------------------------------------------------------------------------------
// Checks

/** Get(key) must return value. */
export async function check(cfg: KvConfig, ck: KvClerk, key: string, value: string): Promise<void> {
  const v = await Get(cfg, ck, key, null, -1);
  if (v !== value) {
    fail('check', `Get(${key}): expected:\n${abbrev(value)}\nreceived:\n${abbrev(v)}`, { expected: shown(value), seen: `${shown(v)}${difference(value, v)}` });
  }
}

/** Every append "x clnt j y" (j < count) appears in v exactly once, in increasing order of j. */
export function checkClntAppends(clnt: number, v: string, count: number): void {
  let lastoff = -1;
  for (let j = 0; j < count; j++) {
    const wanted = `x ${clnt} ${j} y`;
    const off = v.indexOf(wanted);
    if (off < 0) {
      fail('checkClntAppends', `${clnt} missing element ${wanted} in Append result ${abbrev(v)}`, { expected: `'${wanted}' (${count} appends of client ${clnt})`, seen: `a value of ${v.length} characters without it: ${abbrev(v)}` });
    }
    const off1 = v.lastIndexOf(wanted);
    if (off1 !== off) {
      fail('checkClntAppends', `duplicate element ${wanted} in Append result`, { expected: `'${wanted}' once`, seen: `at offsets ${off} and ${off1} (an Append applied twice?)` });
    }
    if (off <= lastoff) {
      fail('checkClntAppends', `wrong order for element ${wanted} in Append result`, { expected: `'${wanted}' after offset ${lastoff}`, seen: `at offset ${off}` });
    }
    lastoff = off;
  }
}

/** Every known append of every client appears in v exactly once, in order per client. */
export function checkConcurrentAppends(v: string, counts: number[]): void {
  for (let i = 0; i < counts.length; i++) {
    let lastoff = -1;
    for (let j = 0; j < counts[i]!; j++) {
      const wanted = `x ${i} ${j} y`;
      const off = v.indexOf(wanted);
      if (off < 0) {
        fail('checkConcurrentAppends', `${i} missing element ${wanted} in Append result ${abbrev(v)}`, { expected: `'${wanted}' (${counts[i]} appends of client ${i})`, seen: `a value of ${v.length} characters without it: ${abbrev(v)}` });
      }
      const off1 = v.lastIndexOf(wanted);
      if (off1 !== off) {
        fail('checkConcurrentAppends', `duplicate element ${wanted} in Append result`, { expected: `'${wanted}' once`, seen: `at offsets ${off} and ${off1} (an Append applied twice?)` });
      }
      if (off <= lastoff) {
        fail('checkConcurrentAppends', `wrong order for element ${wanted} in Append result`, { expected: `'${wanted}' after offset ${lastoff}`, seen: `at offset ${off}` });
      }
      lastoff = off;
    }
  }
}

/**
 * Checks the history with porcupine (1 s of real time). Not linearizable: writes the
 * visualization, prints where, and fails. Out of time: says so and passes, as 6.5840 does.
 */
export function checkLinearizable(cfg: KvConfig, name: string, opLog: OpLog): void {
  const history = opLog.read();
  let verdict: VerboseResult<KvInput, KvOutput>;
  try {
    verdict = checkOperationsVerbose(kvModel, history, linearizabilityCheckTimeout);
  } catch (e) {
    fail('linearizability', `the linearizability checker could not judge the history of ${history.length} operations: ${describeError(e)}`, {
      expected: 'a verdict (Ok, Illegal or Unknown) from porcupine',
      seen: `${describeError(e)} — the history the tester recorded is malformed, or the checker has a bug; this is not a verdict on your code`,
    });
  }
  if (verdict.result === 'Illegal') {
    const file = writeVisualization(cfg, name, verdict.info);
    if (file.ok) print(`info: wrote history visualization to ${file.path}`);
    else print(`info: failed to write history visualization to ${file.path}: ${file.error}`);
    fail('linearizability', file.ok ? `history is not linearizable; see ${file.path}` : 'history is not linearizable', {
      expected: 'a linearizable history',
      seen: explain(verdict.info),
    });
  } else if (verdict.result === 'Unknown') {
    print('info: linearizability check timed out, assuming history is ok');
  }
}

function explain(info: LinearizationInfo<KvInput, KvOutput>): string {
  try {
    return describeFailure(kvModel, info) ?? 'no partition was reported illegal';
  } catch (e) {
    return `(could not describe the failure: ${describeError(e)})`;
  }
}

/** Where visualizations go: `.lab/kvraft/` in the repository. */
const visualizationDir = fileURLToPath(new URL('../.lab/kvraft/', import.meta.url));

function writeVisualization(cfg: KvConfig, name: string, info: LinearizationInfo<KvInput, KvOutput>): { ok: true; path: string } | { ok: false; path: string; error: string } {
  // Real-time and process id, not the run's clock: distinct files across runs of one seed.
  const file = `${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${process.pid}-${process.hrtime.bigint()}.html`;
  let path = join(visualizationDir, file);
  let firstError = '';
  for (const dir of [visualizationDir, tmpdir()]) {
    path = join(dir, file);
    try {
      mkdirSync(dir, { recursive: true });
      visualizePath(kvModel, info, path, { title: `${name}: history`, annotations: cfg.annotations });
      return { ok: true, path };
    } catch (e) {
      firstError ||= describeError(e);
    }
  }
  return { ok: false, path, error: firstError };
}

// -----------------------------------------------------------------------------------------
// Workloads

/** Repartitions the servers at random every electionTimeout + 0-199 ms until done() says stop. */
export async function partitioner(cfg: KvConfig, done: () => boolean): Promise<void> {
  while (!done() && !cfg.isFinished()) {
    const a = Array.from({ length: cfg.n }, () => randInt() % 2);
    const pa: number[][] = [[], []];
    for (let j = 0; j < cfg.n; j++) pa[a[j]!]!.push(j);
    cfg.partition(pa[0]!, pa[1]!);
    await sleep(electionTimeout + (randInt() % 200));
  }
}

/**
 * Starts ncli clients, each with a fresh Clerk connected to every server, running fn; returns
 * each client's result (Go's spawn_clients_and_wait with run_client, results by channel). A
 * client that fails ends the test.
 */
export function spawnClients<T>(cfg: KvConfig, ncli: number, fn: (cli: number, ck: KvClerk) => Promise<T>): Promise<T | undefined>[] {
  return Array.from({ length: ncli }, (_, cli) =>
    cfg.go(async () => {
      const ck = cfg.makeClient(cfg.all());
      const result = await fn(cli, ck);
      cfg.deleteClient(ck);
      return result;
    }),
  );
}

/** spawn_clients_and_wait: runs the clients and waits for all of them. */
export async function spawnClientsAndWait(cfg: KvConfig, ncli: number, fn: (cli: number, ck: KvClerk) => Promise<void>): Promise<void> {
  await Promise.all(spawnClients(cfg, ncli, fn));
  cfg.checkBackground();
}

export interface GenericTestOptions {
  /** Concurrent clients. */
  clients: number;
  servers: number;
  /** The network drops RPC requests and replies. */
  unreliable?: boolean;
  /** All servers restart at the end of each round, so persistence must work. */
  crash?: boolean;
  /** The network is repartitioned at random while the clients run. */
  partitions?: boolean;
  /** Snapshot threshold in bytes; -1 (the default): no snapshots, and none may be made. */
  maxraftstate?: number;
  /** Clients use random keys (and Puts), so only the linearizability check judges them. */
  randomKeys?: boolean;
}

/** GenericTest's title, built from its flags as 6.5840 does (without "Test: " and the part). */
export function genericTitle(o: GenericTestOptions): string {
  let title = '';
  if (o.unreliable) title += 'unreliable net, '; // the network drops RPC requests and replies.
  if (o.crash) title += 'restarts, '; // peers re-start, and thus persistence must work.
  if (o.partitions) title += 'partitions, '; // the network may partition
  if ((o.maxraftstate ?? -1) !== -1) title += 'snapshots, ';
  if (o.randomKeys) title += 'random keys, ';
  return title + (o.clients > 1 ? 'many clients' : 'one client');
}

/**
 * Registers 6.5840's GenericTest: one or more clients submit Append/Get operations to the
 * servers for some period of time. After the period is over, the test checks that all
 * appended values are present and in order for a particular key. If unreliable is set, RPCs
 * may fail. If crash is set, the servers crash after the period is over and restart. If
 * partitions is set, the test repartitions the network concurrently with the clients and
 * servers. If maxraftstate is a positive number, the size of the state for Raft (i.e., log
 * size) shouldn't exceed 8*maxraftstate. If maxraftstate is negative, snapshots shouldn't be
 * used. At the end the whole history must be linearizable.
 */
export function GenericTest(part: KvPart, o: GenericTestOptions, extra: KvConfigOptions = {}): void {
  const nclients = o.clients;
  const nservers = o.servers;
  const unreliable = o.unreliable ?? false;
  const crash = o.crash ?? false;
  const partitions = o.partitions ?? false;
  const maxraftstate = o.maxraftstate ?? -1;
  const randomkeys = o.randomKeys ?? false;

  kvTest(part, genericTitle(o), { ...extra, servers: nservers, unreliable, maxraftstate }, async (cfg, title) => {
    cfg.begin(title);
    const opLog = new OpLog();

    const ck = cfg.makeClient(cfg.all());

    const done = { partitioner: false, clients: false };
    for (let i = 0; i < 3; i++) {
      done.clients = false;
      done.partitioner = false;
      const clnts = spawnClients(cfg, nclients, async (cli, myck) => {
        let j = 0;
        let last = ''; // only used when not randomkeys
        if (!randomkeys) await Put(cfg, myck, String(cli), last, opLog, cli);
        while (!done.clients && !cfg.isFinished()) {
          const key = randomkeys ? String(randomInt(nclients)) : String(cli);
          const nv = `x ${cli} ${j} y`;
          if (randInt() % 1000 < 500) {
            await Append(cfg, myck, key, nv, opLog, cli);
            if (!randomkeys) last = last + nv;
            j++;
          } else if (randomkeys && randInt() % 1000 < 100) {
            // we only do this when using random keys, because it would break the
            // check done after Get() operations
            await Put(cfg, myck, key, nv, opLog, cli);
            j++;
          } else {
            const v = await Get(cfg, myck, key, opLog, cli);
            // the following check only makes sense when we're not using random keys
            if (!randomkeys && v !== last) {
              fail('get', `get wrong value, key ${key}, wanted:\n${abbrev(last)}\n, got\n${abbrev(v)}`, {
                expected: shown(last),
                seen: `${shown(v)}${difference(last, v)}`,
              });
            }
          }
        }
        return j;
      });

      let partitionerDone: Promise<void> | undefined;
      if (partitions) {
        // Allow the clients to perform some operations without interruption
        await sleep(1000);
        partitionerDone = cfg.go(() => partitioner(cfg, () => done.partitioner));
      }
      await sleep(5000);

      done.clients = true; // tell clients to quit
      done.partitioner = true; // tell partitioner to quit

      if (partitions) {
        await partitionerDone;
        // reconnect network and submit a request. A client may have submitted a request in a
        // minority. That request won't return until that server discovers a new term has started.
        cfg.connectAll();
        // wait for a while so that we have a new term
        await sleep(electionTimeout);
      }

      if (crash) {
        for (let s = 0; s < nservers; s++) cfg.shutdownServer(s);
        // Wait for a while for servers to shutdown, since shutdown isn't a real crash and isn't instantaneous
        await sleep(electionTimeout);
        // crash and re-start all
        for (let s = 0; s < nservers; s++) cfg.startServer(s);
        cfg.connectAll();
      }

      for (let c = 0; c < nclients; c++) {
        const j = await clnts[c]!;
        cfg.checkBackground();
        const key = String(c);
        const v = await Get(cfg, ck, key, opLog, 0);
        if (!randomkeys) checkClntAppends(c, v, j ?? 0);
      }

      if (maxraftstate > 0) {
        // Check maximum after the servers have processed all client requests and had time to checkpoint.
        const sz = cfg.logSize();
        if (sz > 8 * maxraftstate) {
          fail('logSize', `logs were not trimmed (${sz} > 8*${maxraftstate})`, { expected: `a Raft state of at most ${8 * maxraftstate} bytes`, seen: `${sz} bytes` });
        }
      }
      if (maxraftstate < 0) {
        // Check that snapshots are not used
        const ssz = cfg.snapshotSize();
        if (ssz > 0) {
          fail('snapshotSize', `snapshot too large (${ssz}), should not be used when maxraftstate = ${maxraftstate}`, { expected: 'no snapshot', seen: `a snapshot of ${ssz} bytes` });
        }
      }
    }

    checkLinearizable(cfg, title, opLog);

    cfg.end();
  });
}

/**
 * Registers 6.5840's GenericTestSpeed: 1000 sequential Appends on 3 servers must take at most
 * 100 ms / 3 each, i.e. commit must not wait for the next heartbeat.
 */
export function GenericTestSpeed(part: KvPart, maxraftstate: number, extra: KvConfigOptions = {}): void {
  kvTest(part, 'ops complete fast enough', { ...extra, servers: 3, unreliable: false, maxraftstate }, async (cfg, title) => {
    const numOps = 1000;
    const ck = cfg.makeClient(cfg.all());

    cfg.begin(title);

    // wait until first op completes, so we know a leader is elected
    // and KV servers are ready to process client requests
    await ck.Get('x');

    const start = now();
    for (let i = 0; i < numOps; i++) await ck.Append('x', `x 0 ${i} y`);
    const dur = now() - start;

    const v = await ck.Get('x');
    checkClntAppends(0, v, numOps);

    // heartbeat interval should be ~ 100 ms; require at least 3 ops per
    const heartbeatInterval = 100;
    const opsPerInterval = 3;
    const timePerOp = heartbeatInterval / opsPerInterval;
    if (dur > numOps * timePerOp) {
      fail('speed', `Operations completed too slowly ${fmtMs(dur / numOps)}/op > ${fmtMs(timePerOp)}/op`, {
        expected: `at most ${fmtMs(timePerOp)} per operation (3 per 100 ms heartbeat interval)`,
        seen: `${fmtMs(dur / numOps)} per operation (${(dur / 1000).toFixed(1)} s for ${numOps}): does commit wait for the next heartbeat?`,
      });
    }

    cfg.end();
  });
}

// -----------------------------------------------------------------------------------------
// Formatting

/** Long values (thousands of appends) shortened to their start and end. */
export function abbrev(s: string, max = 200): string {
  if (typeof s !== 'string') return String(s);
  if (s.length <= max) return s;
  const half = Math.floor(max / 2);
  return `${s.slice(0, half)}...(${s.length - 2 * half} more characters)...${s.slice(-half)}`;
}

/** A value for a report's expected/seen line: an empty one says so. */
function shown(s: string): string {
  return s === '' ? "'' (empty)" : abbrev(s);
}

/** "; first difference at offset N: expected '...', got '...'" for two values that differ. */
function difference(expected: string, seen: string): string {
  if (typeof seen !== 'string') return '';
  let k = 0;
  while (k < expected.length && k < seen.length && expected[k] === seen[k]) k++;
  const around = (s: string): string => `'${s.slice(Math.max(0, k - 20), k + 40)}'`;
  return ` (${seen.length} characters, expected ${expected.length}; first difference at offset ${k}: expected ${around(expected)}, got ${around(seen)})`;
}

function fmtMs(ms: number): string {
  return `${Number(ms.toFixed(3))}ms`;
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
