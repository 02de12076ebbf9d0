// Raft lab 2X: beyond 6.5840. The 2A-2D tests leave unlucky schedules to chance, so some
// classic bugs pass them on most seeds. Each test here makes one such schedule happen on
// purpose, with targeted faults on single messages (cfg.setFaults), and names the class of bug
// it is written for. The safety monitors (tester/safety.ts) watch every event, as in every
// graded test. A correct Raft passes each one whatever its timeouts, batching or persistence
// layout: the tests wait for what Raft promises, never for what one implementation does.
import { now, sleep } from '../../sim/index.ts';
import { labTest, fail, print, RaftElectionTimeout, between, isVote, touches, type Config } from '../../tester/index.ts';

/**
 * Bug class: followers that reset their election timer on any AppendEntries, even one from a
 * deposed leader of an older term (raft-bugs.md 1).
 *
 * A deposed leader comes back able to send but hearing nothing (a one-way link failure): it
 * never learns of the newer term and keeps sending heartbeats of its old one. Then the current
 * leader fails. The three servers left must elect a new leader although the stale heartbeats
 * keep arriving; followers fooled by them never time out, and nothing commits.
 */
labTest('2X', 'deposed leader that can send but hears nothing back', { servers: 5 }, async (cfg) => {
  const old = await cfg.checkOneLeader();
  await cfg.one(101, cfg.n, true);

  cfg.disconnect(old);
  const current = await cfg.checkOneLeader();
  await cfg.one(102, cfg.n - 1, true);

  // The old leader is back on the network, but every message toward it is lost.
  cfg.setFaults((m) => (m.to === old ? 'drop' : undefined));
  cfg.connect(old);
  await sleep(RaftElectionTimeout / 2);

  // The current leader fails; the others must elect a new one despite the stale heartbeats.
  cfg.disconnect(current);
  await cfg.one(103, cfg.n - 2, true);

  cfg.setFaults(undefined);
  cfg.connect(current);
  await cfg.one(104, cfg.n, true);
});

/**
 * Bug class: a higher term in an RPC *reply* ignored (raft-bugs.md 4).
 *
 * A deposed leader comes back hearing replies but no requests: its own AppendEntries reach the
 * others, and their replies, carrying the newer term, come back. That is its only way to learn
 * that it was deposed. Within a second of heartbeats it must step down.
 */
labTest('2X', 'deposed leader learns the new term from replies alone', { servers: 3 }, async (cfg) => {
  const old = await cfg.checkOneLeader();
  await cfg.one(201, cfg.n, true);
  const [oldTerm] = cfg.raft(old).GetState();

  cfg.disconnect(old);
  await cfg.checkOneLeader();
  await cfg.one(202, cfg.n - 1, true);

  // Back, but every request toward it is lost: only replies to its own RPCs reach it.
  cfg.setFaults((m) => (m.to === old && m.direction === 'request' ? 'drop' : undefined));
  cfg.connect(old);
  await sleep(RaftElectionTimeout);
  const [term, isLeader] = cfg.raft(old).GetState();
  if (isLeader && term === oldTerm) {
    fail('stepDown', `server ${old} still leads term ${oldTerm} after a second of replies carrying a newer term`, {
      expected: 'a server that sees a higher term in any RPC reply sets currentTerm to it and becomes a follower (Figure 2, Rules for Servers)',
      seen: `server ${old} still claims to lead term ${oldTerm}; its AppendEntries were answered by servers of a newer term`,
      servers: [old],
    });
  }

  cfg.setFaults(undefined);
  await cfg.one(203, cfg.n, true);
});

/**
 * Bug classes: votedFor not persisted, or not read back after a restart (raft-bugs.md 6, 18, 19).
 *
 * The first vote of the run is granted, and the voter crashes right after its reply leaves, then
 * restarts within the same election. The third server, cut off from the first candidate, stands
 * in the same term and asks the restarted voter. A voter that forgot its vote grants it again,
 * and two leaders of one term follow.
 */
