import { ServerMesh } from './mesh.ts';
import { SafetyMonitor } from './safety.ts';
import { inspect } from 'node:util';
import { killEach } from './kill.ts';
import { scheduleKvFaults } from './scheduled-faults.ts';
import { activeSchedule } from '../schedule/index.ts';
import { asServer, currentRuntime, now, sleep } from '../sim/index.ts';
import { Network, Server, Service, type ClientEnd } from '../labrpc/index.ts';
import { Persister } from '../persister/index.ts';
import { MakeClerk, StartKVServer, type Clerk, type KVServer } from '../kvraft/index.ts';
import { randString, randInt } from './config.ts';
import { fail, TestFailure } from './failure.ts';
import { print } from './output.ts';
import type { PassedStats } from './runner.ts';
import type { Annotation } from '../porcupine/index.ts';

/**
 * The kvraft tester's cluster: a port of 6.5840's `src/kvraft/config.go` (2023), method for
 * method, with its constants and messages. Tests drive it as the Go tests drive `cfg`:
 * makeClient, partition, shutdownServer, startServer, connectAll...
 *
 * What differs from Go, and why:
 * - Each server admits Clerk requests at a limited rate (clientRequestIntervalMs). On the
 *   simulator a reliable network delivers in zero time, and a Raft that replicates on Start
 *   commits in zero time too, so without a cost per request a client loop would run any number
 *   of operations without the clock moving (and a test would never reach its end). In Go, real
 *   time did this: the servers' CPU and Persister limited a test to a few thousand operations
 *   however many clients it had. The rate keeps a test's operations in that range, which also
 *   bounds its cost: Raft re-encodes its whole log on every persist, so a test without
 *   snapshots costs the square of its operation count.
 * - Clerks are wrapped (KvClerk): every call in progress is known, so a test that hangs in a
 *   Clerk fails at the 120 s limit naming the operations still waiting, and a Get that returns
 *   something other than a string fails with a clear message.
 * - Failures in client loops started with `go` end the test at once (Go: t.Fatalf in the
 *   client goroutine, then "failure" in the waiting test).
 * - Leader() skips servers that are shut down (Go would dereference nil).
 * - Student code the tester calls (StartKVServer, Kill, rf.GetState) runs attributed to its
 *   server, so timers it sets and errors it throws are reported as that server's.
 */

/** A test's time limit (ms of the run's clock), as 6.5840's checkTimeout. */
export const testTimeLimitMs = 120_000;
/** Client end names are random strings of this length, fresh for every Clerk and restart. */
const endNameLength = 20;
/**
 * Each server admits at most one Clerk request per this many ms of virtual time; a request
 * that comes sooner waits for its turn, one that finds the server idle goes at once (so an
 * operation that takes longer than this, like those of the speed test, is not slowed). See the
 * class comment. 10 ms: a leader serves 100 operations a second, 1500 in the 15 s a
 * GenericTest's clients run (the measured Go run did 1000-5000, limited by its CPU).
 */
export const clientRequestIntervalMs = 10;

/** The Clerk calls a test makes, as the tester sees them (the student's Clerk, tracked). */
export interface KvClerk {
  Get(key: string): Promise<string>;
  Put(key: string, value: string): Promise<void>;
  Append(key: string, value: string): Promise<void>;
}

export interface KvConfigOptions {
  /** The service to test; defaults to kvraft/server.ts. */
  startKVServer?: typeof StartKVServer;
  /** The Clerk to test; defaults to kvraft/client.ts. */
  makeClerk?: (servers: ClientEnd[]) => Pick<Clerk, 'Get' | 'Put' | 'Append'>;
}

/** make_config: n servers, all started and connected, then the network made unreliable if asked. */
export function makeKvConfig(n: number, unreliable: boolean, maxraftstate: number, options: KvConfigOptions = {}): KvConfig {
  return new KvConfig(n, unreliable, maxraftstate, options);
}

/** A Clerk call that has not returned yet. */
interface PendingCall {
  clerk: number;
  what: string;
  sinceMs: number;
}

