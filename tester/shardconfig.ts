import { asServer, now, sleep } from '../sim/index.ts';
import { Server, Service, type ClientEnd } from '../labrpc/index.ts';
import { Persister } from '../persister/index.ts';
import { MakeClerk as MakeCtrlerClerk, StartServer as StartCtrler, NShards, type Config, type ShardCtrler } from '../shardctrler/index.ts';
import { MakeClerk, StartServer, type Clerk, type ShardKV } from '../shardkv/index.ts';
import { activeRecorder } from '../trace/index.ts';
import { randString } from './config.ts';
import { callGetState, checkConfigShape, fmtShape } from './ctrlerconfig.ts';
import { fail, TestFailure } from './failure.ts';
import { Harness } from './harness.ts';
import { killEach } from './kill.ts';
import { q } from './kvconfig.ts';

/**
 * The shardkv tester's world: a port of 6.5840's `src/shardkv/config.go` (2023), method for
 * method — three controller servers, three replica groups (gids 100, 101, 102) of n servers
 * each, StartServer/ShutdownServer/StartGroup/ShutdownGroup, join/leave through the
 * controller, checklogs — on the simulator, network and Persister of the other labs.
 *
 * What it adds, so that a broken shardkv gets a precise verdict instead of a hang:
 * - it learns every configuration the controller makes (it asks after each join and leave);
 * - the test Clerks' ends report each reply they carry: a group that answers a Get/Put/Append
 *   (OK or ErrNoKey) for a shard that no configuration so far gave it fails the test at once,
 *   naming the key, the shard, the group and the configurations;
 * - each Clerk call is tracked with the key, its shard, the shard's owner and the last reply,
 *   which the 120 s limit report and the value checks show.
 * Like kvraft's harness, a server admits at most one Clerk request per clientRequestIntervalMs
 * of virtual time (see kvconfig.ts for why).
 */

/** Client end names are random strings of this length. */
const endNameLength = 20;
/** A server admits at most one test Clerk request per this many ms (see kvconfig.ts). */
const clientRequestIntervalMs = 10;
/** Controller replicas, as in Go. */
const nctrlers = 3;
/** Replica groups, as in Go: gids 100, 101, 102. */
const ngroups = 3;

/** Which shard is a key in: the tester's own copy of key2shard (the student's may differ). */
export function shardOf(key: string): number {
  return key.length > 0 ? key.charCodeAt(0) % NShards : 0;
}

/** The Clerk calls a 4B test makes. */
export interface ShardClerk {
  Get(key: string): Promise<string>;
  Put(key: string, value: string): Promise<void>;
  Append(key: string, value: string): Promise<void>;
}

export interface ShardConfigOptions {
  /** The shardkv server to test; defaults to shardkv/server.ts. */
  startServer?: typeof StartServer;
  /** The Clerk to test; defaults to shardkv/client.ts. */
  makeClerk?: (ctrlers: ClientEnd[], makeEnd: (servername: string) => ClientEnd) => Pick<Clerk, 'Get' | 'Put' | 'Append'>;
}

/** One replica group of the tester. */
export interface Group {
  gid: number;
  servers: (ShardKV | null)[];
  saved: (Persister | null)[];
  /** endnames[i][j]: server i's end to server j of the group. */
  endnames: (string[] | null)[];
  /** mendnames[i][j]: server i's end to controller j. */
  mendnames: (string[] | null)[];
  /** Ends server i made with make_end (to other groups), to cut on shutdown. */
  madeEnds: string[][];
}

/** The last reply a Clerk's end carried back, for verdicts. */
interface Answer {
  server: string;
  gid: number;
  method: string;
  err: string;
  atMs: number;
}

export class ShardConfig extends Harness {
  readonly n: number;
  readonly maxraftstate: number;
  readonly ngroups = ngroups;
  readonly groups: Group[] = [];
  readonly ctrlerservers: (ShardCtrler | null)[] = new Array<ShardCtrler | null>(nctrlers).fill(null);
  /** The tester's own controller Clerk (cfg.mck in Go). */
  readonly mck: ReturnType<typeof MakeCtrlerClerk>;
  /** Every configuration the controller made, by number, as far as the tester knows. */
  readonly configs = new Map<number, Config>();

