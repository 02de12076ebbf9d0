import { currentRuntime } from '../sim/index.ts';
import { keyedInt } from './keyed.ts';
import type { FateKind, FaultKind, RecordedChoice, RepairKind, ScheduleRecord, ScheduleRequest } from './types.ts';

/** Decides the fates of one message's trip; `draw` gets the numbers, `neutral` is the plain delivery. */
export interface MessageChoices {
  pick<T extends number | boolean>(kind: FateKind, draw: (int: (n: number) => number) => T, neutral: T): T;
}

/** A message as the schedule names it. */
export interface MessageParty {
  svcMeth: string;
  /** The end the request leaves by (its owner is the sender, once named with nameEnd). */
  end: string | number;
  server: string | number;
  /** The term in the request's arguments, if it has one (read only when needed). */
  readTerm: () => number | undefined;
}

/**
 * The one recorded schedule of a run: every fault the tester injects and every fate the
 * network deals a message passes through here, each under a stable identity, so that a run can
 * be replayed from its seed with some of them left out.
 *
 * Identities count per kind and subject, never globally: "crash S1 #2" is the 2nd crash of
 * server 1, "request-drop Raft.AppendEntries S1->S2 t4 #3" concerns the 3rd AppendEntries from
 * 1 to 2 in term 4. Leaving out a crash of S0 renames nothing of S1's, and nothing of term 5.
 * The network draws each message's fates from a generator keyed by that identity, so leaving
 * one out changes no other message's fate.
 */
export class Schedule {
  private readonly keep: ReadonlySet<string> | undefined;
  private readonly record: boolean;
  private readonly choices: RecordedChoice[] = [];
  private readonly counters = new Map<string, number>();
  private readonly owners = new Map<string | number, string>();
  private leftOut = 0;
  private keptListener: ((choice: RecordedChoice) => void) | undefined;

  constructor(
    private readonly runSeed: string,
    request: ScheduleRequest = {},
  ) {
    this.keep = request.keep === undefined ? undefined : new Set(request.keep);
    this.record = request.record === true;
  }

  /** Calls `listener` with every fault and message fate the run keeps (to mark them in a trace). */
  onKept(listener: ((choice: RecordedChoice) => void) | undefined): void {
    this.keptListener = listener;
  }

  /** Names the sender of the messages that leave by `end`: a server "S1", a client "C0". */
  nameEnd(end: string | number, owner: string): void {
    this.owners.set(end, owner);
  }

  /**
   * A fault the tester is about to inject on `subject` ("S1", or "" for the whole network):
   * true to inject it, false when the edit leaves it out.
   */
  fault(kind: FaultKind, subject: string, servers: string[], detail?: string): boolean {
    const id = `${kind}${subject === '' ? '' : ` ${subject}`} #${this.next(`${kind} ${subject}`)}`;
    if (this.keep !== undefined && !this.keep.has(id)) {
      this.leftOut++;
      return false;
    }
    if (this.record) this.keepChoice({ id, unit: 'fault', kind, atMs: currentRuntime().nowMs(), servers, detail });
    return true;
  }

  /** A repair of an earlier fault (a restart, a reconnect): recorded for the story only. */
  repair(kind: RepairKind, servers: string[]): void {
    if (this.record) this.choices.push({ id: `${kind} ${servers.join(',')}`, unit: 'repair', kind, atMs: currentRuntime().nowMs(), servers });
  }

  /** The fate chooser of one request and its reply. */
  message(party: MessageParty): MessageChoices {
    const from = this.owners.get(party.end) ?? `end ${String(party.end)}`;
    const term = party.readTerm();
    const pair = `${party.svcMeth} ${from}->S${String(party.server)}${term === undefined ? '' : ` t${term}`}`;
    const key = `${pair} #${this.next(pair)}`;
    return {
      pick: (kind, draw, neutral) => {
        const id = `${kind} ${key}`;
        const value = draw(keyedInt(this.runSeed, id));
        if (value === neutral) return value;
        if (this.keep !== undefined && !this.keep.has(id)) {
          this.leftOut++;
          return neutral;
        }
        if (this.record) {
          this.keepChoice({ id, unit: 'message', kind, atMs: currentRuntime().nowMs(), servers: [from, `S${String(party.server)}`], delayMs: typeof value === 'number' ? value : undefined });
        }
        return value;
      },
    };
  }

  /** What the run made of its schedule. */
  recorded(): ScheduleRecord {
    return { choices: [...this.choices], leftOut: this.leftOut };
  }

  private keepChoice(choice: RecordedChoice): void {
    this.choices.push(choice);
    this.keptListener?.(choice);
  }

  private next(counter: string): number {
    const n = (this.counters.get(counter) ?? 0) + 1;
    this.counters.set(counter, n);
    return n;
  }
}

let active: Schedule | undefined;

/** The schedule of the run in progress, if the run has one (graded tests always do). */
export function activeSchedule(): Schedule | undefined {
  return active;
}

/** Makes `schedule` the one choices go through (undefined: none, the network draws as plain labrpc). */
export function setActiveSchedule(schedule: Schedule | undefined): void {
  active = schedule;
}