export class KvConfig {
  /** Raft's safety properties that show on the network (votes), checked as RPCs are handled. */
  private readonly monitor: SafetyMonitor;
  readonly net = new Network();
  /** Number of servers. */
  readonly n: number;
  /** The running KVServer of each server; null while shut down. */
  readonly kvservers: (KVServer | null)[];
  readonly maxraftstate: number;
  /**
   * First failure outside the test body (a client loop): rejects with it. kvTest races the
   * body against it, so such a failure ends the test at once.
   */
  readonly backgroundFailure: Promise<never>;
  /** The Passed numbers of each begin/end section that passed. */
  readonly passed: PassedStats[] = [];
  /** Faults (partitions, shutdowns, restarts) with their times in ns, for the history visualization. */
  readonly annotations: Annotation[] = [];

  private readonly startKV: typeof StartKVServer;
  private readonly makeClerk: NonNullable<KvConfigOptions['makeClerk']>;
  private readonly saved: (Persister | null)[];
  /** The ends between the servers: mesh.endnames[i][j] is the end server i uses to reach server j. */
  private readonly mesh: ServerMesh;
  /** Each Clerk's end names, one per server. */
  private readonly clerks = new Map<KvClerk, string[]>();
  private nextClientId: number;
  /** When each server can admit its next Clerk request (ms of the run's clock). */
  private readonly admitFreeMs: number[];
  private readonly pending = new Map<number, PendingCall & Blocked>();
  private nextCallId = 1;
  private readonly startMs: number;
  private t0Ms = 0;
  private rpcs0 = 0;
  private ops = 0;
  private finished = false;
  private failed = false;
  private background: { error: unknown } | undefined;
  private rejectBackground!: (error: unknown) => void;