labTest('2X', 'voter crashes right after voting and restarts within the same election', { servers: 3 }, async (cfg) => {
  crashAfterFirstVote(cfg, 'deliver');
  await settleThenCheck(cfg, 301);
});

/**
 * Bug class: state persisted after the reply leaves, or lazily (raft-bugs.md 18), as on a slow
 * disk: the handler ran and the vote is granted, but the server crashes before its reply is
 * sent. Whatever the handler promised must already be on disk: the restarted voter must not
 * grant its vote of that term to another candidate.
 */
labTest('2X', 'slow disk: voter crashes after granting but before its reply leaves', { servers: 3 }, async (cfg) => {
  crashAfterFirstVote(cfg, 'drop');
  await settleThenCheck(cfg, 401);
});

/**
 * Bug class: a vote reply counted after its term ended (raft-bugs.md 7).
 *
 * The first candidate's first vote reply is held back for two seconds, longer than any
 * election timeout, and every other message is lost until then: no one can win an election, so
 * the candidate moves on to later terms, still a candidate, when the old grant finally arrives.
 * It must be ignored. Counting it makes a leader without a majority in its term, which the
 * Election Safety monitor reports.
 */
labTest('2X', 'vote reply delayed past the next election', { servers: 3 }, async (cfg) => {
  const roles: { candidate: number; voter: number; delayed: boolean } = { candidate: -1, voter: -1, delayed: false };
  cfg.setFaults((m) => {
    if (roles.candidate < 0 && isVote(m) && m.direction === 'request') {
      roles.candidate = m.from;
      roles.voter = m.to;
    }
    if (roles.candidate < 0) return undefined;
    const third = 3 - roles.candidate - roles.voter;
    if (touches(m, third)) return 'drop';
    if (roles.delayed) return 'drop';
    if (isVote(m) && m.direction === 'reply' && m.from === roles.voter && m.to === roles.candidate) {
      roles.delayed = true;
      return { delayMs: 2 * RaftElectionTimeout };
    }
    return undefined;
  });
  await settleThenCheck(cfg, 501);
});

/**
 * Bug classes: AppendEntries replies acted on after a leadership change, even the same leader's
 * own earlier term (raft-bugs.md 13, 14).
 *
 * Leader L's AppendEntries carrying three new entries reach follower F, but F's
 * acknowledgements are held back for twelve seconds. Meanwhile three other servers elect a
 * leader that overwrites those entries on F and on L, and then L is elected again (only its
 * vote requests get through) with a shorter log. It appends an entry of its new term where the
 * old entries were, and only one server receives it. When F's old acknowledgements arrive, a
 * leader that takes them as current counts F as holding the new entry and commits it on two
 * servers of five; a new majority without those two then hands out the same index again, which
 * the Leader Completeness monitor (or the apply check) reports.
 */
