/**
 * The playground's cluster: n servers running the student's Raft on labrpc, as the tester's
 * config builds them (fresh end names on restart, a persister copy across a crash), plus what
 * the page needs: links cut one by one, a drop rate and per-hop delays of its own, and every
 * RPC hop reported as a Flight for the animation. In a kv scene each server is the student's
 * KVServer (with its Raft inside), and Clerks get ends of their own toward every server.
 */
import { Channel, asServer, now, randomInt, sleep } from '../../sim/index.ts';
import { Network, Server, Service, encode, decode, type ClientEnd } from '../../labrpc/index.ts';
import { Persister } from '../../persister/index.ts';
import { Make, type ApplyMsg } from '../../raft/raft.ts';
import { describeCommand } from './inspect.ts';
import { checkKvServer, tapApplyCh, type KvServerLike } from './kv-server.ts';
import type { KvBinding } from './kv-source.ts';
import { clerkAt, type Flight, type FlightFate } from './protocol.ts';

/** What the cluster needs of a Raft: the student API. */
export interface RaftLike {
  Start(command: unknown): unknown;
  GetState(): unknown;
  Kill(): void;
}

/** Builds one server's Raft: the student's Make, unless a test passes another. */
export type MakeRaft = (peers: ClientEnd[], me: number, persister: Persister, applyCh: Channel<ApplyMsg>) => RaftLike;

/** Receives what the cluster sees happen: RPC hops and applied entries. */
export interface ClusterObserver {
  flight(f: Flight): void;
  applied(server: number, msg: ApplyMsg): void;
  crashed(server: number): void;
  started(server: number, index: number, term: number, isLeader: boolean): void;
}

/** A kv scene's servers: StartKVServer of the student's kvraft, never snapshotting unless asked. */
export interface KvMode {
  binding: KvBinding;
  maxraftstate: number;
}

export interface NetSettings {
  dropRate: number;
  delayMinMs: number;
  delayMaxMs: number;
}

const endNameLength = 20;
const endAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function randomName(): string {
  let s = '';
  for (let i = 0; i < endNameLength; i++) s += endAlphabet[randomInt(endAlphabet.length)];
  return s;
}

/** A few words about an RPC's arguments or reply, by Figure 2's field names where present. */
function label(method: string, value: unknown, reply: boolean): string {
  if (value === null || typeof value !== 'object') return '';
  const v = value as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof v.Term === 'number') parts.push(`T${v.Term}`);
  if (reply) {
    if (typeof v.VoteGranted === 'boolean') parts.push(v.VoteGranted ? 'granted' : 'denied');
    if (typeof v.Success === 'boolean') parts.push(v.Success ? 'ok' : 'reject');
  } else if (method.endsWith('AppendEntries')) {
    if (typeof v.PrevLogIndex === 'number') parts.push(`prev ${v.PrevLogIndex}`);
    if (Array.isArray(v.Entries)) parts.push(v.Entries.length === 0 ? 'heartbeat' : `+${v.Entries.length}`);
    if (typeof v.LeaderCommit === 'number') parts.push(`commit ${v.LeaderCommit}`);
  } else if (method.endsWith('InstallSnapshot')) {
    if (typeof v.LastIncludedIndex === 'number') parts.push(`snap ${v.LastIncludedIndex}`);
  }
  return parts.join(' ');
}

export class PlaygroundCluster {
  readonly net = new Network();
  readonly rafts: (RaftLike | null)[];
  /** Highest index each server applied, and the command applied at each index. */
  readonly appliedIndex: number[];
  /** The last command each server's Raft applied (index and short text), for drawing. */
  readonly lastApplied: ({ index: number; command: string } | undefined)[];
  /** In kv mode: each running server's KVServer. */
  readonly kvServers: (KvServerLike | null)[];
  private readonly endNames: string[][];
  private readonly clerkEndNames: string[][] = [];
  private readonly persisters: Persister[];
  private readonly cut: boolean[][];
  private nextFlight = 1;
  private nextRpc = 1;
  /** RPCs sent, by the sending end (server id, or a Clerk's negative endpoint). */
  private readonly sent = new Map<number, number>();