  constructor(n: number, unreliable: boolean, maxraftstate: number, options: KvConfigOptions = {}) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`makeKvConfig: the number of servers must be a positive whole number, got ${n}`);
    this.n = n;
    this.maxraftstate = maxraftstate;
    this.startKV = options.startKVServer ?? StartKVServer;
    this.makeClerk = options.makeClerk ?? MakeClerk;
    this.kvservers = new Array<KVServer | null>(n).fill(null);
    this.saved = new Array<Persister | null>(n).fill(null);
    this.mesh = new ServerMesh(this.net, n);
    this.admitFreeMs = new Array<number>(n).fill(0);
    this.nextClientId = n + 1000; // client ids start 1000 above the highest serverid
    this.backgroundFailure = new Promise<never>((_, reject) => {
      this.rejectBackground = reject;
    });
    this.backgroundFailure.catch(() => undefined);
    this.startMs = now();

    // The vote checks of the safety monitors: the tester sees no Raft inside a KVServer, only
    // the RequestVote RPCs on the network (tester/safety.ts).
    this.monitor = new SafetyMonitor(undefined, n);
    this.net.setHandledObserver((rpc) => this.monitor.onHandled(rpc));

    // create a full set of KV servers.
    for (let i = 0; i < n; i++) this.startServer(i);
    this.connectAll();
    this.net.setReliable(!unreliable);
    scheduleKvFaults(this); // from here on, faults go through the run's schedule
  }

  // ---------------------------------------------------------------------------------------
  // Servers

  /** (Re)starts server i with the state its last instance persisted; call shutdownServer first. */
  startServer(i: number): void {
    // a fresh set of outgoing ClientEnd names.
    const names = Array.from({ length: this.n }, () => randString(endNameLength));
    this.mesh.endnames[i] = names;
    // a fresh set of ClientEnds.
    const ends: ClientEnd[] = names.map((name, j) => {
      const end = this.net.makeEnd(name);
      this.net.connect(name, j);
      activeSchedule()?.nameEnd(name, `S${i}`);
      return end;
    });

    // a fresh persister, so the old instance doesn't overwrite the new instance's persisted
    // state; it holds a copy of the old one's state, so StartKVServer gets the last persisted state.
    const old = this.saved[i];
    const persister = old !== null ? old.Copy() : new Persister();
    this.saved[i] = persister;

    const kv = asServer(String(i), () => this.startKV(ends, i, persister, this.maxraftstate));
    checkStarted(kv, i);
    this.kvservers[i] = kv;

    const srv = new Server();
    srv.addService(new Service(kv, 'KVServer'));
    srv.addService(new Service(kv.rf, 'Raft'));
    this.net.addServer(i, srv);
    if (old !== null) this.annotate(`start S${i}`, 'restart of a server that was shut down');
  }

  /** Shuts server i down by isolating it; its persisted state is kept for startServer(i). */
  shutdownServer(i: number): void {
    this.disconnect(i, this.all());

    // disable client connections to the server. it's important to do this before creating
    // the new Persister in saved[i], to avoid the possibility of the server returning a
    // positive reply to an Append but persisting the result in the superseded Persister.
    this.net.deleteServer(i);

    // a fresh persister, in case the old instance continues to update the Persister, but
    // copying the old one's content so that StartKVServer always gets the last persisted state.
    const old = this.saved[i];
    if (old !== null) this.saved[i] = old.Copy();

    const kv = this.kvservers[i];
    if (kv !== null) {
      asServer(String(i), () => kv.Kill());
      this.kvservers[i] = null;
    }
    this.annotate(`shutdown S${i}`, `server ${i} shut down (state kept)`);
  }

  /** The largest persisted Raft state (without the snapshot) of any server, in bytes. */
  logSize(): number {
    let logsize = 0;
    for (let i = 0; i < this.n; i++) {
      const n = this.saved[i]?.RaftStateSize() ?? 0;
      if (n > logsize) logsize = n;
    }
    return logsize;
  }

  /** The largest snapshot of any server, in bytes. */
  snapshotSize(): number {
    let snapshotsize = 0;
    for (let i = 0; i < this.n; i++) {
      const n = this.saved[i]?.SnapshotSize() ?? 0;
      if (n > snapshotsize) snapshotsize = n;
    }
    return snapshotsize;
  }

  /** [true, i] for the first running server whose Raft says it is the leader; [false, 0] if none. */
  leader(): [ok: boolean, leader: number] {
    for (let i = 0; i < this.n; i++) {
      const kv = this.kvservers[i];
      if (kv === null) continue;
      const [, isLeader] = callGetState(kv, i);
      if (isLeader) return [true, i];
    }
    return [false, 0];
  }

  // ---------------------------------------------------------------------------------------
  // Network between servers

  /** Every server number, 0..n-1. */
  all(): number[] {
    return this.mesh.all();
  }

  /** Attaches server i to the servers listed in `to` (both directions). */
  connect(i: number, to: number[]): void {
    this.mesh.connect(i, to);
  }

  /** Detaches server i from the servers listed in `from` (both directions). */
  disconnect(i: number, from: number[]): void {
    this.mesh.disconnect(i, from);
  }

  connectAll(): void {
    this.mesh.connectAll();
  }

  /** Two partitions, each fully connected inside and cut off from the other. */
  partition(p1: number[], p2: number[]): void {
    this.mesh.partition(p1, p2);
    this.annotate(p2.length === 0 ? 'heal' : `partition [${p1.join(' ')}] [${p2.join(' ')}]`, 'servers can talk only within their group');
  }


  /**
   * Splits the servers into a majority p1 (n/2+1 servers) without the current leader and a
   * minority p2 whose last member is the leader.
   */
  makePartition(): [p1: number[], p2: number[]] {
    const [, l] = this.leader();
    const p1: number[] = [];
    const p2: number[] = [];
    const size1 = Math.floor(this.n / 2) + 1;
    const size2 = Math.floor(this.n / 2);
    for (let i = 0; i < this.n; i++) {
      if (i === l) continue;
      if (p1.length < size1) p1.push(i);
      else p2.push(i);
    }
    // Go fills p2 to n/2 entries and then overwrites the last with the leader.
    while (p2.length < size2) p2.push(0);
    p2[size2 - 1] = l;
    return [p1, p2.slice(0, size2)];
  }

  // ---------------------------------------------------------------------------------------
  // Clients

  /**
   * A Clerk with its own ends to every server (handed over in random order), of which only
   * those to the servers in `to` are enabled for now.
   */
  makeClient(to: number[]): KvClerk {
    // a fresh set of ClientEnds.
    const endnames = Array.from({ length: this.n }, () => randString(endNameLength));
    const ends: ClientEnd[] = endnames.map((name, j) => {
      const end = this.net.makeEnd(name);
      this.net.connect(name, j);
      activeSchedule()?.nameEnd(name, `C${this.nextClientId - this.n - 1000}`);
      return this.admitted(end, j);
    });
    const id = this.nextClientId++;
    const clerk = this.makeClerk(randomHandles(ends));
    checkClerk(clerk);
    const ck = new TrackedClerk(clerk, id, this);
    this.clerks.set(ck, endnames);
    this.connectClient(ck, to);
    return ck;
  }

  /** Forgets a Clerk and its ends. */
  deleteClient(ck: KvClerk): void {
    const names = this.clerks.get(ck);
    if (names !== undefined) for (const name of names) this.net.deleteEnd(name);
    this.clerks.delete(ck);
  }

  connectClient(ck: KvClerk, to: number[]): void {
    const names = this.clerkEnds(ck);
    for (const j of to) this.net.enable(names[j]!, true);
  }

  disconnectClient(ck: KvClerk, from: number[]): void {
    const names = this.clerkEnds(ck);
    for (const j of from) this.net.enable(names[j]!, false);
  }

  /**
   * Beyond 6.5840 (part 3X): while on, every reply on its way to this Clerk is lost after the
   * server ran the request, so the Clerk keeps retrying an operation that already took effect.
   */
  loseRepliesTo(ck: KvClerk, on: boolean): void {
    if (!on) {
      this.net.setInterceptor(undefined);
      return;
    }
    const names = new Set(this.clerkEnds(ck));
    this.net.setInterceptor((m) => (m.direction === 'reply' && names.has(String(m.end)) ? 'drop' : undefined));
  }

  // ---------------------------------------------------------------------------------------
  // Lifecycle and counters

  /** RPCs sent on the network. */
  rpcTotal(): number {
    return this.net.getTotalCount();
  }

  /** Starts a test section: prints its description, resets the RPC and operation counters. */
  begin(description: string): void {
    print(`${description} ...`);
    this.t0Ms = now();
    this.rpcs0 = this.rpcTotal();
    this.ops = 0;
  }

  /** Counts one Clerk Get/Put/Append made through the test's wrappers. */
  op(): void {
    this.ops++;
  }

  /** Ends a passing section: checks the time limit and prints the Passed line; returns its numbers. */
  end(): PassedStats {
    this.checkTimeout();
    this.checkBackground();
    const stats: PassedStats = {
      timeS: (now() - this.t0Ms) / 1000, // run time
      peers: this.n, // number of Raft peers
      rpcs: this.rpcTotal() - this.rpcs0, // number of RPC sends
      cmds: this.ops, // number of clerk get/put/append calls
    };
    print(`  ... Passed --  ${stats.timeS.toFixed(1).padStart(4)}  ${stats.peers} ${String(stats.rpcs).padStart(5)} ${String(stats.cmds).padStart(4)}`);
    this.passed.push(stats);
    return stats;
  }

  /** Marks the test as failed (Go's t.Failed()): cleanup's time check then stays quiet. */
  markFailed(): void {
    this.failed = true;
  }

  /** True once cleanup() has run: client loops stop then. */
  isFinished(): boolean {
    return this.finished;
  }

  /** Kills every server and shuts the network; call it however the test ended. */
  cleanup(): void {
    this.finished = true;
    this.monitor.stop();
    const thrown = killEach(this.kvservers);
    this.net.cleanup();
    for (const call of this.pending.values()) currentRuntime().blocked.delete(call);
    if (thrown !== undefined && !this.failed) throw thrown.error;
    this.checkTimeout();
  }

  /** Fails if the test has run for more than 120 s (of the run's clock) since makeKvConfig. */
  checkTimeout(): void {
    const elapsedMs = now() - this.startMs;
    if (!this.failed && elapsedMs > testTimeLimitMs) {
      this.failed = true;
      fail('timeout', 'test took longer than 120 seconds', { expected: 'at most 120 s', seen: `${(elapsedMs / 1000).toFixed(1)} s${this.describePendingSuffix()}` });
    }
  }

  /** The failure of a test that reached its time limit: names the Clerk calls still waiting. */
  timeLimitFailure(): TestFailure {
    this.failed = true;
    const pending = this.describePending();
    const waiting = pending.length === 0 ? 'no Clerk call was waiting' : `still waiting for ${pending.join('; ')}`;
    return new TestFailure('timeout', `test took longer than 120 seconds; ${waiting}`, {
      expected: 'the test to finish within 120 s',
      seen: `${(testTimeLimitMs / 1000).toFixed(0)} s passed; ${waiting}`,
    });
  }

  /** ms of the run's clock since makeKvConfig. */
  elapsedMs(): number {
    return now() - this.startMs;
  }

  // ---------------------------------------------------------------------------------------
  // Background work

  /**
   * Runs fn like a goroutine: the caller may await its result later (undefined if it failed).
   * A failure in it ends the test at once.
   */
  go<T>(fn: () => Promise<T>): Promise<T | undefined> {
    return (async () => fn())().then(
      (value) => value,
      (error: unknown) => {
        this.recordBackgroundFailure(error);
        return undefined;
      },
    );
  }

  /** Throws the first failure that happened outside the test body, if any. */
  checkBackground(): void {
    if (this.background !== undefined) throw this.background.error;
  }

  private recordBackgroundFailure(error: unknown): void {
    if (this.background !== undefined || this.finished) return;
    this.background = { error };
    this.failed = true;
    this.rejectBackground(error);
  }

  // ---------------------------------------------------------------------------------------
  // Tracking Clerk calls

  /** @internal Runs one Clerk call, known as pending until it returns. */
  async track<T>(clerk: number, what: string, call: () => Promise<T>): Promise<T> {
    const id = this.nextCallId++;
    const entry: PendingCall & Blocked = {
      clerk,
      what,
      sinceMs: now(),
      describeBlocked: () => `Clerk ${clerk}: ${what}, called at ${(entry.sinceMs / 1000).toFixed(3)} s, has not returned`,
    };
    this.pending.set(id, entry);
    // The simulator lists these in a deadlock report.
    const blocked = currentRuntime().blocked;
    blocked.add(entry);
    try {
      return await call();
    } finally {
      this.pending.delete(id);
      blocked.delete(entry);
    }
  }

  /** "Clerk 1003: Put('1', '15') (called at 2.345 s)", one per call still waiting. */
  describePending(): string[] {
    return [...this.pending.values()].map((c) => `Clerk ${c.clerk}: ${c.what} (called at ${(c.sinceMs / 1000).toFixed(3)} s)`);
  }

  private describePendingSuffix(): string {
    const pending = this.describePending();
    return pending.length === 0 ? '' : `; still waiting for ${pending.join('; ')}`;
  }

  /**
   * A Clerk's end to server j: a request waits until server j can admit it, at most one per
   * clientRequestIntervalMs (a request to an idle server goes at once).
   */
  private admitted(end: ClientEnd, j: number): ClientEnd {
    return {
      Call: async (svcMeth: string, args: object, reply: object): Promise<boolean> => {
        const at = Math.max(now(), this.admitFreeMs[j]!);
        this.admitFreeMs[j] = at + clientRequestIntervalMs;
        if (at > now()) await sleep(at - now());
        return end.Call(svcMeth, args, reply);
      },
    };
  }

  private annotate(label: string, description: string): void {
    // In ns, the unit of the history's times (OpLog.stamp).
    this.annotations.push({ time: Math.round(now() * 1e6), label, description, kind: 'fault' });
  }


  private clerkEnds(ck: KvClerk): string[] {
    const names = this.clerks.get(ck);
    if (names === undefined) throw new Error('tester: this Clerk was not made by makeClient, or was deleted');
    return names;
  }
}