  private readonly start: typeof StartServer;
  private readonly make: NonNullable<ShardConfigOptions['makeClerk']>;
  private readonly admitFreeMs = new Map<string, number>();
  private readonly clerkEnds = new Map<number, string[]>();
  private readonly lastAnswer = new Map<number, Answer>();
  private nextClientId: number;
  private learning: Promise<void> = Promise.resolve();

  constructor(n: number, unreliable: boolean, maxraftstate: number, options: ShardConfigOptions = {}) {
    super();
    this.n = n;
    this.maxraftstate = maxraftstate;
    this.start = options.startServer ?? StartServer;
    this.make = options.makeClerk ?? MakeClerk;
    const recorder = activeRecorder();
    recorder?.attachNetwork(this.net);
    recorder?.meta({ servers: 0 });

    this.watchVotes((server) => {
      const ctrler = /^ctrler(\d+)$/.exec(server);
      if (ctrler !== null) return { group: 'the controller group', index: Number(ctrler[1]), size: nctrlers };
      const member = /^server-(\d+)-(\d+)$/.exec(server);
      return member === null ? undefined : { group: `group ${member[1]}`, index: Number(member[2]), size: n };
    });

    // controllers
    for (let i = 0; i < nctrlers; i++) this.startCtrlerserver(i);
    this.mck = this.shardclerk();
    this.configs.set(0, { Num: 0, Shards: new Array<number>(NShards).fill(0), Groups: {} });

    for (let gi = 0; gi < ngroups; gi++) {
      const gg: Group = {
        gid: 100 + gi,
        servers: new Array<ShardKV | null>(n).fill(null),
        saved: new Array<Persister | null>(n).fill(null),
        endnames: new Array<string[] | null>(n).fill(null),
        mendnames: new Array<string[] | null>(n).fill(null),
        madeEnds: Array.from({ length: n }, () => []),
      };
      this.groups.push(gg);
      for (let i = 0; i < n; i++) this.StartServer(gi, i);
    }

    this.nextClientId = n + 1000; // client ids start 1000 above the highest serverid
    this.net.setReliable(!unreliable);
  }

  peers(): number {
    return this.n;
  }

  protected killAll(): { error: unknown } | undefined {
    const servers = this.groups.flatMap((g) => g.servers);
    return killEach([...servers, ...this.ctrlerservers]);
  }

