// kvraft lab 3A: a key/value service on Raft, without snapshots. A port of 6.5840's
// kvraft/test_test.go (2023), step for step.
import { sleep } from '../../sim/index.ts';
import { fail } from '../../tester/failure.ts';
import { Append, check, checkConcurrentAppends, electionTimeout, Get, GenericTest, GenericTestSpeed, kvTest, Put, spawnClientsAndWait } from '../../tester/kvtest.ts';

// TestBasic3A
GenericTest('3A', { clients: 1, servers: 5 });

// TestSpeed3A
GenericTestSpeed('3A', -1);

// TestConcurrent3A
GenericTest('3A', { clients: 5, servers: 5 });

// TestUnreliable3A
GenericTest('3A', { clients: 5, servers: 5, unreliable: true });

// TestUnreliableOneKey3A
kvTest('3A', 'concurrent append to same key, unreliable', { servers: 3, unreliable: true }, async (cfg, title) => {
  const ck = cfg.makeClient(cfg.all());

  cfg.begin(title);

  await Put(cfg, ck, 'k', '', null, -1);

  const nclient = 5;
  const upto = 10;
  await spawnClientsAndWait(cfg, nclient, async (me, myck) => {
    let n = 0;
    while (n < upto) {
      await Append(cfg, myck, 'k', `x ${me} ${n} y`, null, -1);
      n++;
    }
  });

  const counts: number[] = [];
  for (let i = 0; i < nclient; i++) counts.push(upto);

  const vx = await Get(cfg, ck, 'k', null, -1);
  checkConcurrentAppends(vx, counts);

  cfg.end();
});

// TestOnePartition3A: submit a request in the minority partition and check that the requests
// don't go through until the partition heals. The leader in the original network ends up in
// the minority partition.
kvTest('3A', 'one partition', { servers: 5 }, async (cfg) => {
  const ck = cfg.makeClient(cfg.all());

  await Put(cfg, ck, '1', '13', null, -1);

  cfg.begin('Test: progress in majority (3A)');

  const [p1, p2] = cfg.makePartition();
  cfg.partition(p1, p2);

  const ckp1 = cfg.makeClient(p1); // connect ckp1 to p1
  const ckp2a = cfg.makeClient(p2); // connect ckp2a to p2
  const ckp2b = cfg.makeClient(p2); // connect ckp2b to p2

  await Put(cfg, ckp1, '1', '14', null, -1);
  await check(cfg, ckp1, '1', '14');

  cfg.end();

  let done0 = false;
  let done1 = false;
  let wake: (() => void) | undefined;

  cfg.begin('Test: no progress in minority (3A)');
  const put15 = cfg.go(async () => {
    await Put(cfg, ckp2a, '1', '15', null, -1);
    done0 = true;
    wake?.();
  });
  void cfg.go(async () => {
    await Get(cfg, ckp2b, '1', null, -1); // different clerk in p2
    done1 = true;
    wake?.();
  });

  // select { case <-done0: ... case <-done1: ... case <-time.After(time.Second): }
  await Promise.race([sleep(1000), new Promise<void>((resolve) => (wake = resolve))]);
  wake = undefined;
  if (done0) fail('minority', 'Put in minority completed', { expected: 'no progress without a majority', seen: `Put('1', '15') returned; servers in the minority: ${p2.join(', ')}`, servers: p2 });
  if (done1) fail('minority', 'Get in minority completed', { expected: 'no progress without a majority', seen: `Get('1') returned; servers in the minority: ${p2.join(', ')}`, servers: p2 });

  await check(cfg, ckp1, '1', '14');
  await Put(cfg, ckp1, '1', '16', null, -1);
  await check(cfg, ckp1, '1', '16');

  cfg.end();

  cfg.begin('Test: completion after heal (3A)');

  cfg.connectAll();
  cfg.connectClient(ckp2a, cfg.all());
  cfg.connectClient(ckp2b, cfg.all());

  await sleep(electionTimeout);

  // select { case <-done0: case <-time.After(30 * 100 * time.Millisecond): t.Fatalf(...) }
  await Promise.race([put15, sleep(30 * 100)]);
  if (!done0) fail('heal', 'Put did not complete', { expected: "Put('1', '15') to finish within 3 s after the partition healed", seen: 'it is still waiting' });

  // select { case <-done1: default: } — the Get may or may not have finished.

  await check(cfg, ck, '1', '15');

  cfg.end();
});

// TestManyPartitionsOneClient3A
GenericTest('3A', { clients: 1, servers: 5, partitions: true });

// TestManyPartitionsManyClients3A
GenericTest('3A', { clients: 5, servers: 5, partitions: true });

// TestPersistOneClient3A
GenericTest('3A', { clients: 1, servers: 5, crash: true });

// TestPersistConcurrent3A
GenericTest('3A', { clients: 5, servers: 5, crash: true });

// TestPersistConcurrentUnreliable3A
GenericTest('3A', { clients: 5, servers: 5, unreliable: true, crash: true });

// TestPersistPartition3A
GenericTest('3A', { clients: 5, servers: 5, crash: true, partitions: true });

// TestPersistPartitionUnreliable3A
GenericTest('3A', { clients: 5, servers: 5, unreliable: true, crash: true, partitions: true });

// TestPersistPartitionUnreliableLinearizable3A
GenericTest('3A', { clients: 15, servers: 7, unreliable: true, crash: true, partitions: true, randomKeys: true });