labTest('2X', 'AppendEntries replies delayed across a re-election', { servers: 5 }, async (cfg) => {
  const holdMs = 12 * RaftElectionTimeout;
  const leader = await cfg.checkOneLeader();
  await cfg.one(701, cfg.n, true);
  const follower = (leader + 1) % cfg.n;
  const rest = [0, 1, 2, 3, 4].filter((s) => s !== leader && s !== follower);

  // L and F alone: F's acknowledgements of L's new entries are held back.
  for (const s of rest) cfg.disconnect(s);
  const [oldTerm] = cfg.raft(leader).GetState();
  cfg.setFaults((m) => {
    if (m.from !== follower || m.to !== leader || m.direction !== 'reply' || isVote(m)) return undefined;
    return m.fields()?.Term === oldTerm ? { delayMs: holdMs } : undefined;
  });
  const heldAt = now();
  for (let k = 0; k < 3; k++) cfg.raft(leader).Start(702 + k);
  await sleep(RaftElectionTimeout / 10);

  // The other three elect a leader, which overwrites the entries on F, then on L.
  cfg.disconnect(leader);
  cfg.disconnect(follower);
  for (const s of rest) cfg.connect(s);
  await cfg.one(710, 3, true);
  cfg.connect(follower);
  await sleep(RaftElectionTimeout / 2);
  cfg.connect(leader);
  await sleep(RaftElectionTimeout / 2);
  const other = await cfg.checkOneLeader();
  if (other === leader || other === follower) {
    // Caught up, it won an election of its own: this schedule did not happen; check and stop.
    cfg.setFaults(undefined);
    await cfg.one(740, cfg.n, true);
    return;
  }

  // All but the other leader stay. Only L's vote requests get through, so L is elected again,
  // and L's entries reach one server only: F and another hear nothing from L.
  const spare = rest.find((s) => s !== other)!;
  const deaf = rest.find((s) => s !== other && s !== spare)!;
  cfg.disconnect(other);
  cfg.setFaults((m) => {
    if (m.from === follower && m.to === leader && m.direction === 'reply' && !isVote(m) && m.fields()?.Term === oldTerm) return { delayMs: Math.max(0, heldAt + holdMs - now()) };
    if (isVote(m) && m.direction === 'request' && m.from !== leader) return 'drop';
    if (!isVote(m) && m.from === leader && (m.to === follower || m.to === deaf)) return 'drop';
    return undefined;
  });
  while (now() < heldAt + holdMs - RaftElectionTimeout) {
    const [, isLeader] = cfg.raft(leader).GetState();
    if (isLeader) break;
    await sleep(10);
  }
  const [index, , isLeader] = cfg.raft(leader).Start(720);
  if (isLeader) {
    // Wait for the held acknowledgements, and a little more.
    await sleep(Math.max(0, heldAt + holdMs - now()) + RaftElectionTimeout / 2);
    // A majority without L and its one real follower: index `index` was never committed.
    cfg.disconnect(leader);
    cfg.disconnect(spare);
    cfg.connect(other);
    cfg.setFaults(undefined);
    await cfg.one(730, 3, true);
    cfg.connect(leader);
    cfg.connect(spare);
    print(`index ${index} was proposed by server ${leader} after its re-election`);
  } else {
    print(`server ${leader} was not re-elected within ${((heldAt + holdMs - now()) / 1000).toFixed(1)} s of the hold's end`);
    cfg.setFaults(undefined);
    cfg.connect(other);
  }
  await cfg.one(740, cfg.n, true);
});

/**
 * Bug class: the election timer reset on the wrong events, here not on the current leader's
 * AppendEntries (raft-bugs.md 1). 6.5840 only warns when the term changes on a healthy network;
 * here it fails: with no fault at all, a leader that sends heartbeats (at most ten a second,
 * well inside any election timeout) must keep its followers, and its term, for ten seconds.
 */
labTest('2X', 'leader and term stay put on a healthy network', { servers: 3 }, async (cfg) => {
  const leader = await cfg.checkOneLeader();
  await sleep(RaftElectionTimeout / 2); // let every follower hear of the election
  const term = cfg.checkTerms();
  for (let k = 0; k < 10; k++) {
    await sleep(RaftElectionTimeout);
    const now = cfg.checkTerms();
    if (now !== term) {
      fail('checkTerms', `the term changed from ${term} to ${now} on a healthy network`, {
        expected: `server ${leader} leads term ${term} for as long as nothing fails: followers that hear its heartbeats do not time out`,
        seen: `term ${now} after ${k + 1} s without any fault`,
        servers: [leader],
      });
    }
  }
  await cfg.one(801, cfg.n, true);
});

/**
 * Bug class: currentTerm not persisted when a server adopts a newer term (raft-bugs.md 18).
 *
 * A follower away from an election comes back and hears the new leader's heartbeat: it adopts
 * the newer term and answers in it, with nothing new to append. It crashes right after that
 * answer leaves. Having answered in the newer term, it must come back in it (persistent state
 * is saved before responding to RPCs); the Monotonic Term monitor checks that at its restart.
 */
