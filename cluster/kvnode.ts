/**
 * One node of a real cluster: the student's Raft and KVServer, unchanged, over the TCP
 * transport, on a DiskPersister, behind the HTTP API, all on one port.
 *
 * Requests reach the KVServer through the student's own Clerk (kvraft/client.ts), so the API
 * needs to know nothing of how the student names ClientId/SeqNum: a Clerk per request in
 * flight, taken from a bounded pool (a Clerk sends one operation at a time, and its duplicate
 * detection relies on that). Its servers list starts with this node, reached in-process through
 * the same codec, so the usual case costs no network hop. Only the leader serves; another node
 * answers with where the leader is. Nodes learn who leads by asking each other every
 * `infoIntervalMs` ("Node.Info" over the same transport, so the partition switch applies).
 *
 * Beyond DESIGN.md's "the codec of labrpc": this uses labrpc's Server and Service too, so that
 * "Raft.AppendEntries" finds its handler exactly as in the simulator (capitalized methods, the
 * service named after the class) and a handler that throws is reported the same way.
 */
import type { ClientEnd } from '../labrpc/index.ts';
import { Server, Service, encode, decode } from '../labrpc/index.ts';
import { MakeClerk, StartKVServer, type Clerk, type KVServer } from '../kvraft/index.ts';
import { CommitClamp } from './commit-clamp.ts';
import { DiskPersister, type Durability } from './disk-persister.ts';
import { createHttpApi, defaultHttpLimits, type ApiBackend, type HttpLimits, type KvOperation, type OpOutcome, type Route } from './http-api.ts';
import { viewRaft } from './raft-view.ts';
import { LinkSwitch, Transport, formatAddress, listen, type Address, type Listener } from './transport.ts';

export interface NodeOptions {
  id: number;
  /** Every node's address, by id; this node listens on peers[id]'s port. */
  peers: Address[];
  dataDir: string;
  /** Interface to listen on (default: peers[id].host). */
  listenHost?: string;
  /** Snapshot once Raft's state reaches this many bytes (-1: never). Default 8 KiB (see defaultMaxraftstate). */
  maxraftstate?: number;
  durability?: Durability;
  fsync?: boolean;
  /** Testing only: DiskPersisterOptions.writeDelayMaxMs (default 0). */
  diskDelayMs?: number;
  /** RPC deadline of the transport (default 2000 ms). */
  rpcTimeoutMs?: number;
  /** Clerks (requests in flight) at most; more get 503. Default 128. */
  maxClerks?: number;
  /** Nodes reachable at start (a partition kept across a restart); null: all. */
  reachable?: number[] | null;
  limits?: HttpLimits;
  log?: (line: string) => void;
  /** Called if the disk fails under a running node (it must stop). */
  onFatal?: (error: Error) => void;
}

/** How often a node asks the others who they are and whether they lead. */
const infoIntervalMs = 150;
/** A peer's answer counts as current for this long. */
const infoFreshMs = 1000;
/**
 * Raft hands Save its whole state on every Start and every AppendEntries it accepts (the
 * Persister's contract), so each command costs the leader work and garbage in proportion to
 * the Raft state: a small state between snapshots keeps that low. A snapshot costs the size of
 * the key/value state, so a cluster holding a large one should raise --maxraftstate.
 */
const defaultMaxraftstate = 8 * 1024;

/**
 * The node's advice when its key/value snapshot outgrows maxraftstate (undefined otherwise):
 * each snapshot then writes more than the log it replaces, every few kilobytes of commands.
 */
export function snapshotAdvice(snapshotBytes: number, maxraftstate: number): string | undefined {
  if (maxraftstate <= 0 || snapshotBytes <= maxraftstate) return undefined;
  const suggested = 2 ** Math.ceil(Math.log2(4 * snapshotBytes));
  return (
    `the key/value snapshot (${snapshotBytes} bytes) is larger than --maxraftstate (${maxraftstate}): ` +
    `each snapshot writes it all again, and one is taken each time the Raft state reaches about that size. ` +
    `Start the cluster with a larger --maxraftstate (e.g. ${suggested}) to snapshot less often.`
  );
}
const defaultMaxClerks = 128;

interface NodeInfoReply {
  Id?: number;
  Term?: number;
  IsLeader?: boolean;
}

interface PeerView {
  term: number;
  isLeader: boolean;
  atMs: number;
}

/** The "Node" RPC service: who this node is and what it believes. */
class NodeInfoService {
  constructor(private readonly node: RunningNode) {}

  Info(_args: unknown, reply: NodeInfoReply): void {
    const [term, isLeader] = this.node.kv.rf.GetState();
    reply.Id = this.node.id;
    reply.Term = term;
    reply.IsLeader = isLeader;
  }
}

