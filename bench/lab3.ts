/**
 * The whole kvraft suite (3A + 3B, 23 tests, 25 Passed lines) on virtual time against the
 * reference, timed in real seconds: each test in a worker thread, `LAB_BENCH_PARALLEL` at a
 * time (default 2, one per core). Prints a line per test with its Passed lines, then the totals.
 * Fails loudly if any test fails (with its report).
 *
 *   npx tsx bench/lab3.ts [name filter] [--seed N] [--workers N]
 *     → lab3_tests=23  lab3_failed=0  lab3_simulated_s=…  lab3_virtual_s=…
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { TestWorker } from '../tester/pool.ts';
import { formatReport } from '../tester/report.ts';
import type { RunOutcome } from '../tester/runner.ts';

const files = ['3A', '3B'].map((part) => pathToFileURL(new URL(`../kvraft/tests/${part}.test.ts`, import.meta.url).pathname).href);

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
};
const baseSeed = option('--seed') ?? process.env.LAB_SEED ?? '1';
const workers = Math.max(1, Number(option('--workers') ?? process.env.LAB_BENCH_PARALLEL ?? Math.min(2, availableParallelism())));
const filter = args[0];

const tests: { file: string; name: string }[] = [];
for (const file of files) {
  const lister = new TestWorker();
  for (const name of await lister.list(file)) if (filter === undefined || name.includes(filter)) tests.push({ file, name });
  await lister.close();
}

const start = performance.now();
const outcomes = new Map<string, RunOutcome>();
let next = 0;
async function drain(worker: TestWorker): Promise<void> {
  try {
    while (next < tests.length) {
      const test = tests[next++]!;
      const outcome = await worker.run({ file: test.file, name: test.name, baseSeed, mode: 'virtual' });
      outcomes.set(test.name, outcome);
      const status = outcome.ok ? 'ok  ' : 'FAIL';
      const stats = outcome.stats;
      const passed = stats === undefined ? '' : `  virtual ${stats.timeS.toFixed(1).padStart(5)} s  rpcs ${String(stats.rpcs).padStart(6)}  ops ${String(stats.cmds).padStart(5)}`;
      console.log(`${status} ${test.name.padEnd(78)} wall ${(outcome.realMs / 1000).toFixed(1).padStart(5)} s${passed}`);
      for (const line of outcome.output) console.log(`     | ${line}`);
      if (!outcome.ok && outcome.report !== undefined) console.log(formatReport(outcome.report));
    }
  } finally {
    await worker.close();
  }
}
await Promise.all(Array.from({ length: workers }, () => drain(new TestWorker())));

const wallS = (performance.now() - start) / 1000;
const failed = [...outcomes.values()].filter((o) => !o.ok);
for (const o of failed) console.error(`FAIL ${o.name}: ${o.report?.check}: ${o.report?.message}`);
const simulatedS = [...outcomes.values()].reduce((sum, o) => sum + o.elapsedMs, 0) / 1000;
console.log(`seed=${baseSeed} workers=${workers}`);
console.log(`lab3_tests=${outcomes.size}`);
console.log(`lab3_failed=${failed.length}`);
console.log(`lab3_simulated_s=${simulatedS.toFixed(1)}`);
console.log(`lab3_virtual_s=${wallS.toFixed(1)}`);
if (failed.length > 0) process.exitCode = 1;
