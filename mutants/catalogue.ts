/**
 * The mutant catalogue: small, textual bugs injected into the reference solutions, each one a
 * classic Raft or key/value bug from docs/raft-bugs.md. `lab mutants` applies each to a
 * temporary copy of the project and runs the graded tests against it: a mutant the suite fails
 * is "killed"; one it passes "survives", and is either a bug only of performance or a gap in
 * the suite. See docs/mutants.md.
 *
 * Each edit's `find` must occur exactly once in its file (mutants/tests/catalogue.test.ts
 * checks it against the current reference, so a refactor of the reference that breaks a
 * mutant shows up in CI). Keep edits minimal: the smallest change that a student could have
 * made, so that the mutant says something about the suite and not about the edit.
 */

/** The student files a mutant may change. */
export type MutantFile = 'raft/raft.ts' | 'kvraft/server.ts' | 'kvraft/client.ts' | 'shardctrler/server.ts' | 'shardkv/server.ts' | 'shardkv/client.ts';

/** The graded parts, named as `lab test` names them. */
export type MutantPart = '2A' | '2B' | '2C' | '2D' | '2X' | '3A' | '3B' | '3X' | '4A' | '4B' | '4B-challenge';

/** One textual replacement: `find` must occur exactly once in the file. */
export interface MutantEdit {
  find: string;
  replace: string;
}

export interface Mutant {
  /** Short, stable, kebab-case: used by `lab mutants --only`. */
  id: string;
  /** What the bug is, in a line. */
  title: string;
  /** The item number(s) of docs/raft-bugs.md (1-28) or of shardBugs (101-) this mutant is an instance of. */
  bug: number[];
  file: MutantFile;
  /** The parts whose tests run against this mutant (those expected to kill it). */
  parts: MutantPart[];
  /**
   * Only the tests of `parts` whose names contain one of these strings (default: every test
   * of the parts). For the slow key/value parts, to run the tests that matter.
   */
  tests?: string[];
  /** The suite must kill it: `lab mutants` exits non-zero if it survives. Set from measurement. */
  mustKill: boolean;
  /** For a mutant that may survive: why (a performance-only bug, or the suite gap it shows). */
  survives?: string;
  /** Anything else measurement showed: e.g. the test meant for this bug is not the one that kills it. */
  note?: string;
  edits: MutantEdit[];
}

/**
 * Applied to raft/raft.ts in every mutant's copy unless assertions are kept: turns off the
 * reference's own invariant checks (assert() in raft.ts), so that a mutant is killed by the
 * suite's checks, or by a crash as a student's code would have, never by an assertion that a
 * student's code would not contain.
 */
export const assertionsOff: MutantEdit = {
  find: '  if (!condition) throw new RaftInvariantError(message());',
  replace: '  void condition; // assertions off (mutants): the suite must catch the bug, not the reference\'s invariants\n  void message;',
};

const RAFT = 'raft/raft.ts';
const KV_SERVER = 'kvraft/server.ts';
const KV_CLIENT = 'kvraft/client.ts';
const CTRLER_SERVER = 'shardctrler/server.ts';
const SKV_SERVER = 'shardkv/server.ts';
const SKV_CLIENT = 'shardkv/client.ts';

/**
 * Lab 4's classic bugs, numbered after docs/raft-bugs.md's 1-28 (which stops at kvraft),
 * for the `bug` field of the Lab 4 mutants.
 */
export const shardBugs: Readonly<Record<number, string>> = {
  101: "Duplicate detection lost when a shard moves: the duplicate table does not travel with the shard's data.",
  102: 'A shard served before its data has arrived from the previous owner.',
  103: 'Ownership checked when a request arrives but not when it is applied: a request that raced a configuration change writes to a shard already handed over.',
  104: 'Configurations skipped: a group jumps to the latest configuration instead of the next one.',
  105: "A group moves to the next configuration before the current one's migrations are done.",
  106: 'A snapshot restored without the configuration: old configurations are installed again over the data.',
  107: "A shard's data handed over before the old owner has stopped serving it.",
  108: 'A Clerk retrying under a new identity (a new SeqNum), defeating duplicate detection across groups.',
  109: "The old owner deletes a shard's data as soon as it leaves, before the new owner has fetched it.",
  110: 'A controller that moves more shards than necessary on Join/Leave.',
  111: "A controller whose Leave leaves shards assigned to the groups that left.",
  112: 'A group that serves keys of shards it does not own.',
};

