import { inspect } from 'node:util';
import { asServer, Channel, drawingRng, now, randomInt, sleep } from '../sim/index.ts';
import { Network, Server, Service, type ClientEnd } from '../labrpc/index.ts';
import { Persister, encode, decode } from '../persister/index.ts';
import { Make, type Raft, type ApplyMsg } from '../raft/raft.ts';
import { fail, TestFailure, type FailureDetails } from './failure.ts';
import { print } from './output.ts';
import type { PassedStats } from './runner.ts';
import { activeRecorder } from '../trace/index.ts';
import { killEach } from './kill.ts';
import { SafetyMonitor } from './safety.ts';
import { fieldsOf, type FaultRule } from './faults.ts';
import { currentRuntime } from '../sim/index.ts';
import { scheduleRaftFaults } from './scheduled-faults.ts';
import { activeSchedule } from '../schedule/index.ts';

/**
 * The Raft tester's cluster: a port of 6.5840's `src/raft/config.go` (2023), method for method,
 * with its constants and its failure messages. Tests drive it exactly as the Go tests drive
 * `cfg`: checkOneLeader, one, crash1, start1, connect, disconnect...
 *
 * What differs from Go, and why:
 * - Every failing check throws a TestFailure through `fail(check, message, details)`, so the
 *   report names the check and what it saw; the message is still 6.5840's.
 * - An apply error killed the whole Go test process (log.Fatalf). Here it is recorded, fails the
 *   next check that runs, and also rejects `backgroundFailure`, which labTest races against the
 *   test body so the test ends at once even while the body sleeps. Failures in goroutine-like
 *   helpers started with `go` end the test the same way.
 * - Results of the student's GetState()/Start()/Make() are checked for shape: TypeScript types
 *   do not hold at run time, and a wrong shape would otherwise look like a Raft bug.
 * - Student code the tester calls (Make, Start, GetState, Snapshot, Kill) runs attributed to its
 *   server, so timers it sets and errors it throws are reported as that server's.
 */

/** The applier snapshots the service state every this many commands (at indices 9, 19, 29...). */
export const SnapShotInterval = 10;

/** A test's time limit, checked in end() and cleanup() as in Go (ms of the run's clock). */
const testTimeLimitMs = 120_000;
/** checkOneLeader polls this many times, each after 450-549 ms. */
const checkOneLeaderTries = 10;
const checkOneLeaderSleepMs = 450;
const checkOneLeaderJitterMs = 100;
/** one() gives up after 10 s; each accepted Start gets 2 s to commit, polled every 20 ms; no leader: retry after 50 ms. */
const oneTimeoutMs = 10_000;
const oneAgreementMs = 2_000;
const onePollMs = 20;
const oneNoLeaderSleepMs = 50;
/** wait() polls 30 times, sleeping 10 ms, doubling while under 1 s (10, 20, ... 640, 1280 ms). */
const waitPolls = 30;
const waitFirstSleepMs = 10;
const waitSleepDoublesBelowMs = 1_000;
/** Client end names are random strings of this length, fresh on every restart. */
const endNameLength = 20;

/** A function that reads one server's applyCh and checks what it applies: `cfg.applier` or `cfg.applierSnap`. */
export type Applier = (i: number, applyCh: Channel<ApplyMsg>) => Promise<void>;

/** The student's Make, or a stand-in with the same shape (to test the tester itself). */
export type MakeRaft = typeof Make;

export interface ConfigOptions {
  /** The Raft implementation to test; defaults to raft/raft.ts's Make. */
  make?: MakeRaft;
}

/**
 * One server's Raft as the tests call it, with the results of Start and GetState checked for
 * shape and the call attributed to the server.
 */
export interface RaftHandle {
  Start(command: unknown): [index: number, term: number, isLeader: boolean];
  GetState(): [term: number, isLeader: boolean];
}

/** make_config: n servers, all started and connected; an unreliable network if asked; the snapshotting applier if `snapshot`. */
export function makeConfig(n: number, unreliable: boolean, snapshot: boolean, options: ConfigOptions = {}): Config {
  return new Config(n, unreliable, snapshot, options.make ?? Make);
}

export class Config {
  readonly net = new Network();
  /** Number of servers. */
  readonly n: number;
  /** The running Raft of each server; null while crashed. */
  readonly rafts: (Raft | null)[];
  /** Whether each server is connected to the network. */
  readonly connected: boolean[];
  /**
   * First background failure (apply error, failed goroutine): rejects with it. labTest races
   * the test body against this, so such a failure ends the test at once.
   */
  readonly backgroundFailure: Promise<never>;
  /** The Passed numbers, once end() has printed them. */
  passed: PassedStats | undefined;

