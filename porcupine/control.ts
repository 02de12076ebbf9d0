/**
 * Cells of the shared Int32Array through which a caller and a checker thread coordinate one
 * job (parallel.ts, worker.ts, search.ts).
 */

/** Set to 1 by the thread once the job's answer is on its port. */
export const DONE = 0;
/** Set to 1 by the caller: stop searching (time is up, or the verdict is already known). */
export const ABORT = 1;
/** Bumped by the search every 1024 turns, so the caller can tell a busy thread from a dead one. */
export const HEARTBEAT = 2;
/** Length of the control array. */
export const CONTROL_CELLS = 3;
/** How many search loop turns between looks at the clock and the control cells: a clock read costs far more than a turn. */
export const TURNS_PER_CLOCK_READ = 1024;
