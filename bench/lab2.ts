/**
 * The whole Raft suite (2A-2D, 28 tests) on virtual time against the reference, timed in real
 * seconds: each test in a worker thread, `LAB_BENCH_PARALLEL` at a time (default 2, one per
 * core). Fails loudly if any test fails.
 *
 *   npx tsx bench/lab2.ts      → lab2_virtual_s=…  lab2_simulated_s=…  lab2_cpu_s=…  lab2_tests=28
 *
 * lab2_virtual_s is the real (wall) seconds the suite takes on virtual time; lab2_simulated_s
 * the simulated seconds its tests add up to; lab2_cpu_s the CPU seconds of all threads, which
 * a busy machine disturbs less than wall time. The slowest tests are listed on stderr.
 */
import { pathToFileURL } from 'node:url';
import { TestWorker } from '../tester/pool.ts';
import type { RunOutcome } from '../tester/runner.ts';

const files = ['2A', '2B', '2C', '2D'].map((part) => pathToFileURL(new URL(`../raft/tests/${part}.test.ts`, import.meta.url).pathname).href);
const baseSeed = process.env.LAB_SEED ?? '1';
const parallel = Math.max(1, Number(process.env.LAB_BENCH_PARALLEL ?? 2));
/** How many of the slowest tests to list on stderr. */
const slowestShown = 6;

const lister = new TestWorker();
const jobs: { file: string; name: string }[] = [];
for (const file of files) for (const name of await lister.list(file)) jobs.push({ file, name });
await lister.close();

const start = performance.now();
const cpuStart = process.cpuUsage();
const outcomes: RunOutcome[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: parallel }, async () => {
    const worker = new TestWorker();
    while (next < jobs.length) {
      const job = jobs[next++]!;
      outcomes.push(await worker.run({ ...job, baseSeed, mode: 'virtual' }));
    }
    await worker.close();
  }),
);
const wallS = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);

// Where the time goes: the slowest tests first, on stderr so the name=value lines stay clean.
for (const o of [...outcomes].sort((a, b) => b.realMs - a.realMs).slice(0, slowestShown)) {
  console.error(`${(o.realMs / 1000).toFixed(1).padStart(6)} s real  ${(o.elapsedMs / 1000).toFixed(1).padStart(6)} s simulated  ${o.name}`);
}
const failed = outcomes.filter((o) => !o.ok);
for (const o of failed) console.error(`FAIL ${o.name}: ${o.report?.check}: ${o.report?.message}`);
const simulatedS = outcomes.reduce((sum, o) => sum + o.elapsedMs, 0) / 1000;
console.log(`lab2_tests=${outcomes.length}`);
console.log(`lab2_failed=${failed.length}`);
console.log(`lab2_simulated_s=${simulatedS.toFixed(1)}`);
console.log(`lab2_virtual_s=${wallS.toFixed(1)}`);
// CPU time of all threads: steadier than wall time on a shared machine.
console.log(`lab2_cpu_s=${((cpu.user + cpu.system) / 1e6).toFixed(1)}`);
if (failed.length > 0) process.exitCode = 1;