labTest('2X', 'follower crashes right after answering in a newer term', { servers: 5 }, async (cfg) => {
  const leader = await cfg.checkOneLeader();
  await cfg.one(901, cfg.n, true);
  const away = (leader + 1) % cfg.n;
  cfg.disconnect(away);
  cfg.disconnect(leader);
  const next = await cfg.checkOneLeader();
  const [newTerm] = cfg.raft(next).GetState();

  let crashed = false;
  cfg.setFaults((m) => {
    if (crashed || m.from !== away || m.direction !== 'reply' || isVote(m)) return undefined;
    if (m.fields()?.Term !== newTerm) return undefined;
    crashed = true;
    cfg.crash1(away);
    setTimeout(() => {
      cfg.start1(away);
      cfg.connect(away);
    }, 5);
    return 'deliver';
  });
  cfg.connect(away);
  await sleep(RaftElectionTimeout);
  cfg.setFaults(undefined);
  cfg.connect(leader);
  await cfg.one(902, cfg.n, true);
});

/**
 * Bug class: a leader commits an entry of an earlier term by counting replicas (raft-bugs.md 12),
 * the paper's Figure 8, played step by step instead of waited for.
 *
 * (a) Leader S1 replicates an entry only to S2. (b) S1 crashes; W, elected by the other three,
 * takes a different entry at that index, keeps it to itself and leaves. (c) S1 restarts and is
 * elected again (S1 or S2 wins: their logs are ahead); it replicates its old entry to a
 * majority, but appends nothing of its new term. Counting replicas would commit that entry
 * now. (d) The leader leaves, and W (only its vote requests get through) is elected with its
 * newer-term entry, which it must be allowed to write over the uncommitted one. A leader that
 * committed in (c) has applied a command that W's log now contradicts.
 */
labTest('2X', 'Figure 8, step by step', { servers: 5 }, async (cfg) => {
  const s1 = await cfg.checkOneLeader();
  await cfg.one(1000, cfg.n, true);
  const s2 = (s1 + 1) % cfg.n;
  const rest = [0, 1, 2, 3, 4].filter((s) => s !== s1 && s !== s2);

  // (a) S1's entry reaches S2 only.
  for (const s of rest) cfg.disconnect(s);
  cfg.raft(s1).Start(1001);
  await sleep(RaftElectionTimeout / 10);

  // (b) S1 crashes; the other three elect W, which keeps its own entry to itself.
  cfg.crash1(s1);
  cfg.disconnect(s2);
  for (const s of rest) cfg.connect(s);
  const w = await cfg.checkOneLeader();
  cfg.setFaults((m) => (m.from === w && m.direction === 'request' && !isVote(m) ? 'drop' : undefined));
  cfg.raft(w).Start(1002);
  await sleep(RaftElectionTimeout / 10);
  cfg.disconnect(w);
  cfg.setFaults(undefined);

  // (c) S1 back; S1 or S2 is elected and replicates the old entry to a majority.
  cfg.start1(s1);
  cfg.connect(s1);
  cfg.connect(s2);
  await cfg.checkOneLeader();
  await sleep(RaftElectionTimeout);

  // (d) The leader leaves; W is elected and overwrites the entry that was never committed.
  const leaderNow = await cfg.checkOneLeader();
  const [termNow] = cfg.raft(leaderNow).GetState();
  cfg.disconnect(leaderNow);
  cfg.setFaults((m) => (isVote(m) && m.direction === 'request' && m.from !== w ? 'drop' : undefined));
  cfg.connect(w);
  for (let t = 0; t < 50; t++) {
    const [term, isLeader] = cfg.raft(w).GetState();
    if (isLeader && term > termNow) break;
    await sleep(RaftElectionTimeout / 10);
  }
  cfg.setFaults(undefined);
  await cfg.one(1003, cfg.n - 1, true);

  cfg.connect(leaderNow);
  await cfg.one(1004, cfg.n, true);
});

