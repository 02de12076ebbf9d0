/**
 * raft.ts: a Raft peer, the file you write in the Raft labs.
 *
 * What the service (or the tester) calls; each function's own comment gives the details.
 *
 *   const rf = Make(peers, me, persister, applyCh)
 *     builds a Raft server and launches its background loops.
 *   rf.Start(command): [index, term, isLeader]
 *     proposes a new log entry without waiting for it to commit.
 *   rf.GetState(): [term, isLeader]
 *     reports this peer's current term and whether it believes it leads.
 *   ApplyMsg
 *     what every peer hands, over applyCh, to the service (or tester) on its own server, once
 *     for each newly committed entry.
 *
 * JavaScript has no threads: code between two `await`s runs without interruption, so you need
 * no locks. But anything may change while you wait (an RPC, a sleep, a send on applyCh): after
 * every `await`, check again that the term, your role and the indices you rely on still hold.
 */
import { debug, now, randomInt, sleep, type Channel, type Logger } from '../sim/index.ts';
import type { ClientEnd } from '../labrpc/index.ts';
import { decode, encode, type PersisterLike } from '../persister/index.ts';

/**
 * A message from Raft to the service on its own server, sent on the applyCh given to Make().
 * As a peer learns that further entries are committed, it sends one ApplyMsg per entry, in log
 * order, with CommandValid true.
 *
 * Part 2D adds messages that carry something else (a snapshot); those have CommandValid false.
 */
export interface ApplyMsg {
  CommandValid: boolean;
  Command: unknown;
  CommandIndex: number;

  // Snapshot delivery (2D):
  SnapshotValid: boolean;
  Snapshot: Uint8Array;
  SnapshotTerm: number;
  SnapshotIndex: number;
}
// <solution>

/** Followers wait at least this long without hearing from a leader before they stand for election... */
const electionTimeoutMinMs = 300;
/**
 * ...plus a random part of up to this much, so that two followers rarely time out together and
 * split the vote. 300-600 ms: well above the heartbeat interval (three heartbeats may be lost in
 * a row), and short enough that the tester sees a new leader within 5 s even after a few split
 * votes.
 */
const electionTimeoutSpreadMs = 300;
/** The tester allows at most ten heartbeats per second. */
const heartbeatIntervalMs = 100;
/**
 * The ticker sleeps until the election deadline, but never longer than this: granting a vote
 * resets the deadline to a random time that may be earlier than the one being slept on.
 */
const electionCheckMaxMs = 50;
/**
 * RPCs that may wait for a reply from one peer at a time. A call to a disconnected peer can take
 * 7 s to fail, so without a bound a leader would pile up 70 of them (each holding its entries);
 * the bound is high enough that a slow or reordering network never starves heartbeats.
 */
const maxInFlightRpcsPerPeer = 20;

/** The log entries that Raft replicates. */
export interface LogEntry {
  Term: number;
  Command: unknown;
}

type Role = 'follower' | 'candidate' | 'leader';

/** What persist() saves: Figure 2's persistent state plus where the snapshot ends. */
interface PersistentState {
  currentTerm: number;
  votedFor: number;
  /** The log after the snapshot, as consecutive encoded runs of entries (see EncodedLog). */
  logChunks: Uint8Array[];
  lastIncludedIndex: number;
  lastIncludedTerm: number;
}

/** Log entries per chunk of the persisted log; chunk k holds Raft indices k*64+1 .. k*64+64. */
const entriesPerChunk = 64;

/**
 * The log as persist() saves it: in chunks of entriesPerChunk entries, each encoded once and
 * kept while it stays the same. Encoding the whole log on every persist() (every Start, every
 * AppendEntries that adds entries) costs time in proportion to the log each time, and so time in
 * proportion to the square of the commands over a long test; this way a persist() encodes the
 * last chunk or two and copies the bytes of the others.
 *
 * No caller has to say what changed: this log's entries are never modified in place (the log is
 * only appended to, cut and sliced), so a chunk is still good exactly while the log holds the
 * very same entry objects, in the same places, as when the chunk was encoded.
 */
class EncodedLog {
  /** By chunk number: the entries a chunk was encoded from, and its bytes. */
  private chunks = new Map<number, { entries: LogEntry[]; bytes: Uint8Array }>();

