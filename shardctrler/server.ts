import type { ClientEnd } from '../labrpc/index.ts';
import type { PersisterLike } from '../persister/index.ts';
import { Channel, debug } from '../sim/index.ts';
import { Make, type ApplyMsg, type Raft } from '../raft/raft.ts';
// <solution>
import { encode, decode } from '../persister/index.ts';
import { now } from '../sim/index.ts';
import { NShards } from './common.ts';
// </solution>
import { OK, initialConfig, type Config, type JoinArgs, type JoinReply, type LeaveArgs, type LeaveReply, type MoveArgs, type MoveReply, type QueryArgs, type QueryReply } from './common.ts';

// Debug logging: run with DEBUG=ctrler to see these lines.
const log = debug('ctrler');

// The command this service puts in the Raft log. Plain data only.
export interface Op {
  // Your data here.
  // <solution>
  Kind: 'Join' | 'Leave' | 'Move' | 'Query';
  Servers?: Record<number, string[]>;
  GIDs?: number[];
  Shard?: number;
  GID?: number;
  Num?: number;
  ClientId: number;
  SeqNum: number;
  // </solution>
}

// <solution>
/** The outcome of an applied Op, as its handler replies it. */
interface Outcome {
  wrongLeader: boolean;
  config?: Config;
}

/** A handler waiting for the entry it started at one log index to be applied. */
interface Waiter {
  op: Op;
  finish(outcome: Outcome): void;
}

/** How long a handler waits for its entry before telling the Clerk to try another server. */
const applyTimeoutMs = 500;
/** How often a waiting handler checks that this server still leads in the same term. */
const leadershipPollMs = 20;

/**
 * The controller snapshots once its Raft state passes this many bytes. The lab does not ask for
 * it (StartServer has no maxraftstate), but every Query of every group's configuration poller
 * goes through the log, and a log that only grows makes each persist costlier.
 */
const snapshotBytes = 16_384;

const wrongLeader: Outcome = { wrongLeader: true };

/** What a snapshot holds: the configurations and the duplicate table. */
interface SnapshotState {
  index: number;
  configs: Config[];
  lastSeq: Map<number, number>;
}

/**
 * The new owner of every shard for the groups of `groups`: each group gets NShards/n or one
 * more, and as few shards move as possible. Shards of groups that are gone (or of group 0) are
 * handed out; the groups that hold the most keep the larger shares; ties go by gid, so every
 * replica computes the same assignment (iteration order must never decide it).
 */
export function rebalance(shards: readonly number[], groups: Record<number, string[]>): number[] {
  const gids = Object.keys(groups)
    .map(Number)
    .sort((a, b) => a - b);
  if (gids.length === 0) return shards.map(() => 0);
  const owned = new Map<number, number[]>(gids.map((g) => [g, []]));
  const spare: number[] = [];
  shards.forEach((gid, shard) => {
    const list = owned.get(gid);
    if (list !== undefined) list.push(shard);
    else spare.push(shard);
  });
  const order = [...gids].sort((a, b) => owned.get(b)!.length - owned.get(a)!.length || a - b);
  const base = Math.floor(NShards / gids.length);
  const extra = NShards % gids.length;
  const target = new Map(order.map((g, i) => [g, base + (i < extra ? 1 : 0)]));
  for (const g of order) {
    const list = owned.get(g)!;
    while (list.length > target.get(g)!) spare.push(list.pop()!);
  }
  spare.sort((a, b) => a - b);
  for (const g of order) {
    const list = owned.get(g)!;
    while (list.length < target.get(g)!) list.push(spare.shift()!);
  }
  const result = new Array<number>(NShards).fill(0);
  for (const [g, list] of owned) for (const s of list) result[s] = g;
  return result;
}

function copyConfig(c: Config): Config {
  const Groups: Record<number, string[]> = {};
  for (const [gid, servers] of Object.entries(c.Groups)) Groups[Number(gid)] = [...servers];
  return { Num: c.Num, Shards: [...c.Shards], Groups };
}
// </solution>

