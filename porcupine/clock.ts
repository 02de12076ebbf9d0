/**
 * Real time for the checker's time limit. Captured when this module loads because the
 * simulator replaces `performance.now` with virtual time while a test runs, and a time
 * limit in virtual time would never expire during a synchronous search.
 */
export const realNow: () => number = performance.now.bind(performance);

/** The real time, in ms, at which a limit of `timeoutMs` from now runs out; 0 means none. */
export function deadlineAfter(timeoutMs: number): number {
  if (!(timeoutMs > 0)) return Infinity;
  return realNow() + timeoutMs;
}

/** Whether the real clock has passed `deadline`. */
export function isPast(deadline: number): boolean {
  return deadline !== Infinity && realNow() > deadline;
}
