import { describe, expect, it } from 'vitest';
import { runInWorker, TestWorker } from '../pool.ts';

const fixture = new URL('./fixtures/bodies.ts', import.meta.url).href;

function run(name: string, baseSeed = '7') {
  return runInWorker({ file: fixture, name, baseSeed, mode: 'virtual' });
}

describe('test worker', () => {
  it('runs a body on virtual time and returns its Passed numbers', async () => {
    const outcome = await run('fixture: passes');
    expect(outcome.ok).toBe(true);
    expect(outcome.stats?.timeS).toBe(1.5);
    expect(outcome.elapsedMs).toBe(1500);
    expect(outcome.realMs).toBeLessThan(1000);
  });

  it('ends a synchronous loop with the watchdog, and the next test still runs', async () => {
    process.env.LAB_WATCHDOG_MS = '1500';
    try {
      const outcome = await run('fixture: busy loop');
      expect(outcome.ok).toBe(false);
      expect(outcome.report?.check).toBe('WatchdogError');
      expect(outcome.report?.message).toMatch(/synchronous loop/);
      expect(outcome.report?.message).toMatch(/0\.250 s of simulated time/);
    } finally {
      delete process.env.LAB_WATCHDOG_MS;
    }
    const after = await run('fixture: passes');
    expect(after.ok).toBe(true);
  }, 20_000);

  it('reports a deadlock with the blocked channel', async () => {
    const outcome = await run('fixture: deadlock');
    expect(outcome.ok).toBe(false);
    expect(outcome.report?.check).toBe('DeadlockError');
    expect(outcome.report?.message).toMatch(/applyCh/);
  });

  it('reports a failed check with its details and a replay command', async () => {
    const outcome = await run('fixture: check fails', '4242');
    expect(outcome.ok).toBe(false);
    expect(outcome.report).toMatchObject({ check: 'one', index: 4, servers: [0, 2], seed: '4242' });
    expect(outcome.report?.replay).toContain('--seed 4242');
  });

  it('replays a seed exactly and differs between seeds', async () => {
    const a = await run('fixture: random', '11');
    const b = await run('fixture: random', '11');
    const c = await run('fixture: random', '12');
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.stats).toEqual(b.stats);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('fails clearly when the test name is unknown', async () => {
    const outcome = await run('fixture: no such test');
    expect(outcome.ok).toBe(false);
    expect(outcome.report?.message).toMatch(/not registered/);
  });

  it('lists the tests a file registers, in order', async () => {
    const worker = new TestWorker();
    try {
      const names = await worker.list(fixture);
      expect(names).toEqual(['fixture: passes', 'fixture: busy loop', 'fixture: deadlock', 'fixture: check fails', 'fixture: random']);
    } finally {
      await worker.close();
    }
  });
});