  /** The encoded chunks of `log`, whose first entry has Raft index `firstIndex`. */
  encode(log: LogEntry[], firstIndex: number): Uint8Array[] {
    const kept = new Map<number, { entries: LogEntry[]; bytes: Uint8Array }>();
    const out: Uint8Array[] = [];
    const lastIndex = firstIndex + log.length - 1;
    for (let from = firstIndex; from <= lastIndex; ) {
      const k = Math.floor((from - 1) / entriesPerChunk);
      const to = Math.min((k + 1) * entriesPerChunk, lastIndex);
      const position = from - firstIndex;
      let chunk = this.chunks.get(k);
      if (chunk === undefined || !sameEntries(chunk.entries, log, position, to - from + 1)) {
        const entries = log.slice(position, position + to - from + 1);
        chunk = { entries, bytes: encode(entries) };
      }
      kept.set(k, chunk);
      out.push(chunk.bytes);
      from = to + 1;
    }
    this.chunks = kept;
    return out;
  }
}

/** Whether log[position ..] holds exactly `entries` (the same objects). */
function sameEntries(entries: LogEntry[], log: LogEntry[], position: number, count: number): boolean {
  if (entries.length !== count) return false;
  for (let i = 0; i < count; i++) if (entries[i] !== log[position + i]) return false;
  return true;
}

/** A snapshot received from the leader that the applier still has to hand to the service. */
interface PendingSnapshot {
  index: number;
  term: number;
  data: Uint8Array;
}

/** Why a leader sends: a heartbeat (timer), or to ship entries (Start, or a reply that made progress). */
type SendReason = 'heartbeat' | 'replicate';

/** A broken Raft invariant: a bug in this file, never the network's doing. */
class RaftInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RaftInvariantError';
  }
}

function assert(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new RaftInvariantError(message());
}

/**
 * Wakes one waiting loop. A notify() that comes while nobody waits is remembered, so the loop
 * never sleeps through work that arrived just before it began to wait.
 */
class Signal {
  private notified = false;
  private wake: (() => void) | undefined;

  notify(): void {
    this.notified = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async wait(): Promise<void> {
    if (!this.notified) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    this.notified = false;
  }
}
// </solution>

/** A Go-style constructor for a Raft peer; see the Raft constructor below. */
export function Make(peers: ClientEnd[], me: number, persister: PersisterLike, applyCh: Channel<ApplyMsg>): Raft {
  return new Raft(peers, me, persister, applyCh);
}

/** One server's Raft: its state, its RPC handlers and its background loops. */
export class Raft {
  private readonly peers: ClientEnd[]; // one ClientEnd per server, indexed by server number
  private readonly persister: PersisterLike; // stable storage that survives a crash
  private readonly me: number; // our own position in peers
  private readonly applyCh: Channel<ApplyMsg>; // where committed entries go to the service
  private dead = false; // true once Kill() has been called
  /**
   * Debug output, like 6.5840's DPrintf: silent unless you run with DEBUG=raft:* (or
   * DEBUG=raft:S0 for one server). Each line shows the virtual time and the server. Example:
   *   this.dprintf('term %d: granted vote to S%d', this.currentTerm, args.CandidateId);
   * Formatting only happens when it prints; for an expensive message check
   * `this.dprintf.enabled` first.
   */
  private readonly dprintf: Logger;

  // Your data here (2A, 2B, 2C).
  // The paper's Figure 2 lists the state every Raft server needs.
  // <solution>

  // Persistent state (Figure 2), saved by persist() whenever it changes, before any reply.
  private currentTerm = 0;
  private votedFor = -1; // -1: no vote given in currentTerm
  /** The entries after the snapshot: log[0] has index lastIncludedIndex + 1. */
  private log: LogEntry[] = [];
  private lastIncludedIndex = 0;
  private lastIncludedTerm = 0;
  /** The latest snapshot (empty before the first). Save() replaces both, so every persist() re-saves it. */
  private snapshot: Uint8Array = new Uint8Array(0);
  /** The log's encoding, kept between persist() calls. */
  private readonly encodedLog = new EncodedLog();

  // Volatile state on all servers.
  private role: Role = 'follower';
  private commitIndex = 0;
  /** The highest index handed to the service; written by the applier alone. */
  private lastApplied = 0;
  private electionDeadlineMs = 0;
  /** Who voted for us in the current election (a set, so a duplicated reply counts once). */
  private votesGranted = new Set<number>();
  private pendingSnapshot: PendingSnapshot | undefined;
  private readonly applySignal = new Signal();

  // Volatile state on leaders, set afresh by each election.
  private nextIndex: number[] = [];
  private matchIndex: number[] = [];

  // RPCs to each peer still waiting for a reply. Not reset on election: they count real calls.
  private readonly inFlightRpcs: number[];
  /** Of those, the ones sent to ship entries; Start() adds nothing to a peer that has one. */
  private readonly replicationRpcs: number[];
  /** Start() queued a replication round that has not run yet (coalesces Starts in one turn). */
  private replicationScheduled = false;
  private readonly otherPeers: number[];
  // </solution>

