/**
 * Benchmark of the recorder's cost: the same simulated run (7 servers, 5 ms heartbeats, 20 s
 * of virtual time, some 50 000 RPCs through labrpc, student-style debug lines) with tracing
 * off and on, rounds alternated, medians compared. Prints `trace_overhead_ratio=<on/off>` last.
 * Run: npx tsx trace/bench.ts
 */
import { runSimulation } from '../sim/index.ts';
import { TraceRecorder, setActiveRecorder } from './index.ts';
import { runScenario } from './tests/scenario.ts';

const ROUNDS = 9;
const scenario = { servers: 7, durationMs: 20_000, heartbeatMs: 5, startEveryMs: 20, faultEveryMs: 1000 };

interface Round {
  ms: number;
  rpcs: number;
  events: number;
  bytes: number;
}

async function once(traced: boolean): Promise<Round> {
  const recorder = traced ? new TraceRecorder() : undefined;
  setActiveRecorder(recorder);
  recorder?.attachLogs();
  const start = performance.now();
  try {
    const result = await runSimulation(() => runScenario(scenario), { seed: 'trace-bench', mode: 'virtual' });
    // Writing the trace is part of the cost of a traced run.
    const json = recorder === undefined ? '' : JSON.stringify(recorder.toJSON());
    return { ms: performance.now() - start, rpcs: result.value.rpcs, events: recorder?.size ?? 0, bytes: json.length };
  } finally {
    recorder?.detach();
    setActiveRecorder(undefined);
  }
}

// One untraced and one traced round first, so the timed ones measure optimized code.
await once(false);
await once(true);
const off: number[] = [];
const on: number[] = [];
let last: Round | undefined;
for (let round = 0; round < ROUNDS; round++) {
  off.push((await once(false)).ms);
  last = await once(true);
  on.push(last.ms);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`rounds=${ROUNDS} rpcs=${last!.rpcs} events=${last!.events} trace_json_bytes=${last!.bytes}`);
console.log(`trace_off_ms=${median(off).toFixed(1)}`);
console.log(`trace_on_ms=${median(on).toFixed(1)}`);
console.log(`trace_overhead_ratio=${(median(on) / median(off)).toFixed(2)}`);