  private readonly makeRaft: MakeRaft;
  private readonly defaultApplier: Applier;
  /** Apply error of each server, '' if none. */
  private readonly applyErr: string[];
  private readonly saved: (Persister | null)[];
  private readonly endnames: (string[] | null)[];
  /** Every end's [owner, target] servers, by end name (for fault rules). */
  private readonly endPairs = new Map<string, [number, number]>();
  /** Per-server copy of the applied commands, by log index. */
  private readonly logs: Map<number, unknown>[];
  /** Last command index each server applied (snapshot applier only). */
  private readonly lastApplied: number[];
  private finished = false;
  private failed = false;
  private background: { error: unknown } | undefined;
  /** What the last apply check that failed expected and saw, for the report. */
  private errDetails: FailureDetails | undefined;
  private rejectBackground!: (error: unknown) => void;
  private readonly startMs: number;
  private t0Ms = 0;
  private rpcs0 = 0;
  private bytes0 = 0;
  private maxIndex = 0;
  private maxIndex0 = 0;
  /** Raft's safety properties, checked after every event (tester/safety.ts). */
  readonly monitor: SafetyMonitor;
  private readonly removeMonitorHook: () => void;

  constructor(n: number, unreliable: boolean, snapshot: boolean, makeRaft: MakeRaft) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`makeConfig: the number of servers must be a positive whole number, got ${n}`);
    this.n = n;
    this.makeRaft = makeRaft;
    this.rafts = new Array<Raft | null>(n).fill(null);
    this.connected = new Array<boolean>(n).fill(false);
    this.applyErr = new Array<string>(n).fill('');
    this.saved = new Array<Persister | null>(n).fill(null);
    this.endnames = new Array<string[] | null>(n).fill(null);
    this.logs = Array.from({ length: n }, () => new Map<number, unknown>());
    this.lastApplied = new Array<number>(n).fill(0);
    this.backgroundFailure = new Promise<never>((_, reject) => {
      this.rejectBackground = reject;
    });
    // Nobody may be racing against it when it rejects (the body already returned); end() reports it then.
    this.backgroundFailure.catch(() => undefined);
    this.startMs = now();

    const recorder = activeRecorder();
    if (recorder !== undefined) {
      recorder.meta({ servers: n });
      recorder.attachNetwork(this.net);
      recorder.setStateSampler((i) => this.sampleState(i));
    }

    this.monitor = new SafetyMonitor({ n, raftOf: (i) => this.rafts[i] ?? null }, n);
    this.net.setHandledObserver((rpc) => this.monitor.onHandled(rpc));
    this.removeMonitorHook = currentRuntime().addEventHook(() => this.monitor.afterEvent());

    this.setUnreliable(unreliable);
    this.net.setLongDelays(true);

    this.defaultApplier = snapshot ? this.applierSnap : this.applier;
    // Start every server first, then wire them all together.
    for (let i = 0; i < n; i++) this.start1(i, this.defaultApplier);
    for (let i = 0; i < n; i++) this.connect(i);
    scheduleRaftFaults(this); // from here on, faults go through the run's schedule
  }

  // ---------------------------------------------------------------------------------------
  // Crash and restart

  /** Simulates a crash of server i: its Raft is killed, but what it persisted survives. */
  crash1(i: number): void {
    this.disconnect(i);
    this.net.deleteServer(i); // its RPC handlers become unreachable

    // Switch to a copy of the persister: the killed instance may still write to the old
    // object, and those late writes must not reach the next Make().
    const old = this.saved[i];
    if (old !== null) this.saved[i] = old.Copy();

    const rf = this.rafts[i];
    if (rf !== null) {
      asServer(String(i), () => rf.Kill());
      this.rafts[i] = null;
      this.monitor.onCrash(i);
      activeRecorder()?.crash(i);
    }

    const current = this.saved[i];
    if (current !== null) {
      const raftlog = current.ReadRaftState();
      const snapshot = current.ReadSnapshot();
      const fresh = new Persister();
      fresh.Save(raftlog, snapshot);
      this.saved[i] = fresh;
    }
  }

  /**
   * (Re)starts server i with its last persisted state and the given applier (`cfg.applier` or
   * `cfg.applierSnap`; by default the one this config was made with). It starts disconnected:
   * call connect(i).
   */
  start1(i: number, applier: Applier = this.defaultApplier): void {
    this.crash1(i);

    // New random end names: ends still held by the killed instance stay disconnected forever.
    const names = Array.from({ length: this.n }, () => randString(endNameLength));
    this.endnames[i] = names;
    const recorder = activeRecorder();
    const ends: ClientEnd[] = names.map((name, j) => {
      const end = this.net.makeEnd(name);
      this.net.connect(name, j);
      this.endPairs.set(name, [i, j]);
      recorder?.nameEnd(name, i, j);
      activeSchedule()?.nameEnd(name, `S${i}`);
      return end;
    });

    this.lastApplied[i] = 0;

    // The new instance gets its own copy, out of reach of the old instance's writes.
    const old = this.saved[i];
    let persister: Persister;
    if (old !== null) {
      persister = old.Copy();
      const snapshot = persister.ReadSnapshot();
      if (snapshot.length > 0) {
        // Rebuild the service state from the snapshot, as a real service would on boot.
        const err = this.ingestSnap(i, snapshot, -1);
        if (err !== '') fail('snapshot', err, { servers: [i] });
      }
    } else {
      persister = new Persister();
    }
    this.saved[i] = persister;

    const applyCh = new Channel<ApplyMsg>(0, `applyCh of server ${i}`);
    const rf = asServer(String(i), () => this.makeRaft(ends, i, persister, applyCh));
    checkMade(rf, i);
    this.rafts[i] = rf;

    void applier(i, applyCh);

    const srv = new Server();
    srv.addService(new Service(rf, 'Raft'));
    this.net.addServer(i, srv);
    recorder?.restart(i);
    recorder?.sampleState(i);
  }

  // ---------------------------------------------------------------------------------------
  // Network

  /** Puts server i on the network: its links with every connected server work again. */
  connect(i: number): void {
    activeRecorder()?.connect(i);
    this.connected[i] = true;
    // i's ends toward the others
    for (let j = 0; j < this.n; j++) {
      if (this.connected[j]) this.net.enable(this.endname(i, j), true);
    }
    // the others' ends toward i
    for (let j = 0; j < this.n; j++) {
      if (this.connected[j]) this.net.enable(this.endname(j, i), true);
    }
  }

  /** Takes server i off the network, in both directions. */
  disconnect(i: number): void {
    if (this.connected[i]) activeRecorder()?.disconnect(i);
    this.connected[i] = false;
    // i's ends toward the others
    const out = this.endnames[i];
    if (out !== null) for (let j = 0; j < this.n; j++) this.net.enable(out[j]!, false);
    // the others' ends toward i
    for (let j = 0; j < this.n; j++) {
      const row = this.endnames[j];
      if (row !== null) this.net.enable(row[i]!, false);
    }
  }

  /** RPCs dispatched to server i (after request drops). */
  rpcCount(server: number): number {
    return this.net.getCount(server);
  }

  /** RPCs sent on the network. */
  rpcTotal(): number {
    return this.net.getTotalCount();
  }

  /** Bytes of requests sent and replies delivered. */
  bytesTotal(): number {
    return this.net.getTotalBytes();
  }

  setUnreliable(unreliable: boolean): void {
    activeRecorder()?.net('reliable', !unreliable);
    this.net.setReliable(!unreliable);
  }

  /**
   * Lets `rule` decide the fate of each message between servers (undefined: back to normal).
   * Beyond 6.5840, for the 2X tests that make unlucky schedules happen on purpose. The rule may
   * crash and restart servers itself; messages the unreliable network drops never reach it.
   */
  setFaults(rule: FaultRule | undefined): void {
    if (rule === undefined) {
      this.net.setInterceptor(undefined);
      return;
    }
    this.net.setInterceptor((m) => {
      const pair = this.endPairs.get(String(m.end));
      if (pair === undefined) return undefined;
      const [owner, target] = pair;
      const request = m.direction === 'request';
      return rule({ svcMeth: m.svcMeth, from: request ? owner : target, to: request ? target : owner, direction: m.direction, fields: () => fieldsOf(m.content()) });
    });
  }

  setLongReordering(longReordering: boolean): void {
    activeRecorder()?.net('long-reordering', longReordering);
    this.net.setLongReordering(longReordering);
  }

  // ---------------------------------------------------------------------------------------
  // The student's Raft, checked

  /** Server i's [term, isLeader] for the trace, or undefined if it is down or answers oddly. */
  private sampleState(i: number): [number, boolean] | undefined {
    const rf = this.rafts[i];
    if (rf === null || rf === undefined) return undefined;
    try {
      const r: unknown = asServer(String(i), () => rf.GetState());
      return Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'boolean' ? [r[0], r[1]] : undefined;
    } catch {
      return undefined; // the trace only watches; the test's own GetState calls report errors
    }
  }

  /** Server i's Raft, with Start and GetState results checked; fails if server i is crashed. */
  raft(i: number): RaftHandle {
    const rf = this.rafts[i];
    if (rf === null || rf === undefined) {
      fail('raft', `server ${i} is not running (it crashed and was not restarted)`, { servers: [i] });
    }
    return {
      Start: (command) => {
        const result = callStart(rf, i, command);
        this.monitor.onStart(i, ...result);
        return result;
      },
      GetState: () => callGetState(rf, i),
    };
  }

  // ---------------------------------------------------------------------------------------
  // Apply checking

  /** Checks one applied command against what every server applied at that index; records it. */
  checkLogs(i: number, m: ApplyMsg): [err: string, prevok: boolean] {
    let err = '';
    const v = m.Command;
    for (let j = 0; j < this.logs.length; j++) {
      const log = this.logs[j]!;
      if (log.has(m.CommandIndex) && log.get(m.CommandIndex) !== v) {
        const old = log.get(m.CommandIndex);
        print(`${i}: log ${fmtLog(this.logs[i]!)}; server ${fmtLog(log)}`);
        // Two servers applied different commands at one index: a safety violation.
        err = `commit index=${m.CommandIndex} server=${i} ${fmtV(m.Command)} != server=${j} ${fmtV(old)}`;
        this.errDetails = { expected: `${fmtV(old)}, which server ${j} applied at index ${m.CommandIndex} (State Machine Safety, Figure 3: no two servers apply different commands at one index)`, seen: `server ${i} applied ${fmtV(m.Command)}`, servers: [i, j] };
      }
    }
    const mine = this.logs[i]!;
    const prevok = mine.has(m.CommandIndex - 1);
    mine.set(m.CommandIndex, v);
    if (err === '') this.monitor.onApply(i, m.CommandIndex, v);
    activeRecorder()?.apply(i, m.CommandIndex, v);
    if (m.CommandIndex > this.maxIndex) this.maxIndex = m.CommandIndex;
    return [err, prevok];
  }

  /**
   * Drains server i's applyCh, comparing each command with what the others applied at its index.
   * Beyond 6.5840, which catches gaps only: within one life of a server (one applyCh), indices
   * must increase, so an entry applied twice (two appliers, a lastApplied that goes back) fails.
   */
  readonly applier: Applier = async (i, applyCh) => {
    let lastInThisLife = 0;
    for await (const m of applyCh) {
      try {
        if (!this.validApplyMsg(i, m)) continue;
        if (!m.CommandValid) continue; // snapshots and other messages are not checked here
        let [err, prevok] = this.checkLogs(i, m);
        if (m.CommandIndex > 1 && !prevok) err = this.outOfOrder(i, m.CommandIndex);
        if (err === '' && m.CommandIndex <= lastInThisLife) err = this.appliedAgain(i, m.CommandIndex, lastInThisLife);
        lastInThisLife = Math.max(lastInThisLife, m.CommandIndex);
        if (err !== '') this.applyError(i, err, m.CommandIndex);
      } catch (e) {
        this.recordBackgroundFailure(e);
      }
      // Carry on after an error: if nobody reads applyCh, Raft's sends would block forever.
    }
  };

  /**
   * The applier of 2D: also ingests snapshots sent on applyCh, insists on in-order indices, and
   * every SnapShotInterval commands calls rf.Snapshot synchronously, as a service would.
   */
  readonly applierSnap: Applier = async (i, applyCh) => {
    const rf = this.rafts[i];
    if (rf === null) return;
    for await (const m of applyCh) {
      try {
        if (!this.validApplyMsg(i, m)) continue;
        let err = '';
        if (m.SnapshotValid) {
          err = this.ingestSnap(i, m.Snapshot, m.SnapshotIndex);
        } else if (m.CommandValid) {
          if (m.CommandIndex !== this.lastApplied[i]! + 1) {
            err = `server ${i} apply out of order, expected index ${this.lastApplied[i]! + 1}, got ${m.CommandIndex}`;
            this.errDetails = { expected: `index ${this.lastApplied[i]! + 1} next (after the last command or snapshot applied)`, seen: `index ${m.CommandIndex}` };
          }
          if (err === '') {
            let prevok: boolean;
            [err, prevok] = this.checkLogs(i, m);
            if (m.CommandIndex > 1 && !prevok) err = this.outOfOrder(i, m.CommandIndex);
          }
          this.lastApplied[i] = m.CommandIndex;

          if ((m.CommandIndex + 1) % SnapShotInterval === 0) {
            const xlog: unknown[] = [];
            const log = this.logs[i]!;
            for (let j = 0; j <= m.CommandIndex; j++) xlog.push(log.get(j));
            const snapshot = encode({ lastIncludedIndex: m.CommandIndex, xlog });
            activeRecorder()?.snapshot(i, m.CommandIndex);
            asServer(String(i), () => rf.Snapshot(m.CommandIndex, snapshot));
          }
        }
        // Any other message is skipped.
        if (err !== '') this.applyError(i, err, m.SnapshotValid ? m.SnapshotIndex : m.CommandIndex);
      } catch (e) {
        this.recordBackgroundFailure(e);
      }
    }
  };

  /**
   * Replaces server i's applied log with the one in a snapshot the applier made. Returns '' or
   * an error; a snapshot that is missing or does not decode fails at once (Go: log.Fatalf).
   * `index` is the SnapshotIndex of the ApplyMsg, or -1 when restarting from the Persister.
   */
  ingestSnap(i: number, snapshot: unknown, index: number): string {
    if (!(snapshot instanceof Uint8Array)) {
      fail('snapshot', 'nil snapshot', { servers: [i], expected: 'a Uint8Array made by the tester', seen: fmtShape(snapshot) });
    }
    let lastIncludedIndex: number;
    let xlog: unknown[];
    try {
      const decoded = decode<{ lastIncludedIndex?: unknown; xlog?: unknown }>(snapshot);
      if (decoded === null || typeof decoded !== 'object' || !Number.isInteger(decoded.lastIncludedIndex) || !Array.isArray(decoded.xlog)) {
        throw new Error(`decoded to ${fmtShape(decoded)}`);
      }
      lastIncludedIndex = decoded.lastIncludedIndex as number;
      xlog = decoded.xlog;
    } catch (e) {
      fail('snapshot', 'snapshot decode error', {
        servers: [i],
        index: index === -1 ? undefined : index,
        expected: 'the exact bytes the tester passed to Snapshot()',
        seen: `${snapshot.length} bytes that do not decode (${e instanceof Error ? e.message : String(e)})`,
      });
    }
    if (index !== -1 && index !== lastIncludedIndex) {
      this.errDetails = { expected: `SnapshotIndex ${lastIncludedIndex}, the index the snapshot was made at`, seen: `SnapshotIndex ${index}` };
      return `server ${i} snapshot doesn't match m.SnapshotIndex`;
    }
    const log = new Map<number, unknown>();
    for (let j = 0; j < xlog.length; j++) log.set(j, xlog[j]);
    this.logs[i] = log;
    this.lastApplied[i] = lastIncludedIndex;
    activeRecorder()?.applySnapshot(i, lastIncludedIndex);
    return '';
  }

  // ---------------------------------------------------------------------------------------
  // Queries

  /**
   * Polls, leaving time for re-elections, until some connected server claims to lead; fails if
   * two claim the same term. Returns the claimant of the newest term.
   */
  async checkOneLeader(): Promise<number> {
    for (let iters = 0; iters < checkOneLeaderTries; iters++) {
      const ms = checkOneLeaderSleepMs + randomInt(checkOneLeaderJitterMs);
      await sleep(ms);
      this.checkBackground();

      const leaders = new Map<number, number[]>();
      for (let i = 0; i < this.n; i++) {
        if (!this.connected[i]) continue;
        const [term, leader] = this.raft(i).GetState();
        if (leader) leaders.set(term, [...(leaders.get(term) ?? []), i]);
      }

      let lastTermWithLeader = -1;
      for (const [term, ls] of [...leaders].sort((a, b) => a[0] - b[0])) {
        if (ls.length > 1) {
          fail('checkOneLeader', `term ${term} has ${ls.length} (>1) leaders`, { expected: 'at most one leader per term', seen: `servers ${ls.join(', ')} all lead term ${term}`, servers: ls });
        }
        if (term > lastTermWithLeader) lastTermWithLeader = term;
      }
      if (leaders.size !== 0) {
        const leader = leaders.get(lastTermWithLeader)![0]!;
        activeRecorder()?.check('checkOneLeader', true, `leader ${leader} in term ${lastTermWithLeader}`);
        return leader;
      }
    }
    fail('checkOneLeader', 'expected one leader, got none', {
      expected: `one leader among the connected servers within ${checkOneLeaderTries} tries (~5 s)`,
      seen: `no leader: ${this.describeStates()}`,
      servers: this.connectedServers(),
    });
  }

  /** Returns the term shared by all connected servers; fails if they differ. */
  checkTerms(): number {
    let term = -1;
    for (let i = 0; i < this.n; i++) {
      if (!this.connected[i]) continue;
      const [xterm] = this.raft(i).GetState();
      if (term === -1) term = xterm;
      else if (term !== xterm) {
        fail('checkTerms', 'servers disagree on term', { expected: 'one term on all connected servers', seen: this.describeStates(), servers: this.connectedServers() });
      }
    }
    return term;
  }

  /** Fails if any connected server claims to lead. */
  checkNoLeader(): void {
    for (let i = 0; i < this.n; i++) {
      if (!this.connected[i]) continue;
      const [, isLeader] = this.raft(i).GetState();
      if (isLeader) {
        fail('checkNoLeader', `expected no leader among connected servers, but ${i} claims to be leader`, {
          expected: 'no leader (no majority is connected)',
          seen: this.describeStates(),
          servers: [i],
        });
      }
    }
  }

  /** How many servers (alive or not, connected or not) have applied index, and the command there. */
  nCommitted(index: number): [count: number, command: unknown] {
    this.checkBackground();
    let count = 0;
    let cmd: unknown = undefined;
    let first = -1;
    for (let i = 0; i < this.rafts.length; i++) {
      const log = this.logs[i]!;
      if (!log.has(index)) continue;
      const cmd1 = log.get(index);
      if (count > 0 && cmd !== cmd1) {
        fail('nCommitted', `committed values do not match: index ${index}, ${fmtV(cmd)}, ${fmtV(cmd1)}`, {
          index,
          expected: `server ${i} to have applied ${fmtV(cmd)} like server ${first}`,
          seen: `server ${i} applied ${fmtV(cmd1)}`,
          servers: [first, i],
        });
      }
      if (count === 0) first = i;
      count += 1;
      cmd = cmd1;
    }
    return [count, cmd];
  }

  /**
   * Polls with growing pauses until n servers have applied index, and fails if they never do.
   * Returns the command, or -1 once any server is past startTerm: the entry may then be lost.
   */
  async wait(index: number, n: number, startTerm: number): Promise<unknown> {
    this.checkBackground();
    let toMs = waitFirstSleepMs;
    for (let iters = 0; iters < waitPolls; iters++) {
      const [nd] = this.nCommitted(index);
      if (nd >= n) break;
      await sleep(toMs);
      if (toMs < waitSleepDoublesBelowMs) toMs *= 2;
      if (startTerm > -1) {
        for (let i = 0; i < this.n; i++) {
          // Go iterates cfg.rafts and would crash on a nil one; callers only wait with all alive.
          if (this.rafts[i] === null) continue;
          const [t] = this.raft(i).GetState();
          if (t > startTerm) return -1; // a newer term exists, so the entry may never commit
        }
      }
    }
    const [nd, cmd] = this.nCommitted(index);
    if (nd < n) {
      fail('wait', `only ${nd} decided for index ${index}; wanted ${n}`, {
        index,
        expected: `${n} servers to apply index ${index}`,
        seen: `${nd} did (${this.describeApplied(index)})`,
        servers: this.serversWithout(index),
      });
    }
    return cmd;
  }

  /**
   * Gets cmd committed: offers it to connected servers until one accepts it as leader, then
   * waits for at least expectedServers to apply it at the returned index. With retry, a
   * Start that does not commit within 2 s is tried again; the whole attempt has 10 s.
   */
  async one(cmd: unknown, expectedServers: number, retry: boolean): Promise<number> {
    this.checkBackground();
    const t0 = now();
    let starts = 0;
    let lastIndex = -1;
    let lastCount = 0;
    while (now() - t0 < oneTimeoutMs && !this.finished) {
      // Offer cmd to each connected server in turn until one accepts.
      let index = -1;
      for (let si = 0; si < this.n; si++) {
        starts = (starts + 1) % this.n;
        if (!this.connected[starts] || this.rafts[starts] === null) continue;
        const [index1, , ok] = this.raft(starts).Start(cmd);
        if (ok) {
          index = index1;
          break;
        }
      }

      if (index !== -1) {
        // A self-declared leader took cmd; give it oneAgreementMs to commit.
        lastIndex = index;
        const t1 = now();
        while (now() - t1 < oneAgreementMs) {
          const [nd, cmd1] = this.nCommitted(index);
          lastCount = nd;
          if (nd > 0 && nd >= expectedServers && cmd1 === cmd) return index; // enough servers applied cmd itself there
          await sleep(onePollMs);
        }
        if (!retry) this.oneFailed(cmd, expectedServers, lastIndex, lastCount);
      } else {
        await sleep(oneNoLeaderSleepMs);
      }
    }
    if (!this.finished) this.oneFailed(cmd, expectedServers, lastIndex, lastCount);
    return -1;
  }

  private oneFailed(cmd: unknown, expectedServers: number, index: number, count: number): never {
    const details: FailureDetails = { expected: `${expectedServers} servers to commit ${fmtV(cmd)}` };
    if (index === -1) {
      details.seen = `no connected server accepted Start() as leader: ${this.describeStates()}`;
    } else {
      details.index = index;
      const [, at] = this.nCommitted(index);
      details.seen = `${count} committed index ${index}${count > 0 && at !== cmd ? `, with ${fmtV(at)}` : ''} (${this.describeApplied(index)})`;
      details.servers = this.serversWithout(index);
    }
    fail('one', `one(${fmtV(cmd)}) failed to reach agreement`, details);
  }

  /** The largest persisted Raft state (without snapshot) of any server, in bytes. */
  logSize(): number {
    let logsize = 0;
    for (let i = 0; i < this.n; i++) {
      const n = this.saved[i]?.RaftStateSize() ?? 0;
      if (n > logsize) logsize = n;
    }
    return logsize;
  }

  // ---------------------------------------------------------------------------------------
  // Lifecycle

  /** Prints the test's name and notes the counters, so the Passed line shows only this test's share. */
  begin(description: string): void {
    print(`${description} ...`);
    this.t0Ms = now();
    this.rpcs0 = this.rpcTotal();
    this.bytes0 = this.bytesTotal();
    this.maxIndex0 = this.maxIndex;
  }

  /** Called only when the body succeeded: enforces the time limit, prints and returns the Passed numbers. */
  end(): PassedStats {
    this.checkTimeout();
    this.checkBackground();
    const stats: PassedStats = {
      timeS: (now() - this.t0Ms) / 1000, // seconds of virtual time
      peers: this.n, // cluster size
      rpcs: this.rpcTotal() - this.rpcs0, // RPCs sent during the test
      bytes: this.bytesTotal() - this.bytes0, // request and reply bytes
      cmds: this.maxIndex - this.maxIndex0, // log indices first applied during the test
    };
    print(`  ... Passed --  ${stats.timeS.toFixed(1).padStart(4)}  ${stats.peers} ${String(stats.rpcs).padStart(4)} ${String(stats.bytes).padStart(7)} ${String(stats.cmds).padStart(4)}`);
    this.passed = stats;
    return stats;
  }

  /** Marks the test as failed (Go's t.Failed()): cleanup's time check then stays quiet. */
  markFailed(): void {
    this.failed = true;
  }

  /** Kills every Raft and shuts the network; call it however the test ended. */
  cleanup(): void {
    this.finished = true;
    this.monitor.stop();
    this.removeMonitorHook();
    const thrown = killEach(this.rafts);
    this.net.cleanup();
    if (thrown !== undefined && !this.failed) throw thrown.error;
    this.checkTimeout();
  }

  /** Fails if the test has run for more than 120 s (of the run's clock) since makeConfig. */
  checkTimeout(): void {
    const elapsedMs = now() - this.startMs;
    if (!this.failed && elapsedMs > testTimeLimitMs) {
      this.failed = true;
      fail('timeout', 'test took longer than 120 seconds', { expected: 'at most 120 s', seen: `${(elapsedMs / 1000).toFixed(1)} s` });
    }
  }

  /** True once cleanup() has run: one() stops trying then. */
  checkFinished(): boolean {
    return this.finished;
  }

  // ---------------------------------------------------------------------------------------
  // Background work

  /**
   * Runs fn like a goroutine: the caller may await its result later (undefined if it failed).
   * A failure in it ends the test at once, as an apply error does.
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

  /** Checks the shape of a message from applyCh; a malformed one is an apply error. */
  private validApplyMsg(i: number, m: unknown): m is ApplyMsg {
    const fault = applyMsgFault(m);
    if (fault === undefined) return true;
    this.recordBackgroundFailure(
      new TestFailure('apply', `apply error: server ${i} sent a malformed ApplyMsg on applyCh: ${fault}`, {
        servers: [i],
        expected: '{ CommandValid, Command, CommandIndex } or { SnapshotValid, Snapshot, SnapshotTerm, SnapshotIndex }',
        seen: fmtShape(m),
      }),
    );
    return false;
  }

  private outOfOrder(i: number, index: number): string {
    this.errDetails = { expected: `index ${index - 1} applied before index ${index}`, seen: `server ${i} never applied index ${index - 1}` };
    return `server ${i} apply out of order ${index}`;
  }

  private appliedAgain(i: number, index: number, last: number): string {
    this.errDetails = {
      expected: `indices in increasing order within one life of a server, each applied once (lastApplied only grows, Figure 2); after index ${last}, index ${last + 1}`,
      seen: `server ${i} applied index ${index} again`,
    };
    return `server ${i} applied index ${index} after index ${last}: an entry applied twice`;
  }

  private applyError(i: number, err: string, index: number): void {
    if (this.applyErr[i] === '') this.applyErr[i] = err;
    const details: FailureDetails = { servers: [i], index, ...this.errDetails };
    this.errDetails = undefined;
    this.recordBackgroundFailure(new TestFailure('apply', `apply error: ${err}`, details));
  }

  private recordBackgroundFailure(error: unknown): void {
    if (this.background !== undefined || this.finished) return;
    this.background = { error };
    this.failed = true;
    this.rejectBackground(error);
  }

  // ---------------------------------------------------------------------------------------
  // Helpers for messages

  private endname(i: number, j: number): string {
    const row = this.endnames[i];
    if (row === null) throw new Error(`tester: server ${i} was never started`);
    return row[j]!;
  }

  private connectedServers(): number[] {
    return this.connected.flatMap((c, i) => (c ? [i] : []));
  }

  /** "S0 term 2 follower, S1 term 2 leader, S2 down..." */
  private describeStates(): string {
    const parts: string[] = [];
    for (let i = 0; i < this.n; i++) {
      const rf = this.rafts[i];
      if (rf === null) {
        parts.push(`S${i} crashed`);
        continue;
      }
      const [term, leader] = this.raft(i).GetState();
      parts.push(`S${i} term ${term} ${leader ? 'leader' : 'not leader'}${this.connected[i] ? '' : ' (disconnected)'}`);
    }
    return parts.join(', ');
  }

  /** "applied by S0, S2; not by S1" */
  private describeApplied(index: number): string {
    const have: string[] = [];
    const lack: string[] = [];
    for (let i = 0; i < this.n; i++) (this.logs[i]!.has(index) ? have : lack).push(`S${i}`);
    return `applied by ${have.length > 0 ? have.join(', ') : 'none'}; not by ${lack.length > 0 ? lack.join(', ') : 'none'}`;
  }

  private serversWithout(index: number): number[] {
    return this.logs.flatMap((log, i) => (log.has(index) ? [] : [i]));
  }
}

