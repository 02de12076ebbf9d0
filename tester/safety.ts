import { inspect } from 'node:util';
import { asServer, currentRuntime, now } from '../sim/index.ts';
import type { HandledRpc } from '../labrpc/index.ts';
import { TestFailure, type FailureDetails } from './failure.ts';
import { fieldsOf } from './faults.ts';

/**
 * Raft's safety properties as monitors: checked after every simulated event of a graded run,
 * through what the student API exposes (GetState, Start, what is applied) and what crosses the
 * network, never through private fields. They are stronger than 6.5840, which samples
 * leadership every half second and so misses two leaders that last a few milliseconds; each
 * one checks only what every correct Raft must do, so none can fail a correct Raft:
 *
 * - Election Safety (Figure 3): at most one server is ever leader in a given term, counting
 *   every server, connected or not, crashed since or not.
 * - Election Safety, at its causes: a server grants its vote to at most one candidate per term,
 *   across its restarts too (votedFor is persistent state); and a server becomes leader of a
 *   term only with the votes of a majority in that term (Figure 2, Rules for Servers). Seen only
 *   where the RPC uses Figure 2's names (`Term`, `CandidateId` in the arguments, `VoteGranted`
 *   in the reply): until one such RPC has been seen, the vote checks stay silent. A grant counts
 *   once its reply leaves the voter, even if the network loses it, so the count never falls
 *   short of what the candidate can have received.
 * - Monotonic Term (Figure 2: currentTerm "increases monotonically"): GetState's term never goes
 *   down within a server's life, and a restarted server comes back with at least the term it
 *   put in any reply it sent before the crash (persistent state is saved "before responding to
 *   RPCs"). Terms a server only learnt, never answered with, may be lost in a crash.
 * - Leader Completeness (Figure 3): once an entry has been applied at index k (so committed in a
 *   term no higher than any server's term at that moment), a leader of that term or a later one
 *   must hold index k, so its Start() cannot hand out index k or lower.
 * - State Machine Safety (Figure 3) stays where 6.5840 checks it, in the appliers ("apply").
 */
export const properties = {
  electionSafety: 'Election Safety',
  monotonicTerm: 'Monotonic Term',
  leaderCompleteness: 'Leader Completeness',
} as const;

/** What the monitor needs to know of the cluster under test. */
export interface MonitoredCluster {
  /** Number of servers. */
  readonly n: number;
  /** Server i's running Raft (anything with GetState), or null while it is crashed. */
  raftOf(i: number): { GetState(): unknown } | null;
}

interface Claim {
  server: number;
  atMs: number;
}

/** The safety monitors of one graded run; wire it with the methods named on*. */
export class SafetyMonitor {
  private readonly leaderOfTerm = new Map<number, Claim>();
  private readonly votes = new Map<string, Claim & { candidate: number }>();
  /** Voters who granted each (term, candidate), keyed `term:candidate`. */
  private readonly grants = new Map<string, Set<number>>();
  /** Whether a RequestVote with Figure 2's field names has been seen: the vote checks need it. */
  private votesVisible = false;
  /** GetState's term of each server in its current life, or -1 before the first sample. */
  private readonly lastTerm: number[];
  /** The highest term each server put in a reply: its next life must start at least there. */
  private readonly repliedTerm: number[];
  private readonly repliedAtMs: number[];
  /** Each server's term when it crashed last (-1 if it never did), for the report. */
  private readonly termAtCrash: number[];
  /** Whether each server has crashed at least once (its term must then survive the crash). */
  private readonly restarted: boolean[];
  /** For each applied index: when it was first applied, by whom, and the highest term then. */
  private readonly firstApply = new Map<number, { server: number; atMs: number; termBound: number; command: unknown }>();
  private maxAppliedIndex = 0;
  /** The highest term any server has reported so far. */
  private maxTerm = 0;
  private stopped = false;

  /**
   * `group` names the Raft group in verdicts where a test runs several (Lab 4: "group 101"); the
   * servers are then numbered within the group.
   */
  constructor(
    private readonly cluster: MonitoredCluster | undefined,
    servers: number,
    private readonly group?: string,
  ) {
    this.lastTerm = new Array<number>(servers).fill(-1);
    this.repliedTerm = new Array<number>(servers).fill(-1);
    this.repliedAtMs = new Array<number>(servers).fill(0);
    this.termAtCrash = new Array<number>(servers).fill(-1);
    this.restarted = new Array<boolean>(servers).fill(false);
  }

