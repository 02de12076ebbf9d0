/**
 * The trace file format: one JSON object with the run's meta data and an array of compact
 * events in time order. Every event has its virtual time `t` (ms since the run started) and
 * its kind `k`; `s` is the server (a number) or other party (a string, e.g. a clerk) where the
 * event happened. Field names are short because a trace may hold a million events, but never
 * cryptic: each kind's fields are listed below and in docs/traces.md.
 */

/** Format tag and version, checked by every reader. */
export const traceFormat = 'raftlab-trace';
export const traceVersion = 1;

/** A server number (lane S<n>) or another party's name (a clerk, "tester"). */
export type Party = number | string;

/** Every step of one RPC, as labrpc reports them; steps of one RPC share `id`. */
export type RpcFate = 'sent' | 'request-dropped' | 'request-delayed' | 'delivered' | 'reply-dropped' | 'reply-delayed' | 'replied' | 'unreachable' | 'server-dead';

/** What GetState says (the tester samples it), or what the tester knows otherwise. */
export type Role = 'follower' | 'candidate' | 'leader';

/** Network-wide switches the tester flips. */
export type NetKind = 'reliable' | 'long-reordering' | 'long-delays';

/** One step of one RPC. `s` is the caller and `to` the callee (either unknown if the end was never named). */
export interface RpcStepEvent {
  t: number;
  k: 'rpc';
  id: number;
  fate: RpcFate;
  /** "Raft.AppendEntries" */
  method: string;
  s?: Party;
  to?: Party;
  /** Request bytes (sent) or reply bytes (replied, reply-dropped, reply-delayed). */
  bytes?: number;
  /** How long the step waited: the reply delay (reply-delayed) or the timeout (unreachable). */
  delayMs?: number;
}

export interface FaultEvent {
  t: number;
  k: 'crash' | 'restart' | 'connect' | 'disconnect';
  s: number;
}

/** The network split into groups that reach only their own members. */
export interface PartitionEvent {
  t: number;
  k: 'partition';
  groups: number[][];
}

export interface NetEvent {
  t: number;
  k: 'net';
  what: NetKind;
  on: boolean;
}

/** The tester called Start on `s` and it accepted the command at `index` in `term`. */
export interface StartEvent {
  t: number;
  k: 'start';
  s: number;
  index: number;
  term: number;
  /** A short summary of the command (at most ~40 characters). */
  cmd: string;
}

/** `s` applied a command (or, with `snap`, a snapshot up to `index`). */
export interface ApplyEvent {
  t: number;
  k: 'apply';
  s: number;
  index: number;
  cmd: string;
  snap?: true;
}

/** `s` took a snapshot through `index` (Snapshot() was called, the log was trimmed). */
export interface SnapshotEvent {
  t: number;
  k: 'snapshot';
  s: number;
  index: number;
}

/** One step of a tester checker (checkOneLeader, one(), the apply checker...). */
export interface CheckEvent {
  t: number;
  k: 'check';
  name: string;
  ok: boolean;
  detail?: string;
}

/** A sampled GetState; recorded only when it changes. */
export interface StateEvent {
  t: number;
  k: 'state';
  s: number;
  term: number;
  role: Role;
}

/** One `debug(namespace)` line of student code; `s` parsed from a trailing S<n> in the namespace. */
export interface LogEvent {
  t: number;
  k: 'log';
  s?: number;
  ns: string;
  text: string;
}

/** The check that failed the test, when it was detected. */
export interface FailureEvent {
  t: number;
  k: 'failure';
  check: string;
  message: string;
}

export type TraceEvent =
  | RpcStepEvent
  | FaultEvent
  | PartitionEvent
  | NetEvent
  | StartEvent
  | ApplyEvent
  | SnapshotEvent
  | CheckEvent
  | StateEvent
  | LogEvent
  | FailureEvent;

export type TraceEventKind = TraceEvent['k'];

/** What the run was: set by the tester with `meta(...)`. */
export interface TraceMeta {
  test?: string;
  seed?: string;
  mode?: 'virtual' | 'real';
  /** Number of servers (lanes S0..S<n-1> are drawn even if one never does anything). */
  servers?: number;
  /** Anything else worth showing (the part, the replay command...). */
  [key: string]: unknown;
}

/** A whole trace, as written to disk and embedded in the page. */
export interface Trace {
  format: typeof traceFormat;
  version: typeof traceVersion;
  meta: TraceMeta;
  /** The cap on events the recorder kept. */
  maxEvents: number;
  /** How many of the oldest events were dropped to stay under the cap (0 if none). */
  droppedEvents: number;
  events: TraceEvent[];
}