/** Clerks for requests in flight; at most `max`, each used by one request at a time. */
class ClerkPool {
  private readonly idle: Clerk[] = [];
  private busy = 0;

  constructor(
    private readonly make: () => Clerk,
    private readonly max: number,
  ) {}

  get inFlight(): number {
    return this.busy;
  }

  /**
   * Runs `fn` with a Clerk, answering `timeout` after `timeoutMs`. A Clerk retries until it
   * gets an answer, so one that timed out stays busy (and out of the pool) until it does.
   */
  run(fn: (clerk: Clerk) => Promise<string>, timeoutMs: number): Promise<OpOutcome> {
    if (this.busy >= this.max) return Promise.resolve({ kind: 'busy' });
    const clerk = this.idle.pop() ?? this.make();
    this.busy++;
    const work = fn(clerk).finally(() => {
      this.busy--;
      this.idle.push(clerk);
    });
    return new Promise<OpOutcome>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve({ kind: 'ok', value });
        },
        () => {
          clearTimeout(timer);
          resolve({ kind: 'timeout' });
        },
      );
    });
  }
}

export class RunningNode {
  readonly id: number;
  readonly peers: Address[];
  readonly persister: DiskPersister;
  private readonly maxraftstate: number;
  private snapshotAdviceGiven = false;
  readonly transport: Transport;
  readonly kv: KVServer;
  readonly startedAtMs = Date.now();
  private readonly views: (PeerView | undefined)[];
  private readonly clerks: ClerkPool;
  private readonly switch: LinkSwitch;
  private readonly log: (line: string) => void;
  private listener: Listener | undefined;
  private infoTimer: NodeJS.Timeout | undefined;
  private httpStats: Record<string, number> = {};
  private stopped = false;

  constructor(options: NodeOptions) {
    const n = options.peers.length;
    if (!Number.isInteger(options.id) || options.id < 0 || options.id >= n) {
      throw new RangeError(`node id ${options.id} is not one of 0..${n - 1} (there are ${n} peers)`);
    }
    this.id = options.id;
    this.peers = options.peers;
    this.log = options.log ?? (() => {});
    this.views = options.peers.map(() => undefined);
    this.switch = new LinkSwitch();
    this.switch.set(options.reachable ?? null);
    // The disk first: a damaged or unwritable folder stops the node before it says anything.
    this.persister = DiskPersister.open(options.dataDir, {
      durability: options.durability ?? 'batch',
      fsync: options.fsync ?? true,
      writeDelayMaxMs: options.diskDelayMs,
      log: (line) => this.log(`persister: ${line}`),
      onFailure: (e) => {
        this.log(`persister: ${e.message}`);
        options.onFatal?.(e);
      },
    });
    const server = new Server();
    this.transport = new Transport({
      me: this.id,
      peers: options.peers,
      dispatcher: server,
      gate: this.persister,
      // AppendEntries requests leave before the leader's flush (its LeaderCommit clamped), so
      // the leader writes its log while the followers write theirs.
      earlySend: new CommitClamp(this.persister),
      switch: this.switch,
      deadlineMs: options.rpcTimeoutMs,
      log: this.log,
    });
    const ends = options.peers.map((_, j) => this.transport.end(j));
    this.maxraftstate = options.maxraftstate ?? defaultMaxraftstate;
    this.kv = StartKVServer(ends, this.id, this.persister, this.maxraftstate);
    server.addService(new Service(this.kv));
    server.addService(new Service(this.kv.rf));
    server.addService(new Service(new NodeInfoService(this), 'Node'));

    // A Clerk's servers: this node first (in-process, same codec), then the others in order.
    const local: ClientEnd = {
      Call: async (svcMeth, args, reply) => {
        try {
          const bytes = await server.dispatch(svcMeth, encode(args, `args of ${svcMeth}`), `S${this.id}`);
          Object.assign(reply, decode(bytes));
          return true;
        } catch (e) {
          this.log(`node: local call ${svcMeth} failed: ${(e as Error).message}`);
          return false;
        }
      },
    };
    const clerkEnds = Array.from({ length: n }, (_, k) => {
      const j = (this.id + k) % n;
      return j === this.id ? local : ends[j]!;
    });
    this.clerks = new ClerkPool(() => MakeClerk(clerkEnds), options.maxClerks ?? defaultMaxClerks);
  }

