/**
 * The guided scenes, in the order of the classic Raft animation: a leader election, log
 * replication, a network partition; then the key/value service (kv-scenes.ts). Each is a
 * short script of faults and commands that runs inside the simulated run (so a replay from the
 * seed replays it too), says in one line what should happen next, and marks in red what the
 * student's Raft does instead.
 */
import { sleep } from '../../sim/index.ts';
import { electionLimitMs, expectApplied, expectLeader, type Scene } from './scene-kit.ts';
import { kvFree, kvScene } from './kv-scenes.ts';

export type { Scene, SceneContext } from './scene-kit.ts';

const election: Scene = {
  id: 'election',
  title: 'Leader election',
  servers: 5,
  service: 'raft',
  async script(ctx) {
    ctx.say('All servers start as followers in term 0. The first whose election timer runs out becomes a candidate, votes for itself and asks the others for votes (RequestVote).');
    const leader = await expectLeader(ctx, 'the start');
    if (leader === undefined) return;
    ctx.say(`S${leader} won a majority of votes. It now sends heartbeats (empty AppendEntries) so that no follower's timer runs out.`);
    await sleep(1500);
    if (ctx.leader() !== leader) ctx.fail(`S${leader} lost its leadership with no fault in the network: heartbeats should keep the followers quiet`);
    else ctx.pass(`S${leader} still leads after 1.5 s of heartbeats`);
    const term = ctx.term(leader) ?? 0;
    ctx.say(`Now S${leader} crashes. The followers hear nothing more; one of them times out and starts an election in a higher term.`);
    ctx.crash(leader);
    const next = await expectLeader(ctx, `S${leader} crashed`);
    if (next === undefined) return;
    if ((ctx.term(next) ?? 0) <= term) ctx.fail(`the new leader S${next} is in term ${ctx.term(next)}, not above the old term ${term}`);
    ctx.say(`S${leader} comes back. It learns the higher term from S${next}'s heartbeats and becomes a follower.`);
    ctx.restart(leader);
    await sleep(1500);
    if (ctx.leader() !== next) ctx.say(`Leadership moved to S${ctx.leader() ?? '?'}; that can happen, as long as each term has at most one leader.`);
    else ctx.pass(`S${leader} rejoined as a follower; S${next} still leads`);
    ctx.say('Scene done. Crash servers by clicking them, cut links by dragging between two servers, and watch the next elections.');
  },
};

const replication: Scene = {
  id: 'replication',
  title: 'Log replication',
  servers: 5,
  service: 'raft',
  async script(ctx) {
    ctx.say('First a leader is elected; every change to the system then goes through it.');
    const leader = await expectLeader(ctx, 'the start');
    if (leader === undefined) return;
    const all = Array.from({ length: ctx.n }, (_, i) => i);
    ctx.say(`A client sends "x=1" to S${leader}. The leader appends it to its log and sends it to the followers with the next AppendEntries.`);
    let index = 0;
    for (const command of ['x=1', 'y=2', 'x=3']) {
      if (ctx.submit(command) === undefined) {
        ctx.fail(`no server accepted "${command}": the leader's Start() should return isLeader true`);
        return;
      }
      index++;
      await sleep(400);
    }
    ctx.say('An entry is committed once a majority stores it; then every server applies it, in log order.');
    if (!(await expectApplied(ctx, all, index, 'three commands'))) return;
    const follower = all.find((i) => i !== ctx.leader()) ?? 0;
    ctx.say(`S${follower} is cut off from everyone. The others still form a majority, so new entries still commit.`);
    for (const j of all) ctx.cut(follower, j);
    for (const command of ['y=4', 'z=5']) {
      ctx.submit(command);
      index++;
      await sleep(300);
    }
    await expectApplied(ctx, all.filter((i) => i !== follower), index, 'with one follower away');
    ctx.say(`S${follower} comes back. The leader finds where their logs agree (nextIndex backs up) and sends it what it missed.`);
    for (const j of all) ctx.heal(follower, j);
    await expectApplied(ctx, [follower], index, `S${follower} caught up`);
    ctx.say('Scene done. Type a command below and submit it to the leader; crash a follower and see its log repaired on restart.');
  },
};

const partition: Scene = {
  id: 'partition',
  title: 'Network partition',
  servers: 5,
  service: 'raft',
  async script(ctx) {
    ctx.say('A leader is elected; then the network splits in two.');
    const leader = await expectLeader(ctx, 'the start');
    if (leader === undefined) return;
    const others = Array.from({ length: ctx.n }, (_, i) => i).filter((i) => i !== leader);
    // The old leader and as many others as still leave a majority on the other side.
    const minority = [leader, ...others.slice(0, Math.floor((ctx.n - 1) / 2) - 1)];
    const majority = others.filter((i) => !minority.includes(i));
    for (const a of minority) for (const b of majority) ctx.cut(a, b);
    const oldTerm = ctx.term(leader) ?? 0;
    ctx.say(`Partition: {${minority.map((i) => `S${i}`).join(', ')}} (old leader, a minority) and {${majority.map((i) => `S${i}`).join(', ')}} (a majority). The majority stops hearing heartbeats and elects a new leader in a higher term.`);
    const ok = await ctx.waitFor(() => majority.some((i) => ctx.isLeader(i)), electionLimitMs);
    const newLeader = majority.find((i) => ctx.isLeader(i));
    if (!ok || newLeader === undefined) {
      ctx.fail(`the majority side elected no leader within ${electionLimitMs / 1000} s`);
      return;
    }
    ctx.pass(`S${newLeader} leads the majority in term ${ctx.term(newLeader)}; S${leader} still thinks it leads term ${oldTerm}`);
    ctx.say(`Both sides get a command. S${leader} cannot commit "lost=1": it reaches no majority. S${newLeader} commits "kept=1".`);
    const before = Math.max(...majority.map((i) => ctx.applied(i)));
    ctx.submit('lost=1', leader);
    ctx.submit('kept=1', newLeader);
    await sleep(1000);
    if (minority.some((i) => ctx.applied(i) > before)) ctx.fail(`a server of the minority applied an entry it could not have committed`);
    await expectApplied(ctx, majority, before + 1, 'the majority committed "kept=1"');
    ctx.say('The partition heals. The old leader sees the higher term, steps down, and its uncommitted entry is replaced by the new leader\'s log.');
    for (const a of minority) for (const b of majority) ctx.heal(a, b);
    const healed = await ctx.waitFor(() => !ctx.isLeader(leader) || (ctx.term(leader) ?? 0) > oldTerm, 2000);
    if (!healed) ctx.fail(`S${leader} still leads term ${oldTerm} 2 s after the partition healed`);
    else ctx.pass(`S${leader} stepped down to term ${ctx.term(leader)}`);
    await expectApplied(ctx, minority, before + 1, 'the old minority caught up');
    ctx.say('Scene done: terms diverged, the majority went on, and healing brought every log back to one history.');
  },
};

const free: Scene = {
  id: 'free',
  title: 'Free play',
  servers: 5,
  service: 'raft',
  async script(ctx) {
    ctx.say('No script: crash and restart servers by clicking them, cut links by dragging, submit commands.');
  },
};

export const scenes: Scene[] = [election, replication, partition, kvScene, free, kvFree];

export function findScene(id: string): Scene | undefined {
  return scenes.find((s) => s.id === id);
}