  /**
   * Called by the service or tester to create one Raft server. peers[] has an end for every
   * server, this one included, in the same order on all servers; peers[me] is our own. persister
   * is where this server saves its persistent state, and it already holds the last state saved
   * before a restart, if any. applyCh is where the service or tester expects ApplyMsg messages.
   * Return promptly: start async loops for anything long-running instead of awaiting it here.
   */
  constructor(peers: ClientEnd[], me: number, persister: PersisterLike, applyCh: Channel<ApplyMsg>) {
    this.peers = peers;
    this.persister = persister;
    this.me = me;
    this.applyCh = applyCh;
    this.dprintf = debug(`raft:S${me}`);

    // Your initialization code here (2A, 2B, 2C).
    // <solution>
    this.inFlightRpcs = peers.map(() => 0);
    this.replicationRpcs = peers.map(() => 0);
    this.otherPeers = peers.map((_, i) => i).filter((i) => i !== me);
    this.resetElectionTimer();
    // </solution>

    // pick up whatever this server persisted before it crashed
    this.readPersist(persister.ReadRaftState());

    // launch the election-timeout loop (not awaited)
    void this.ticker();
    // <solution>
    void this.applier();
    // </solution>
  }

  /** Reports this peer's current term and whether it believes it leads. */
  GetState(): [term: number, isLeader: boolean] {
    // <stub>
    //! let term = 0;
    //! let isLeader = false;
    //! // Your code here (2A).
    //! return [term, isLeader];
    // </stub>
    // <solution>
    return [this.currentTerm, this.role === 'leader'];
    // </solution>
  }

  /**
   * Writes the state that must survive a crash (Figure 2 says which) to the persister, so that a
   * restarted server can read it back. Until snapshots exist, give Save() null as its second
   * argument; afterwards give it the current snapshot (still null if none has been taken yet).
   */
  private persist(): void {
    // Your code here (2C).
    // Example:
    //   const raftstate = encode({ currentTerm: this.currentTerm, votedFor: this.votedFor, log: this.log });
    //   this.persister.Save(raftstate, null);
    // Use plain objects and arrays: class instances lose their methods on the way through encode.
    // <solution>
    const state: PersistentState = {
      currentTerm: this.currentTerm,
      votedFor: this.votedFor,
      logChunks: this.encodedLog.encode(this.log, this.lastIncludedIndex + 1),
      lastIncludedIndex: this.lastIncludedIndex,
      lastIncludedTerm: this.lastIncludedTerm,
    };
    this.persister.Save(encode(state), this.snapshot);
    // </solution>
  }

  /** Loads the state persist() saved, if any. */
  private readPersist(data: Uint8Array): void {
    if (data.length < 1) {
      // first boot: nothing saved yet
      return;
    }
    // Your code here (2C).
    // Example:
    //   const state = decode<{ currentTerm: number; votedFor: number; log: LogEntry[] }>(data); // LogEntry: your type
    //   this.currentTerm = state.currentTerm;
    //   ...
    // <solution>
    const state = decode<PersistentState>(data);
    this.currentTerm = state.currentTerm;
    this.votedFor = state.votedFor;
    this.log = state.logChunks.flatMap((chunk) => decode<LogEntry[]>(chunk));
    this.lastIncludedIndex = state.lastIncludedIndex;
    this.lastIncludedTerm = state.lastIncludedTerm;
    this.snapshot = this.persister.ReadSnapshot();
    // The service restores the snapshot itself (from the persister) when it restarts, so
    // applying resumes right after it.
    this.commitIndex = this.lastIncludedIndex;
    this.lastApplied = this.lastIncludedIndex;
    this.dprintf('restarted: term %d, votedFor %d, snapshot through %d, log through %d', this.currentTerm, this.votedFor, this.lastIncludedIndex, this.lastLogIndex());
    // </solution>
  }

  /**
   * The service has saved a snapshot covering every entry up to and including index, so Raft no
   * longer needs those entries and should discard as many of them as it can.
   *
   * The tester calls this from its applyCh receive loop, that is, while your own code may be
   * waiting for that send to complete.
   */
  Snapshot(index: number, snapshot: Uint8Array): void {
    // Your code here (2D).
    // <solution>
    // Older than what we have (a late call), or beyond what is committed (never offered to
    // the service, so it cannot be in its state): ignore.
    if (index <= this.lastIncludedIndex || index > this.commitIndex) {
      this.dprintf('ignored Snapshot(%d): have snapshot through %d, commit %d', index, this.lastIncludedIndex, this.commitIndex);
      return;
    }
    this.lastIncludedTerm = this.termAt(index);
    // slice, not splice: a fresh array lets the trimmed entries be collected.
    this.log = this.log.slice(this.position(index) + 1);
    this.lastIncludedIndex = index;
    this.snapshot = snapshot;
    this.persist();
    this.dprintf('snapshot through %d (term %d), %d entries left', index, this.lastIncludedTerm, this.log.length);
    // </solution>
  }