export const catalogue: readonly Mutant[] = [
  // ---- Election --------------------------------------------------------------------------
  {
    id: 'timer-not-reset-by-leader',
    title: 'AppendEntries from the current leader does not reset the election timer',
    bug: [1],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by 2X leader and term stay put on a healthy network 20/20 (checkTerms)",
    edits: [{ find: '    this.becomeFollower(term);\n    this.resetElectionTimer();\n  }', replace: '    this.becomeFollower(term);\n  }' }],
  },
  {
    id: 'timer-reset-by-any-vote-request',
    title: 'every RequestVote resets the election timer, granted or not',
    bug: [1],
    file: RAFT,
    parts: ['2A', '2B'],
    mustKill: false,
    survives: "liveness only: it delays elections when a candidate with a stale log keeps asking, and the tests allow 5 s (10 s in one()) for a leader",
    edits: [
      {
        find: '    if (args.Term > this.currentTerm) this.becomeFollower(args.Term);\n    reply.Term = this.currentTerm;\n    reply.VoteGranted = false;',
        replace: '    this.resetElectionTimer();\n    if (args.Term > this.currentTerm) this.becomeFollower(args.Term);\n    reply.Term = this.currentTerm;\n    reply.VoteGranted = false;',
      },
    ],
  },
  {
    id: 'timer-not-reset-on-vote',
    title: 'granting a vote does not reset the election timer',
    bug: [1],
    file: RAFT,
    parts: ['2A'],
    mustKill: false,
    survives: "liveness only: competing candidates become a little more likely; elections still finish well within 5 s",
    edits: [{ find: '    this.resetElectionTimer();\n    reply.VoteGranted = true;', replace: '    reply.VoteGranted = true;' }],
  },
  {
    id: 'fixed-election-timeout',
    title: 'election timeout not randomised',
    bug: [2],
    file: RAFT,
    parts: ['2A'],
    mustKill: true,
    note: "every hop takes 20 us to 1 ms, so timers of one instant all fire before the first vote request arrives and equal timeouts split every vote: 2A kills it 20/20",
    edits: [{ find: 'now() + electionTimeoutMinMs + randomInt(electionTimeoutSpreadMs);', replace: 'now() + electionTimeoutMinMs;' }],
  },
  {
    id: 'narrow-election-timeout',
    title: 'election timeout randomised over only 10 ms',
    bug: [2],
    file: RAFT,
    parts: ['2A', '2C'],
    mustKill: false,
    survives: "liveness only: with every hop taking 20 us to 1 ms, as in Go, a 10 ms spread still separates the first two timeouts by more than a round trip in most elections, so elections take a few more rounds but succeed within the tests' limits (0 of 20 seeds in 2A, 2C and 2X)",
    edits: [{ find: 'const electionTimeoutSpreadMs = 300;', replace: 'const electionTimeoutSpreadMs = 10;' }],
  },
  {
    id: 'candidate-never-retries',
    title: 'a candidate whose election timer fires again does not start a new election',
    bug: [3],
    file: RAFT,
    parts: ['2A'],
    mustKill: true,
    edits: [
      {
        find: "if (this.role !== 'leader' && now() >= this.electionDeadlineMs) this.startElection();",
        replace: "if (this.role === 'follower' && now() >= this.electionDeadlineMs) this.startElection();",
      },
    ],
  },
  {
    id: 'no-step-down-on-vote-request',
    title: 'a higher term in RequestVote updates the term but the leader or candidate does not step down',
    bug: [4],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by the Election Safety monitor: 2X deposed leader learns the new term from replies alone 20/20; 2A multiple elections 10/20",
    edits: [
      {
        find: '    if (args.Term > this.currentTerm) this.becomeFollower(args.Term);\n    reply.Term = this.currentTerm;',
        replace: '    if (args.Term > this.currentTerm) {\n      this.currentTerm = args.Term;\n      this.votedFor = -1;\n      this.persist();\n    }\n    reply.Term = this.currentTerm;',
      },
    ],
  },
  {
    id: 'no-step-down-on-reply',
    title: 'a higher term in an RPC reply is ignored',
    bug: [4],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by 2X deposed leader learns the new term from replies alone 20/20 (stepDown)",
    edits: [
      { find: '      this.becomeFollower(replyTerm);\n      return false;', replace: '      return false;' },
      { find: '      this.becomeFollower(reply.Term);\n      return;', replace: '      return;' },
    ],
  },
  {
    id: 'vote-without-log-check',
    title: 'vote granted without the up-to-date check',
    bug: [5],
    file: RAFT,
    parts: ['2B'],
    mustKill: true,
    edits: [{ find: 'if (!canVote || !this.isAtLeastAsUpToDate(args.LastLogTerm, args.LastLogIndex)) return;', replace: 'if (!canVote) return;' }],
  },
  {
    id: 'vote-by-log-length',
    title: 'up-to-date check compares log length only, not the last term',
    bug: [5],
    file: RAFT,
    parts: ['2B'],
    mustKill: true,
    edits: [{ find: '    if (lastLogTerm !== myLastTerm) return lastLogTerm > myLastTerm;\n', replace: '' }],
  },
  {
    id: 'vote-twice-per-term',
    title: 'votedFor not checked: several votes in one term',
    bug: [6],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by the Election Safety monitor: 2X voter crashes right after voting 20/20, slow disk 20/20; 2A multiple elections 11/20",
    edits: [{ find: 'const canVote = this.votedFor === -1 || this.votedFor === args.CandidateId;', replace: 'const canVote = true;' }],
  },
  {
    id: 'vote-not-persisted',
    title: 'a granted vote is not persisted before the reply',
    bug: [6, 18],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by the Election Safety monitor: 2X voter crashes right after voting 20/20, slow disk 19/20",
    edits: [{ find: '    this.persist(); // before the reply leaves: a restarted server must not vote twice in this term\n', replace: '' }],
  },
  {
    id: 'vote-persisted-after-reply',
    title: 'a granted vote is persisted lazily, after the reply has left (a slow disk)',
    bug: [18],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    edits: [{ find: '    this.persist(); // before the reply leaves: a restarted server must not vote twice in this term\n', replace: '    setTimeout(() => this.persist(), 1);\n' }],
  },
  {
    id: 'timer-reset-by-stale-leader',
    title: 'AppendEntries from a deposed leader of an older term resets the election timer',
    bug: [1],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    edits: [
      {
        find: '    if (args.Term < this.currentTerm) return; // a deposed leader: the reply\'s term tells it so\n    this.followLeader(args.Term, args.LeaderId);',
        replace: '    this.resetElectionTimer();\n    if (args.Term < this.currentTerm) return; // a deposed leader: the reply\'s term tells it so\n    this.followLeader(args.Term, args.LeaderId);',
      },
    ],
  },
  {
    id: 'stale-vote-counted',
    title: 'vote replies from an earlier term counted in the current election',
    bug: [7],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by the Election Safety monitor (a leader without a majority in its term): 2X vote reply delayed past the next election 20/20",
    edits: [
      {
        find: "if (this.role !== 'candidate' || this.currentTerm !== args.Term || !reply.VoteGranted) return;",
        replace: "if (this.role !== 'candidate' || !reply.VoteGranted) return;",
      },
    ],
  },

  // ---- Replication -----------------------------------------------------------------------
  {
    id: 'heartbeat-skips-log-check',
    title: 'an AppendEntries without entries succeeds without the prevLogIndex/prevLogTerm check',
    bug: [8],
    file: RAFT,
    parts: ['2B'],
    mustKill: true,
    edits: [
      {
        find: '    if (args.PrevLogIndex > this.lastLogIndex()) {\n      reply.XLen',
        replace: '    if (args.Entries.length > 0 && args.PrevLogIndex > this.lastLogIndex()) {\n      reply.XLen',
      },
      {
        find: '    if (args.PrevLogIndex >= this.lastIncludedIndex && this.termAt(args.PrevLogIndex) !== args.PrevLogTerm) {',
        replace: '    if (args.Entries.length > 0 && args.PrevLogIndex >= this.lastIncludedIndex && this.termAt(args.PrevLogIndex) !== args.PrevLogTerm) {',
      },
    ],
  },
  {
    id: 'truncate-on-every-append',
    title: 'the log is cut after prevLogIndex on every AppendEntries, not only at a conflict',
    bug: [9],
    file: RAFT,
    parts: ['2C'],
    mustKill: true,
    edits: [
      {
        find: '  private mergeEntries(prevLogIndex: number, entries: LogEntry[]): void {\n',
        replace:
          '  private mergeEntries(prevLogIndex: number, entries: LogEntry[]): void {\n' +
          '    if (prevLogIndex >= this.lastIncludedIndex && prevLogIndex < this.lastLogIndex()) {\n' +
          '      this.log = this.log.slice(0, this.position(prevLogIndex) + 1);\n' +
          '      this.persist();\n' +
          '    }\n',
      },
    ],
  },
  {
    id: 'prev-beyond-end-accepted',
    title: 'prevLogIndex beyond the end of the log is not treated as a mismatch',
    bug: [10],
    file: RAFT,
    parts: ['2B'],
    mustKill: true,
    edits: [
      { find: '    if (args.PrevLogIndex > this.lastLogIndex()) {\n      reply.XLen = this.lastLogIndex() + 1;\n      return;\n    }\n', replace: '' },
      {
        find: '    if (args.PrevLogIndex >= this.lastIncludedIndex && this.termAt(args.PrevLogIndex) !== args.PrevLogTerm) {',
        replace: '    if (args.PrevLogIndex >= this.lastIncludedIndex && args.PrevLogIndex <= this.lastLogIndex() && this.termAt(args.PrevLogIndex) !== args.PrevLogTerm) {',
      },
    ],
  },
  {
    id: 'commit-min-log-length',
    title: "follower's commitIndex = min(leaderCommit, last log index), not the last new entry (AppendEntries carry at most 8 entries)",
    bug: [11],
    file: RAFT,
    parts: ['2C'],
    mustKill: false,
    survives: "needs a follower whose matching prefix is followed by stale entries that leaderCommit covers: killed only now and then by Figure 8 (unreliable)",
    edits: [
      // Not a bug: a batch limit, without which every AppendEntries carries the leader's whole
      // suffix, leaderCommit never exceeds the last new entry, and the mutant below is equivalent.
      { find: 'Entries: this.entriesFrom(prevLogIndex + 1),', replace: 'Entries: this.entriesFrom(prevLogIndex + 1).slice(0, 8),' },
      { find: 'const commit = Math.min(args.LeaderCommit, lastNewIndex);', replace: 'const commit = Math.min(args.LeaderCommit, this.lastLogIndex());' },
    ],
  },
  {
    id: 'commit-leader-commit',
    title: "follower's commitIndex set to leaderCommit without any min (AppendEntries carry at most 8 entries)",
    bug: [11],
    file: RAFT,
    parts: ['2C'],
    mustKill: true,
    edits: [
      { find: 'Entries: this.entriesFrom(prevLogIndex + 1),', replace: 'Entries: this.entriesFrom(prevLogIndex + 1).slice(0, 8),' },
      { find: 'const commit = Math.min(args.LeaderCommit, lastNewIndex);', replace: 'const commit = args.LeaderCommit;' },
    ],
  },
  {
    id: 'commit-earlier-term-by-counting',
    title: 'leader commits an entry of an earlier term by counting replicas (Figure 8)',
    bug: [12],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by 2X Figure 8, step by step 19/20 (apply); Figure 8 (unreliable) about 1 in 20",
    edits: [
      {
        find: 'if (majorityIndex <= this.commitIndex || this.termAt(majorityIndex) !== this.currentTerm) return;',
        replace: 'if (majorityIndex <= this.commitIndex) return;',
      },
    ],
  },
  {
    id: 'match-from-log-length',
    title: "matchIndex set from the leader's log length, not from the acknowledged request",
    bug: [13],
    file: RAFT,
    parts: ['2C'],
    mustKill: true,
    edits: [{ find: 'const matched = args.PrevLogIndex + args.Entries.length;', replace: 'const matched = this.lastLogIndex();' }],
  },
  {
    id: 'match-from-next-index',
    title: 'matchIndex derived from nextIndex - 1 (plus the entries sent) at reply time',
    bug: [13],
    file: RAFT,
    parts: ['2C'],
    mustKill: true,
    edits: [{ find: 'const matched = args.PrevLogIndex + args.Entries.length;', replace: 'const matched = this.nextIndex[peer]! - 1 + args.Entries.length;' }],
  },
  {
    id: 'stale-reply-acted-on',
    title: 'replies to AppendEntries sent in an earlier term are acted on',
    bug: [14],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by 2X AppendEntries replies delayed across a re-election 20/20",
    edits: [{ find: "return this.role === 'leader' && this.currentTerm === sentTerm;", replace: "return this.role === 'leader';" }],
  },
  {
    id: 'slow-backup',
    title: 'nextIndex backed up by one entry per rejection (no XTerm/XIndex/XLen)',
    bug: [15],
    file: RAFT,
    parts: ['2B', '2C'],
    tests: ['leader backs up', 'Figure 8 (unreliable)'],
    mustKill: true,
    note: "TestBackup2B never kills it: backing up 50 entries one round trip at a time costs about 50 ms, as in Go, where hops take as long as here. Figure 8 (unreliable) kills it in 17 seeds of 20",
    edits: [
      {
        find: '    next = Math.min(Math.max(next, this.matchIndex[peer]! + 1), this.lastLogIndex() + 1);',
        replace: '    next = this.nextIndex[peer]! - 1;\n    next = Math.min(Math.max(next, this.matchIndex[peer]! + 1), this.lastLogIndex() + 1);',
      },
    ],
  },
  {
    id: 'slow-backup-per-heartbeat',
    title: 'nextIndex backed up by one entry per rejection, retried only at the next heartbeat',
    bug: [15],
    file: RAFT,
    parts: ['2B', '2C'],
    tests: ['leader backs up', 'Figure 8 (unreliable)', 'churn'],
    mustKill: true,
    note: "GAP in TestBackup2B, which never kills it even at one entry per 100 ms heartbeat: one() needs only a majority, and the followers left behind catch up within its 10 s. Figure 8 (unreliable) and churn kill it",
    edits: [
      {
        find: '    next = Math.min(Math.max(next, this.matchIndex[peer]! + 1), this.lastLogIndex() + 1);',
        replace: '    next = this.nextIndex[peer]! - 1;\n    next = Math.min(Math.max(next, this.matchIndex[peer]! + 1), this.lastLogIndex() + 1);',
      },
      { find: '    this.nextIndex[peer] = next;\n    return true;', replace: '    this.nextIndex[peer] = next;\n    return false;' },
    ],
  },
  {
    id: 'apply-skips-ahead',
    title: 'the applier sends the latest committed entry, skipping the ones before it',
    bug: [16],
    file: RAFT,
    parts: ['2B'],
    mustKill: true,
    edits: [{ find: '    const index = this.lastApplied + 1;\n', replace: '    const index = this.commitIndex;\n' }],
  },
  {
    id: 'two-appliers',
    title: 'two routines send on applyCh, both woken on every commit: entries applied twice',
    bug: [16],
    file: RAFT,
    parts: ['2B', '2D'],
    mustKill: true,
    edits: [
      { find: '    void this.applier();\n', replace: '    void this.applier();\n    void this.applier();\n' },
      // The Signal wakes one waiter; a second applier needs a broadcast to run at all.
      {
        find: '        this.wake = resolve;',
        replace: '        const previous = this.wake;\n        this.wake = () => {\n          previous?.();\n          resolve();\n        };',
      },
    ],
  },
  {
    id: 'heartbeat-every-10ms',
    title: 'heartbeats every 10 ms (100 per second)',
    bug: [17],
    file: RAFT,
    parts: ['2B'],
    mustKill: true,
    edits: [{ find: 'const heartbeatIntervalMs = 100;', replace: 'const heartbeatIntervalMs = 10;' }],
  },
  {
    id: 'rpc-per-start',
    title: 'every Start sends an AppendEntries to every peer at once (no batching)',
    bug: [17],
    file: RAFT,
    parts: ['2B'],
    mustKill: false,
    survives: "performance only: 12 Starts cost 24 AppendEntries, within TestCount2B's 42",
    edits: [
      {
        find:
          '    if (this.replicationScheduled) return;\n    this.replicationScheduled = true;\n    queueMicrotask(() => {\n      this.replicationScheduled = false;\n      for (const peer of this.otherPeers) {\n        if (this.replicationRpcs[peer] === 0) void this.replicateTo(peer, \'replicate\');\n      }\n    });',
        replace: "    for (const peer of this.otherPeers) void this.replicateTo(peer, 'replicate');",
      },
    ],
  },
  {
    id: 'one-entry-per-rpc',
    title: 'each AppendEntries carries at most one entry',
    bug: [17],
    file: RAFT,
    parts: ['2B', '2C'],
    tests: ['RPC counts', 'Figure 8 (unreliable)'],
    mustKill: true,
    note: "not by TestCount2B (11 round trips per follower fit its budget at zero latency) but by Figure 8 (unreliable), whose backlogs then take too long",
    edits: [{ find: 'Entries: this.entriesFrom(prevLogIndex + 1),', replace: 'Entries: this.entriesFrom(prevLogIndex + 1).slice(0, 1),' }],
  },

  // ---- Persistence -----------------------------------------------------------------------
  {
    id: 'persist-nothing',
    title: 'persist() saves nothing',
    bug: [18],
    file: RAFT,
    parts: ['2C'],
    mustKill: true,
    edits: [{ find: '    this.persister.Save(encode(state), this.snapshot);', replace: '    void state;' }],
  },
  {
    id: 'follower-log-not-persisted',
    title: 'entries appended by AppendEntries are not persisted before the reply',
    bug: [18],
    file: RAFT,
    parts: ['2C'],
    mustKill: true,
    edits: [{ find: '      this.log = this.log.concat(entries.slice(i));\n      this.persist();', replace: '      this.log = this.log.concat(entries.slice(i));' }],
  },
  {
    id: 'term-not-persisted',
    title: 'a new term (seen or started) is not persisted',
    bug: [18],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by the Monotonic Term monitor: 2X follower crashes right after answering in a newer term 19/20",
    edits: [
      { find: '      this.votedFor = -1;\n      this.persist();\n', replace: '      this.votedFor = -1;\n' },
      { find: '    this.votedFor = this.me;\n    this.persist();\n', replace: '    this.votedFor = this.me;\n' },
    ],
  },
  {
    id: 'restart-forgets-vote',
    title: 'votedFor not read back after a restart',
    bug: [19, 6],
    file: RAFT,
    parts: ['2X'],
    mustKill: true,
    note: "killed by the Election Safety monitor: 2X voter crashes right after voting 20/20, slow disk 19/20",
    edits: [{ find: '    this.votedFor = state.votedFor;\n', replace: '' }],
  },
  {
    id: 'restart-forgets-snapshot-position',
    title: 'after a restart, commitIndex/lastApplied not set to the snapshot index',
    bug: [19, 24],
    file: RAFT,
    parts: ['2D'],
    mustKill: true,
    edits: [{ find: '    this.commitIndex = this.lastIncludedIndex;\n    this.lastApplied = this.lastIncludedIndex;\n', replace: '' }],
  },

  // ---- Snapshots -------------------------------------------------------------------------
  {
    id: 'snapshot-keeps-last-entry',
    title: 'Snapshot(index) keeps the entry at index in the log (off by one)',
    bug: [20],
    file: RAFT,
    parts: ['2D'],
    mustKill: true,
    edits: [{ find: '    this.log = this.log.slice(this.position(index) + 1);\n', replace: '    this.log = this.log.slice(this.position(index));\n' }],
  },
  {
    id: 'send-off-by-one-after-snapshot',
    title: 'after a snapshot, the leader sends entries from one position too far',
    bug: [20],
    file: RAFT,
    parts: ['2D'],
    mustKill: true,
    edits: [
      {
        find: '    return this.log.slice(this.position(index));\n',
        replace: '    return this.log.slice(this.lastIncludedIndex > 0 ? this.position(index) + 1 : this.position(index));\n',
      },
    ],
  },
  {
    id: 'snapshot-saved-after-state',
    title: 'Snapshot() persists the Raft state before taking the new snapshot: a crash between them breaks recovery',
    bug: [21],
    file: RAFT,
    parts: ['2D'],
    mustKill: true,
    edits: [
      {
        find: "    this.snapshot = snapshot;\n    this.persist();\n    this.dprintf('snapshot through",
        replace: "    this.persist();\n    this.snapshot = snapshot;\n    this.dprintf('snapshot through",
      },
    ],
  },
  {
    id: 'restart-forgets-snapshot',
    title: 'the snapshot is not read back after a restart: the next persist saves nil over it',
    bug: [22],
    file: RAFT,
    parts: ['2D'],
    mustKill: true,
    edits: [{ find: '    this.snapshot = this.persister.ReadSnapshot();\n', replace: '' }],
  },
  {
    id: 'install-snapshot-moves-back',
    title: 'InstallSnapshot older than what is applied is installed and delivered (the service moves backwards)',
    bug: [23],
    file: RAFT,
    parts: ['2D'],
    mustKill: false,
    survives: "needs an InstallSnapshot older than what the follower has applied (a duplicate delayed by the unreliable network) after Raft's own guard is gone: rare",
    edits: [
      { find: '    if (args.LastIncludedIndex <= this.commitIndex) return;\n', replace: '    if (args.LastIncludedIndex <= this.lastIncludedIndex) return;\n' },
      { find: '    if (snap !== undefined && snap.index > this.lastApplied) {', replace: '    if (snap !== undefined) {' },
    ],
  },
  {
    id: 'install-snapshot-keeps-covered',
    title: 'InstallSnapshot keeps the log entries the snapshot covers',
    bug: [23, 20],
    file: RAFT,
    parts: ['2D', '2X'],
    mustKill: true,
    edits: [{ find: 'this.log = keepSuffix ? this.log.slice(this.position(index) + 1) : [];', replace: 'this.log = keepSuffix ? this.log : [];' }],
  },
  {
    id: 'install-snapshot-drops-suffix',
    title: 'InstallSnapshot drops the entries after the snapshot even where they match',
    bug: [23],
    file: RAFT,
    parts: ['2D'],
    mustKill: false,
    survives: "dropping matching entries after the snapshot only loses entries the leader re-sends; unsafe only if the leader counted them already: rare",
    edits: [{ find: 'const keepSuffix = index <= this.lastLogIndex() && this.termAt(index) === args.LastIncludedTerm;', replace: 'const keepSuffix = false;' }],
  },
  {
    id: 'install-snapshot-no-commit',
    title: 'InstallSnapshot does not advance commitIndex to the snapshot index',
    bug: [24],
    file: RAFT,
    parts: ['2D'],
    mustKill: false,
    survives: "lastApplied moves with the snapshot and the next AppendEntries raises commitIndex past it: no visible effect",
    edits: [{ find: '    this.commitIndex = index;\n    this.persist();\n', replace: '    this.persist();\n' }],
  },
  {
    id: 'snapshot-no-last-applied',
    title: 'delivering a snapshot does not advance lastApplied',
    bug: [24],
    file: RAFT,
    parts: ['2D'],
    mustKill: true,
    edits: [
      {
        find: 'this.lastApplied = Math.max(this.lastApplied, msg.SnapshotValid ? msg.SnapshotIndex : msg.CommandIndex);',
        replace: 'this.lastApplied = Math.max(this.lastApplied, msg.CommandIndex);',
      },
    ],
  },

  // ---- Key/value service -----------------------------------------------------------------
  {
    id: 'kv-no-duplicate-detection',
    title: 'the applier executes every Put/Append, retries included',
    bug: [25],
    file: KV_SERVER,
    parts: ['3A', '3B'],
    tests: ['unreliable net, restarts, partitions, many clients (3A)', 'unreliable net, restarts, partitions, snapshots, many clients (3B)'],
    mustKill: true,
    edits: [{ find: '    if ((this.lastSeq.get(op.ClientId) ?? 0) < op.SeqNum) {\n', replace: '    if (true) {\n' }],
  },
  {
    id: 'kv-clerk-new-seq-per-retry',
    title: 'the Clerk numbers each retry as a new operation, defeating duplicate detection',
    bug: [25],
    file: KV_CLIENT,
    parts: ['3A'],
    tests: ['concurrent append to same key'],
    mustKill: true,
    edits: [{ find: '      const reply = {} as R;\n', replace: '      const reply = {} as R;\n      if (attempt > 1) args.SeqNum = ++this.seq;\n' }],
  },
  {
    id: 'kv-stale-read',
    title: 'a server that believes it leads answers Get from its own state, without the log',
    bug: [26],
    file: KV_SERVER,
    parts: ['3A'],
    tests: ['one partition'],
    mustKill: true,
    edits: [
      {
        find: "    const outcome = await this.submit({ Kind: 'Get', Key: args.Key, Value: '', ClientId: args.ClientId, SeqNum: args.SeqNum });\n",
        replace:
          '    const value = this.data.get(args.Key);\n' +
          "    const outcome: Outcome = !this.rf.GetState()[1] ? wrongLeader : value === undefined ? { Err: ErrNoKey, Value: '' } : { Err: OK, Value: value };\n",
      },
    ],
  },
  {
    id: 'kv-overwritten-index-success',
    title: "a handler whose index was taken by another leader's entry reports that entry's outcome as its own",
    bug: [27],
    file: KV_SERVER,
    parts: ['3A'],
    tests: ['one partition', 'unreliable net, restarts, partitions, many clients (3A)'],
    mustKill: true,
    edits: [{ find: '      waiter.finish(same ? outcome : wrongLeader);', replace: '      waiter.finish(outcome);' }],
  },
  {
    id: 'kv-snapshot-without-dup-table',
    title: 'the KV snapshot leaves out the duplicate table',
    bug: [28],
    file: KV_SERVER,
    parts: ['3B', '3X'],
    tests: ['a retried Append crosses a restart from a snapshot (3X)', 'unreliable net, restarts, partitions, snapshots, many clients (3B)', 'unreliable net, restarts, snapshots, many clients (3B)'],
    mustKill: true,
    edits: [
      {
        find: '    const state: SnapshotState = { index, data: this.data, lastSeq: this.lastSeq };',
        replace: '    const state: SnapshotState = { index, data: this.data, lastSeq: new Map<number, number>() };',
      },
    ],
  },

  // ---- Lab 4: the shard controller and the sharded key/value service ---------------------
  {
    id: 'ctrl-nonminimal-rebalance',
    title: 'the controller deals every shard out again, round-robin, on each Join/Leave',
    bug: [110],
    file: CTRLER_SERVER,
    parts: ['4A'],
    mustKill: false,
    survives: "GAP in 6.5840 2023's 4A: its minimal-transfer checks look only at gids 1..10, and when they run the configuration holds gids 100..190 (Basic) or 1000..1009 (Multi), so they pass whatever the controller moves; 2024's TestMinimalAgain would catch it (0 of 5 seeds)",
    edits: [{ find: '  const result = new Array<number>(NShards).fill(0);\n  for (const [g, list] of owned) for (const s of list) result[s] = g;\n  return result;', replace: '  return shards.map((_, s) => gids[s % gids.length]!);' }],
  },
  {
    id: 'ctrl-leave-keeps-shards',
    title: 'Leave removes the groups but leaves their shards assigned to them',
    bug: [111],
    file: CTRLER_SERVER,
    parts: ['4A'],
    mustKill: true,
    edits: [{ find: '      for (const gid of op.GIDs ?? []) delete next.Groups[gid];\n      next.Shards = rebalance(next.Shards, next.Groups);', replace: '      for (const gid of op.GIDs ?? []) delete next.Groups[gid];' }],
  },
  {
    id: 'skv-dup-table-stays-behind',
    title: "a shard's data moves without the duplicate table: a retry at the new owner applies again",
    bug: [101, 25],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['unreliable 2', 'concurrent puts and configuration changes', 'unreliable 3'],
    mustKill: true,
    edits: [{ find: '          for (const [client, seq] of Object.entries(op.LastSeq ?? {})) {', replace: '          for (const [client, seq] of Object.entries({} as Record<string, number>)) {' }],
  },
  {
    id: 'skv-serve-while-pulling',
    title: 'a group serves a shard it gained before the data has arrived from the old owner',
    bug: [102],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['join then leave', 'snapshots, join, and leave'],
    mustKill: true,
    edits: [{ find: "return this.config.Shards[shard] === this.gid && (status === 'serving' || status === 'gc');", replace: "return this.config.Shards[shard] === this.gid && (status === 'serving' || status === 'gc' || status === 'pulling');" }],
  },
  {
    id: 'skv-ownership-checked-on-arrival-only',
    title: 'ownership is checked when a request arrives, not when it is applied: a write that raced a configuration change is lost',
    bug: [103],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['concurrent puts and configuration changes', 'unreliable 2', 'unreliable 3', 'concurrent configuration change and restart'],
    mustKill: false,
    survives: 'the request must reach the log before the configuration change and be applied after it, while a client keeps writing the shard: concurrent puts and configuration changes kills it on 1 seed of 5',
    edits: [{ find: "    if (!this.canServe(shard)) return { Err: ErrWrongGroup, Value: '' };\n    const data", replace: "    if (this.shards[shard]!.status === 'absent') return { Err: ErrWrongGroup, Value: '' };\n    const data" }],
  },
  {
    id: 'skv-no-ownership-check',
    title: 'a group serves every key it is asked for, whether or not it owns the shard',
    bug: [112],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['join then leave', 'snapshots, join, and leave'],
    mustKill: true,
    edits: [{ find: '  private canServe(shard: number): boolean {\n', replace: '  private canServe(shard: number): boolean {\n    if (shard >= 0) return true;\n' }],
  },
  {
    id: 'skv-snapshot-without-dup-table',
    title: 'the shardkv snapshot leaves out the duplicate table',
    bug: [28],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['concurrent configuration change and restart', 'unreliable 2', 'unreliable 3'],
    mustKill: false,
    survives: "GAP, as kvraft's kv-snapshot-without-dup-table: a retry must reach a server restored from a snapshot taken after the retry's first attempt applied; only concurrent configuration change and restart restarts groups while clients write, and it did not line up in 5 seeds",
    edits: [{ find: 'const state: SnapshotState = { index, config: this.config, prevConfig: this.prevConfig, shards: this.shards, lastSeq: this.lastSeq };', replace: 'const state: SnapshotState = { index, config: this.config, prevConfig: this.prevConfig, shards: this.shards, lastSeq: new Map<number, number>() };' }],
  },
  {
    id: 'skv-skip-configurations',
    title: 'a group jumps to the latest configuration instead of the next one',
    bug: [104],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['snapshots, join, and leave', 'servers miss configuration changes', 'more concurrent puts'],
    mustKill: false,
    survives: 'in these tests every group polls the same controller at the same rhythm and jumps to the same latest configuration, so the groups still agree on who hands which shard to whom; skipping goes wrong only when groups stand at different configurations, which these runs did not produce (0 of 5 seeds)',
    edits: [
      { find: '    const next = await this.queryCtrlers(num);', replace: '    const next = await this.queryCtrlers(-1);' },
      { find: '    if (next !== undefined && next.Num === num && this.config.Num === num - 1', replace: '    if (next !== undefined && next.Num >= num && this.config.Num === num - 1' },
      { find: '    if (next.Num !== this.config.Num + 1 || !this.settled()) return;', replace: '    if (next.Num <= this.config.Num || !this.settled()) return;' },
    ],
  },
  {
    id: 'skv-advance-mid-migration',
    title: 'a group moves to the next configuration while shards of the current one are still moving',
    bug: [105],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['snapshots, join, and leave', 'servers miss configuration changes', 'concurrent puts and configuration changes'],
    mustKill: true,
    edits: [
      { find: '    if (next.Num !== this.config.Num + 1 || !this.settled()) return;', replace: '    if (next.Num !== this.config.Num + 1) return;' },
      { find: '  private async pollConfig(): Promise<void> {\n    if (!this.settled()) return;\n', replace: '  private async pollConfig(): Promise<void> {\n' },
    ],
  },
  {
    id: 'skv-snapshot-forgets-config',
    title: 'restoring a snapshot keeps the shards but not the configuration: old configurations are installed again over the data',
    bug: [106],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['snapshots, join, and leave', 'servers miss configuration changes'],
    mustKill: true,
    edits: [{ find: '    this.config = state.config;\n', replace: '' }],
  },
  {
    id: 'skv-hand-over-before-frozen',
    title: 'the old owner hands a shard over before it has stopped serving it (before it reaches the configuration)',
    bug: [107],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['concurrent puts and configuration changes', 'unreliable 2', 'unreliable 3', 'more concurrent puts'],
    mustKill: true,
    edits: [
      {
        find: "    if (this.config.Num !== args.ConfigNum || args.Shards.some((s) => this.shards[s]?.status !== 'bepulling')) {",
        replace: "    if (this.config.Num + 1 < args.ConfigNum || args.Shards.some((s) => this.shards[s]?.status === 'absent' || this.shards[s]?.status === 'pulling')) {",
      },
    ],
  },
  {
    id: 'skv-delete-on-leave',
    title: 'the old owner drops a shard as soon as it is no longer its own, before the new owner has fetched it',
    bug: [109],
    file: SKV_SERVER,
    parts: ['4B'],
    tests: ['join then leave'],
    mustKill: true,
    edits: [{ find: "{ status: 'bepulling', data: this.shards[s]!.data }", replace: "{ status: 'bepulling', data: {} }" }],
  },
  {
    id: 'skv-clerk-new-seq-per-retry',
    title: 'the shardkv Clerk numbers each retry as a new operation, defeating duplicate detection',
    bug: [108, 25],
    file: SKV_CLIENT,
    parts: ['4B'],
    tests: ['unreliable 1', 'unreliable 2', 'unreliable 3'],
    mustKill: true,
    edits: [{ find: '          const reply = {} as PutAppendReply;\n', replace: '          const reply = {} as PutAppendReply;\n          args.SeqNum = ++this.seq;\n' }],
  },
];

/** The mutant with this id, or an error naming the ids that exist. */
export function findMutant(id: string, from: readonly Mutant[] = catalogue): Mutant {
  const found = from.find((m) => m.id === id);
  if (found === undefined) throw new Error(`no mutant "${id}" in the catalogue; the ids are: ${from.map((m) => m.id).join(', ')}`);
  return found;
}
