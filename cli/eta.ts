/**
 * The time left of a batch of runs, from what each test has cost so far. Tests differ a lot (a
 * Figure 8 run costs many times an election test), and the first runs to end are the quick
 * ones, so an average over all runs done says "10 s left" with a minute to go. Instead: each
 * test's own mean real time times its runs still to do, spread over the parallel slots; and no
 * estimate until every test has ended at least once.
 */
export interface EtaInput {
  /** Real ms of each run that has ended, by test name. */
  doneMs: Map<string, number[]>;
  /** Runs of each test in the whole batch. */
  totalRuns: Map<string, number>;
  parallel: number;
}

/** Seconds left, or undefined while some test has not ended once (nothing to go on yet). */
export function etaSeconds(input: EtaInput): number | undefined {
  let leftMs = 0;
  for (const [name, total] of input.totalRuns) {
    const done = input.doneMs.get(name) ?? [];
    if (done.length === 0) return undefined;
    const meanMs = done.reduce((a, b) => a + b, 0) / done.length;
    leftMs += meanMs * Math.max(0, total - done.length);
  }
  return leftMs / 1000 / Math.max(1, input.parallel);
}
