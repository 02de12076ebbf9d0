/**
 * The playground's checks, run between every two events on what the student API shows
 * (GetState and applyCh), so they hold for any correct Raft: at most one leader per term,
 * GetState answers [term, isLeader], servers apply the same command at the same index, each
 * in order. A failed check becomes a red mark on the page, once per kind of failure.
 */
import type { ApplyMsg } from '../../raft/raft.ts';
import { describeCommand } from './inspect.ts';
import { readState, type StateRead } from './inspect.ts';
import type { RaftLike } from './cluster.ts';

/** Commands are compared on this many characters of their text. */
const commandCompareChars = 10_000;

export class Monitor {
  /** The servers seen leading, by term. */
  private readonly leaders = new Map<number, Set<number>>();
  /** The command applied at each index, by the first server that applied it. */
  private readonly committed = new Map<number, { server: number; command: string }>();
  /** The last index each server applied; undefined where the next one seen sets the baseline. */
  private readonly lastApplied: (number | undefined)[];
  private readonly reported = new Set<string>();
  /** The latest GetState of each server (undefined while crashed). */
  readonly states: (StateRead | undefined)[];

  constructor(
    n: number,
    private readonly fail: (key: string, text: string) => void,
    /** Whether every message on applyCh is seen from a server's start (else order is checked from the first one seen). */
    private readonly seesFromStart = true,
  ) {
    this.lastApplied = Array.from({ length: n }, () => (seesFromStart ? 0 : undefined));
    this.states = Array.from({ length: n }, () => undefined);
  }

  /** Reads every live server's GetState and checks the leaders. */
  check(rafts: (RaftLike | null)[]): void {
    for (let i = 0; i < rafts.length; i++) {
      const rf = rafts[i];
      if (rf === null || rf === undefined) {
        this.states[i] = undefined;
        continue;
      }
      const s = readState(rf);
      this.states[i] = s;
      if (!s.ok) {
        this.report(`state ${i}`, `S${i}: ${s.error}`);
        continue;
      }
      if (!s.isLeader) continue;
      let set = this.leaders.get(s.term);
      if (set === undefined) {
        set = new Set();
        this.leaders.set(s.term, set);
      }
      set.add(i);
      if (set.size > 1) this.report(`leaders ${s.term}`, `two leaders in term ${s.term}: ${[...set].map((x) => `S${x}`).join(' and ')} (a server may win at most one election per term)`);
    }
  }

  /** The server that leads now (the highest term among those that say they do). */
  leader(): number | undefined {
    let best: number | undefined;
    let bestTerm = -1;
    this.states.forEach((s, i) => {
      if (s?.ok === true && s.isLeader && s.term > bestTerm) {
        best = i;
        bestTerm = s.term;
      }
    });
    return best;
  }

  /** Checks one message a server sent on applyCh. */
  applied(server: number, msg: ApplyMsg): void {
    if (msg === null || typeof msg !== 'object') {
      this.report(`msg ${server}`, `S${server} sent ${String(msg)} on applyCh; expected an ApplyMsg`);
      return;
    }
    if (msg.SnapshotValid === true) {
      if (typeof msg.SnapshotIndex === 'number') this.lastApplied[server] = msg.SnapshotIndex;
      return;
    }
    if (msg.CommandValid !== true) return;
    const index = msg.CommandIndex;
    const last = this.lastApplied[server];
    if (last !== undefined && index !== last + 1) {
      this.report(`order ${server}`, `S${server} applied index ${index} after index ${last}: entries must be applied in order, each once`);
    }
    this.lastApplied[server] = Math.max(last ?? index, index);
    // The whole command (not the log cell's short text): two commands may share a beginning.
    const command = describeCommand(msg.Command, commandCompareChars);
    const before = this.committed.get(index);
    if (before === undefined) this.committed.set(index, { server, command });
    else if (before.command !== command) {
      const short = (c: string): string => (c.length > 40 ? `${c.slice(0, 39)}…` : c);
      this.report(`index ${index}`, `committed entry lost: S${before.server} applied ${short(before.command)} at index ${index}, S${server} applied ${short(command)} there`);
    }
  }

  /** Applied on a restart: the server applies from the start again. */
  restarted(server: number): void {
    this.lastApplied[server] = this.seesFromStart ? 0 : undefined;
  }

  /** How many servers applied index `index`. */
  commandAt(index: number): string | undefined {
    return this.committed.get(index)?.command;
  }

  private report(key: string, text: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.fail(key, text);
  }
}
