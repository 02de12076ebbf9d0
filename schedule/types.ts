/** What the tester injects on a test's behalf: each one can be left out of an edited run. */
export type FaultKind = 'crash' | 'restart' | 'disconnect' | 'partition' | 'shutdown';

/** What an unreliable network does to one message: each one can be turned back into a plain delivery. */
export type FateKind = 'request-delay' | 'request-drop' | 'reply-drop' | 'reply-reorder';

/** What undoes a fault (a restart after a crash, a reconnect); recorded for the story, never edited. */
export type RepairKind = 'start' | 'connect' | 'heal';

/** One choice of a run, as recorded. */
export interface RecordedChoice {
  /**
   * Its stable identity: the same choice has the same id in every run of the seed, even when
   * earlier choices were edited away. E.g. "crash S1 #2" (the 2nd crash of server 1) or
   * "request-drop Raft.AppendEntries S1->S2 t4 #3" (the 3rd AppendEntries request from 1 to 2
   * in term 4).
   */
  id: string;
  /** Faults and message fates are what a shrink may leave out; repairs follow their fault. */
  unit: 'fault' | 'message' | 'repair';
  kind: FaultKind | FateKind | RepairKind;
  /** When it happened, in ms of the run's clock. */
  atMs: number;
  /** The servers (or clients) concerned: "S1", "C0". */
  servers: string[];
  /** For message delays: by how much. */
  delayMs?: number;
  /** For partitions: the groups, e.g. "[0 1] [2 3 4]". */
  detail?: string;
}

/** An edit of a run's schedule. */
export interface ScheduleEdit {
  /**
   * The faults and message fates to keep, by id; every other one is left out (a crash does not
   * happen, a dropped message is delivered, a delayed one goes at once). Absent: keep them all.
   */
  keep?: readonly string[];
}

/** What a run is asked to do with its schedule. */
export interface ScheduleRequest extends ScheduleEdit {
  /** Return the choices the run made (what shrinking needs). */
  record?: boolean;
  /** Mark each kept fault and message fate in the run's trace, if it is traced. */
  mark?: boolean;
  /**
   * End the run with a time-limit failure at this simulated time (ms), if it has not ended by
   * then: a shrink's candidates need not run far past the failure they are meant to keep.
   */
  stopAtMs?: number;
}

/** What a run made of its schedule, when asked to record it. */
export interface ScheduleRecord {
  /** The choices that happened, in order (left-out ones are not here). */
  choices: RecordedChoice[];
  /** How many faults and message fates the edit left out. */
  leftOut: number;
}