  /** Stops checking (the test is over). */
  stop(): void {
    this.stopped = true;
  }

  /** After every event: every running server's GetState, for Election Safety and Monotonic Term. */
  afterEvent(): void {
    const cluster = this.cluster;
    if (this.stopped || cluster === undefined) return;
    for (let i = 0; i < cluster.n; i++) {
      const rf = cluster.raftOf(i);
      if (rf === null) continue;
      const [term, isLeader] = this.getState(i, rf);
      this.observeTerm(i, term);
      if (isLeader) this.observeLeader(i, term);
    }
  }

  /** Server i crashed: its next GetState starts a new life. */
  onCrash(i: number): void {
    if (this.lastTerm[i]! >= 0) this.termAtCrash[i] = this.lastTerm[i]!;
    this.lastTerm[i] = -1;
    this.restarted[i] = true;
  }

  /** An RPC whose handler ran and whose reply left the server: votes granted, terms answered with. */
  onHandled(rpc: HandledRpc): void {
    if (this.stopped) return;
    try {
      this.checkHandled(rpc);
    } catch {
      // A violation has already ended the run; the RPC in flight must not fail because of it.
    }
  }

  private checkHandled(rpc: HandledRpc): void {
    const server = Number(rpc.server);
    if (!Number.isInteger(server) || server < 0 || server >= this.lastTerm.length) return;
    const reply = fieldsOf(rpc.reply());
    if (reply === undefined) return;
    if (Number.isInteger(reply.Term) && (reply.Term as number) > this.repliedTerm[server]!) {
      this.repliedTerm[server] = reply.Term as number;
      this.repliedAtMs[server] = now();
    }
    if (typeof reply.VoteGranted !== 'boolean') return;
    const args = fieldsOf(rpc.args());
    if (args === undefined || !Number.isInteger(args.Term) || !Number.isInteger(args.CandidateId)) return;
    this.votesVisible = true;
    if (reply.VoteGranted) this.observeVote(server, args.Term as number, args.CandidateId as number);
  }

  /** The tester's Start() on server i returned (index, term, isLeader). */
  onStart(i: number, index: number, term: number, isLeader: boolean): void {
    if (this.stopped || !isLeader || index > this.maxAppliedIndex) return;
    for (let k = index; k <= this.maxAppliedIndex; k++) {
      const applied = this.firstApply.get(k);
      if (applied === undefined || applied.termBound > term) continue;
      this.violate(
        properties.leaderCompleteness,
        `server ${i} leads term ${term} without the committed entry at index ${k}: its Start() handed out index ${index}`,
        {
          expected: `a leader of term ${term} holds every entry committed in term ${term} or earlier, so Start() returns an index above ${k}`,
          seen: `server ${applied.server} applied ${fmt(applied.command)} at index ${k} at ${sec(applied.atMs)}, when no server's term was above ${applied.termBound}; server ${i} (leader of term ${term}) returned index ${index} from Start()`,
          index: k,
          servers: [i, applied.server],
        },
      );
      return;
    }
  }

  /** Server i applied `command` at `index` (a checked ApplyMsg). */
  onApply(i: number, index: number, command: unknown): void {
    if (this.stopped || this.firstApply.has(index)) return;
    // Whoever committed it led a term no higher than the highest term reported up to now.
    this.afterEvent();
    this.firstApply.set(index, { server: i, atMs: now(), termBound: this.maxTerm, command });
    if (index > this.maxAppliedIndex) this.maxAppliedIndex = index;
  }

  private getState(i: number, rf: { GetState(): unknown }): [number, boolean] {
    let r: unknown;
    try {
      r = asServer(String(i), () => rf.GetState());
    } catch (e) {
      this.violate('GetState', `GetState() of server ${i} threw: ${e instanceof Error ? e.message : String(e)}`, {
        servers: [i],
        expected: 'GetState() returns [term, isLeader] without throwing (the safety monitors call it after every event)',
        seen: e instanceof Error && e.stack !== undefined ? e.stack.split('\n').slice(0, 4).join(' | ') : String(e),
      });
    }
    if (!Array.isArray(r) || r.length < 2 || !Number.isInteger(r[0]) || typeof r[1] !== 'boolean') {
      this.violate('GetState', `GetState() of server ${i} returned ${fmt(r)}`, {
        servers: [i],
        expected: '[term: number (a whole number), isLeader: boolean], returned at once (not a Promise)',
        seen: fmt(r),
      });
    }
    return [r[0] as number, r[1] as boolean];
  }