export class ShardCtrler {
  me: number;
  rf: Raft;
  applyCh: Channel<ApplyMsg>;
  dead = false; // set by Kill()

  // Your data here.

  configs: Config[]; // indexed by config num
  // <solution>
  private readonly persister: PersisterLike;
  /** For each Clerk, the SeqNum of its last Join/Leave/Move applied. */
  private lastSeq = new Map<number, number>();
  private lastApplied = 0;
  private readonly waiters = new Map<number, Waiter>();
  // </solution>

  constructor(servers: ClientEnd[], me: number, persister: PersisterLike) {
    this.me = me;
    this.configs = [initialConfig()];

    this.applyCh = new Channel<ApplyMsg>(0, `applyCh of shardctrler ${me}`);
    this.rf = Make(servers, me, persister, this.applyCh);

    // Your code here.
    // <solution>
    this.persister = persister;
    this.restore(persister.ReadSnapshot());
    void this.applier();
    // </solution>
  }

  async Join(args: JoinArgs, reply: JoinReply): Promise<void> {
    // Your code here.
    // <solution>
    const outcome = await this.submit({ Kind: 'Join', Servers: args.Servers, ClientId: args.ClientId, SeqNum: args.SeqNum });
    reply.WrongLeader = outcome.wrongLeader;
    reply.Err = OK;
    // </solution>
  }

  async Leave(args: LeaveArgs, reply: LeaveReply): Promise<void> {
    // Your code here.
    // <solution>
    const outcome = await this.submit({ Kind: 'Leave', GIDs: args.GIDs, ClientId: args.ClientId, SeqNum: args.SeqNum });
    reply.WrongLeader = outcome.wrongLeader;
    reply.Err = OK;
    // </solution>
  }

  async Move(args: MoveArgs, reply: MoveReply): Promise<void> {
    // Your code here.
    // <solution>
    const outcome = await this.submit({ Kind: 'Move', Shard: args.Shard, GID: args.GID, ClientId: args.ClientId, SeqNum: args.SeqNum });
    reply.WrongLeader = outcome.wrongLeader;
    reply.Err = OK;
    // </solution>
  }

  async Query(args: QueryArgs, reply: QueryReply): Promise<void> {
    // Your code here.
    // <solution>
    const outcome = await this.submit({ Kind: 'Query', Num: args.Num, ClientId: args.ClientId, SeqNum: args.SeqNum });
    reply.WrongLeader = outcome.wrongLeader;
    reply.Err = OK;
    if (outcome.config !== undefined) reply.Config = outcome.config;
    // </solution>
  }

  // the tester calls Kill() when a ShardCtrler instance won't
  // be needed again. you are not required to do anything
  // in Kill(), but it might be convenient to (for example)
  // turn off debug output from this instance.
  Kill(): void {
    this.dead = true;
    this.rf.Kill();
    // Your code here, if desired.
    // <solution>
    for (const waiter of [...this.waiters.values()]) waiter.finish(wrongLeader);
    // </solution>
  }

  killed(): boolean {
    return this.dead;
  }

  // needed by shardkv tester
  Raft(): Raft {
    return this.rf;
  }