/**
 * Sets up the crashed-voter schedule. The first server to ask for a vote is the candidate, the
 * lowest other server its voter, and the last server stays cut off until the voter has voted.
 * When the voter's first grant passes the network, the voter crashes at once; `reply` says
 * whether that grant still reaches the candidate ('deliver') or dies with the voter ('drop').
 * The voter restarts 5 ms later; from then on only the candidate and the third server are cut
 * off from each other, so the third server, still at term 0, stands in the candidate's term.
 */
function crashAfterFirstVote(cfg: Config, reply: 'deliver' | 'drop'): void {
  const roles = { candidate: -1, voter: -1, third: -1, crashed: false };
  cfg.setFaults((m) => {
    if (roles.candidate < 0 && isVote(m) && m.direction === 'request') {
      roles.candidate = m.from;
      roles.voter = m.from === 0 ? 1 : 0;
      roles.third = 3 - roles.candidate - roles.voter;
    }
    if (roles.candidate < 0) return undefined;
    if (roles.crashed) return between(m, roles.candidate, roles.third) ? 'drop' : undefined;
    if (touches(m, roles.third)) return 'drop';
    const grant = isVote(m) && m.direction === 'reply' && m.from === roles.voter && m.to === roles.candidate && m.fields()?.VoteGranted === true;
    if (!grant) return undefined;
    roles.crashed = true;
    cfg.crash1(roles.voter);
    setTimeout(() => {
      cfg.start1(roles.voter);
      cfg.connect(roles.voter);
    }, 5);
    return reply;
  });
}

/** Lets the targeted schedule play out, then heals everything and checks that Raft still works. */
async function settleThenCheck(cfg: Config, cmd: number): Promise<void> {
  await sleep(3 * RaftElectionTimeout);
  cfg.setFaults(undefined);
  for (let i = 0; i < cfg.n; i++) if (!cfg.connected[i]) cfg.connect(i);
  await cfg.checkOneLeader();
  await cfg.one(cmd, cfg.n, true);
}

/**
 * Bug class: InstallSnapshot that keeps the log entries the snapshot covers, or mis-trims the
 * log, when the follower already holds the snapshot's last entry (raft-bugs.md 20, 23). Needs 2D.
 *
 * A follower F receives a batch of new entries but none of its replies get out, and the other
 * follower's replies are held back so that the leader cannot commit them yet: F holds the
 * entries without knowing they are committed. Then F is cut off; the leader commits, its
 * service snapshots past the batch's middle, and F comes back. The leader has no longer the
 * entries F lacks in its log, so it sends F a snapshot whose last entry F already has: F keeps
 * only the entries after it (Figure 13, step 6). A follower that keeps the covered entries, or
 * cuts at the wrong place, applies the wrong commands from then on.
 */
labTest('2X', 'snapshot sent to a follower that already holds its last entry', { servers: 3, snapshot: true }, async (cfg) => {
  await cfg.one(1101, cfg.n, true);
  const leader = await cfg.checkOneLeader();
  const f = (leader + 1) % cfg.n;
  const g = (leader + 2) % cfg.n;

  // F hears the leader but nothing F says gets out; G's replies come back only after 300 ms.
  cfg.setFaults((m) => {
    if (m.from === f) return 'drop';
    if (m.from === g && m.to === leader && m.direction === 'reply') return { delayMs: 300 };
    return undefined;
  });
  for (let k = 0; k < 12; k++) cfg.raft(leader).Start(1110 + k);
  await sleep(250);
  cfg.disconnect(f);
  cfg.setFaults(undefined);

  // Without F: the batch commits, and the services snapshot in its middle (index 9).
  await cfg.one(1130, cfg.n - 1, true);
  cfg.connect(f);
  await cfg.one(1131, cfg.n, true);
  await cfg.one(1132, cfg.n, true);
});
