/**
 * `lab demo`: a guided walk through a real 5-node cluster running the student's Raft and
 * kvraft, saying in plain words what happens as it happens: an election, writes through the
 * leader, failures a majority survives, one it does not (and that nothing is lost), recovery,
 * and a partition that isolates the leader.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError, booleanFlag, flagHelp, numberFlag, parseArgs, stringFlag, type FlagSpec } from './args.ts';
import { statusTable, type Out } from './command.ts';
import { KvHttpClient, httpCall } from './http-client.ts';
import { ClusterError, addresses, healCluster, inspectCluster, killNode, partitionCluster, readState, restartNode, startCluster, stopCluster, type ClusterState } from './supervisor.ts';

const demoFlags: FlagSpec[] = [
  { name: 'port', type: 'number', value: 'PORT', help: 'node i listens on PORT+i (default 7100)' },
  { name: 'data', type: 'string', value: 'DIR', help: 'where the demo cluster lives (default: a fresh temporary folder)' },
  { name: 'keep', type: 'boolean', help: 'leave the cluster running at the end (then: lab cluster status --data DIR)' },
  { name: 'pause', type: 'number', value: 'MS', help: 'pause between steps, to read along (default 800)' },
  { name: 'help', alias: 'h', type: 'boolean', help: 'show this help' },
];

export function demoUsage(): string {
  return [
    'lab demo — watch your Raft keep a key/value store alive on a real 5-node cluster',
    '',
    'Usage: lab demo [--port 7100] [--data DIR] [--keep] [--pause MS]',
    '',
    'Starts 5 node processes on 127.0.0.1, then: an election, writes through the leader, two',
    'nodes killed (writes go on), a third killed (writes stall, nothing is lost), restarts and',
    'catch-up, and a partition that isolates the leader until it is healed. About 20 s; --pause slows it.',
    '',
    'Flags:',
    ...flagHelp(demoFlags),
    '',
  ].join('\n');
}

type Status = Record<string, unknown>;

export async function runDemoCommand(argv: string[], out: Out): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv, demoFlags);
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    out(`lab demo: ${e.message}`);
    return 2;
  }
  if (booleanFlag(parsed, 'help')) {
    for (const line of demoUsage().trimEnd().split('\n')) out(line);
    return 0;
  }
  let port: number;
  let pauseMs: number;
  try {
    port = numberFlag(parsed, 'port', { integer: true, min: 1, max: 65530 }) ?? 7100;
    pauseMs = numberFlag(parsed, 'pause', { min: 0, max: 10_000 }) ?? 800;
  } catch (e) {
    out(`lab demo: ${(e as Error).message}`);
    return 2;
  }
  const dataDir = stringFlag(parsed, 'data') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-demo-'));
  const demo = new Demo(out, pauseMs);
  let state: ClusterState | undefined;
  // The nodes run detached: on Ctrl-C, stop them rather than leave them behind.
  const onInterrupt = (): void => {
    out('');
    out('Interrupted: stopping the demo cluster.');
    let current = state;
    try {
      current ??= readState(dataDir); // nodes being started are in the state file already
    } catch {
      // Nothing started yet.
    }
    const stopping = current === undefined ? Promise.resolve([]) : stopCluster(current);
    void stopping.finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  try {
    state = await demo.start(port, dataDir);
    await demo.run(state);
    return 0;
  } catch (e) {
    out('');
    out(`The demo stopped: ${(e as Error).message}`);
    if (e instanceof ClusterError) return 1;
    if (state !== undefined) out(`The nodes' logs are in ${path.join(state.dataDir, 'logs')}.`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    if (state !== undefined && !booleanFlag(parsed, 'keep')) {
      await stopCluster(state).catch(() => {});
      out('');
      out(`Cluster stopped. Its folders stay in ${state.dataDir}.`);
    } else if (state !== undefined) {
      out('');
      out(`The cluster keeps running: lab cluster status --data ${state.dataDir}   (lab cluster stop --data ${state.dataDir} ends it)`);
    }
  }
}

class Demo {
  private readonly t0 = performance.now();
  private client!: KvHttpClient;

  constructor(
    private readonly write: Out,
    private readonly pauseMs: number,
  ) {}

  private say(text: string): void {
    const s = ((performance.now() - this.t0) / 1000).toFixed(1).padStart(5);
    this.write(`[${s}s] ${text}`);
  }

  private heading(n: number, text: string): void {
    this.write('');
    this.write(`── ${n}. ${text} ${'─'.repeat(Math.max(0, 60 - text.length))}`);
  }

  private pause(): Promise<void> {
    return sleep(this.pauseMs);
  }

  async start(port: number, dataDir: string): Promise<ClusterState> {
    this.write('A real cluster: 5 node processes, each running your raft/raft.ts and kvraft/server.ts unchanged,');
    this.write('talking over TCP, saving to disk, serving HTTP. Nothing here is simulated.');
    this.heading(1, 'Start five nodes');
    const state = await startCluster({ nodes: 5, basePort: port, host: '127.0.0.1', dataDir, nodeFlags: [], clean: true, log: (line) => this.say(line) });
    this.client = new KvHttpClient(addresses(state), { timeoutMs: 5000 });
    return state;
  }

  async run(state: ClusterState): Promise<void> {
    try {
      await this.steps(state);
    } finally {
      this.client.close();
    }
  }

  private async statuses(state: ClusterState): Promise<(Status | null)[]> {
    return (await inspectCluster(state, 500)).map((r) => r.status);
  }

  /** Polls until `test` finds what it looks for, or throws after timeoutMs. */
  private async waitFor<T>(state: ClusterState, what: string, timeoutMs: number, test: (s: (Status | null)[]) => T | undefined): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = test(await this.statuses(state));
      if (found !== undefined) return found;
      if (performance.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}; see lab cluster status --data ${state.dataDir}`);
      await sleep(50);
    }
  }

  /** The leader of the highest term among the given nodes, once a majority of all agree on it. */
  private leaderAmong(statuses: (Status | null)[], among: number[]): { id: number; term: number } | undefined {
    let best: { id: number; term: number } | undefined;
    for (const id of among) {
      const s = statuses[id];
      if (s?.role === 'leader' && typeof s.term === 'number' && (best === undefined || s.term > best.term)) best = { id, term: s.term };
    }
    return best;
  }

  private table(reports: Awaited<ReturnType<typeof inspectCluster>>): void {
    for (const line of statusTable(reports)) this.write(`        ${line}`);
  }

  private async steps(state: ClusterState): Promise<void> {
    const all = state.nodes.map((n) => n.id);

    // 2. Election
    this.heading(2, 'An election');
    this.say('Every node starts as a follower with a random election timeout. The first to time out asks the others for votes.');
    let leader = await this.waitFor(state, 'a leader', 10_000, (s) => this.leaderAmong(s, all));
    this.say(`Node ${leader.id} won the election of term ${leader.term}, ${since(this.t0)} after the first node started: a majority (3 of 5) voted for it.`);
    this.table(await inspectCluster(state, 500));
    await this.pause();

    // 3. Writes through the leader
    this.heading(3, 'Writes go through the leader');
    for (const word of ['raft', 'keeps', 'this']) {
      const t = performance.now();
      const r = await this.client.append('story', `${word} `);
      this.expectOk(r, `append "${word} "`);
      this.say(`append(story, "${word} ") → ok in ${(performance.now() - t).toFixed(0)} ms: node ${r.kind === 'ok' ? r.node : '?'} put it in its log, a majority stored it on disk, then it was applied.`);
    }
    const follower = all.find((id) => id !== leader.id)!;
    const redirect = await httpCall(addresses(state)[follower]!, { method: 'PUT', path: '/kv/story', body: 'x', timeoutMs: 2000 });
    if (redirect.kind === 'answer' && redirect.status === 307) {
      this.say(`Asked a follower (node ${follower}) to write: it answered 307 "${String(redirect.body.error)}", with the leader's address.`);
    }
    await this.pause();

    // 4. Two nodes die; writes go on
    this.heading(4, 'Kill two nodes, the leader among them');
    const victim = all.find((id) => id !== leader.id)!;
    killNode(state, leader.id);
    killNode(state, victim);
    this.say(`kill -9 node ${leader.id} (the leader) and node ${victim}. Three of five remain: still a majority.`);
    const oldLeader = leader.id;
    const alive1 = all.filter((id) => id !== oldLeader && id !== victim);
    const killedAt = performance.now();
    leader = await this.waitFor(state, 'a new leader', 10_000, (s) => {
      const l = this.leaderAmong(s, alive1);
      return l !== undefined && l.term > leader.term ? l : undefined;
    });
    this.say(`The followers stopped hearing heartbeats, timed out, and elected node ${leader.id} in term ${leader.term}, ${since(killedAt)} after the kill.`);
    const r4 = await this.client.append('story', 'story ');
    this.expectOk(r4, 'append "story "');
    this.say('append(story, "story ") → ok: three nodes are enough to commit.');
    await this.pause();

    // 5. A third dies: no majority
    this.heading(5, 'Kill a third node: no majority left');
    const third = alive1.find((id) => id !== leader.id)!;
    killNode(state, third);
    const alive2 = alive1.filter((id) => id !== third);
    this.say(`kill -9 node ${third}. Only nodes ${alive2.join(' and ')} are up: 2 of 5 cannot commit anything.`);
    const t5 = performance.now();
    const stalled = await this.client.append('story', 'safely ', 3000);
    if (stalled.kind === 'ok') {
      this.say('Unexpected: the append succeeded without a majority. Is your Raft counting votes or matches right?');
    } else {
      this.say(`append(story, "safely ") → no answer within ${since(t5)} (${stalled.kind === 'unknown' ? 'outcome unknown' : 'refused'}).`);
      this.say('The write stalls rather than being lost or half-done: the leader keeps it in its log until a majority can store it.');
    }
    await this.pause();

    // 6. Restart and catch up
    this.heading(6, 'Restart the three nodes: they catch up');
    for (const id of [oldLeader, victim, third]) await restartNode(state, id, (line) => this.say(line));
    this.say('Each one read its term, vote and log back from disk, then the leader sent what it missed.');
    const caughtUp = await this.waitFor(state, 'every node to catch up', 20_000, (s) => {
      const applied = s.map((x) => x?.appliedIndex);
      const l = this.leaderAmong(s, all);
      const ready = l !== undefined && applied.every((a) => typeof a === 'number' && a === applied[0]);
      return ready ? { leader: l, index: applied[0] as number } : undefined;
    });
    leader = caughtUp.leader;
    this.say(`All five nodes have applied the log through index ${caughtUp.index}; node ${leader.id} leads term ${leader.term}.`);
    this.table(await inspectCluster(state, 500));
    const read6 = await this.client.get('story');
    this.expectOk(read6, 'get story');
    this.say(`get(story) → "${read6.kind === 'ok' ? read6.value : ''}"`);
    this.say(
      read6.kind === 'ok' && read6.value.includes('safely')
        ? 'The stalled append took effect once a majority was back: the leader had kept it. Every acknowledged write is there.'
        : 'Every acknowledged write is there. (The stalled append was not committed: its leader lost it when the term changed, and it was never acknowledged.)',
    );
    await this.pause();

    // 7. Partition: isolate the leader
    this.heading(7, 'A partition isolates the leader');
    const isolated = leader.id;
    const majority = all.filter((id) => id !== isolated);
    await partitionCluster(state, [[isolated], majority]);
    this.say(`Network cut: node ${isolated} (the leader) on one side, nodes ${majority.join(',')} on the other. All five are still running.`);
    const cutAt = performance.now();
    const newLeader = await this.waitFor(state, 'a leader on the majority side', 10_000, (s) => {
      const l = this.leaderAmong(s, majority);
      return l !== undefined && l.term > leader.term ? l : undefined;
    });
    this.say(`The majority side elected node ${newLeader.id} in term ${newLeader.term} after ${since(cutAt)}.`);
    const both = await this.statuses(state);
    if (both[isolated]?.role === 'leader') {
      this.say(`Node ${isolated} still believes it leads term ${String(both[isolated]?.term)}: it cannot hear that a newer term began. It can commit nothing, though.`);
    }
    this.client.prefer(isolated);
    const t7 = performance.now();
    const r7old = await this.client.append('story', 'isolated ', 1500);
    if (r7old.kind === 'ok') this.say(`Unexpected: node ${r7old.node} acknowledged a write while cut off from the majority.`);
    else this.say(`append(story, "isolated ") sent to node ${isolated} → no answer within ${since(t7)}: it cannot reach a majority.`);
    this.client.prefer(newLeader.id);
    const r7 = await this.client.append('story', 'partitioned ');
    this.expectOk(r7, 'append during the partition');
    this.say(`append(story, "partitioned ") sent to node ${newLeader.id} → ok: the majority side carries on.`);
    this.table(await inspectCluster(state, 500));
    await this.pause();

    // 8. Heal: the old leader steps down
    this.heading(8, 'Heal: the old leader steps down');
    await healCluster(state);
    const healedAt = performance.now();
    this.say('Network healed.');
    const down = await this.waitFor(state, `node ${isolated} to step down`, 10_000, (s) => {
      const x = s[isolated];
      return x !== null && x !== undefined && x.role !== 'leader' && typeof x.term === 'number' && x.term >= newLeader.term ? x : undefined;
    });
    this.say(`Node ${isolated} saw term ${String(down.term)} in a message from the new leader and stepped down to ${String(down.role)} after ${since(healedAt)}.`);
    await this.waitFor(state, 'the log to converge', 10_000, (s) => {
      const applied = s.map((x) => x?.appliedIndex);
      return applied.every((a) => typeof a === 'number' && a === applied[0]) ? true : undefined;
    });
    this.say('Its log now matches the leader’s: what it took in as the isolated leader was never committed, and was replaced.');
    this.say(`(Node ${isolated}'s request handler still holds the "isolated " append and retries it through the new leader: an operation whose outcome was unknown may still take effect, once.)`);
    this.table(await inspectCluster(state, 500));
    const final = await this.client.get('story');
    this.expectOk(final, 'the final read');
    this.write('');
    this.say(`get(story) → "${final.kind === 'ok' ? final.value : ''}"`);
    this.say('Elections, crashes, a lost majority and a partition: every acknowledged write survived.');
  }

  private expectOk(r: { kind: string; why?: string }, what: string): void {
    if (r.kind !== 'ok') throw new Error(`${what} did not succeed (${r.kind}: ${r.why ?? ''})`);
  }
}

/** "0.4 s", or "120 ms" below a second. */
function since(startMs: number): string {
  const ms = performance.now() - startMs;
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
