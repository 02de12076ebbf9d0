/**
 * What the playground's page and its simulation exchange: the run's settings, the actions a
 * user takes (each pinned to the number of events fired before it, so a replay from the seed
 * puts it at the same point of the run), and the frames the page draws.
 */

/** The settings a run starts from; with the seed and the actions they fix the whole run. */
export interface RunConfig {
  seed: string;
  /** A scene id (see scenes.ts) or 'free' for no script. */
  scene: string;
  servers: number;
  /** Chance (0..1) that the playground network drops a request or a reply. */
  dropRate: number;
  /** One hop of an RPC takes a seeded delay in [delayMinMs, delayMaxMs]. */
  delayMinMs: number;
  delayMaxMs: number;
}

/** Something a user does to a run. */
export type ActionBody =
  | { kind: 'crash'; server: number }
  | { kind: 'restart'; server: number }
  | { kind: 'cut'; a: number; b: number }
  | { kind: 'heal'; a: number; b: number }
  | { kind: 'submit'; command: string }
  | { kind: 'net'; dropRate: number; delayMinMs: number; delayMaxMs: number }
  /** A Clerk call on the key/value service (kv scenes only): the first idle Clerk makes it. */
  | { kind: 'kv'; op: KvOpName; key: string; value: string };

/** The Clerk calls a page can make. */
export type KvOpName = 'Put' | 'Append' | 'Get';

/** An action at its place in the run: after `atEvent` events had fired. */
export type Action = ActionBody & { atEvent: number };

export type Role = 'follower' | 'candidate' | 'leader' | 'crashed';

/** One log entry as drawn. */
export interface EntryView {
  index: number;
  term: number;
  command: string;
}

/** One server as the page draws it. Fields the student's Raft does not expose are undefined. */
export interface NodeView {
  id: number;
  role: Role;
  term: number | undefined;
  votedFor: number | undefined;
  /** The most recent entries (at most `logShownMax`). */
  log: EntryView[] | undefined;
  lastIndex: number | undefined;
  commitIndex: number | undefined;
  /** Highest index this server applied on applyCh. */
  applied: number;
  /** Election timer: ms left and the full timeout, where the Raft keeps a deadline the page can find. */
  timer: { leftMs: number; totalMs: number } | undefined;
  /** GetState threw or returned something that is not [number, boolean]. */
  stateError: string | undefined;
  /** In a kv scene: what this server's KVServer shows of its state. */
  kv?: KvServerView;
}

/** One KVServer's state as drawn. */
export interface KvServerView {
  /** Its key/value map, where the KVServer keeps one the page can find (a Map or object of strings); sorted by key. */
  entries: [key: string, value: string][] | undefined;
  /** The last command its Raft sent it on applyCh: index and a short text. */
  lastApplied: { index: number; command: string } | undefined;
}

/** One Clerk of a kv scene. */
export interface ClerkView {
  id: number;
  /** The call in progress ("Append x 3"), if any, and when it was made (ms). */
  busy: { text: string; sinceMs: number } | undefined;
  /** The last call that returned, with what it returned. */
  last: string | undefined;
}

/** porcupine's verdict on the kv history made so far. */
export interface KvVerdict {
  result: 'Ok' | 'Illegal' | 'Unknown' | 'empty';
  /** Operations judged: returned ones, and writes still in progress. */
  operations: number;
  /** One line; for Illegal, where the history stops being linearizable. */
  text: string;
}

/** The key/value service's part of a frame (kv scenes only). */
export interface KvFrame {
  clerks: ClerkView[];
  verdict: KvVerdict;
}

/**
 * Whether the kv service can run: kvraft's files are there and not the handout's skeleton.
 * 'untested' means the files are there but the probe could not finish a call (a Raft that
 * elects or commits nothing): the kv scenes stay on.
 */
export interface KvProbe {
  status: 'ready' | 'absent' | 'skeleton' | 'untested';
  text: string;
}

/**
 * A Flight's end: a server id (0..n-1), or a Clerk as -1 - its number (so Clerk 0 is -1).
 */
export const clerkEndpoint = (clerk: number): number => -1 - clerk;
/** The Clerk at a Flight's end, or undefined if the end is a server. */
export const clerkAt = (endpoint: number): number | undefined => (endpoint < 0 ? -1 - endpoint : undefined);

export type FlightFate = 'delivered' | 'dropped' | 'lost';

/** One hop of one RPC: a request or its reply, from send to arrival. */
export interface Flight {
  id: number;
  rpc: number;
  /** Server ids, or Clerks as negative numbers (see clerkEndpoint). */
  from: number;
  to: number;
  method: string;
  reply: boolean;
  t0: number;
  t1: number;
  fate: FlightFate;
  /** A few words about the message: "T3 idx4 +2" or "granted". */
  label: string;
}

export type MarkKind = 'fail' | 'pass' | 'info';

/** A scene's narration, a check that held, or something the student's Raft got wrong. */
export interface Mark {
  atMs: number;
  atEvent: number;
  kind: MarkKind;
  text: string;
}

/** Everything the page needs to draw one instant. */
export interface Frame {
  timeMs: number;
  events: number;
  /** Virtual time of the next event (the page may animate up to it). */
  nextEventMs: number | undefined;
  nodes: NodeView[];
  /** Cut links, as [a, b] with a < b. */
  cuts: [number, number][];
  dropRate: number;
  delayMinMs: number;
  delayMaxMs: number;
  /** Flights and marks new since the previous frame. */
  flights: Flight[];
  marks: Mark[];
  /** The scene's current line of explanation. */
  narration: string;
  rpcs: number;
  bytes: number;
  /** The key/value service, in kv scenes. */
  kv?: KvFrame;
}

/** Page to worker. */
export type ToWorker =
  | { type: 'start'; config: RunConfig; actions: Action[]; target: Target; speed: number; headless?: { untilMs: number; speed?: number } }
  | { type: 'play'; speed: number }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'action'; action: ActionBody }
  /** Run on (at full speed) to `target`, then pause, or play on at `speed` if it is above 0. */
  | { type: 'seek'; target: NonNullable<Target>; speed: number }
  /** An action taken elsewhere (in the page's main run) that this run must apply when it gets there. */
  | { type: 'schedule'; action: Action }
  | { type: 'ping'; id: number }
  /** Probe the kv service of this build (a worker of its own; answers kv-probe). */
  | { type: 'probe' };

/** Where a (re)started run should stop and wait: an instant, an event count, or nowhere (play on). */
export type Target = { timeMs: number } | { events: number } | null;

/** Worker to page. */
export type FromWorker =
  | { type: 'frame'; frame: Frame; paused: boolean }
  | { type: 'recorded'; action: Action }
  | { type: 'pong'; id: number }
  | { type: 'log'; text: string }
  | { type: 'kv-probe'; probe: KvProbe }
  | { type: 'ended'; ok: boolean; message: string; traceHash: string; timeMs: number; events: number; realMs: number };

export const logShownMax = 40;
