// shardkv lab 4B's two optional challenges (graded apart, as in 6.5840 where they are extra):
// shard deletion, and access to shards a configuration change does not affect or has already
// delivered. A port of the challenge tests of 6.5840's shardkv/test_test.go (2023).
import { sleep } from '../../sim/index.ts';
import { fail } from '../../tester/failure.ts';
import { shardOf } from '../../tester/shardconfig.ts';
import { check, put, randstring, shardTest } from '../../tester/shardtest.ts';

// TestChallenge1Delete: are servers deleting shards for which they are no longer responsible?
shardTest('4B-challenge', 'shard deletion (challenge 1)', { n: 3, maxraftstate: 1 }, async (cfg, name) => {
  // maxraftstate 1 forces a snapshot after every log entry.
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(0);

  // 30,000 bytes of total values.
  const n = 30;
  const ka = Array.from({ length: n }, (_, i) => String(i));
  const va = ka.map(() => randstring(1000));
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);
  for (let i = 0; i < 3; i++) await check(cfg, ck, ka[i]!, va[i]!);

  for (let iters = 0; iters < 2; iters++) {
    await cfg.join(1);
    await cfg.leave(0);
    await cfg.join(2);
    await sleep(3000);
    for (let i = 0; i < 3; i++) await check(cfg, ck, ka[i]!, va[i]!);
    await cfg.leave(1);
    await cfg.join(0);
    await cfg.leave(2);
    await sleep(3000);
    for (let i = 0; i < 3; i++) await check(cfg, ck, ka[i]!, va[i]!);
  }

  await cfg.join(1);
  await cfg.join(2);
  for (let round = 0; round < 3; round++) {
    await sleep(1000);
    for (let i = 0; i < 3; i++) await check(cfg, ck, ka[i]!, va[i]!);
  }

  let total = 0;
  const sizes: string[] = [];
  for (const gg of cfg.groups) {
    for (let i = 0; i < cfg.n; i++) {
      const raft = gg.saved[i]?.RaftStateSize() ?? 0;
      const snap = gg.saved[i]?.SnapshotSize() ?? 0;
      total += raft + snap;
      sizes.push(`${gg.gid}-${i}: ${raft}+${snap}`);
    }
  }

  // 27 keys should be stored once.
  // 3 keys should also be stored in client dup tables.
  // everything on 3 replicas.
  // plus slop.
  const expected = 3 * ((n - 3) * 1000 + 2 * 3 * 1000 + 6000);
  if (total > expected) {
    fail('delete', `snapshot + persisted Raft state are too big: ${total} > ${expected}`, {
      expected: `at most ${expected} bytes over all servers: each group deletes the shards it no longer owns`,
      seen: `${total} bytes (server: Raft state + snapshot: ${sizes.join(', ')})`,
    });
  }

  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  cfg.end();
});

// TestChallenge2Unaffected: can servers serve shards that a configuration change does not
// affect while the change is underway?
shardTest('4B-challenge', 'unaffected shard access (challenge 2)', { n: 3, unreliable: true, maxraftstate: 100 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  // JOIN 100
  await cfg.join(0);

  // Do a bunch of puts to keys in all shards
  const n = 10;
  const ka = Array.from({ length: n }, (_, i) => String(i));
  const va = ka.map(() => '100');
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);

  // JOIN 101
  await cfg.join(1);

  // QUERY to find shards now owned by 101
  const c = await cfg.mck.Query(-1);
  const owned = c.Shards.map((gid) => gid === cfg.groups[1]!.gid);

  // Wait for migration to new config to complete, and for clients to start using this updated
  // config. Gets to any key k such that owned[shard(k)] == true should now be served by group 101.
  await sleep(1000);
  for (let i = 0; i < n; i++) {
    if (owned[i]) {
      va[i] = '101';
      await put(cfg, ck, ka[i]!, va[i]!);
    }
  }

  // KILL 100
  cfg.ShutdownGroup(0);

  // LEAVE 100: 101 doesn't get a chance to migrate things previously owned by 100
  await cfg.leave(0);

  // Wait to make sure clients see new config
  await sleep(1000);

  // And finally: check that gets/puts for 101-owned keys still complete
  for (let i = 0; i < n; i++) {
    const shard = ka[i]!.charCodeAt(0) % 10;
    if (owned[shard]) {
      await check(cfg, ck, ka[i]!, va[i]!);
      await put(cfg, ck, ka[i]!, `${va[i]}-1`);
      await check(cfg, ck, ka[i]!, `${va[i]}-1`);
    }
  }

  cfg.end();
});

// TestChallenge2Partial: can servers serve shards received in a migration before the whole
// migration has completed?
shardTest('4B-challenge', 'partial migration shard access (challenge 2)', { n: 3, unreliable: true, maxraftstate: 100 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  // JOIN 100 + 101 + 102
  await cfg.joinm([0, 1, 2]);

  // Give the implementation some time to reconfigure
  await sleep(1000);

  // Do a bunch of puts to keys in all shards
  const n = 10;
  const ka = Array.from({ length: n }, (_, i) => String(i));
  const va = ka.map(() => '100');
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);

  // QUERY to find shards owned by 102
  const c = await cfg.mck.Query(-1);
  const owned = c.Shards.map((gid) => gid === cfg.groups[2]!.gid);

  // KILL 100
  cfg.ShutdownGroup(0);

  // LEAVE 100 + 102: 101 can get old shards from 102, but not from 100. 101 should start
  // serving shards that used to belong to 102 as soon as possible
  await cfg.leavem([0, 2]);

  // Give the implementation some time to start reconfiguration and to migrate 102 -> 101
  await sleep(1000);

  // And finally: check that gets/puts for 101-owned keys now complete
  for (let i = 0; i < n; i++) {
    const shard = shardOf(ka[i]!);
    if (owned[shard]) {
      await check(cfg, ck, ka[i]!, va[i]!);
      await put(cfg, ck, ka[i]!, `${va[i]}-2`);
      await check(cfg, ck, ka[i]!, `${va[i]}-2`);
    }
  }

  cfg.end();
});