// -----------------------------------------------------------------------------------------
// Checks of what student code returns

function checkMade(rf: unknown, i: number): asserts rf is Raft {
  if (rf !== null && typeof rf === 'object' && typeof (rf as { then?: unknown }).then === 'function') {
    fail('Make', `Make() of server ${i} returned a Promise; it must return the Raft at once`, {
      servers: [i],
      expected: 'a Raft, returned without awaiting (start long-running work with un-awaited async functions)',
      seen: 'a Promise (is Make declared async?)',
    });
  }
  const missing = ['Start', 'GetState', 'Snapshot', 'Kill'].filter((m) => rf === null || typeof rf !== 'object' || typeof (rf as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) {
    fail('Make', `Make() of server ${i} returned something that is not a Raft`, { servers: [i], expected: 'an object with methods Start, GetState, Snapshot and Kill', seen: `${fmtShape(rf)} (missing ${missing.join(', ')})` });
  }
}

function callGetState(rf: Raft, i: number): [number, boolean] {
  const r: unknown = asServer(String(i), () => rf.GetState());
  if (!Array.isArray(r) || r.length < 2 || !Number.isInteger(r[0]) || typeof r[1] !== 'boolean') {
    fail('GetState', `GetState() of server ${i} returned ${fmtShape(r)}`, {
      servers: [i],
      expected: '[term: number (a whole number), isLeader: boolean], returned at once (not a Promise)',
      seen: fmtShape(r),
    });
  }
  activeRecorder()?.state(i, r[0] as number, r[1] ? 'leader' : 'follower');
  return [r[0] as number, r[1] as boolean];
}

function callStart(rf: Raft, i: number, command: unknown): [number, number, boolean] {
  const r: unknown = asServer(String(i), () => rf.Start(command));
  if (!Array.isArray(r) || r.length < 3 || !Number.isInteger(r[0]) || !Number.isInteger(r[1]) || typeof r[2] !== 'boolean') {
    fail('Start', `Start() of server ${i} returned ${fmtShape(r)}`, {
      servers: [i],
      expected: '[index: number, term: number, isLeader: boolean] (whole numbers), returned at once (not a Promise)',
      seen: fmtShape(r),
    });
  }
  if (r[2] === true) activeRecorder()?.start(i, r[0] as number, r[1] as number, command);
  return [r[0] as number, r[1] as number, r[2] as boolean];
}

function applyMsgFault(m: unknown): string | undefined {
  if (m === null || typeof m !== 'object') return `it is ${m === null ? 'null' : typeof m}, not an object`;
  const msg = m as Partial<Record<keyof ApplyMsg, unknown>>;
  if (msg.CommandValid && !Number.isInteger(msg.CommandIndex)) return 'CommandValid is set but CommandIndex is not a whole number';
  if (msg.SnapshotValid && !Number.isInteger(msg.SnapshotIndex)) return 'SnapshotValid is set but SnapshotIndex is not a whole number';
  return undefined;
}

// -----------------------------------------------------------------------------------------
// Formatting and randomness

/** Go's %v for the values commands are made of; very long strings are shortened. */
export function fmtV(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v.length > 40 ? `${v.slice(0, 16)}...(${v.length} chars)` : v;
  if (Array.isArray(v)) return `[${v.map(fmtV).join(' ')}]`;
  if (typeof v === 'object') return inspect(v, { depth: 2, breakLength: Infinity, maxArrayLength: 20, maxStringLength: 40 });
  return String(v);
}

function fmtShape(v: unknown): string {
  return inspect(v, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 40 });
}

/** A log as "map[1:101 2:102 ...]", the last entries only if long. */
function fmtLog(log: Map<number, unknown>): string {
  const keys = [...log.keys()].sort((a, b) => a - b);
  const shown = keys.length > 20 ? keys.slice(-20) : keys;
  return `map[${keys.length > 20 ? '... ' : ''}${shown.map((k) => `${k}:${fmtV(log.get(k))}`).join(' ')}]`;
}

const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A random string of n URL-safe base64 characters, from the run's seeded generator (Go's randstring). */
export function randString(n: number): string {
  // One generator for all n characters: finding the caller's stream takes a stack trace, and
  // a 5000-character command would take 5000 of them.
  const rng = drawingRng(currentRuntime(), randString);
  let s = '';
  for (let k = 0; k < n; k++) s += base64url[rng.int(64)];
  return s;
}

/** A random non-negative integer, as Go's rand.Int() (here below 2^53). */
export function randInt(): number {
  return randomInt(Number.MAX_SAFE_INTEGER);
}