  /**
   * Asks Raft to append command to the replicated log. Only a leader accepts it; any other peer
   * answers isLeader false. A leader appends it and returns at once, without waiting for an
   * agreement that may never come (the leader can crash or be deposed). Must still return
   * sensibly after Kill().
   *
   * Returns the index the command will occupy if it commits, the current term, and whether this
   * peer believes it leads.
   */
  Start(command: unknown): [index: number, term: number, isLeader: boolean] {
    // <stub>
    //! let index = -1;
    //! let term = -1;
    //! let isLeader = true;
    //! // Your code here (2B).
    //! return [index, term, isLeader];
    // </stub>
    // <solution>
    if (this.killed() || this.role !== 'leader') return [-1, this.currentTerm, false];
    this.log.push({ Term: this.currentTerm, Command: command });
    this.persist();
    const index = this.lastLogIndex();
    this.dprintf('term %d: Start at index %d', this.currentTerm, index);
    this.advanceCommitIndex(); // a one-server cluster commits at once
    this.replicateSoon();
    return [index, this.currentTerm, true];
    // </solution>
  }

  /**
   * The tester cannot stop the async loops of a finished Raft; it calls Kill() instead, and
   * killed() tells whether that has happened. Loops left running waste time, send stray RPCs
   * and clutter the debug output, so every long-running loop should check killed() and exit.
   */
  Kill(): void {
    this.dead = true;
    // Your code here, if desired.
    // <solution>
    this.applySignal.notify(); // let an idle applier see it and exit
    // </solution>
  }

  killed(): boolean {
    return this.dead;
  }

  /** Background loop: begins an election whenever this peer has gone too long without a leader. */
  private async ticker(): Promise<void> {
    while (!this.killed()) {
      // Your code here (2A)
      // Decide whether it is time to stand for election.
      // <solution>
      if (this.role !== 'leader' && now() >= this.electionDeadlineMs) this.startElection();
      // </solution>

      // Sleep a random 50-350 ms between checks, so peers don't check in lockstep.
      // <stub>
      //! const ms = 50 + randomInt(300);
      // </stub>
      // <solution>
      // A leader has no deadline to watch; it sleeps in steps until it steps down.
      const untilDeadlineMs = this.role === 'leader' ? electionCheckMaxMs : this.electionDeadlineMs - now();
      const ms = Math.min(Math.max(untilDeadlineMs, 1), electionCheckMaxMs);
      // </solution>
      await sleep(ms);
    }
  }

  /**
   * Sends a RequestVote RPC to peer `server` (an index into this.peers) and resolves when it
   * completes. Pass a fresh reply object: the answer is written into it.
   *
   * labrpc imitates an unreliable network: a server may be unreachable, and a request or its
   * reply may be dropped. Call() resolves to true if a reply came back in time and to false
   * otherwise (dead or cut-off server, lost request, lost reply), so it can take a while.
   *
   * Call() always resolves eventually (within about 7 seconds), so add no timeouts of your own.
   * But never let a slow peer hold up the others: start the call to every peer before awaiting.
   *
   * The arguments and the reply are copied through the network, as in Go's labgob: use plain
   * objects (these interfaces), never class instances, or their methods are lost.
   */
  private sendRequestVote(server: number, args: RequestVoteArgs, reply: RequestVoteReply): Promise<boolean> {
    return this.peers[server]!.Call('Raft.RequestVote', args, reply);
  }

  /** Handles a RequestVote RPC from a candidate. */
  RequestVote(args: RequestVoteArgs, reply: RequestVoteReply): void {
    // Your code here (2A, 2B).
    // <solution>
    if (args.Term > this.currentTerm) this.becomeFollower(args.Term);
    reply.Term = this.currentTerm;
    reply.VoteGranted = false;
    if (args.Term < this.currentTerm) return;
    const canVote = this.votedFor === -1 || this.votedFor === args.CandidateId;
    if (!canVote || !this.isAtLeastAsUpToDate(args.LastLogTerm, args.LastLogIndex)) return;
    this.votedFor = args.CandidateId;
    this.persist(); // before the reply leaves: a restarted server must not vote twice in this term
    this.resetElectionTimer();
    reply.VoteGranted = true;
    this.dprintf('term %d: voted for S%d', this.currentTerm, args.CandidateId);
    // </solution>
  }
  // <solution>

  // ---- Elections -------------------------------------------------------------------------