  private observeTerm(i: number, term: number): void {
    const last = this.lastTerm[i]!;
    if (last >= 0 && term < last) {
      this.violate(properties.monotonicTerm, `server ${i}'s term went down from ${last} to ${term}`, {
        expected: `currentTerm never decreases (Figure 2); server ${i} reported term ${last} before`,
        seen: `GetState() of server ${i} returned term ${term}`,
        servers: [i],
      });
    }
    if (last < 0 && this.restarted[i] && term < this.repliedTerm[i]!) {
      const crashed = this.termAtCrash[i]! >= 0 ? ` and had term ${this.termAtCrash[i]} when it crashed` : '';
      this.violate(properties.monotonicTerm, `server ${i} restarted with term ${term}, but before its crash it had answered an RPC in term ${this.repliedTerm[i]}`, {
        expected: `term ${this.repliedTerm[i]} or more after the restart: currentTerm is persistent state, saved before responding to RPCs (Figure 2)`,
        seen: `server ${i} answered in term ${this.repliedTerm[i]} at ${sec(this.repliedAtMs[i]!)}${crashed}, and came back with term ${term}`,
        servers: [i],
      });
    }
    this.lastTerm[i] = term;
    if (term > this.maxTerm) this.maxTerm = term;
  }

  private observeLeader(i: number, term: number): void {
    const first = this.leaderOfTerm.get(term);
    if (first === undefined) {
      this.checkQuorum(i, term);
      this.leaderOfTerm.set(term, { server: i, atMs: now() });
      return;
    }
    if (first.server === i) return;
    this.violate(properties.electionSafety, `two leaders in term ${term}: server ${first.server} and server ${i}`, {
      expected: `at most one leader per term (Figure 3); server ${first.server} has led term ${term} since ${sec(first.atMs)}`,
      seen: `server ${i} also claims to lead term ${term} at ${sec(now())}`,
      servers: [first.server, i],
    });
  }

  /** A new leader of `term` must hold the votes of a majority granted in that very term. */
  private checkQuorum(leader: number, term: number): void {
    if (!this.votesVisible) return;
    const voters = new Set(this.grants.get(`${term}:${leader}`));
    voters.add(leader); // its own vote
    const majority = Math.floor(this.lastTerm.length / 2) + 1;
    if (voters.size >= majority) return;
    this.violate(properties.electionSafety, `server ${leader} became leader of term ${term} without a majority of votes in term ${term}`, {
      expected: `votes from ${majority} of ${this.lastTerm.length} servers granted in term ${term} (its own included): a candidate counts only replies to its RequestVote of the current term (Figure 2)`,
      seen: `votes granted in term ${term} to server ${leader}: ${[...voters].sort((a, b) => a - b).map((v) => `server ${v}`).join(', ')}`,
      servers: [leader],
    });
  }

  private observeVote(voter: number, term: number, candidate: number): void {
    const grantKey = `${term}:${candidate}`;
    let granted = this.grants.get(grantKey);
    if (granted === undefined) this.grants.set(grantKey, (granted = new Set()));
    granted.add(voter);
    const key = `${voter}:${term}`;
    const first = this.votes.get(key);
    if (first === undefined) {
      this.votes.set(key, { server: voter, atMs: now(), candidate });
      return;
    }
    if (first.candidate === candidate) return;
    this.violate(properties.electionSafety, `server ${voter} voted twice in term ${term}: for server ${first.candidate} and for server ${candidate}`, {
      expected: `one vote per term: votedFor is persistent state (Figure 2), and server ${voter} granted its term-${term} vote to server ${first.candidate} at ${sec(first.atMs)}`,
      seen: `server ${voter} granted its vote in term ${term} to server ${candidate} at ${sec(now())}`,
      servers: [voter, first.candidate, candidate],
    });
  }

  /** Ends the run at this event with a failure named after the property. */
  private violate(check: string, message: string, details: FailureDetails): never {
    this.stopped = true;
    const failure = new TestFailure(check, this.group === undefined ? message : `${this.group}: ${message}`, details);
    currentRuntime().fail(failure);
    throw failure;
  }
}

function sec(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

function fmt(v: unknown): string {
  return inspect(v, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 40 });
}
