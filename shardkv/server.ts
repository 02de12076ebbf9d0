import type { ClientEnd } from '../labrpc/index.ts';
import type { PersisterLike } from '../persister/index.ts';
import { Channel, debug } from '../sim/index.ts';
import { Make, type ApplyMsg, type Raft } from '../raft/raft.ts';
// <solution>
import { encode, decode } from '../persister/index.ts';
import { now, sleep } from '../sim/index.ts';
import { NShards, initialConfig, type Config, type QueryArgs, type QueryReply } from '../shardctrler/index.ts';
import { key2shard } from './client.ts';
import { ErrNotReady, type DeleteShardsArgs, type DeleteShardsReply, type PullShardsArgs, type PullShardsReply } from './common.ts';
// </solution>
import { OK, ErrNoKey, ErrWrongGroup, ErrWrongLeader, type Err, type GetArgs, type GetReply, type PutAppendArgs, type PutAppendReply } from './common.ts';

// Debug logging: run with DEBUG=shardkv to see these lines.
const log = debug('shardkv');

// The command this service puts in the Raft log. Plain data only.
export interface Op {
  // Your definitions here.
  // <solution>
  Kind: 'Get' | 'Put' | 'Append' | 'Config' | 'Insert' | 'Delete' | 'GcDone' | 'Noop';
  Key?: string;
  Value?: string;
  ClientId?: number;
  SeqNum?: number;
  /** Config: the next configuration. */
  Config?: Config;
  /** Insert, Delete, GcDone: the configuration the shards move in. */
  ConfigNum?: number;
  Shards?: number[];
  Data?: Record<number, Record<string, string>>;
  LastSeq?: Record<number, number>;
  // </solution>
}

// <solution>
/**
 * Where a shard stands at this group, in its current configuration:
 * - absent: not ours, nothing held;
 * - serving: ours, and its data is here;
 * - pulling: ours, but the data is still at the previous owner;
 * - bepulling: no longer ours; the data waits here for the new owner to fetch it;
 * - gc: ours and served, but the previous owner has not been told to delete its copy.
 * The group moves to the next configuration only when every shard is absent or serving.
 */
type ShardStatus = 'absent' | 'serving' | 'pulling' | 'bepulling' | 'gc';

interface Shard {
  status: ShardStatus;
  data: Record<string, string>;
}

/** What a snapshot holds: everything the applied log built. */
interface SnapshotState {
  index: number;
  config: Config;
  prevConfig: Config;
  shards: Shard[];
  lastSeq: Map<number, number>;
}

interface Outcome {
  Err: Err;
  Value: string;
}

interface Waiter {
  /** The encoded Op this handler started: the entry at its index must be exactly it. */
  command: string;
  term: number;
  finish(outcome: Outcome): void;
}

const applyTimeoutMs = 500;
const leadershipPollMs = 20;
/** How often the leader looks for a new configuration, shards to pull, and copies to delete. */
const tickMs = 100;
const snapshotFraction = 0.9;

const wrongLeader: Outcome = { Err: ErrWrongLeader, Value: '' };
// </solution>

export class ShardKV {
  me: number;
  rf: Raft;
  applyCh: Channel<ApplyMsg>;
  make_end: (servername: string) => ClientEnd;
  gid: number;
  ctrlers: ClientEnd[];
  maxraftstate: number; // snapshot if log grows this big
  dead = false; // set by Kill()

  // Your definitions here.
  // <solution>
  private readonly persister: PersisterLike;
  private config: Config = initialConfig();
  private prevConfig: Config = initialConfig();
  private shards: Shard[] = Array.from({ length: NShards }, () => ({ status: 'absent' as ShardStatus, data: {} }));
  /** For each Clerk, the SeqNum of its last Put/Append applied (here, or where the shard came from). */
  private lastSeq = new Map<number, number>();
  private lastApplied = 0;
  private readonly waiters = new Map<number, Waiter>();
  private readonly ends = new Map<string, ClientEnd>();
  /** Background tasks in progress (one of each kind at a time). */
  private readonly busy = new Set<string>();
  /** The term in which this server, as leader, last put a no-op in the log. */
  private noopTerm = -1;
  // </solution>

  constructor(servers: ClientEnd[], me: number, persister: PersisterLike, maxraftstate: number, gid: number, ctrlers: ClientEnd[], make_end: (servername: string) => ClientEnd) {
    this.me = me;
    this.maxraftstate = maxraftstate;
    this.make_end = make_end;
    this.gid = gid;
    this.ctrlers = ctrlers;

    // Your initialization code here.

    // Use something like this to talk to the shardctrler:
    // this.mck = MakeClerk(this.ctrlers)  (MakeClerk of ../shardctrler/index.ts)
    // <solution>
    this.persister = persister;
    this.restore(persister.ReadSnapshot());
    // </solution>

    this.applyCh = new Channel<ApplyMsg>(0, `applyCh of shardkv ${gid}-${me}`);
    this.rf = Make(servers, me, persister, this.applyCh);

    // <solution>
    void this.applier();
    void this.ticker();
    // </solution>
  }

