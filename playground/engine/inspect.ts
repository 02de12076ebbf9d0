/**
 * Reads what a student's Raft shows of itself, for drawing only. The term and leadership come
 * from GetState(); the rest (vote, log, commit index, election deadline) from fields with
 * Figure 2's names where the Raft has them (`votedFor`, `log`, `commitIndex`, ...), matched
 * without regard to case or underscores. A Raft that names them otherwise simply shows less:
 * nothing here judges it.
 */
import type { EntryView, NodeView, Role } from './protocol.ts';
import { logShownMax } from './protocol.ts';

type Fields = Record<string, unknown>;

const norm = (name: string): string => name.toLowerCase().replace(/[_#]/g, '');

function field(rf: object, ...names: string[]): unknown {
  const wanted = new Set(names.map(norm));
  for (const key of Object.keys(rf)) if (wanted.has(norm(key))) return (rf as Fields)[key];
  return undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A short text (at most `maxChars`) for a command in a log cell or a label. */
export function describeCommand(c: unknown, maxChars = 12): string {
  const cut = (s: string): string => (s.length > maxChars ? `${s.slice(0, maxChars - 1)}…` : s);
  if (typeof c === 'string') return cut(c);
  if (typeof c === 'number' || typeof c === 'boolean' || c === null || c === undefined) return String(c);
  try {
    return cut(JSON.stringify(c));
  } catch {
    return typeof c;
  }
}

function entryTerm(e: unknown): number | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  return num(field(e, 'Term'));
}

function readLog(rf: object): { log: EntryView[]; lastIndex: number } | undefined {
  const log = field(rf, 'log', 'logs', 'entries');
  if (!Array.isArray(log)) return undefined;
  const base = num(field(rf, 'lastIncludedIndex', 'snapshotIndex', 'snapshotLastIndex', 'lastSnapshotIndex', 'logStart', 'startIndex', 'baseIndex', 'logOffset')) ?? 0;
  // A dummy entry at log[0] (term 0 or the snapshot's term, no command) stands for index `base`.
  const first: unknown = log[0];
  const dummy = first !== null && typeof first === 'object' && (entryTerm(first) === 0 || base > 0) && (field(first, 'Command') === undefined || field(first, 'Command') === null);
  const indexOf = (pos: number): number => (dummy ? base + pos : base + 1 + pos);
  const from = Math.max(dummy ? 1 : 0, log.length - logShownMax);
  const entries: EntryView[] = [];
  for (let pos = from; pos < log.length; pos++) {
    const e: unknown = log[pos];
    entries.push({ index: indexOf(pos), term: entryTerm(e) ?? -1, command: describeCommand(e !== null && typeof e === 'object' ? field(e, 'Command') : e) });
  }
  return { log: entries, lastIndex: log.length === 0 ? base : indexOf(log.length - 1) };
}

function readRole(rf: object, isLeader: boolean): Role {
  if (isLeader) return 'leader';
  const r = field(rf, 'role', 'state', 'status', 'serverState');
  if (typeof r === 'string' && /cand/i.test(r)) return 'candidate';
  return 'follower';
}

function readTimer(rf: object, nowMs: number, role: Role): NodeView['timer'] {
  if (role === 'leader') return undefined;
  const deadline = num(field(rf, 'electionDeadlineMs', 'electionDeadline', 'electionTimeoutAt', 'electionAt', 'deadline', 'electionTimerDeadline'));
  const timeout = num(field(rf, 'electionTimeoutMs', 'electionTimeout', 'timeoutMs', 'electionTimer'));
  if (deadline !== undefined) {
    const left = deadline - nowMs;
    if (left < -1 || left > 60_000) return undefined;
    return { leftMs: Math.max(0, left), totalMs: Math.max(timeout ?? 0, left, 1) };
  }
  const last = num(field(rf, 'lastHeartbeat', 'lastHeard', 'lastHeardMs', 'lastReset', 'lastResetMs', 'lastContact', 'electionResetAt', 'lastHeartbeatMs'));
  if (last !== undefined && timeout !== undefined && timeout > 0 && timeout < 60_000) {
    return { leftMs: Math.max(0, last + timeout - nowMs), totalMs: timeout };
  }
  return undefined;
}

/** GetState's answer, checked for shape as the tester checks it. */
export type StateRead = { ok: true; term: number; isLeader: boolean } | { ok: false; error: string };

export function readState(rf: { GetState(): unknown }): StateRead {
  let r: unknown;
  try {
    r = rf.GetState();
  } catch (e) {
    return { ok: false, error: `GetState() threw: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!Array.isArray(r) || r.length < 2 || typeof r[0] !== 'number' || !Number.isInteger(r[0]) || r[0] < 0 || typeof r[1] !== 'boolean') {
    let shown: string;
    try {
      shown = JSON.stringify(r) ?? String(r);
    } catch {
      shown = String(r);
    }
    return { ok: false, error: `GetState() returned ${shown}; expected [term, isLeader]: a whole number >= 0 and a boolean` };
  }
  return { ok: true, term: r[0], isLeader: r[1] };
}

/** The view of one running server (`state` is its GetState, read once per event by the monitor). */
export function inspectRaft(id: number, rf: object, state: StateRead, applied: number, nowMs: number): NodeView {
  const isLeader = state.ok && state.isLeader;
  const role = readRole(rf, isLeader);
  const log = readLog(rf);
  return {
    id,
    role,
    term: state.ok ? state.term : undefined,
    votedFor: num(field(rf, 'votedFor', 'votedForId', 'vote')),
    log: log?.log,
    lastIndex: log?.lastIndex,
    commitIndex: num(field(rf, 'commitIndex', 'commitIdx', 'committedIndex', 'commit')),
    applied,
    timer: readTimer(rf, nowMs, role),
    stateError: state.ok ? undefined : state.error,
  };
}

/** The view of a crashed server. */
export function crashedView(id: number, applied: number): NodeView {
  return { id, role: 'crashed', term: undefined, votedFor: undefined, log: undefined, lastIndex: undefined, commitIndex: undefined, applied, timer: undefined, stateError: undefined };
}
