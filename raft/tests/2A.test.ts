// Raft lab 2A: leader election. A port of 6.5840's raft/test_test.go (2023), step for step.
import { sleep, randomInt } from '../../sim/index.ts';
import { labTest, fail, print, RaftElectionTimeout } from '../../tester/index.ts';

labTest('2A', 'initial election', { servers: 3 }, async (cfg) => {
  // An election must produce a leader.
  await cfg.checkOneLeader();

  // Give followers a moment to hear of the election before asking
  // every peer for its term; they must all report the same one.
  await sleep(50);
  const term1 = cfg.checkTerms();
  if (term1 < 1) fail('checkTerms', `term is ${term1}, but should be at least 1`, { expected: 'term >= 1', seen: `term ${term1}` });

  // On a healthy network, neither the leader nor the term should change.
  await sleep(2 * RaftElectionTimeout);
  const term2 = cfg.checkTerms();
  if (term1 !== term2) print('warning: term changed even though there were no failures');

  // And someone must still be leading.
  await cfg.checkOneLeader();
});

labTest('2A', 'election after network failure', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  const leader1 = await cfg.checkOneLeader();

  // Cut the leader off: the other two must pick a replacement.
  cfg.disconnect(leader1);
  await cfg.checkOneLeader();

  // The old leader returns. It must step down to follower rather
  // than unseat the leader elected while it was away.
  cfg.connect(leader1);
  const leader2 = await cfg.checkOneLeader();

  // Leave a single server connected: without a majority,
  // no election can succeed.
  cfg.disconnect(leader2);
  cfg.disconnect((leader2 + 1) % servers);
  await sleep(2 * RaftElectionTimeout);

  // The lone connected server must not believe it leads.
  cfg.checkNoLeader();

  // Restore a majority; it should now elect someone.
  cfg.connect((leader2 + 1) % servers);
  await cfg.checkOneLeader();

  // Bringing back the last server must not leave the cluster leaderless.
  cfg.connect(leader2);
  await cfg.checkOneLeader();
});

labTest('2A', 'multiple elections', { servers: 7 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.checkOneLeader();

  const iters = 10;
  for (let ii = 1; ii < iters; ii++) {
    // Cut off three random servers (the picks may repeat).
    const i1 = randomInt(servers);
    const i2 = randomInt(servers);
    const i3 = randomInt(servers);
    cfg.disconnect(i1);
    cfg.disconnect(i2);
    cfg.disconnect(i3);

    // At least four of seven stay connected, so either the old
    // leader survives or they elect a new one.
    await cfg.checkOneLeader();

    cfg.connect(i1);
    cfg.connect(i2);
    cfg.connect(i3);
  }

  await cfg.checkOneLeader();
});
