import { now, runSimulation, seedFor, type TimeMode } from '../sim/index.ts';
import { buildReport, type FailureReport } from './report.ts';
import { collectOutput, stopCollecting } from './output.ts';

/** The numbers of a Passed line. */
export interface PassedStats {
  timeS: number;
  peers: number;
  rpcs: number;
  bytes?: number;
  cmds: number;
}

/** A registered simulated test body: gets the run's time limit, returns its Passed numbers. */
export type SimTestBody = () => Promise<PassedStats | undefined>;

/** The result of one run of one test, in or out of a worker. */
export interface RunOutcome {
  name: string;
  ok: boolean;
  baseSeed: string;
  mode: TimeMode;
  stats?: PassedStats;
  report?: FailureReport;
  output: string[];
  /** Digest of the event sequence (virtual time only). */
  traceHash: string;
  elapsedMs: number;
  realMs: number;
}

/** Per-test time limits, as in 6.5840: 120 s per test (the tester checks), and a hard stop beyond it. */
export const testTimeLimitMs = 120_000;

/**
 * Runs one test body in the simulator with the seed derived from `baseSeed` and its name, and
 * turns whatever happens into a RunOutcome: never throws.
 */
export async function runOne(name: string, body: SimTestBody, baseSeed: string, mode: TimeMode, progressCell?: Float64Array): Promise<RunOutcome> {
  const output = collectOutput();
  const startReal = performance.now();
  let lastMs = 0;
  try {
    const result = await runSimulation(
      async () => {
        try {
          return await body();
        } finally {
          lastMs = now();
        }
      },
      {
        seed: seedFor(baseSeed, name),
        mode,
        // A test that runs on past the 120 s limit fails there rather than at its end (the Go
        // tester only noticed in end()); the extra margin lets end() report it in 6.5840's words.
        limits: { virtualTimeLimitMs: testTimeLimitMs + 30_000 },
        progressCell,
      },
    );
    return { name, ok: true, baseSeed, mode, stats: result.value, output, traceHash: result.traceHash, elapsedMs: result.elapsedMs, realMs: result.realMs };
  } catch (thrown) {
    return {
      name,
      ok: false,
      baseSeed,
      mode,
      report: buildReport(name, baseSeed, mode, thrown, lastMs),
      output,
      traceHash: '',
      elapsedMs: lastMs,
      realMs: performance.now() - startReal,
    };
  } finally {
    stopCollecting();
  }
}