  /** Listens on the node's port and starts asking peers who leads. */
  async start(options: NodeOptions): Promise<void> {
    const backend: ApiBackend = {
      id: this.id,
      nodes: this.peers.length,
      route: () => this.route(),
      run: (operation, timeoutMs) => this.runOperation(operation, timeoutMs),
      status: () => this.status(),
      setReachable: (reachable) => this.switch.set(reachable),
      // Every answer waits for the disk. The leader sends AppendEntries before its own flush
      // (commit-clamp.ts), and may commit an entry counting its own copy while that copy is
      // still only in memory; an "ok" sent then and the leader killed, and the entry could be
      // on a minority of disks only. Once every Save made before the answer is on disk, the
      // leader's copy is, and the followers it counted wrote theirs before replying. (Under
      // load most answers wait a few ms here: /status counts them, see docs/cluster.md.)
      gate: this.persister,
      log: this.log,
    };
    const api = createHttpApi(backend, options.limits ?? defaultHttpLimits);
    this.httpStats = api.stats as unknown as Record<string, number>;
    const me = this.peers[this.id]!;
    this.listener = await listen({ host: options.listenHost ?? me.host, port: me.port, transport: this.transport, http: api.server, log: this.log });
    this.infoTimer = setInterval(() => this.askPeers(), infoIntervalMs);
    const [term] = this.kv.rf.GetState();
    this.log(`node ${this.id}: serving on ${formatAddress(me)} (term ${term}, data ${this.persister.dir}, durability ${this.persister.durability}${this.persister.fsync ? '' : ', no fsync'})`);
  }

  /** Logs snapshotAdvice once, when it first applies. */
  private adviseOnSnapshots(): void {
    if (this.snapshotAdviceGiven) return;
    const advice = snapshotAdvice(this.persister.SnapshotSize(), this.maxraftstate);
    if (advice === undefined) return;
    this.snapshotAdviceGiven = true;
    this.log(`node ${this.id}: ${advice}`);
  }

  private askPeers(): void {
    this.adviseOnSnapshots();
    for (let j = 0; j < this.peers.length; j++) {
      if (j === this.id) continue;
      const reply: NodeInfoReply = {};
      void this.transport
        .end(j)
        .Call('Node.Info', {}, reply)
        .then((ok) => {
          if (ok && typeof reply.Term === 'number') this.views[j] = { term: reply.Term, isLeader: reply.IsLeader === true, atMs: performance.now() };
        });
    }
  }

  /** The leader as far as this node knows: itself, or the peer leading the highest current term. */
  leader(): number | null {
    const [term, isLeader] = this.kv.rf.GetState();
    if (isLeader) return this.id;
    let best: number | null = null;
    let bestTerm = -1;
    const now = performance.now();
    for (let j = 0; j < this.views.length; j++) {
      const v = this.views[j];
      if (v === undefined || !v.isLeader || now - v.atMs > infoFreshMs || !this.switch.allows(j)) continue;
      if (v.term >= term && v.term > bestTerm) {
        best = j;
        bestTerm = v.term;
      }
    }
    return best;
  }

  private route(): Route {
    if (this.stopped) return { kind: 'no-leader', why: 'this node is shutting down' };
    const leader = this.leader();
    if (leader === this.id) return { kind: 'serve' };
    if (leader !== null) return { kind: 'redirect', leader, address: formatAddress(this.peers[leader]!) };
    return { kind: 'no-leader', why: 'an election may be under way, or this node is cut off from the leader' };
  }

  private runOperation(operation: KvOperation, timeoutMs: number): Promise<OpOutcome> {
    return this.clerks.run(async (clerk) => {
      if (operation.op === 'get') return clerk.Get(operation.key);
      if (operation.op === 'put') await clerk.Put(operation.key, operation.value);
      else await clerk.Append(operation.key, operation.value);
      return '';
    }, timeoutMs);
  }

  status(): Record<string, unknown> {
    const view = viewRaft(this.kv.rf);
    const leader = this.leader();
    return {
      id: this.id,
      address: formatAddress(this.peers[this.id]!),
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAtMs,
      term: view.term,
      role: view.role,
      leader,
      leaderAddress: leader === null ? null : formatAddress(this.peers[leader]!),
      votedFor: view.votedFor,
      lastLogIndex: view.lastLogIndex,
      commitIndex: view.commitIndex,
      appliedIndex: view.appliedIndex,
      snapshotIndex: view.snapshotIndex,
      raftStateBytes: this.persister.RaftStateSize(),
      snapshotBytes: this.persister.SnapshotSize(),
      reachable: this.switch.get(),
      requestsInFlight: this.clerks.inFlight,
      persister: { dir: this.persister.dir, durability: this.persister.durability, fsync: this.persister.fsync, ...this.persister.stats },
      transport: { ...this.transport.stats },
      http: { ...this.httpStats },
    };
  }

  /** Stops serving: closes the port and connections, kills the KVServer, writes what is pending. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.infoTimer);
    this.transport.close();
    await this.listener?.close();
    this.kv.Kill();
    await this.persister.close();
  }
}

/** Opens the node's folder, starts Raft and the KVServer, and listens. Throws (without listening) if the folder is unusable. */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const node = new RunningNode(options);
  try {
    await node.start(options);
  } catch (e) {
    await node.stop();
    throw e;
  }
  return node;
}
