import { afterAll, describe, expect, it } from 'vitest';
import { TestWorker } from '../pool.ts';

// Each broken shardkv must get a precise verdict: the key, its shard, the group and the
// configuration, and a replay command; none may crash the tester or hang.
const fixture = new URL('./fixtures/broken-shardkvs.ts', import.meta.url).href;
const worker = new TestWorker();
afterAll(() => worker.close());

async function verdict(title: string) {
  const outcome = await worker.run({ file: fixture, name: `Test: ${title} (4B)`, baseSeed: '5', mode: 'virtual' });
  expect(outcome.ok, `${title} should fail`).toBe(false);
  expect(outcome.report?.replay).toContain('--seed 5');
  return outcome.report!;
}

describe('the shardkv tester on broken services', () => {
  it('a server that never answers: the 120 s limit names the call, its key, shard, owner and configuration', async () => {
    const r = await verdict('BROKEN never answers');
    expect(r.check).toBe('timeout');
    expect(r.message).toContain("Put('a', 'x')");
    expect(r.message).toContain("key 'a' is in shard 7, owned by group 100 in configuration 1");
    expect(r.message).toContain('no shardkv server has replied to this Clerk yet');
  }, 120_000);

  it('a group that answers for a shard no configuration gave it fails at once, naming both', async () => {
    const r = await verdict('BROKEN answers for a shard it does not own');
    expect(r.check).toBe('wrong-group');
    expect(r.message).toBe("group 100 answered Put('15', ...) for shard 9, which no configuration has given it");
    expect(r.seen).toContain('server-100-0 (group 100) replied OK');
    expect(r.seen).toContain('owned by group 101 in configuration 1');
    expect(r.atMs).toBeLessThan(5_000);
  }, 60_000);

  it('stale data after a migration: the check names the key, the shard, its owners and who answered', async () => {
    const r = await verdict('BROKEN stale data after a migration');
    expect(r.check).toBe('check');
    expect(r.expected).toBe('abc');
    expect(r.seen).toContain('the key is missing');
    expect(r.seen).toContain("key '1' is in shard 9, owned by group 101 in configuration 2 (the latest); owners of shard 9 by configuration: 1:100 2:101");
    expect(r.seen).toContain('the last reply came from server-101-0 (group 101) to ShardKV.Get: ErrNoKey');
  }, 60_000);
});