  private startElection(): void {
    this.currentTerm++;
    this.role = 'candidate';
    this.votedFor = this.me;
    this.persist();
    this.resetElectionTimer(); // if this election splits, the next starts after a new random timeout
    this.votesGranted = new Set([this.me]);
    this.dprintf('term %d: became candidate', this.currentTerm);
    if (this.isMajority(this.votesGranted.size)) {
      this.becomeLeader(); // a one-server cluster
      return;
    }
    const args: RequestVoteArgs = {
      Term: this.currentTerm,
      CandidateId: this.me,
      LastLogIndex: this.lastLogIndex(),
      LastLogTerm: this.lastLogTerm(),
    };
    for (const peer of this.otherPeers) void this.requestVoteFrom(peer, args);
  }

  private async requestVoteFrom(peer: number, args: RequestVoteArgs): Promise<void> {
    const reply: RequestVoteReply = { Term: 0, VoteGranted: false };
    const ok = await this.sendRequestVote(peer, args, reply);
    if (!ok || this.killed()) return;
    if (reply.Term > this.currentTerm) {
      this.becomeFollower(reply.Term);
      return;
    }
    // A vote for an earlier election of ours, or this election is already won or lost.
    if (this.role !== 'candidate' || this.currentTerm !== args.Term || !reply.VoteGranted) return;
    this.votesGranted.add(peer);
    if (this.isMajority(this.votesGranted.size)) this.becomeLeader();
  }

  /** The election restriction (§5.4.1): the later last term wins; with equal terms, the longer log. */
  private isAtLeastAsUpToDate(lastLogTerm: number, lastLogIndex: number): boolean {
    const myLastTerm = this.lastLogTerm();
    if (lastLogTerm !== myLastTerm) return lastLogTerm > myLastTerm;
    return lastLogIndex >= this.lastLogIndex();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.nextIndex = this.peers.map(() => this.lastLogIndex() + 1);
    this.matchIndex = this.peers.map(() => 0);
    this.dprintf('term %d: became leader, log through %d', this.currentTerm, this.lastLogIndex());
    void this.heartbeatLoop(this.currentTerm); // its first round goes out now
  }

  /** Adopts a newer term (forgetting the vote) and/or stops leading or campaigning. */
  private becomeFollower(term: number): void {
    if (term > this.currentTerm) {
      this.dprintf('term %d -> %d: newer term seen', this.currentTerm, term);
      this.currentTerm = term;
      this.votedFor = -1;
      this.persist();
    }
    if (this.role === 'follower') return;
    // A leader's election timer was not running; without a fresh deadline it would stand for
    // election at its next tick, before the new leader had a chance to be heard.
    if (this.role === 'leader') this.resetElectionTimer();
    this.role = 'follower';
    this.dprintf('term %d: became follower', this.currentTerm);
  }

  /** A valid AppendEntries or InstallSnapshot arrived: the sender is the leader of `term`. */
  private followLeader(term: number, leaderId: number): void {
    assert(!(term === this.currentTerm && this.role === 'leader'), () => `S${this.me}: two leaders in term ${term}: me and S${leaderId}`);
    this.becomeFollower(term);
    this.resetElectionTimer();
  }

  private resetElectionTimer(): void {
    this.electionDeadlineMs = now() + electionTimeoutMinMs + randomInt(electionTimeoutSpreadMs);
  }

  private isMajority(count: number): boolean {
    return 2 * count > this.peers.length;
  }

  // ---- Replication, leader side ------------------------------------------------------------

  /** Sends heartbeats every heartbeatIntervalMs for as long as we lead in `term`. */
  private async heartbeatLoop(term: number): Promise<void> {
    while (!this.killed() && this.role === 'leader' && this.currentTerm === term) {
      for (const peer of this.otherPeers) void this.replicateTo(peer, 'heartbeat');
      await sleep(heartbeatIntervalMs);
    }
  }

  /**
   * Ships new entries right away instead of at the next heartbeat, but once per turn: Starts
   * made in one go (as the tester does) share one RPC per peer. A peer that already has a
   * replication RPC out gets nothing now; that RPC's reply sends what is left.
   */
  private replicateSoon(): void {
    if (this.replicationScheduled) return;
    this.replicationScheduled = true;
    queueMicrotask(() => {
      this.replicationScheduled = false;
      for (const peer of this.otherPeers) {
        if (this.replicationRpcs[peer] === 0) void this.replicateTo(peer, 'replicate');
      }
    });
  }

  /**
   * One RPC to `peer`: the entries from nextIndex (every heartbeat carries them, so lost RPCs
   * are retried by the next one), or the snapshot if those entries are gone. A reply that moved
   * the peer on sends the next piece at once; only such replies do, so a chain of follow-ups is
   * as long as the peer's backlog, never endless.
   */
  private async replicateTo(peer: number, reason: SendReason): Promise<void> {
    if (this.killed() || this.role !== 'leader' || this.inFlightRpcs[peer]! >= maxInFlightRpcsPerPeer) return;
    this.inFlightRpcs[peer]!++;
    if (reason === 'replicate') this.replicationRpcs[peer]!++;
    const progressed = this.nextIndex[peer]! <= this.lastIncludedIndex ? await this.sendInstallSnapshot(peer) : await this.sendAppendEntries(peer);
    this.inFlightRpcs[peer]!--;
    if (reason === 'replicate') this.replicationRpcs[peer]!--;
    // progressed implies we still lead in the same term (no await since it was checked).
    if (progressed && this.matchIndex[peer]! < this.lastLogIndex()) void this.replicateTo(peer, 'replicate');
  }

