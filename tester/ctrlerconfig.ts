import { ServerMesh } from './mesh.ts';
import { inspect } from 'node:util';
import { asServer } from '../sim/index.ts';
import { Server, Service, type ClientEnd } from '../labrpc/index.ts';
import { Persister } from '../persister/index.ts';
import { MakeClerk, StartServer, NShards, type Clerk, type Config, type ShardCtrler } from '../shardctrler/index.ts';
import { randString, randInt } from './config.ts';
import { fail } from './failure.ts';
import { killEach } from './kill.ts';
import { Harness } from './harness.ts';

/**
 * The shardctrler tester's cluster: a port of 6.5840's `src/shardctrler/config.go` (2023),
 * method for method. Differences from Go: Clerk calls are tracked (a hang fails at the 120 s
 * limit naming the calls still waiting) and what they return is checked for shape, since
 * TypeScript types do not hold at run time; student code the tester calls runs attributed to
 * its server ("ctrler<i>").
 */

/** Client end names are random strings of this length, fresh for every Clerk and restart. */
const endNameLength = 20;

/** The Clerk calls a 4A test makes (the student's Clerk, tracked and checked). */
export interface CtrlerClerk {
  Query(num: number): Promise<Config>;
  Join(servers: Record<number, string[]>): Promise<void>;
  Leave(gids: number[]): Promise<void>;
  Move(shard: number, gid: number): Promise<void>;
}

export interface CtrlerConfigOptions {
  /** The controller to test; defaults to shardctrler/server.ts. */
  startServer?: typeof StartServer;
  /** The Clerk to test; defaults to shardctrler/client.ts. */
  makeClerk?: (servers: ClientEnd[]) => Pick<Clerk, 'Query' | 'Join' | 'Leave' | 'Move'>;
}

export class CtrlerConfig extends Harness {
  readonly n: number;
  readonly servers: (ShardCtrler | null)[];
  private readonly saved: (Persister | null)[];
  private readonly mesh: ServerMesh;
  private readonly clerks = new Map<CtrlerClerk, string[]>();
  private nextClientId: number;
  private readonly start: typeof StartServer;
  private readonly make: NonNullable<CtrlerConfigOptions['makeClerk']>;

  constructor(n: number, unreliable: boolean, options: CtrlerConfigOptions = {}) {
    super();
    this.n = n;
    this.start = options.startServer ?? StartServer;
    this.make = options.makeClerk ?? MakeClerk;
    this.servers = new Array<ShardCtrler | null>(n).fill(null);
    this.saved = new Array<Persister | null>(n).fill(null);
    this.mesh = new ServerMesh(this.net, n);
    this.nextClientId = n + 1000; // client ids start 1000 above the highest serverid
    this.watchVotes((server) => (/^\d+$/.test(server) && Number(server) < n ? { group: 'the controller group', index: Number(server), size: n } : undefined));
    // create a full set of controller servers.
    for (let i = 0; i < n; i++) this.startServer(i);
    this.connectAll();
    this.net.setReliable(!unreliable);
  }

  peers(): number {
    return this.n;
  }

  protected killAll(): { error: unknown } | undefined {
    return killEach(this.servers);
  }

  /** The largest persisted Raft state of any server, in bytes. */
  logSize(): number {
    return Math.max(0, ...this.saved.map((p) => p?.RaftStateSize() ?? 0));
  }

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
  }


  /** A Clerk with its own ends to every server (in random order); only those to `to` enabled. */
  makeClient(to: number[]): CtrlerClerk {
    const endnames = Array.from({ length: this.n }, () => randString(endNameLength));
    const ends: ClientEnd[] = endnames.map((name, j) => {
      const end = this.net.makeEnd(name);
      this.net.connect(name, j);
      return end;
    });
    const clerk = this.make(randomHandles(ends));
    checkCtrlerClerk(clerk);
    const ck = new TrackedCtrlerClerk(clerk, this.nextClientId++, this);
    this.clerks.set(ck, endnames);
    for (const j of to) this.net.enable(endnames[j]!, true);
    return ck;
  }

  deleteClient(ck: CtrlerClerk): void {
    for (const name of this.clerks.get(ck) ?? []) this.net.deleteEnd(name);
    this.clerks.delete(ck);
  }

  /** Shuts server i down by isolating it; its persisted state is kept for startServer(i). */
  shutdownServer(i: number): void {
    this.disconnect(i, this.all());
    // disable client connections to the server before the persister is replaced, so it
    // cannot answer from state that would not survive.
    this.net.deleteServer(i);
    const old = this.saved[i];
    if (old !== null) this.saved[i] = old.Copy();
    const sc = this.servers[i];
    if (sc !== null) {
      asServer(`ctrler${i}`, () => sc.Kill());
      this.servers[i] = null;
    }
  }

  /** (Re)starts server i with its last persisted state; call shutdownServer first. */
  startServer(i: number): void {
    const names = Array.from({ length: this.n }, () => randString(endNameLength));
    this.mesh.endnames[i] = names;
    const ends: ClientEnd[] = names.map((name, j) => {
      const end = this.net.makeEnd(name);
      this.net.connect(name, j);
      return end;
    });
    const old = this.saved[i];
    const persister = old !== null ? old.Copy() : new Persister();
    this.saved[i] = persister;
    const sc = asServer(`ctrler${i}`, () => this.start(ends, i, persister));
    checkCtrler(sc, `ctrler${i}`);
    this.servers[i] = sc;
    const srv = new Server();
    srv.addService(new Service(sc, 'ShardCtrler'));
    srv.addService(new Service(sc.rf, 'Raft'));
    this.net.addServer(i, srv);
  }

  /** [true, i] for the first running server whose Raft says it leads; [false, 0] if none. */
  leader(): [ok: boolean, leader: number] {
    for (let i = 0; i < this.n; i++) {
      const sc = this.servers[i];
      if (sc === null) continue;
      if (callGetState(sc, `ctrler${i}`)[1]) return [true, i];
    }
    return [false, 0];
  }

}

