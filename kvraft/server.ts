import type { ClientEnd } from '../labrpc/index.ts';
import type { PersisterLike } from '../persister/index.ts';
import { Channel, debug } from '../sim/index.ts';
import { Make, type ApplyMsg, type Raft } from '../raft/raft.ts';
// <solution>
import { encode, decode } from '../persister/index.ts';
import { now } from '../sim/index.ts';
// </solution>
import { OK, ErrNoKey, ErrWrongLeader, type Err, type GetArgs, type GetReply, type PutAppendArgs, type PutAppendReply } from './common.ts';

// Debug logging: run with DEBUG=kv to see these lines.
const log = debug('kv');

// The command this service puts in the Raft log. Plain data only:
// Raft copies it through the codec (persisting, sending to peers).
export interface Op {
  // Your definitions here.
  // <solution>
  Kind: 'Get' | 'Put' | 'Append';
  Key: string;
  /** What Put/Append write; '' for Get. */
  Value: string;
  ClientId: number;
  SeqNum: number;
  // </solution>
}

// <solution>
/** The outcome of an operation, as the handler replies it. */
interface Outcome {
  Err: Err;
  Value: string;
}

/** A handler waiting for the entry it started at one log index to be applied. */
interface Waiter {
  op: Op;
  /** The term in which this server, as leader, started the entry. */
  term: number;
  finish(outcome: Outcome): void;
}

/** What a snapshot holds: the applied state and the duplicate table it depends on. */
interface SnapshotState {
  index: number;
  data: Map<string, string>;
  lastSeq: Map<number, number>;
}

/**
 * How long a handler waits for its entry to be applied before telling the Clerk to try
 * another server: a leader cut off in a minority keeps its term and would wait forever.
 */
const applyTimeoutMs = 500;
/** How often a waiting handler checks that this server is still the leader of the same term. */
const leadershipPollMs = 20;
/** Snapshot once the Raft state reaches this fraction of maxraftstate. */
const snapshotFraction = 0.9;

const wrongLeader: Outcome = { Err: ErrWrongLeader, Value: '' };

/**
 * An Op goes into the Raft log as a short string: Raft re-encodes its whole log on every
 * persist, and a string costs a fraction of an object there (the 3A tests, which never
 * snapshot, grow logs of thousands of entries).
 */
function encodeOp(op: Op): string {
  return JSON.stringify([op.Kind, op.Key, op.Value, op.ClientId, op.SeqNum]);
}

/** The Op in a log entry, or undefined if the entry is not one of ours. */
function decodeOp(command: unknown): Op | undefined {
  if (typeof command !== 'string') return undefined;
  const [Kind, Key, Value, ClientId, SeqNum] = JSON.parse(command) as [Op['Kind'], string, string, number, number];
  return { Kind, Key, Value, ClientId, SeqNum };
}
// </solution>

export class KVServer {
  me: number;
  rf: Raft;
  applyCh: Channel<ApplyMsg>;
  dead = false; // set by Kill()

  maxraftstate: number; // snapshot if log grows this big

  // Your definitions here.
  // <solution>
  private readonly persister: PersisterLike;
  /** The replicated state: key -> value. */
  private data = new Map<string, string>();
  /**
   * The duplicate table, part of the replicated state: for each Clerk, the SeqNum of the
   * last Put/Append applied. A Clerk sends one operation at a time, so anything at or below
   * it is a retry of an operation already applied.
   */
  private lastSeq = new Map<number, number>();
  /** Index of the last command (or snapshot) applied to data. */
  private lastApplied = 0;
  /** Handlers waiting, by the log index of their entry. */
  private readonly waiters = new Map<number, Waiter>();
  // </solution>

  constructor(servers: ClientEnd[], me: number, persister: PersisterLike, maxraftstate: number) {
    this.me = me;
    this.maxraftstate = maxraftstate;
    // You may need initialization code here.
    // <solution>
    this.persister = persister;
    this.restore(persister.ReadSnapshot());
    // </solution>

    this.applyCh = new Channel<ApplyMsg>(0, `applyCh of kvserver ${me}`);
    this.rf = Make(servers, me, persister, this.applyCh);

    // You may need initialization code here.
    // <solution>
    void this.applier();
    // </solution>
  }

  async Get(args: GetArgs, reply: GetReply): Promise<void> {
    // Your code here.
    // <solution>
    const outcome = await this.submit({ Kind: 'Get', Key: args.Key, Value: '', ClientId: args.ClientId, SeqNum: args.SeqNum });
    reply.Err = outcome.Err;
    reply.Value = outcome.Value;
    // </solution>
    // <stub>
    //! reply.Err = ErrWrongLeader;
    //! reply.Value = '';
    // </stub>
  }

  async PutAppend(args: PutAppendArgs, reply: PutAppendReply): Promise<void> {
    // Your code here.
    // <solution>
    if ((this.lastSeq.get(args.ClientId) ?? 0) >= args.SeqNum) {
      // A retry of an operation this server has already applied (so it is committed).
      reply.Err = OK;
      return;
    }
    const outcome = await this.submit({ Kind: args.Op, Key: args.Key, Value: args.Value, ClientId: args.ClientId, SeqNum: args.SeqNum });
    reply.Err = outcome.Err;
    // </solution>
    // <stub>
    //! reply.Err = ErrWrongLeader;
    // </stub>
  }