  /** Returns whether the reply moved matchIndex up or nextIndex down. */
  private async sendAppendEntries(peer: number): Promise<boolean> {
    const prevLogIndex = this.nextIndex[peer]! - 1;
    const args: AppendEntriesArgs = {
      Term: this.currentTerm,
      LeaderId: this.me,
      PrevLogIndex: prevLogIndex,
      PrevLogTerm: this.termAt(prevLogIndex),
      Entries: this.entriesFrom(prevLogIndex + 1),
      LeaderCommit: this.commitIndex,
    };
    const reply: AppendEntriesReply = { Term: 0, Success: false, XTerm: -1, XIndex: -1, XLen: -1 };
    const ok = await this.peers[peer]!.Call('Raft.AppendEntries', args, reply);
    if (!this.isCurrentReply(ok, args.Term, reply.Term)) return false;
    return reply.Success ? this.onAppendAccepted(peer, args) : this.onAppendRejected(peer, reply);
  }

  private onAppendAccepted(peer: number, args: AppendEntriesArgs): boolean {
    // What this request proved the follower holds; nextIndex or the log length now may differ.
    const matched = args.PrevLogIndex + args.Entries.length;
    if (matched <= this.matchIndex[peer]!) return false; // a reordered, older reply
    this.matchIndex[peer] = matched;
    this.nextIndex[peer] = Math.max(this.nextIndex[peer]!, matched + 1);
    this.advanceCommitIndex();
    return true;
  }

  /** Fast backup: skip a whole conflicting term (or the follower's missing tail) per round trip. */
  private onAppendRejected(peer: number, reply: AppendEntriesReply): boolean {
    let next: number;
    if (reply.XTerm === -1) {
      next = reply.XLen; // the follower's log ends before prevLogIndex
    } else {
      const last = this.lastIndexOfTerm(reply.XTerm);
      // We have XTerm: the follower's XTerm entries agree with ours up to our last one.
      // We don't: none of the follower's XTerm entries are ours.
      next = last === -1 ? reply.XIndex : last + 1;
    }
    next = Math.min(Math.max(next, this.matchIndex[peer]! + 1), this.lastLogIndex() + 1);
    if (next >= this.nextIndex[peer]!) return false; // stale: we already backed up further
    this.nextIndex[peer] = next;
    return true;
  }

  private async sendInstallSnapshot(peer: number): Promise<boolean> {
    const args: InstallSnapshotArgs = {
      Term: this.currentTerm,
      LeaderId: this.me,
      LastIncludedIndex: this.lastIncludedIndex,
      LastIncludedTerm: this.lastIncludedTerm,
      Data: this.snapshot,
    };
    const reply: InstallSnapshotReply = { Term: 0 };
    const ok = await this.peers[peer]!.Call('Raft.InstallSnapshot', args, reply);
    if (!this.isCurrentReply(ok, args.Term, reply.Term)) return false;
    if (args.LastIncludedIndex <= this.matchIndex[peer]!) return false;
    this.matchIndex[peer] = args.LastIncludedIndex;
    this.nextIndex[peer] = Math.max(this.nextIndex[peer]!, args.LastIncludedIndex + 1);
    this.advanceCommitIndex();
    return true;
  }

  /**
   * Whether a leader's RPC reply may be acted on. A newer term makes us step down; a reply to a
   * request from an earlier term of ours (or sent before we stepped down) says nothing about now.
   */
  private isCurrentReply(ok: boolean, sentTerm: number, replyTerm: number): boolean {
    if (!ok || this.killed()) return false;
    if (replyTerm > this.currentTerm) {
      this.becomeFollower(replyTerm);
      return false;
    }
    return this.role === 'leader' && this.currentTerm === sentTerm;
  }

  /**
   * Commits the highest index stored on a majority, but only if it is from the current term
   * (Figure 8): an older entry on a majority can still be overwritten. It becomes committed
   * with the first current-term entry after it.
   */
  private advanceCommitIndex(): void {
    const held = this.peers.map((_, p) => (p === this.me ? this.lastLogIndex() : this.matchIndex[p]!));
    held.sort((a, b) => b - a);
    const majorityIndex = held[Math.floor(this.peers.length / 2)]!;
    if (majorityIndex <= this.commitIndex || this.termAt(majorityIndex) !== this.currentTerm) return;
    this.commitIndex = majorityIndex;
    this.dprintf('term %d: commit through %d', this.currentTerm, this.commitIndex);
    this.applySignal.notify();
  }

