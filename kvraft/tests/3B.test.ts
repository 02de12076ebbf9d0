// kvraft lab 3B: the key/value service with snapshots (maxraftstate = 1000 throughout). A port
// of 6.5840's kvraft/test_test.go (2023), step for step.
import { sleep } from '../../sim/index.ts';
import { fail } from '../../tester/failure.ts';
import { check, electionTimeout, GenericTest, GenericTestSpeed, kvTest, Put } from '../../tester/kvtest.ts';

// TestSnapshotRPC3B
kvTest('3B', 'InstallSnapshot RPC', { servers: 3, maxraftstate: 1000 }, async (cfg, title) => {
  const maxraftstate = cfg.maxraftstate;
  const ck = cfg.makeClient(cfg.all());

  cfg.begin(title);

  await Put(cfg, ck, 'a', 'A', null, -1);
  await check(cfg, ck, 'a', 'A');

  // a bunch of puts into the majority partition.
  cfg.partition([0, 1], [2]);
  {
    const ck1 = cfg.makeClient([0, 1]);
    for (let i = 0; i < 50; i++) await Put(cfg, ck1, String(i), String(i), null, -1);
    await sleep(electionTimeout);
    await Put(cfg, ck1, 'b', 'B', null, -1);
  }

  // check that the majority partition has thrown away
  // most of its log entries.
  const sz = cfg.logSize();
  if (sz > 8 * maxraftstate) {
    fail('logSize', `logs were not trimmed (${sz} > 8*${maxraftstate})`, { expected: `a Raft state of at most ${8 * maxraftstate} bytes`, seen: `${sz} bytes` });
  }

  // now make group that requires participation of
  // lagging server, so that it has to catch up
  // via installSnapshot.
  cfg.partition([0, 2], [1]);
  {
    const ck1 = cfg.makeClient([0, 2]);
    await Put(cfg, ck1, 'c', 'C', null, -1);
    await Put(cfg, ck1, 'd', 'D', null, -1);
    await check(cfg, ck1, 'a', 'A');
    await check(cfg, ck1, 'b', 'B');
    await check(cfg, ck1, '1', '1');
    await check(cfg, ck1, '49', '49');
  }

  // now everybody
  cfg.partition([0, 1, 2], []);

  await Put(cfg, ck, 'e', 'E', null, -1);
  await check(cfg, ck, 'c', 'C');
  await check(cfg, ck, 'e', 'E');
  await check(cfg, ck, '1', '1');

  cfg.end();
});

// TestSnapshotSize3B: are the snapshots not too huge? 500 bytes is a generous bound for the
// operations we're doing here.
kvTest('3B', 'snapshot size is reasonable', { servers: 3, maxraftstate: 1000 }, async (cfg, title) => {
  const maxraftstate = cfg.maxraftstate;
  const maxsnapshotstate = 500;
  const ck = cfg.makeClient(cfg.all());

  cfg.begin(title);

  for (let i = 0; i < 200; i++) {
    await Put(cfg, ck, 'x', '0', null, -1);
    await check(cfg, ck, 'x', '0');
    await Put(cfg, ck, 'x', '1', null, -1);
    await check(cfg, ck, 'x', '1');
  }

  // check that servers have thrown away most of their log entries
  const sz = cfg.logSize();
  if (sz > 8 * maxraftstate) {
    fail('logSize', `logs were not trimmed (${sz} > 8*${maxraftstate})`, { expected: `a Raft state of at most ${8 * maxraftstate} bytes`, seen: `${sz} bytes` });
  }

  // check that the snapshots are not unreasonably large
  const ssz = cfg.snapshotSize();
  if (ssz > maxsnapshotstate) {
    fail('snapshotSize', `snapshot too large (${ssz} > ${maxsnapshotstate})`, { expected: `a snapshot of at most ${maxsnapshotstate} bytes`, seen: `${ssz} bytes` });
  }

  cfg.end();
});

// TestSpeed3B
GenericTestSpeed('3B', 1000);

// TestSnapshotRecover3B
GenericTest('3B', { clients: 1, servers: 5, crash: true, maxraftstate: 1000 });

// TestSnapshotRecoverManyClients3B
GenericTest('3B', { clients: 20, servers: 5, crash: true, maxraftstate: 1000 });

// TestSnapshotUnreliable3B
GenericTest('3B', { clients: 5, servers: 5, unreliable: true, maxraftstate: 1000 });

// TestSnapshotUnreliableRecover3B
GenericTest('3B', { clients: 5, servers: 5, unreliable: true, crash: true, maxraftstate: 1000 });

// TestSnapshotUnreliableRecoverConcurrentPartition3B
GenericTest('3B', { clients: 5, servers: 5, unreliable: true, crash: true, partitions: true, maxraftstate: 1000 });

// TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable3B
GenericTest('3B', { clients: 15, servers: 7, unreliable: true, crash: true, partitions: true, maxraftstate: 1000, randomKeys: true });