  async Get(args: GetArgs, reply: GetReply): Promise<void> {
    // Your code here.
    // <solution>
    const outcome = await this.request({ Kind: 'Get', Key: args.Key, ClientId: args.ClientId, SeqNum: args.SeqNum });
    reply.Err = outcome.Err;
    reply.Value = outcome.Value;
    // </solution>
  }

  async PutAppend(args: PutAppendArgs, reply: PutAppendReply): Promise<void> {
    // Your code here.
    // <solution>
    const outcome = await this.request({ Kind: args.Op, Key: args.Key, Value: args.Value, ClientId: args.ClientId, SeqNum: args.SeqNum });
    reply.Err = outcome.Err;
    // </solution>
  }

  // <solution>
  /** Another group fetches the shards it gains in args.ConfigNum, which this group owned before. */
  PullShards(args: PullShardsArgs, reply: PullShardsReply): void {
    reply.Data = {};
    reply.LastSeq = {};
    if (!this.rf.GetState()[1]) {
      reply.Err = ErrWrongLeader;
      return;
    }
    // Only once this group is in that configuration is the data final: no more writes to it.
    if (this.config.Num !== args.ConfigNum || args.Shards.some((s) => this.shards[s]?.status !== 'bepulling')) {
      reply.Err = ErrNotReady;
      return;
    }
    for (const s of args.Shards) reply.Data[s] = { ...this.shards[s]!.data };
    for (const [client, seq] of this.lastSeq) reply.LastSeq[client] = seq;
    reply.Err = OK;
  }

  /** The new owner of some shards has installed them: this group deletes its copy. */
  async DeleteShards(args: DeleteShardsArgs, reply: DeleteShardsReply): Promise<void> {
    if (!this.rf.GetState()[1]) {
      reply.Err = ErrWrongLeader;
      return;
    }
    if (this.config.Num > args.ConfigNum) {
      reply.Err = OK; // deleted already: this group has moved on
      return;
    }
    if (this.config.Num < args.ConfigNum) {
      reply.Err = ErrNotReady;
      return;
    }
    const outcome = await this.submit({ Kind: 'Delete', ConfigNum: args.ConfigNum, Shards: args.Shards });
    reply.Err = outcome.Err;
  }
  // </solution>

  // the tester calls Kill() when a ShardKV instance won't
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

  // <solution>
  /** A client's Get/Put/Append: refused at once if this group cannot serve the key now. */
  private async request(op: Op): Promise<Outcome> {
    if (!this.rf.GetState()[1]) return wrongLeader;
    if (!this.canServe(key2shard(op.Key ?? ''))) return { Err: ErrWrongGroup, Value: '' };
    return this.submit(op);
  }

  private canServe(shard: number): boolean {
    const status = this.shards[shard]?.status;
    return this.config.Shards[shard] === this.gid && (status === 'serving' || status === 'gc');
  }