  // ---- Replication, follower side ----------------------------------------------------------

  /** AppendEntries RPC handler. */
  AppendEntries(args: AppendEntriesArgs, reply: AppendEntriesReply): void {
    reply.Success = false;
    reply.XTerm = -1;
    reply.XIndex = -1;
    reply.XLen = -1;
    reply.Term = this.currentTerm;
    if (args.Term < this.currentTerm) return; // a deposed leader: the reply's term tells it so
    this.followLeader(args.Term, args.LeaderId);
    reply.Term = this.currentTerm;

    if (args.PrevLogIndex > this.lastLogIndex()) {
      reply.XLen = this.lastLogIndex() + 1;
      return;
    }
    // Below lastIncludedIndex everything is committed, hence the same as the leader's log.
    if (args.PrevLogIndex >= this.lastIncludedIndex && this.termAt(args.PrevLogIndex) !== args.PrevLogTerm) {
      reply.XTerm = this.termAt(args.PrevLogIndex);
      reply.XIndex = this.firstIndexOfTermAt(args.PrevLogIndex);
      reply.XLen = this.lastLogIndex() + 1;
      return;
    }
    this.mergeEntries(args.PrevLogIndex, args.Entries);
    // Entries past the ones this request carried may be stale leftovers: don't commit them.
    const lastNewIndex = args.PrevLogIndex + args.Entries.length;
    const commit = Math.min(args.LeaderCommit, lastNewIndex);
    if (commit > this.commitIndex) {
      this.commitIndex = commit;
      this.dprintf('term %d: commit through %d (leader S%d)', this.currentTerm, commit, args.LeaderId);
      this.applySignal.notify();
    }
    reply.Success = true;
  }

  /**
   * Appends the entries that follow prevLogIndex, truncating our log only at the first entry
   * that conflicts. A late, reordered AppendEntries carrying fewer entries than we already
   * have must not cut off entries that a newer one added (and the leader may count).
   */
  private mergeEntries(prevLogIndex: number, entries: LogEntry[]): void {
    for (let i = 0; i < entries.length; i++) {
      const index = prevLogIndex + 1 + i;
      if (index <= this.lastIncludedIndex) continue; // in our snapshot already
      const entry = entries[i]!;
      if (index <= this.lastLogIndex()) {
        if (this.termAt(index) === entry.Term) continue; // already have it
        assert(index > this.commitIndex, () => `S${this.me}: leader overwrites committed index ${index} (commit ${this.commitIndex})`);
        this.log = this.log.slice(0, this.position(index));
      }
      // concat, not push(...): no argument-count limit for long backlogs.
      this.log = this.log.concat(entries.slice(i));
      this.persist();
      return;
    }
  }

  /** InstallSnapshot RPC handler. */
  InstallSnapshot(args: InstallSnapshotArgs, reply: InstallSnapshotReply): void {
    reply.Term = this.currentTerm;
    if (args.Term < this.currentTerm) return;
    this.followLeader(args.Term, args.LeaderId);
    reply.Term = this.currentTerm;
    // Everything it covers is already committed here and will be applied from the log;
    // installing it could only move the service backwards.
    if (args.LastIncludedIndex <= this.commitIndex) return;

    const index = args.LastIncludedIndex;
    // index > commitIndex >= lastIncludedIndex, so termAt is defined wherever the log reaches.
    const keepSuffix = index <= this.lastLogIndex() && this.termAt(index) === args.LastIncludedTerm;
    this.log = keepSuffix ? this.log.slice(this.position(index) + 1) : [];
    this.lastIncludedIndex = index;
    this.lastIncludedTerm = args.LastIncludedTerm;
    this.snapshot = args.Data;
    this.commitIndex = index;
    this.persist();
    this.pendingSnapshot = { index, term: args.LastIncludedTerm, data: args.Data };
    this.dprintf('term %d: installed snapshot through %d from S%d, kept %d entries', this.currentTerm, index, args.LeaderId, this.log.length);
    this.applySignal.notify();
  }

  // ---- Applying ----------------------------------------------------------------------------

  /**
   * The one loop that sends on applyCh, so messages go out in order, without gaps or repeats.
   * While it waits in send(), the service may call Snapshot() and a leader may install a
   * snapshot; each message is therefore built just before it is sent, from the state of that
   * moment, and lastApplied (which nothing else writes) is advanced after.
   */
  private async applier(): Promise<void> {
    while (!this.killed()) {
      const msg = this.nextApplyMsg();
      if (msg === undefined) {
        await this.applySignal.wait();
        continue;
      }
      try {
        await this.applyCh.send(msg);
      } catch (e) {
        if (this.killed() || this.applyCh.closed) return; // the service shut down
        throw e;
      }
      this.lastApplied = Math.max(this.lastApplied, msg.SnapshotValid ? msg.SnapshotIndex : msg.CommandIndex);
    }
  }