interface Blocked {
  describeBlocked(): string;
}

/**
 * The student's Clerk as the tests call it: each call is tracked while it runs, and what it
 * returns is checked for type (TypeScript types do not hold at run time).
 */
class TrackedClerk implements KvClerk {
  constructor(
    private readonly clerk: Pick<Clerk, 'Get' | 'Put' | 'Append'>,
    /** The number this Clerk has in reports (1000 above the highest server, as in Go). */
    readonly id: number,
    private readonly cfg: KvConfig,
  ) {}

  async Get(key: string): Promise<string> {
    const value: unknown = await this.cfg.track(this.id, `Get(${q(key)})`, () => this.clerk.Get(key));
    if (typeof value !== 'string') {
      fail('Get', `Clerk.Get(${q(key)}) returned ${fmtShape(value)}, not a string`, {
        expected: 'a string: the value, or "" if the key does not exist',
        seen: fmtShape(value),
      });
    }
    return value;
  }

  Put(key: string, value: string): Promise<void> {
    return this.cfg.track(this.id, `Put(${q(key)}, ${q(value)})`, () => this.clerk.Put(key, value));
  }

  Append(key: string, value: string): Promise<void> {
    return this.cfg.track(this.id, `Append(${q(key)}, ${q(value)})`, () => this.clerk.Append(key, value));
  }
}