  /**
   * Puts op in the Raft log and waits until it is applied; ErrWrongLeader if this server does
   * not lead, loses leadership, or the entry is not applied within applyTimeoutMs.
   */
  private submit(op: Op): Promise<Outcome> {
    if (this.killed()) return Promise.resolve(wrongLeader);
    const command = JSON.stringify(op);
    const [index, term, isLeader] = this.rf.Start(command);
    if (!isLeader) return Promise.resolve(wrongLeader);
    return new Promise<Outcome>((resolve) => {
      const startedMs = now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        command,
        term,
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

  /** Starts op without waiting for it (background work: its effect shows in the state). */
  private startOnly(op: Op): void {
    if (!this.killed()) this.rf.Start(JSON.stringify(op));
  }

  private async applier(): Promise<void> {
    for (;;) {
      const { value: msg, ok } = await this.applyCh.recv();
      if (!ok || msg === undefined) return;
      if (this.killed()) continue;
      if (msg.CommandValid) this.applyCommand(msg.Command, msg.CommandIndex);
      else if (msg.SnapshotValid && msg.SnapshotIndex > this.lastApplied) {
        this.restore(msg.Snapshot);
        for (const [at, waiter] of [...this.waiters]) if (at <= msg.SnapshotIndex) waiter.finish(wrongLeader);
      }
    }
  }

  private applyCommand(command: unknown, index: number): void {
    if (index <= this.lastApplied) return;
    this.lastApplied = index;
    const op = typeof command === 'string' ? (JSON.parse(command) as Op) : undefined;
    const outcome = op === undefined ? wrongLeader : this.execute(op);
    const waiter = this.waiters.get(index);
    if (waiter !== undefined) waiter.finish(waiter.command === command ? outcome : wrongLeader);
    this.maybeSnapshot(index);
  }

  private execute(op: Op): Outcome {
    const done: Outcome = { Err: OK, Value: '' };
    switch (op.Kind) {
      case 'Get':
      case 'Put':
      case 'Append':
        return this.executeClient(op);
      case 'Config':
        this.installConfig(op.Config!);
        return done;
      case 'Insert':
        if (op.ConfigNum === this.config.Num) {
          for (const [s, data] of Object.entries(op.Data ?? {})) {
            const shard = this.shards[Number(s)]!;
            if (shard.status === 'pulling') this.shards[Number(s)] = { status: 'gc', data: { ...data } };
          }
          for (const [client, seq] of Object.entries(op.LastSeq ?? {})) {
            if ((this.lastSeq.get(Number(client)) ?? 0) < seq) this.lastSeq.set(Number(client), seq);
          }
        }
        return done;
      case 'Delete':
        if (op.ConfigNum === this.config.Num) {
          for (const s of op.Shards ?? []) if (this.shards[s]!.status === 'bepulling') this.shards[s] = { status: 'absent', data: {} };
        }
        return done;
      case 'GcDone':
        if (op.ConfigNum === this.config.Num) {
          for (const s of op.Shards ?? []) if (this.shards[s]!.status === 'gc') this.shards[s]!.status = 'serving';
        }
        return done;
      case 'Noop':
        return done;
    }
  }

  private executeClient(op: Op): Outcome {
    const key = op.Key ?? '';
    const shard = key2shard(key);
    if (!this.canServe(shard)) return { Err: ErrWrongGroup, Value: '' };
    const data = this.shards[shard]!.data;
    if (op.Kind === 'Get') {
      const value = data[key];
      return value === undefined ? { Err: ErrNoKey, Value: '' } : { Err: OK, Value: value };
    }
    const client = op.ClientId ?? 0;
    if ((this.lastSeq.get(client) ?? 0) < (op.SeqNum ?? 0)) {
      data[key] = op.Kind === 'Put' ? (op.Value ?? '') : (data[key] ?? '') + (op.Value ?? '');
      this.lastSeq.set(client, op.SeqNum ?? 0);
    }
    return { Err: OK, Value: '' };
  }

  /** Moves to the next configuration: shards gained are pulled, shards lost wait to be pulled. */
  private installConfig(next: Config): void {
    if (next.Num !== this.config.Num + 1 || !this.settled()) return;
    for (let s = 0; s < NShards; s++) {
      const was = this.config.Shards[s] === this.gid;
      const is = next.Shards[s] === this.gid;
      if (is && !was) {
        // A shard that belonged to nobody (the first configuration) starts empty.
        this.shards[s] = { status: this.config.Shards[s] === 0 ? 'serving' : 'pulling', data: {} };
      } else if (!is && was) {
        this.shards[s] = next.Shards[s] === 0 ? { status: 'absent', data: {} } : { status: 'bepulling', data: this.shards[s]!.data };
      }
    }
    this.prevConfig = this.config;
    this.config = next;
    log('%d-%d config %d: %j', this.gid, this.me, next.Num, this.shards.map((x) => x.status));
  }

  /** No migration in progress: every shard is served or not ours. */
  private settled(): boolean {
    return this.shards.every((s) => s.status === 'serving' || s.status === 'absent');
  }

  /** The leader's background work, every tickMs until killed. */
  private async ticker(): Promise<void> {
    while (!this.killed()) {
      await sleep(tickMs);
      if (this.killed()) return;
      const [term, isLeader] = this.rf.GetState();
      if (!isLeader) continue;
      // Entries of earlier terms commit only with one of this term: after an election, or a
      // restart of the whole group, a no-op lets the group apply what its log already holds.
      if (term !== this.noopTerm) {
        this.noopTerm = term;
        this.startOnly({ Kind: 'Noop' });
      }
      this.once('config', () => this.pollConfig());
      this.once('pull', () => this.pullShards());
      this.once('gc', () => this.collectGarbage());
    }
  }

  private once(task: string, work: () => Promise<void>): void {
    if (this.busy.has(task)) return;
    this.busy.add(task);
    void work().finally(() => this.busy.delete(task));
  }

  private async pollConfig(): Promise<void> {
    if (!this.settled()) return;
    const num = this.config.Num + 1;
    const next = await this.queryCtrlers(num);
    if (next !== undefined && next.Num === num && this.config.Num === num - 1 && !this.killed()) this.startOnly({ Kind: 'Config', Config: next });
  }

  /** One round of Query(num) to the controllers; undefined if none answered as leader. */
  private async queryCtrlers(num: number): Promise<Config | undefined> {
    for (const end of this.ctrlers) {
      const reply = {} as QueryReply;
      const args: QueryArgs = { Num: num, ClientId: 0, SeqNum: 0 };
      if ((await end.Call('ShardCtrler.Query', args, reply)) && !reply.WrongLeader && reply.Config !== undefined) return reply.Config;
      if (this.killed()) return undefined;
    }
    return undefined;
  }

  /** The shards to pull or to garbage-collect, grouped by their previous owner. */
  private byPreviousOwner(status: ShardStatus): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    this.shards.forEach((shard, s) => {
      if (shard.status !== status) return;
      const gid = this.prevConfig.Shards[s]!;
      groups.set(gid, [...(groups.get(gid) ?? []), s]);
    });
    return groups;
  }

  private async pullShards(): Promise<void> {
    const configNum = this.config.Num;
    await Promise.all(
      [...this.byPreviousOwner('pulling')].map(async ([gid, shards]) => {
        const args: PullShardsArgs = { ConfigNum: configNum, Shards: shards };
        const reply = await this.callGroup<PullShardsReply>(this.prevConfig.Groups[gid] ?? [], 'ShardKV.PullShards', args);
        if (reply !== undefined && this.config.Num === configNum) this.startOnly({ Kind: 'Insert', ConfigNum: configNum, Shards: shards, Data: reply.Data, LastSeq: reply.LastSeq });
      }),
    );
  }

  private async collectGarbage(): Promise<void> {
    const configNum = this.config.Num;
    await Promise.all(
      [...this.byPreviousOwner('gc')].map(async ([gid, shards]) => {
        const args: DeleteShardsArgs = { ConfigNum: configNum, Shards: shards };
        const reply = await this.callGroup<DeleteShardsReply>(this.prevConfig.Groups[gid] ?? [], 'ShardKV.DeleteShards', args);
        if (reply !== undefined && this.config.Num === configNum) this.startOnly({ Kind: 'GcDone', ConfigNum: configNum, Shards: shards });
      }),
    );
  }

  /** Asks each server of a group once; the first reply with Err OK, or undefined. */
  private async callGroup<R extends { Err: Err }>(servers: string[], svcMeth: string, args: object): Promise<R | undefined> {
    for (const name of servers) {
      if (this.killed()) return undefined;
      let end = this.ends.get(name);
      if (end === undefined) {
        end = this.make_end(name);
        this.ends.set(name, end);
      }
      const reply = {} as R;
      if ((await end.Call(svcMeth, args, reply)) && reply.Err === OK) return reply;
    }
    return undefined;
  }

  private maybeSnapshot(index: number): void {
    if (this.maxraftstate < 0 || this.persister.RaftStateSize() < this.maxraftstate * snapshotFraction) return;
    const state: SnapshotState = { index, config: this.config, prevConfig: this.prevConfig, shards: this.shards, lastSeq: this.lastSeq };
    this.rf.Snapshot(index, encode(state));
  }

  private restore(snapshot: Uint8Array): void {
    if (snapshot.length === 0) return;
    const state = decode<SnapshotState>(snapshot);
    this.config = state.config;
    this.prevConfig = state.prevConfig;
    this.shards = state.shards;
    this.lastSeq = state.lastSeq;
    this.lastApplied = state.index;
  }
  // </solution>
}

// servers[] contains the ports of the servers in this group.
//
// me is the index of the current server in servers[].
//
// the k/v server should store snapshots through the underlying Raft
// implementation, which should call persister.Save() to
// atomically save the Raft state along with the snapshot.
//
// the k/v server should snapshot when Raft's saved state exceeds
// maxraftstate bytes, in order to allow Raft to garbage-collect its
// log. if maxraftstate is -1, you don't need to snapshot.
//
// gid is this group's GID, for interacting with the shardctrler.
//
// pass ctrlers[] to shardctrler.MakeClerk() so you can send
// RPCs to the shardctrler.
//
// make_end(servername) turns a server name from a
// Config.Groups[gid][i] into a ClientEnd on which you can
// send RPCs. You'll need this to send RPCs to other groups.
//
// look at client.ts for examples of how to use ctrlers[]
// and make_end() to send RPCs to the group owning a specific shard.
//
// StartServer() must return quickly, so it should start long-running
// work (loops) as async functions that it does not await.
export function StartServer(servers: ClientEnd[], me: number, persister: PersisterLike, maxraftstate: number, gid: number, ctrlers: ClientEnd[], make_end: (servername: string) => ClientEnd): ShardKV {
  return new ShardKV(servers, me, persister, maxraftstate, gid, ctrlers, make_end);
}
