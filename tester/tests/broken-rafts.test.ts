import { afterAll, describe, expect, it } from 'vitest';
import { TestWorker } from '../pool.ts';

// Each broken Raft must get a precise verdict: the check that failed, 6.5840's message, the
// servers or index where known, and a replay command. None may crash the tester or hang.
const fixture = new URL('./fixtures/broken-rafts.ts', import.meta.url).href;
const worker = new TestWorker();
afterAll(() => worker.close());

async function verdict(title: string) {
  const outcome = await worker.run({ file: fixture, name: title, baseSeed: '3', mode: 'virtual' });
  expect(outcome.ok, `${title} should fail`).toBe(false);
  expect(outcome.report?.replay).toContain('--seed 3');
  return outcome.report!;
}

describe('the tester on broken Rafts', () => {
  it('no leader: checkOneLeader says so after its 10 tries', async () => {
    const r = await verdict('Test (2A): BROKEN no leader');
    expect(r.check).toBe('checkOneLeader');
    expect(r.message).toBe('expected one leader, got none');
    expect(r.atMs).toBeGreaterThan(4500);
  });

  it('GetState returning the wrong shape', async () => {
    const r = await verdict('Test (2A): BROKEN GetState shape');
    expect(r.check).toBe('GetState');
    expect(r.seen).toContain('term');
  });

  it('Make returning a Promise', async () => {
    const r = await verdict('Test (2A): BROKEN async Make');
    expect(r.check).toBe('Make');
  });

  it('an RPC handler that throws: the stack, the server and the handler are named', async () => {
    const r = await verdict('Test (2A): BROKEN handler throws');
    expect(r.message).toContain('RPC handler Raft.RequestVote on server');
    expect(r.message).toContain('boom in RequestVote');
  });

  it('an RPC handler that never returns: no leader, no hang', async () => {
    const r = await verdict('Test (2A): BROKEN handler never returns');
    expect(r.check).toBe('checkOneLeader');
  });

  it('arguments that cannot be serialized: the path of the function is named', async () => {
    const r = await verdict('Test (2A): BROKEN unserializable args');
    expect(r.message).toMatch(/args of Raft\.\w+ at \.onReply is a function/);
  });

  it('a server that never applies: one() fails to reach agreement', async () => {
    const r = await verdict('Test (2B): BROKEN never applies');
    expect(r.check).toBe('one');
    expect(r.message).toBe('one(101) failed to reach agreement');
  });

  it('garbage on applyCh', async () => {
    const r = await verdict('Test (2B): BROKEN applies garbage');
    expect(r.check).toBe('apply');
    expect(r.servers).toContain(2);
  });

  it('a wrong command applied while the test sleeps fails at once', async () => {
    const r = await verdict('Test (2B): BROKEN wrong apply while sleeping');
    expect(r.check).toBe('apply');
    expect(r.message).toMatch(/commit index=2 server=\d .*!= server=\d/);
    expect(r.message).toContain('999');
    expect(r.atMs).toBeLessThan(10_000);
  });

  it('entries applied out of order', async () => {
    const r = await verdict('Test (2B): BROKEN out of order');
    expect(r.check).toBe('apply');
    expect(r.message).toContain('apply out of order');
  });

  it('a snapshot that does not decode', async () => {
    const r = await verdict('Test (2D): BROKEN snapshot bytes');
    expect(r.check).toBe('snapshot');
    expect(r.message).toContain('snapshot decode error');
  });
});
