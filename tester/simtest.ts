import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseSeedFromEnv, timeModeFromEnv } from '../sim/index.ts';
import { inTestWorker, registerInWorker } from './registry.ts';
import { isStuckLoop, runOne, type RunOutcome, type SimTestBody } from './runner.ts';
import { runInWorker } from './pool.ts';
import { LabTestError, replayCommand, type FailureReport } from './report.ts';

// vitest is loaded only where tests are registered with it, never inside a test worker.
const vitest = inTestWorker ? undefined : await import('vitest');

/**
 * The first stuck-loop finding of this test file (vitest runs each file in its own process):
 * the file's later tests fail at once with it, as `lab test` does per part. LAB_NO_BAIL=1 runs
 * them anyway.
 */
let stuck: { test: string; report: FailureReport } | undefined;

/** Real time vitest allows one simulated test (real-time mode needs up to 120 s and more). */
const vitestTimeoutMs = 900_000;

/**
 * Registers a simulated test: with vitest in the main process, and as a runnable body in a
 * test worker. Each run gets its seed from LAB_SEED (or a fresh one) and its name; a failure
 * throws a LabTestError whose message is the full report with the replay command.
 */
export function registerSimTest(name: string, body: SimTestBody): void {
  if (inTestWorker) {
    registerInWorker(name, { body, run: runOne });
    return;
  }
  const { test, expect } = vitest!;
  test(
    name,
    async () => {
      const baseSeed = baseSeedFromEnv();
      const mode = timeModeFromEnv();
      const file = expect.getState().testPath;
      const inProcess = process.env.LAB_INPROC === '1' || file === undefined;
      const tracePath = tracePathFor(name);
      if (stuck !== undefined && process.env.LAB_NO_BAIL !== '1') {
        const first = stuck.report.message.split('\n')[0] ?? '';
        throw new LabTestError({
          ...stuck.report,
          test: name,
          seed: baseSeed,
          mode,
          replay: replayCommand(name, baseSeed, mode),
          message: `not run: an earlier test of this file was ${first}\n(${stuck.test}; see its report). LAB_NO_BAIL=1 runs every test anyway.`,
        });
      }
      const outcome = inProcess ? await runOne(name, body, baseSeed, mode, { tracePath }) : await runInWorker({ file: new URL(`file://${file}`).href, name, baseSeed, mode, tracePath });
      for (const line of outcome.output) console.log(line);
      record(outcome);
      if (isStuckLoop(outcome) && outcome.report !== undefined) stuck ??= { test: name, report: outcome.report };
      if (!outcome.ok && outcome.report !== undefined) throw new LabTestError(outcome.report);
      if (!outcome.ok) throw new Error(`${name} failed without a report`);
    },
    vitestTimeoutMs,
  );
}

/**
 * LAB_TRACE=DIR records every test's trace into DIR (one .json and one .html per test);
 * `lab replay … --trace FILE` is the way to trace a single run.
 */
function tracePathFor(name: string): string | undefined {
  const dir = process.env.LAB_TRACE;
  if (dir === undefined || dir === '') return undefined;
  return join(dir, `${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.json`);
}

/** Appends the outcome as one JSON line to LAB_RESULTS, where the `lab` command reads it. */
function record(outcome: RunOutcome): void {
  const path = process.env.LAB_RESULTS;
  if (path !== undefined && path !== '') appendFileSync(path, `${JSON.stringify(outcome)}\n`);
}
