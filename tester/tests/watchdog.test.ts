import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorker } from '../pool.ts';
import { runOne } from '../runner.ts';
import { fail } from '../failure.ts';
import { sleep } from '../../sim/index.ts';
import { describeLoop, loopHeadline } from '../worker-findings.ts';

const fixture = new URL('./fixtures/loops.ts', import.meta.url).href;
const worker = new TestWorker();

async function run(name: string) {
  const startMs = performance.now();
  const outcome = await worker.run({ file: fixture, name, baseSeed: '1', mode: 'virtual' });
  return { outcome, realMs: performance.now() - startMs };
}

beforeAll(() => {
  delete process.env.LAB_WATCHDOG_MS;
});
afterAll(async () => {
  await worker.close();
});

describe('the watchdog finds the loop', () => {
  it('stops a synchronous loop after 2 s and names its file, line and function', async () => {
    const { outcome } = await run('loop: synchronous');
    expect(outcome.report?.check).toBe('WatchdogError');
    const first = outcome.report!.message.split('\n')[0]!;
    expect(first).toMatch(/^stuck in a synchronous loop at tester\/tests\/fixtures\/loops\.ts:1[01] in spinForever; stopped after 2 s of real time, at 0\.250 s of simulated time/);
    expect(outcome.report!.message).toContain('never awaits');
    expect(outcome.loop?.kind).toBe('synchronous');
  }, 60_000);

  it('tells a microtask spin from a synchronous loop', async () => {
    const { outcome } = await run('loop: microtask spin');
    expect(outcome.report?.message.split('\n')[0]).toMatch(/^stuck in a microtask spin at tester\/tests\/fixtures\/loops\.ts:1[78] in awaitNothing; stopped after 2 s of real time, at 0\.250 s of simulated time/);
    expect(outcome.report?.message).toContain('already settled');
    expect(outcome.loop?.reactions).toBeGreaterThan(0);
  }, 60_000);

  it('calls a loop that schedules timers without awaiting them a forgotten await', async () => {
    const { outcome } = await run('loop: forgotten await');
    expect(outcome.report?.message.split('\n')[0]).toMatch(/^stuck in a synchronous loop at tester\/tests\/fixtures\/loops\.ts:2[345] in sleepWithoutAwait;/);
    expect(outcome.report?.message).toContain('forgotten await');
    expect(outcome.loop?.timers).toBeGreaterThan(0);
  }, 60_000);

  it('names the place of a timer re-armed at the same instant', async () => {
    const { outcome } = await run('loop: same instant');
    expect(outcome.report?.check).toBe('LivelockError');
    expect(outcome.report?.message.split('\n')[0]).toMatch(/^stuck in a timer re-armed at the same instant at tester\/tests\/fixtures\/loops\.ts:3\d in rearmAtOnce: 100000 events fired at 250 ms/);
  }, 60_000);

  it('says when the loop is in the harness: the code under test returns without waiting', () => {
    const finding = { kind: 'microtask spin' as const, stack: [{ file: 'tester/kvtest.ts', line: 366, column: 9, functionName: 'clientLoop' }], timers: 0, reactions: 900 };
    expect(loopHeadline(finding, { limitMs: 2000, virtualMs: 1500, server: undefined })).toBe('stuck in a microtask spin in the harness at tester/kvtest.ts:366 in clientLoop; stopped after 2 s of real time, at 1.500 s of simulated time');
    expect(describeLoop(finding)).toContain('your code returns at once without waiting');
  });
});

describe('traced failures', () => {
  it('records the failure at the simulated time it happened, not after the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failure-time-'));
    const outcome = await runOne(
      'fails at 10 s',
      async () => {
        await sleep(10_000);
        fail('one', 'one(1) failed to reach agreement');
      },
      '1',
      'virtual',
      { tracePath: join(dir, 'run.json') },
    );
    expect(outcome.ok).toBe(false);
    const trace = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { events: { k: string; t: number }[] };
    expect(trace.events.find((e) => e.k === 'failure')?.t).toBe(10_000);
  });
});