  private nextApplyMsg(): ApplyMsg | undefined {
    const snap = this.pendingSnapshot;
    this.pendingSnapshot = undefined;
    if (snap !== undefined && snap.index > this.lastApplied) {
      return { CommandValid: false, Command: undefined, CommandIndex: 0, SnapshotValid: true, Snapshot: snap.data, SnapshotTerm: snap.term, SnapshotIndex: snap.index };
    }
    if (this.lastApplied >= this.commitIndex) return undefined;
    const index = this.lastApplied + 1;
    assert(index > this.lastIncludedIndex, () => `S${this.me}: next index to apply ${index} is inside the snapshot (through ${this.lastIncludedIndex})`);
    return { CommandValid: true, Command: this.entryAt(index).Command, CommandIndex: index, SnapshotValid: false, Snapshot: new Uint8Array(0), SnapshotTerm: 0, SnapshotIndex: 0 };
  }

  // ---- Log indexing: Raft indices vs positions in this.log after the snapshot -------------

  private lastLogIndex(): number {
    return this.lastIncludedIndex + this.log.length;
  }

  private lastLogTerm(): number {
    return this.log.length > 0 ? this.log[this.log.length - 1]!.Term : this.lastIncludedTerm;
  }

  /** The position in this.log of the entry with Raft index `index`. */
  private position(index: number): number {
    return index - this.lastIncludedIndex - 1;
  }

  /** The term of the entry at `index`, which must be lastIncludedIndex or in the log. */
  private termAt(index: number): number {
    if (index === this.lastIncludedIndex) return this.lastIncludedTerm;
    return this.entryAt(index).Term;
  }

  private entryAt(index: number): LogEntry {
    const entry = this.log[this.position(index)];
    assert(entry !== undefined, () => `S${this.me}: no entry at index ${index}: snapshot through ${this.lastIncludedIndex}, log through ${this.lastLogIndex()}`);
    return entry;
  }

  /** A copy of the entries from `index` to the end. */
  private entriesFrom(index: number): LogEntry[] {
    return this.log.slice(this.position(index));
  }

  /** Our last index holding `term`, or -1 if no entry (nor the snapshot's last) has it. */
  private lastIndexOfTerm(term: number): number {
    for (let i = this.lastLogIndex(); i > this.lastIncludedIndex; i--) {
      const t = this.termAt(i);
      if (t === term) return i;
      if (t < term) return -1; // terms never decrease along the log
    }
    return this.lastIncludedTerm === term ? this.lastIncludedIndex : -1;
  }

  /** The first index of the run of entries with the same term as `index` (not below the snapshot). */
  private firstIndexOfTermAt(index: number): number {
    const term = this.termAt(index);
    let first = index;
    while (first - 1 > this.lastIncludedIndex && this.termAt(first - 1) === term) first--;
    return first;
  }
  // </solution>
}

/**
 * What a candidate sends when asking for a vote. Fields are capitalised like those of every
 * other RPC structure here, matching the names in the paper's Figure 2.
 */
export interface RequestVoteArgs {
  // Your data here (2A, 2B).
  // <solution>
  Term: number;
  CandidateId: number;
  LastLogIndex: number;
  LastLogTerm: number;
  // </solution>
}

/** A voter's answer to RequestVote. */
export interface RequestVoteReply {
  // Your data here (2A).
  // <solution>
  Term: number;
  VoteGranted: boolean;
  // </solution>
}

// <solution>
export interface AppendEntriesArgs {
  Term: number;
  LeaderId: number;
  PrevLogIndex: number;
  PrevLogTerm: number;
  Entries: LogEntry[];
  LeaderCommit: number;
}

/**
 * On a mismatch, hints for the leader to back up by a whole term at once: XTerm is the term of
 * our entry at PrevLogIndex (-1 if our log is shorter), XIndex the first index of that term in
 * our log, XLen the index right after our last entry.
 */
export interface AppendEntriesReply {
  Term: number;
  Success: boolean;
  XTerm: number;
  XIndex: number;
  XLen: number;
}

/** The whole snapshot in one RPC (no offset chunking, as the lab asks). */
export interface InstallSnapshotArgs {
  Term: number;
  LeaderId: number;
  LastIncludedIndex: number;
  LastIncludedTerm: number;
  Data: Uint8Array;
}

export interface InstallSnapshotReply {
  Term: number;
}
// </solution>