  /** Check that no server's log is too big (and that none snapshots when maxraftstate is -1). */
  checklogs(): void {
    for (const gg of this.groups) {
      for (let i = 0; i < this.n; i++) {
        const raft = gg.saved[i]?.RaftStateSize() ?? 0;
        const snap = gg.saved[i]?.SnapshotSize() ?? 0;
        if (this.maxraftstate >= 0 && raft > 8 * this.maxraftstate) {
          fail('checklogs', `persister.RaftStateSize() ${raft}, but maxraftstate ${this.maxraftstate}`, { expected: `at most ${8 * this.maxraftstate} bytes of Raft state`, seen: `${raft} bytes at ${servername(gg.gid, i)}` });
        }
        if (this.maxraftstate < 0 && snap > 0) {
          fail('checklogs', 'maxraftstate is -1, but snapshot is non-empty!', { expected: 'no snapshot', seen: `a snapshot of ${snap} bytes at ${servername(gg.gid, i)}` });
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Servers

  /** Shuts server i of group gi down by isolating it; its persisted state is kept. */
  ShutdownServer(gi: number, i: number): void {
    const gg = this.group(gi);
    // prevent this server from sending
    for (const name of gg.endnames[i] ?? []) this.net.enable(name, false);
    for (const name of gg.mendnames[i] ?? []) this.net.enable(name, false);
    for (const name of gg.madeEnds[i]!) this.net.enable(name, false);
    // disable client connections to the server, before the persister is replaced.
    this.net.deleteServer(servername(gg.gid, i));
    const old = gg.saved[i];
    if (old !== null) gg.saved[i] = old.Copy();
    const kv = gg.servers[i];
    if (kv !== null) {
      asServer(servername(gg.gid, i), () => kv.Kill());
      gg.servers[i] = null;
    }
  }

  ShutdownGroup(gi: number): void {
    for (let i = 0; i < this.n; i++) this.ShutdownServer(gi, i);
  }

  /** Starts server i of group gi with its last persisted state. */
  StartServer(gi: number, i: number): void {
    const gg = this.group(gi);
    const me = servername(gg.gid, i);
    // a fresh set of outgoing ClientEnd names to the other servers of this group.
    const names = Array.from({ length: this.n }, () => randString(endNameLength));
    gg.endnames[i] = names;
    const ends = names.map((name, j) => this.endTo(name, servername(gg.gid, j), me));
    // ends to talk to the controllers
    const mnames = Array.from({ length: nctrlers }, () => randString(endNameLength));
    gg.mendnames[i] = mnames;
    const mends = mnames.map((name, j) => this.endTo(name, ctrlername(j), me));
    gg.madeEnds[i] = [];
    const made = gg.madeEnds[i]!;

    const old = gg.saved[i];
    const persister = old !== null ? old.Copy() : new Persister();
    gg.saved[i] = persister;

    const makeEnd = (server: string): ClientEnd => {
      const name = randString(endNameLength);
      made.push(name);
      return this.endTo(name, String(server), me);
    };
    const kv = asServer(me, () => this.start(ends, i, persister, this.maxraftstate, gg.gid, mends, makeEnd));
    checkShardKV(kv, me);
    gg.servers[i] = kv;

    const srv = new Server();
    srv.addService(new Service(kv, 'ShardKV'));
    srv.addService(new Service(kv.rf, 'Raft'));
    this.net.addServer(me, srv);
  }

  StartGroup(gi: number): void {
    for (let i = 0; i < this.n; i++) this.StartServer(gi, i);
  }

  /** [true, i] for the first running server of group gi that believes it leads. */
  leader(gi: number): [ok: boolean, leader: number] {
    const gg = this.group(gi);
    for (let i = 0; i < this.n; i++) {
      const kv = gg.servers[i];
      if (kv !== null && callGetState(kv, servername(gg.gid, i))[1]) return [true, i];
    }
    return [false, 0];
  }

  private startCtrlerserver(i: number): void {
    const me = ctrlername(i);
    const ends = Array.from({ length: nctrlers }, (_, j) => this.endTo(randString(endNameLength), ctrlername(j), me));
    const p = new Persister();
    const sc = asServer(me, () => StartCtrler(ends, i, p));
    this.ctrlerservers[i] = sc;
    const srv = new Server();
    srv.addService(new Service(sc, 'ShardCtrler'));
    srv.addService(new Service(sc.rf, 'Raft'));
    this.net.addServer(me, srv);
  }

  private shardclerk(): ReturnType<typeof MakeCtrlerClerk> {
    const ends = Array.from({ length: nctrlers }, (_, j) => this.endTo(randString(endNameLength), ctrlername(j), 'mck'));
    return MakeCtrlerClerk(ends);
  }

  /** A fresh end `name` to `server`, enabled; named for the trace. */
  private endTo(name: string, server: string, from: string): ClientEnd {
    const end = this.net.makeEnd(name);
    this.net.connect(name, server);
    this.net.enable(name, true);
    activeRecorder()?.nameEnd(name, from, server);
    return end;
  }

  // ---------------------------------------------------------------------------------------
  // Configuration changes

  /** Tells the controller that group gi is joining. */
  async join(gi: number): Promise<void> {
    await this.joinm([gi]);
  }

  async joinm(gis: number[]): Promise<void> {
    const m: Record<number, string[]> = {};
    for (const g of gis) {
      const gid = this.group(g).gid;
      m[gid] = Array.from({ length: this.n }, (_, i) => servername(gid, i));
    }
    await this.calls.track(0, `controller Join(${gis.map((g) => 100 + g).join(' ')})`, () => this.mck.Join(m));
    await this.learnConfigs();
  }

  /** Tells the controller that group gi is leaving. */
  async leave(gi: number): Promise<void> {
    await this.leavem([gi]);
  }

  async leavem(gis: number[]): Promise<void> {
    const gids = gis.map((g) => this.group(g).gid);
    await this.calls.track(0, `controller Leave(${gids.join(' ')})`, () => this.mck.Leave(gids));
    await this.learnConfigs();
  }

  /** The latest configuration the tester knows of. */
  latestConfig(): Config {
    return this.configs.get(Math.max(...this.configs.keys()))!;
  }

  /** Asks the controller for every configuration the tester has not seen yet. */
  learnConfigs(): Promise<void> {
    const run = this.learning.then(async () => {
      const latest = await this.calls.track(0, 'controller Query(-1)', () => this.mck.Query(-1));
      checkConfigShape(latest, 'the controller Clerk Query(-1)');
      for (let num = 1; num < latest.Num; num++) {
        if (this.configs.has(num)) continue;
        const c = await this.calls.track(0, `controller Query(${num})`, () => this.mck.Query(num));
        checkConfigShape(c, `the controller Clerk Query(${num})`);
        this.configs.set(c.Num, c);
      }
      this.configs.set(latest.Num, latest);
    });
    this.learning = run.catch(() => undefined);
    return run;
  }

  /** "1:100 2:101 3:101": the owner of shard s in each configuration the tester knows. */
  ownerHistory(shard: number): string {
    return [...this.configs.keys()]
      .sort((a, b) => a - b)
      .filter((num) => num > 0)
      .map((num) => `${num}:${this.configs.get(num)!.Shards[shard]}`)
      .join(' ');
  }

  /** "shard 3, owned by group 101 in configuration 4 (the latest the tester knows)". */
  describeShard(key: string): string {
    const shard = shardOf(key);
    const latest = this.latestConfig();
    return `key ${q(key)} is in shard ${shard}, owned by group ${latest.Shards[shard]} in configuration ${latest.Num} (the latest); owners of shard ${shard} by configuration: ${this.ownerHistory(shard) || 'none yet'}`;
  }

  /** What the last reply to Clerk `id` was, or that none came. */
  describeLastAnswer(id: number): string {
    const a = this.lastAnswer.get(id);
    if (a === undefined) return 'no shardkv server has replied to this Clerk yet';
    return `the last reply came from ${a.server} (group ${a.gid}) to ${a.method}: ${a.err || '(no Err)'} at ${(a.atMs / 1000).toFixed(3)} s`;
  }

  // ---------------------------------------------------------------------------------------
  // Clients

  /** A Clerk of the sharded service, tracked and checked. */
  makeClient(): ShardClerk {
    const id = this.nextClientId++;
    const me = `clerk-${id}`;
    const names: string[] = [];
    const ends = Array.from({ length: nctrlers }, (_, j) => {
      const name = randString(endNameLength);
      names.push(name);
      return this.endTo(name, ctrlername(j), me);
    });
    const makeEnd = (server: string): ClientEnd => {
      const name = randString(endNameLength);
      names.push(name);
      return this.watched(this.endTo(name, String(server), me), String(server), id);
    };
    const clerk = this.make(ends, makeEnd);
    checkShardClerk(clerk);
    this.clerkEnds.set(id, names);
    return new TrackedShardClerk(clerk, id, this);
  }

  deleteClient(ck: ShardClerk): void {
    const id = (ck as TrackedShardClerk).id;
    for (const name of this.clerkEnds.get(id) ?? []) this.net.deleteEnd(name);
    this.clerkEnds.delete(id);
  }

  /** @internal Forgets the last reply of Clerk id (a new call starts). */
  resetAnswer(id: number): void {
    this.lastAnswer.delete(id);
  }

  /**
   * A test Clerk's end to a shardkv server: admitted at the server's rate, and every reply it
   * carries is noted, and judged: an answer for a shard the group never owned fails the test.
   */
  private watched(end: ClientEnd, server: string, clerk: number): ClientEnd {
    return {
      Call: async (svcMeth: string, args: object, reply: object): Promise<boolean> => {
        const at = Math.max(now(), this.admitFreeMs.get(server) ?? 0);
        this.admitFreeMs.set(server, at + clientRequestIntervalMs);
        if (at > now()) await sleep(at - now());
        const ok = await end.Call(svcMeth, args, reply);
        if (ok) await this.noteAnswer(clerk, server, svcMeth, args, reply);
        return ok;
      },
    };
  }

  private async noteAnswer(clerk: number, server: string, svcMeth: string, args: object, reply: object): Promise<void> {
    const gid = gidOf(server);
    const err = String((reply as { Err?: unknown }).Err ?? '');
    this.lastAnswer.set(clerk, { server, gid, method: svcMeth, err, atMs: now() });
    const key = (args as { Key?: unknown }).Key;
    if (typeof key !== 'string' || !(svcMeth === 'ShardKV.Get' || svcMeth === 'ShardKV.PutAppend') || !(err === 'OK' || err === 'ErrNoKey')) return;
    const shard = shardOf(key);
    if (this.everOwned(gid, shard)) return;
    // The configuration that gives it the shard may be newer than the tester has asked for.
    try {
      await this.learnConfigs();
    } catch (e) {
      this.recordBackgroundFailure(e); // a controller that answers no Config: that is the verdict
      return;
    }
    if (this.everOwned(gid, shard) || this.isFinished()) return;
    const op = svcMeth === 'ShardKV.Get' ? `Get(${q(key)})` : `${String((args as { Op?: unknown }).Op ?? 'PutAppend')}(${q(key)}, ...)`;
    this.recordBackgroundFailure(
      new TestFailure('wrong-group', `group ${gid} answered ${op} for shard ${shard}, which no configuration has given it`, {
        expected: `an answer (OK or ErrNoKey) only from a group that owns shard ${shard}; a group that does not must reply ErrWrongGroup`,
        seen: `${server} (group ${gid}) replied ${err} to Clerk ${clerk}; ${this.describeShard(key)}; configurations 1..${this.latestConfig().Num} known`,
      }),
    );
  }

  private everOwned(gid: number, shard: number): boolean {
    for (const c of this.configs.values()) if (c.Shards[shard] === gid) return true;
    return false;
  }

  private group(gi: number): Group {
    const gg = this.groups[gi];
    if (gg === undefined) throw new RangeError(`tester: there is no group ${gi}; groups are 0..${ngroups - 1}`);
    return gg;
  }
}

/** Controller server name for labrpc. */
export function ctrlername(i: number): string {
  return `ctrler${i}`;
}

/** Shard server name for labrpc: i'th server of group gid. */
export function servername(gid: number, i: number): string {
  return `server-${gid}-${i}`;
}

/** The gid in a server name "server-<gid>-<i>" (-1 if it is not one). */
function gidOf(server: string): number {
  const m = /^server-(\d+)-\d+$/.exec(server);
  return m === null ? -1 : Number(m[1]);
}

/** The student's Clerk as the tests call it: tracked with its key's shard and last reply. */
class TrackedShardClerk implements ShardClerk {
  constructor(
    private readonly clerk: Pick<Clerk, 'Get' | 'Put' | 'Append'>,
    readonly id: number,
    private readonly cfg: ShardConfig,
  ) {}

  async Get(key: string): Promise<string> {
    const value: unknown = await this.run(`Get(${q(key)})`, key, () => this.clerk.Get(key));
    if (typeof value !== 'string') {
      fail('Get', `Clerk.Get(${q(key)}) returned ${fmtShape(value)}, not a string`, { expected: 'a string: the value, or "" if the key does not exist', seen: fmtShape(value) });
    }
    return value;
  }

  Put(key: string, value: string): Promise<void> {
    return this.run(`Put(${q(key)}, ${q(value)})`, key, () => this.clerk.Put(key, value));
  }

  Append(key: string, value: string): Promise<void> {
    return this.run(`Append(${q(key)}, ${q(value)})`, key, () => this.clerk.Append(key, value));
  }

  private run<T>(what: string, key: string, call: () => Promise<T>): Promise<T> {
    this.cfg.resetAnswer(this.id);
    return this.cfg.calls.track(this.id, what, call, () => `${this.cfg.describeShard(key)}; ${this.cfg.describeLastAnswer(this.id)}`);
  }
}

function checkShardKV(kv: unknown, name: string): asserts kv is ShardKV {
  const k = kv as Record<string, unknown> | null;
  const missing = ['Get', 'PutAppend', 'Kill'].filter((m) => k === null || typeof k !== 'object' || typeof k[m] !== 'function');
  const rf = k?.rf as Record<string, unknown> | undefined;
  if (rf === null || typeof rf !== 'object' || typeof rf.GetState !== 'function') missing.push('rf (its Raft, with GetState)');
  if (missing.length > 0) {
    fail('StartServer', `StartServer() of ${name} returned something that is not a ShardKV`, {
      expected: 'an object with handlers Get and PutAppend, Kill(), and its Raft in the field rf (returned at once, not a Promise)',
      seen: `${fmtShape(kv)} (missing ${missing.join(', ')})`,
    });
  }
}

function checkShardClerk(ck: unknown): void {
  const c = ck as Record<string, unknown> | null;
  const missing = ['Get', 'Put', 'Append'].filter((m) => c === null || typeof c !== 'object' || typeof c[m] !== 'function');
  if (missing.length > 0) fail('MakeClerk', 'MakeClerk() returned something that is not a shardkv Clerk', { expected: 'an object with methods Get, Put and Append', seen: `${fmtShape(ck)} (missing ${missing.join(', ')})` });
}