/** The student's controller Clerk as the tests call it: tracked, and Query's result checked for shape. */
class TrackedCtrlerClerk implements CtrlerClerk {
  constructor(
    private readonly clerk: Pick<Clerk, 'Query' | 'Join' | 'Leave' | 'Move'>,
    readonly id: number,
    private readonly cfg: Harness,
  ) {}

  async Query(num: number): Promise<Config> {
    const c: unknown = await this.cfg.calls.track(this.id, `Query(${num})`, () => this.clerk.Query(num));
    this.cfg.op();
    checkConfigShape(c, `Query(${num})`);
    return c;
  }

  async Join(servers: Record<number, string[]>): Promise<void> {
    await this.cfg.calls.track(this.id, `Join(${inspect(servers, { breakLength: Infinity })})`, () => this.clerk.Join(servers));
    this.cfg.op();
  }

  async Leave(gids: number[]): Promise<void> {
    await this.cfg.calls.track(this.id, `Leave([${gids.join(' ')}])`, () => this.clerk.Leave(gids));
    this.cfg.op();
  }

  async Move(shard: number, gid: number): Promise<void> {
    await this.cfg.calls.track(this.id, `Move(${shard}, ${gid})`, () => this.clerk.Move(shard, gid));
    this.cfg.op();
  }
}

/** Fails unless c is a Config: { Num, Shards: NShards gids, Groups: { gid: [names] } }. */
export function checkConfigShape(c: unknown, what: string): asserts c is Config {
  const x = c as Partial<Config> | null;
  const problem =
    x === null || typeof x !== 'object'
      ? 'it is not an object'
      : !Number.isInteger(x.Num)
        ? 'Num is not a whole number'
        : !Array.isArray(x.Shards) || x.Shards.length !== NShards || !x.Shards.every((g) => Number.isInteger(g))
          ? `Shards is not an array of ${NShards} gids`
          : x.Groups === null || typeof x.Groups !== 'object' || !Object.values(x.Groups).every((s) => Array.isArray(s))
            ? 'Groups is not an object of gid -> server names'
            : undefined;
  if (problem !== undefined) {
    fail('Query', `${what} returned ${fmtShape(c)}, not a Config: ${problem}`, {
      expected: `a Config { Num, Shards: [${NShards} gids], Groups: { gid: [server names] } }`,
      seen: fmtShape(c),
    });
  }
}

function checkCtrler(sc: unknown, name: string): asserts sc is ShardCtrler {
  const k = sc as Record<string, unknown> | null;
  const missing = ['Join', 'Leave', 'Move', 'Query', 'Kill'].filter((m) => k === null || typeof k !== 'object' || typeof k[m] !== 'function');
  const rf = k?.rf as Record<string, unknown> | undefined;
  if (rf === null || typeof rf !== 'object' || typeof rf.GetState !== 'function') missing.push('rf (its Raft, with GetState)');
  if (missing.length > 0) {
    fail('StartServer', `StartServer() of ${name} returned something that is not a ShardCtrler`, {
      expected: 'an object with handlers Join, Leave, Move and Query, Kill(), and its Raft in the field rf (returned at once, not a Promise)',
      seen: `${fmtShape(sc)} (missing ${missing.join(', ')})`,
    });
  }
}

function checkCtrlerClerk(ck: unknown): void {
  const c = ck as Record<string, unknown> | null;
  const missing = ['Query', 'Join', 'Leave', 'Move'].filter((m) => c === null || typeof c !== 'object' || typeof c[m] !== 'function');
  if (missing.length > 0) {
    fail('MakeClerk', 'MakeClerk() returned something that is not a shardctrler Clerk', { expected: 'an object with methods Query, Join, Leave and Move', seen: `${fmtShape(ck)} (missing ${missing.join(', ')})` });
  }
}

/** Calls rf.GetState() of a server whose Raft is in the field rf; checks the result's shape. */
export function callGetState(server: { rf: { GetState(): [number, boolean] } }, name: string): [number, boolean] {
  const r: unknown = asServer(name, () => server.rf.GetState());
  if (!Array.isArray(r) || r.length < 2 || !Number.isInteger(r[0]) || typeof r[1] !== 'boolean') {
    fail('GetState', `rf.GetState() of ${name} returned ${fmtShape(r)}`, { expected: '[term: number, isLeader: boolean], returned at once', seen: fmtShape(r) });
  }
  return [r[0] as number, r[1] as boolean];
}

/** The ends in random order (Go's random_handles), so Clerks cannot assume server 0 leads. */
export function randomHandles(ends: ClientEnd[]): ClientEnd[] {
  const a = [...ends];
  for (let i = 0; i < a.length; i++) {
    const j = i + (randInt() % (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function fmtShape(v: unknown): string {
  return inspect(v, { depth: 3, breakLength: Infinity, maxArrayLength: 12, maxStringLength: 40 });
}