  constructor(
    readonly n: number,
    public settings: NetSettings,
    private readonly observer: ClusterObserver,
    private readonly make: MakeRaft = Make as unknown as MakeRaft,
    /** Run the student's KVServer on each server instead of a bare Raft. */
    readonly kv?: KvMode,
  ) {
    this.rafts = Array.from({ length: n }, () => null);
    this.appliedIndex = Array.from({ length: n }, () => 0);
    this.lastApplied = Array.from({ length: n }, () => undefined);
    this.kvServers = Array.from({ length: n }, () => null);
    this.endNames = Array.from({ length: n }, () => []);
    this.persisters = Array.from({ length: n }, () => new Persister());
    this.cut = Array.from({ length: n }, () => Array.from({ length: n }, () => false));
    for (let i = 0; i < n; i++) this.start(i);
  }

  alive(i: number): boolean {
    return this.rafts[i] !== null;
  }

  /** Whether a message from a to b gets through the wiring (both up, link not cut); a Clerk reaches every live server. */
  linkUp(a: number, b: number): boolean {
    if (clerkAt(a) !== undefined) return this.alive(b);
    if (clerkAt(b) !== undefined) return this.alive(a);
    return this.alive(a) && this.alive(b) && !this.cut[a]![b];
  }

  cuts(): [number, number][] {
    const out: [number, number][] = [];
    for (let a = 0; a < this.n; a++) for (let b = a + 1; b < this.n; b++) if (this.cut[a]![b]) out.push([a, b]);
    return out;
  }

  /** Starts (or restarts) server i from what it persisted. */
  start(i: number): void {
    if (this.alive(i)) return;
    const names = Array.from({ length: this.n }, () => randomName());
    this.endNames[i] = names;
    const ends: ClientEnd[] = names.map((name, j) => {
      const end = this.net.makeEnd(name);
      this.net.connect(name, j);
      return this.wrap(end, i, j);
    });
    const persister = this.persisters[i]!.Copy();
    this.persisters[i] = persister;
    this.appliedIndex[i] = 0;
    this.lastApplied[i] = undefined;
    const server = new Server();
    if (this.kv !== undefined) {
      const { binding, maxraftstate } = this.kv;
      const kv = checkKvServer(asServer(String(i), () => binding.StartKVServer(ends, i, persister, maxraftstate)), i);
      this.kvServers[i] = kv;
      this.rafts[i] = kv.rf;
      // The KVServer reads its own applyCh: the page sees what its Raft sends there as it is sent.
      tapApplyCh(kv, (msg) => {
        if (this.kvServers[i] === kv) this.noteApplied(i, msg);
      });
      server.addService(new Service(kv, 'KVServer'));
      server.addService(new Service(kv.rf, 'Raft'));
    } else {
      const applyCh = new Channel<ApplyMsg>(0, `applyCh of server ${i}`);
      const rf = asServer(String(i), () => this.make(ends, i, persister, applyCh));
      this.rafts[i] = rf;
      void this.drain(i, applyCh);
      server.addService(new Service(rf, 'Raft'));
    }
    this.net.addServer(i, server);
    this.rewire();
  }

  /** Ends for a new Clerk (number `clerk`) toward every server, through the playground's network. */
  clerkEnds(clerk: number): ClientEnd[] {
    const names = Array.from({ length: this.n }, () => randomName());
    this.clerkEndNames[clerk] = names;
    const ends = names.map((name, j) => {
      const end = this.net.makeEnd(name);
      this.net.connect(name, j);
      return this.wrap(end, -1 - clerk, j);
    });
    this.rewire();
    return ends;
  }

  /** Crashes server i: it is killed and cut off; what it persisted survives for a restart. */
  crash(i: number): void {
    const rf = this.rafts[i];
    if (rf === null || rf === undefined) return;
    const kv = this.kvServers[i];
    this.rafts[i] = null;
    this.kvServers[i] = null;
    this.net.deleteServer(i);
    // The killed instance may still write to its persister; the next start gets a copy taken now.
    this.persisters[i] = this.persisters[i]!.Copy();
    asServer(String(i), () => (kv !== null ? kv.Kill() : rf.Kill()));
    this.observer.crashed(i);
    this.rewire();
  }

  setCut(a: number, b: number, isCut: boolean): void {
    if (a === b) return;
    this.cut[a]![b] = isCut;
    this.cut[b]![a] = isCut;
    this.rewire();
  }

