/**
 * A scripted, Raft-shaped run on the real labrpc network, for the trace tests, the overhead
 * benchmark and the documentation's screenshot. It is not Raft: a driver plays the tester
 * and the leader (elections by RequestVote, AppendEntries heartbeats, Start and apply,
 * disconnects, crashes, an unreliable stretch, snapshots, checker steps), and the handlers
 * only answer. What matters is that every RPC goes through labrpc and every report through
 * `activeRecorder()?.…`, exactly as the tester will do it.
 */
import { debug, now, randomInt, sleep } from '../../sim/index.ts';
import { Network, Server, Service, type ClientEnd } from '../../labrpc/index.ts';
import { activeRecorder } from '../index.ts';

export interface ScenarioOptions {
  servers: number;
  durationMs: number;
  /** Leader heartbeat period (ms); smaller means more RPCs. */
  heartbeatMs?: number;
  /** A command is started every this many ms. */
  startEveryMs?: number;
  /** A fault (disconnect, crash, unreliable stretch...) every this many ms. */
  faultEveryMs?: number;
  /** End with a failed check and a failure (for the page's failure marker). */
  fail?: boolean;
  /** Commands this long (to test summaries). */
  commandChars?: number;
}

export interface ScenarioResult {
  rpcs: number;
  leader: number;
  term: number;
  lastIndex: number;
}

interface VoteArgs {
  Term: number;
  CandidateId: number;
}
interface AppendArgs {
  Term: number;
  LeaderId: number;
  Entries: { index: number; command: unknown }[];
  LeaderCommit: number;
}

/** Answers like a follower that agrees with everyone; logs like a student would. */
class ToyPeer {
  term = 0;
  private readonly log;
  constructor(readonly me: number) {
    this.log = debug(`raft:S${me}`);
  }
  RequestVote(args: VoteArgs, reply: Record<string, unknown>): void {
    if (args.Term > this.term) this.term = args.Term;
    reply.Term = this.term;
    reply.VoteGranted = args.Term >= this.term;
    this.log('T%d vote for S%d: %s', this.term, args.CandidateId, reply.VoteGranted ? 'granted' : 'refused');
  }
  AppendEntries(args: AppendArgs, reply: Record<string, unknown>): void {
    if (args.Term > this.term) this.term = args.Term;
    reply.Term = this.term;
    reply.Success = args.Term >= this.term;
    if (args.Entries.length > 0) this.log('T%d append %d entries from S%d, commit %d', this.term, args.Entries.length, args.LeaderId, args.LeaderCommit);
  }
}