/** The ends in random order (Go's random_handles), so Clerks cannot assume server 0 leads. */
function randomHandles(ends: ClientEnd[]): ClientEnd[] {
  const a = [...ends];
  for (let i = 0; i < a.length; i++) {
    const j = i + (randInt() % (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function checkStarted(kv: unknown, i: number): asserts kv is KVServer {
  if (kv !== null && typeof kv === 'object' && typeof (kv as { then?: unknown }).then === 'function') {
    fail('StartKVServer', `StartKVServer() of server ${i} returned a Promise; it must return the KVServer at once`, {
      servers: [i],
      expected: 'a KVServer, returned without awaiting (start long-running work with un-awaited async functions)',
      seen: 'a Promise (is StartKVServer declared async?)',
    });
  }
  const k = kv as Record<string, unknown> | null;
  const missing = ['Get', 'PutAppend', 'Kill'].filter((m) => k === null || typeof k !== 'object' || typeof k[m] !== 'function');
  const rf = k?.rf as Record<string, unknown> | undefined;
  if (rf === null || typeof rf !== 'object' || typeof rf.GetState !== 'function') missing.push('rf (its Raft, with GetState)');
  if (missing.length > 0) {
    fail('StartKVServer', `StartKVServer() of server ${i} returned something that is not a KVServer`, {
      servers: [i],
      expected: 'an object with handlers Get and PutAppend, Kill(), and its Raft in the field rf',
      seen: `${fmtShape(kv)} (missing ${missing.join(', ')})`,
    });
  }
}

function checkClerk(ck: unknown): void {
  const c = ck as Record<string, unknown> | null;
  const missing = ['Get', 'Put', 'Append'].filter((m) => c === null || typeof c !== 'object' || typeof c[m] !== 'function');
  if (missing.length > 0) {
    fail('MakeClerk', 'MakeClerk() returned something that is not a Clerk', {
      expected: 'an object with methods Get, Put and Append',
      seen: `${fmtShape(ck)} (missing ${missing.join(', ')})`,
    });
  }
}

function callGetState(kv: KVServer, i: number): [number, boolean] {
  const r: unknown = asServer(String(i), () => kv.rf.GetState());
  if (!Array.isArray(r) || r.length < 2 || !Number.isInteger(r[0]) || typeof r[1] !== 'boolean') {
    fail('GetState', `kv.rf.GetState() of server ${i} returned ${fmtShape(r)}`, {
      servers: [i],
      expected: '[term: number, isLeader: boolean], returned at once (not a Promise)',
      seen: fmtShape(r),
    });
  }
  return [r[0] as number, r[1] as boolean];
}

/** A key or value as the reports show it: quoted, long ones shortened. */
export function q(text: string): string {
  const s = String(text);
  const shown = s.length > 40 ? `${s.slice(0, 20)}...${s.slice(-12)}` : s;
  return `'${JSON.stringify(shown).slice(1, -1)}'`;
}

function fmtShape(v: unknown): string {
  return inspect(v, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 40 });
}