  // the tester calls Kill() when a KVServer instance won't
  // be needed again. for your convenience, we supply
  // code to set dead and to kill Raft, and a killed()
  // method to test dead in long-running loops. you can
  // also add your own code to Kill(). you're not required
  // to do anything about this, but it may be convenient
  // (for example) to suppress debug output from a Kill()ed
  // instance.
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
  /**
   * Puts op in the Raft log and waits until it is applied. Answers ErrWrongLeader if this
   * server is not the leader, or stops being it (its term changes, or another entry is applied
   * at the index), or the entry is not applied within applyTimeoutMs: the Clerk then tries
   * another server, and the duplicate table makes sure a Put/Append still applies once.
   */
  private submit(op: Op): Promise<Outcome> {
    if (this.killed()) return Promise.resolve(wrongLeader);
    const [index, term, isLeader] = this.rf.Start(encodeOp(op));
    if (!isLeader) return Promise.resolve(wrongLeader);
    log('S%d start %s %s at index %d term %d (client %d seq %d)', this.me, op.Kind, op.Key, index, term, op.ClientId, op.SeqNum);
    return new Promise<Outcome>((resolve) => {
      const startedMs = now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        op,
        term,
        finish: (outcome) => {
          if (this.waiters.get(index) === waiter) this.waiters.delete(index);
          if (timer !== undefined) clearTimeout(timer);
          timer = undefined;
          resolve(outcome);
        },
      };
      // An older handler waiting at this index lost its entry: this Start took the index over.
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
      if (msg.CommandValid) this.applyCommand(decodeOp(msg.Command), msg.CommandIndex);
      else if (msg.SnapshotValid) this.applySnapshot(msg.Snapshot, msg.SnapshotIndex);
    }
  }

  private applyCommand(op: Op | undefined, index: number): void {
    if (index <= this.lastApplied) return; // already in the state (from a snapshot)
    this.lastApplied = index;
    const outcome = op === undefined ? wrongLeader : this.execute(op);
    const waiter = this.waiters.get(index);
    if (waiter !== undefined) {
      const same = op !== undefined && waiter.op.ClientId === op.ClientId && waiter.op.SeqNum === op.SeqNum;
      waiter.finish(same ? outcome : wrongLeader);
    }
    this.maybeSnapshot(index);
  }

  /** Applies op to the state, once per (ClientId, SeqNum) for Put/Append. */
  private execute(op: Op): Outcome {
    if (op.Kind === 'Get') {
      const value = this.data.get(op.Key);
      return value === undefined ? { Err: ErrNoKey, Value: '' } : { Err: OK, Value: value };
    }
    if ((this.lastSeq.get(op.ClientId) ?? 0) < op.SeqNum) {
      this.data.set(op.Key, op.Kind === 'Put' ? op.Value : (this.data.get(op.Key) ?? '') + op.Value);
      this.lastSeq.set(op.ClientId, op.SeqNum);
    }
    return { Err: OK, Value: '' };
  }

  private applySnapshot(snapshot: Uint8Array, index: number): void {
    if (index <= this.lastApplied) return; // older than what is applied already
    this.restore(snapshot);
    this.lastApplied = index;
    // Entries up to index came in the snapshot: their handlers cannot tell whether they were theirs.
    for (const [at, waiter] of [...this.waiters]) if (at <= index) waiter.finish(wrongLeader);
  }

  /** Hands Raft a snapshot once its saved state approaches maxraftstate (-1: never). */
  private maybeSnapshot(index: number): void {
    if (this.maxraftstate < 0 || this.persister.RaftStateSize() < this.maxraftstate * snapshotFraction) return;
    const state: SnapshotState = { index, data: this.data, lastSeq: this.lastSeq };
    this.rf.Snapshot(index, encode(state));
  }

  /** Replaces the state with a snapshot's (nothing if it is empty). */
  private restore(snapshot: Uint8Array): void {
    if (snapshot.length === 0) return;
    const state = decode<SnapshotState>(snapshot);
    this.data = state.data;
    this.lastSeq = state.lastSeq;
    this.lastApplied = state.index;
  }
  // </solution>
}

// servers[] contains the ports of the set of
// servers that will cooperate via Raft to
// form the fault-tolerant key/value service.
// me is the index of the current server in servers[].
// the k/v server should store snapshots through the underlying Raft
// implementation, which should call persister.Save() to
// atomically save the Raft state along with the snapshot.
// the k/v server should snapshot when Raft's saved state exceeds maxraftstate bytes,
// in order to allow Raft to garbage-collect its log. if maxraftstate is -1,
// you don't need to snapshot.
// StartKVServer() must return quickly, so it should start long-running
// work (loops) as async functions that it does not await.
export function StartKVServer(servers: ClientEnd[], me: number, persister: PersisterLike, maxraftstate: number): KVServer {
  return new KVServer(servers, me, persister, maxraftstate);
}