/** Runs the scenario inside a simulated run (the caller calls runSimulation). */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const n = options.servers;
  const heartbeatMs = options.heartbeatMs ?? 50;
  const startEveryMs = options.startEveryMs ?? 120;
  const faultEveryMs = options.faultEveryMs ?? 1500;
  const commandChars = options.commandChars ?? 8;
  const network = new Network();
  const rec = activeRecorder();
  rec?.attachNetwork(network);
  rec?.meta({ servers: n });

  const peers: ToyPeer[] = [];
  const ends: ClientEnd[][] = [];
  const endNames: string[][] = [];
  const alive: boolean[] = [];
  const connected: boolean[] = [];
  let generation = 0;
  const boot = (i: number): void => {
    peers[i] = new ToyPeer(i);
    const server = new Server();
    server.addService(new Service(peers[i], 'Raft'));
    network.addServer(i, server);
    alive[i] = true;
  };
  const makeEnds = (i: number): void => {
    generation++;
    ends[i] = [];
    endNames[i] = [];
    for (let j = 0; j < n; j++) {
      const name = `end-${i}-${j}-${generation}`;
      ends[i]![j] = network.makeEnd(name);
      endNames[i]![j] = name;
      network.connect(name, j);
      rec?.nameEnd(name, i, j);
    }
  };
  const wire = (): void => {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) network.enable(endNames[i]![j]!, connected[i] === true && connected[j] === true);
  };
  for (let i = 0; i < n; i++) {
    boot(i);
    makeEnds(i);
    connected[i] = true;
  }
  wire();

  let term = 0;
  let leader = -1;
  let lastIndex = 0;
  const commands: unknown[] = [null];
  const applied = new Array<number>(n).fill(0);
  const applyUpTo = (s: number, upTo: number): void => {
    for (let k = applied[s]! + 1; k <= upTo; k++) {
      rec?.apply(s, k, commands[k]);
      if (k % 25 === 0) rec?.snapshot(s, k);
    }
    if (upTo > applied[s]!) applied[s] = upTo;
  };

  const elect = async (candidate: number): Promise<void> => {
    term++;
    peers[candidate]!.term = term;
    rec?.state(candidate, term, 'candidate');
    const calls: Promise<boolean>[] = [];
    for (let j = 0; j < n; j++) {
      if (j === candidate) continue;
      calls.push(ends[candidate]![j]!.Call('Raft.RequestVote', { Term: term, CandidateId: candidate }, {}));
    }
    await Promise.all(calls);
    leader = candidate;
    rec?.state(candidate, term, 'leader');
    rec?.check('checkOneLeader', true, `leader S${leader} in term ${term}`);
  };

  const heartbeat = (): void => {
    if (leader < 0 || !alive[leader]) return;
    const from = leader;
    const commit = lastIndex;
    applyUpTo(from, commit);
    for (let j = 0; j < n; j++) {
      if (j === from) continue;
      const entries = [];
      for (let k = applied[j]! + 1; k <= commit && entries.length < 4; k++) entries.push({ index: k, command: commands[k] });
      void ends[from]![j]!.Call('Raft.AppendEntries', { Term: term, LeaderId: from, Entries: entries, LeaderCommit: commit }, {}).then((ok) => {
        if (ok && alive[j]) applyUpTo(j, Math.min(commit, applied[j]! + entries.length));
      });
    }
  };

  const sample = (): void => {
    for (let i = 0; i < n; i++) if (alive[i]) rec?.state(i, peers[i]!.term, i === leader ? 'leader' : 'follower');
  };

  await elect(0);
  let nextHeartbeat = 0;
  let nextStart = startEveryMs;
  let nextFault = faultEveryMs;
  let nextSample = 0;
  let faultStep = 0;
  let pendingRestart = -1;
  let pendingReconnect = -1;
  let steps = 0;
  // Every step sleeps at least 1 ms, so this bound only stops a broken schedule from spinning.
  const stepsMax = Math.ceil(options.durationMs) + 10;
  while (now() < options.durationMs && steps++ < stepsMax) {
    const t = now();
    if (t >= nextHeartbeat) {
      heartbeat();
      nextHeartbeat += heartbeatMs;
    }
    if (t >= nextSample) {
      sample();
      nextSample += 100;
    }
    if (t >= nextStart && leader >= 0) {
      lastIndex++;
      const command = commandChars > 8 ? 'x'.repeat(commandChars) : randomInt(1_000_000);
      commands[lastIndex] = command;
      rec?.start(leader, lastIndex, term, command);
      nextStart += startEveryMs;
    }
    if (t >= nextFault) {
      nextFault += faultEveryMs;
      if (pendingReconnect >= 0) {
        connected[pendingReconnect] = true;
        wire();
        rec?.connect(pendingReconnect);
        pendingReconnect = -1;
      } else if (pendingRestart >= 0) {
        boot(pendingRestart);
        makeEnds(pendingRestart);
        wire();
        rec?.restart(pendingRestart);
        pendingRestart = -1;
      } else {
        switch (faultStep++ % 3) {
          case 0: {
            // Disconnect the leader; another server wins an election.
            const old = leader;
            connected[old] = false;
            wire();
            rec?.disconnect(old);
            pendingReconnect = old;
            await sleep(heartbeatMs * 3);
            let c = (old + 1) % n;
            while (!alive[c] || !connected[c]) c = (c + 1) % n;
            await elect(c);
            break;
          }
          case 1: {
            // Crash a follower; it restarts at the next fault slot.
            let f = (leader + 1) % n;
            while (!alive[f]) f = (f + 1) % n;
            alive[f] = false;
            network.deleteServer(f);
            rec?.crash(f);
            pendingRestart = f;
            break;
          }
          case 2: {
            const reliable = randomInt(2) === 0;
            network.setReliable(reliable);
            rec?.net('reliable', reliable);
            break;
          }
        }
      }
    }
    await sleep(Math.max(1, Math.min(nextHeartbeat, nextStart, nextSample, nextFault) - now()));
  }
  if (options.fail === true) {
    rec?.check('checkLogs', false, `server 1 applied a different command at index ${lastIndex}`);
    rec?.failure('checkLogs', `commit index=${lastIndex} server=1 ${String(commands[lastIndex])} != server=0 ${String(commands[lastIndex - 1])}`);
  }
  network.cleanup();
  await sleep(300);
  return { rpcs: network.getTotalCount(), leader, term, lastIndex };
}