  /**
   * Hands `command` to `only`, or else to whichever live server says it leads; the server that
   * took it, or undefined if none did.
   */
  submit(command: unknown, only?: number): number | undefined {
    for (let i = 0; i < this.n; i++) {
      if (only !== undefined && i !== only) continue;
      const rf = this.rafts[i];
      if (rf === null || rf === undefined) continue;
      try {
        const [, isLeader] = rf.GetState() as [number, boolean];
        if (isLeader !== true) continue;
        const r = asServer(String(i), () => rf.Start(command)) as [number, number, boolean];
        if (Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number') this.observer.started(i, r[0], r[1], r[2] === true);
        if (Array.isArray(r) && r[2] === true) return i;
      } catch {
        // The monitor reports a GetState that throws; Start throwing fails the run by itself.
      }
    }
    return undefined;
  }

  /** How many RPCs `endpoint` (a server id, or clerkEndpoint(c)) has sent. */
  callsFrom(endpoint: number): number {
    return this.sent.get(endpoint) ?? 0;
  }

  /** Kills every Raft, for the end of a run. */
  shutdown(): void {
    for (let i = 0; i < this.n; i++) this.crash(i);
    this.net.cleanup();
  }

  private rewire(): void {
    for (let a = 0; a < this.n; a++) {
      const names = this.endNames[a]!;
      for (let b = 0; b < this.n; b++) {
        const name = names[b];
        if (name !== undefined) this.net.enable(name, a === b ? this.alive(a) : this.linkUp(a, b));
      }
    }
    for (const names of this.clerkEndNames) names.forEach((name, j) => this.net.enable(name, this.alive(j)));
  }

  private async drain(i: number, applyCh: Channel<ApplyMsg>): Promise<void> {
    for await (const msg of applyCh) this.noteApplied(i, msg);
  }

  private noteApplied(i: number, msg: ApplyMsg): void {
    if (msg !== null && typeof msg === 'object') {
      if (msg.CommandValid === true && typeof msg.CommandIndex === 'number') {
        this.appliedIndex[i] = Math.max(this.appliedIndex[i]!, msg.CommandIndex);
        this.lastApplied[i] = { index: msg.CommandIndex, command: describeCommand(msg.Command, 40) };
      }
      if (msg.SnapshotValid === true && typeof msg.SnapshotIndex === 'number') {
        this.appliedIndex[i] = Math.max(this.appliedIndex[i]!, msg.SnapshotIndex);
        this.lastApplied[i] = { index: msg.SnapshotIndex, command: 'a snapshot' };
      }
    }
    this.observer.applied(i, msg);
  }

  private delay(): number {
    const { delayMinMs: lo, delayMaxMs: hi } = this.settings;
    return lo + (hi > lo ? randomInt(hi - lo + 1) : 0);
  }

  private dropped(): boolean {
    const p = this.settings.dropRate;
    return p > 0 && randomInt(1000) < Math.round(p * 1000);
  }

  private emit(rpc: number, from: number, to: number, method: string, reply: boolean, delayMs: number, fate: FlightFate, value: unknown): void {
    const t0 = now();
    this.observer.flight({ id: this.nextFlight++, rpc, from, to, method, reply, t0, t1: t0 + delayMs, fate, label: label(method, value, reply) });
  }

  /**
   * An end of server `from` toward `to`, with the playground's drops and delays around the
   * labrpc call. The arguments are copied when Call is made, as labrpc copies them.
   */
  private wrap(inner: ClientEnd, from: number, to: number): ClientEnd {
    return {
      Call: async (svcMeth: string, args: object, reply: object): Promise<boolean> => {
        const sent = decode<object>(encode(args, `args of ${svcMeth}`));
        const rpc = this.nextRpc++;
        this.sent.set(from, (this.sent.get(from) ?? 0) + 1);
        const requestMs = this.delay();
        const dropRequest = this.dropped();
        this.emit(rpc, from, to, svcMeth, false, requestMs, dropRequest ? 'dropped' : this.linkUp(from, to) ? 'delivered' : 'lost', sent);
        await sleep(requestMs);
        if (dropRequest) return false;
        const answer: Record<string, unknown> = {};
        const ok = await inner.Call(svcMeth, sent, answer);
        if (!ok) return false;
        const replyMs = this.delay();
        const dropReply = this.dropped();
        this.emit(rpc, to, from, svcMeth, true, replyMs, dropReply ? 'dropped' : this.linkUp(to, from) ? 'delivered' : 'lost', answer);
        await sleep(replyMs);
        if (dropReply || !this.linkUp(to, from)) return false;
        Object.assign(reply, answer);
        return true;
      },
    };
  }
}

export { describeCommand };