  // <solution>
  /**
   * Puts op in the Raft log and waits until it is applied; WrongLeader if this server does not
   * lead, loses leadership, or the entry is not applied within applyTimeoutMs.
   */
  private submit(op: Op): Promise<Outcome> {
    if (this.killed()) return Promise.resolve(wrongLeader);
    const [index, term, isLeader] = this.rf.Start(JSON.stringify(op));
    if (!isLeader) return Promise.resolve(wrongLeader);
    log('C%d start %s at index %d term %d', this.me, op.Kind, index, term);
    return new Promise<Outcome>((resolve) => {
      const startedMs = now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        op,
        finish: (outcome) => {
          if (this.waiters.get(index) === waiter) this.waiters.delete(index);
          if (timer !== undefined) clearTimeout(timer);
          timer = undefined;
          resolve(outcome);
        },
      };
      this.waiters.get(index)?.finish(wrongLeader);
      this.waiters.set(index, waiter);
      const poll = (): void => {
        timer = undefined;
        if (this.waiters.get(index) !== waiter) return;
        const [currentTerm, stillLeader] = this.rf.GetState();
        if (this.killed() || currentTerm !== term || !stillLeader || now() - startedMs >= applyTimeoutMs) {
          waiter.finish(wrongLeader);
          return;
        }
        timer = setTimeout(poll, leadershipPollMs);
      };
      timer = setTimeout(poll, leadershipPollMs);
    });
  }

  /** Reads applyCh for the life of the server; after Kill it only drains it. */
  private async applier(): Promise<void> {
    for (;;) {
      const { value: msg, ok } = await this.applyCh.recv();
      if (!ok || msg === undefined) return;
      if (this.killed()) continue;
      if (msg.SnapshotValid && msg.SnapshotIndex > this.lastApplied) {
        this.restore(msg.Snapshot);
        for (const [at, waiter] of [...this.waiters]) if (at <= msg.SnapshotIndex) waiter.finish(wrongLeader);
        continue;
      }
      if (!msg.CommandValid || msg.CommandIndex <= this.lastApplied) continue;
      this.lastApplied = msg.CommandIndex;
      const op = typeof msg.Command === 'string' ? (JSON.parse(msg.Command) as Op) : undefined;
      const outcome = op === undefined ? wrongLeader : this.execute(op);
      const waiter = this.waiters.get(msg.CommandIndex);
      if (waiter !== undefined) {
        const same = op !== undefined && waiter.op.ClientId === op.ClientId && waiter.op.SeqNum === op.SeqNum;
        waiter.finish(same ? outcome : wrongLeader);
      }
      if (this.persister.RaftStateSize() > snapshotBytes) {
        const state: SnapshotState = { index: msg.CommandIndex, configs: this.configs, lastSeq: this.lastSeq };
        this.rf.Snapshot(msg.CommandIndex, encode(state));
      }
    }
  }

  private restore(snapshot: Uint8Array): void {
    if (snapshot.length === 0) return;
    const state = decode<SnapshotState>(snapshot);
    this.configs = state.configs;
    this.lastSeq = state.lastSeq;
    this.lastApplied = state.index;
  }

  /** Applies op: a new configuration for Join/Leave/Move (once per request), a copy for Query. */
  private execute(op: Op): Outcome {
    const latest = this.configs[this.configs.length - 1]!;
    if (op.Kind === 'Query') {
      const num = op.Num ?? -1;
      const config = num >= 0 && num < this.configs.length ? this.configs[num]! : latest;
      return { wrongLeader: false, config: copyConfig(config) };
    }
    if ((this.lastSeq.get(op.ClientId) ?? 0) >= op.SeqNum) return { wrongLeader: false };
    this.lastSeq.set(op.ClientId, op.SeqNum);
    const next = copyConfig(latest);
    next.Num = latest.Num + 1;
    if (op.Kind === 'Join') {
      for (const [gid, servers] of Object.entries(op.Servers ?? {})) next.Groups[Number(gid)] = [...servers];
      next.Shards = rebalance(next.Shards, next.Groups);
    } else if (op.Kind === 'Leave') {
      for (const gid of op.GIDs ?? []) delete next.Groups[gid];
      next.Shards = rebalance(next.Shards, next.Groups);
    } else {
      next.Shards[op.Shard ?? 0] = op.GID ?? 0;
    }
    this.configs.push(next);
    log('C%d config %d: %j', this.me, next.Num, next.Shards);
    return { wrongLeader: false };
  }
  // </solution>
}

// servers[] contains the ports of the set of
// servers that will cooperate via Raft to
// form the fault-tolerant shardctrler service.
// me is the index of the current server in servers[].
// StartServer() must return quickly, so it should start long-running
// work (loops) as async functions that it does not await.
export function StartServer(servers: ClientEnd[], me: number, persister: PersisterLike): ShardCtrler {
  return new ShardCtrler(servers, me, persister);
}
