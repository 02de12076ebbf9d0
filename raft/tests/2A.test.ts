// Raft lab 2A: leader election. A port of 6.5840's raft/test_test.go (2023), step for step.
import { sleep, randomInt } from '../../sim/index.ts';
import { labTest, fail, print, RaftElectionTimeout } from '../../tester/index.ts';

labTest('2A', 'initial election', { servers: 3 }, async (cfg) => {
  // is a leader elected?
  await cfg.checkOneLeader();

  // sleep a bit to avoid racing with followers learning of the
  // election, then check that all peers agree on the term.
  await sleep(50);
  const term1 = cfg.checkTerms();
  if (term1 < 1) fail('checkTerms', `term is ${term1}, but should be at least 1`, { expected: 'term >= 1', seen: `term ${term1}` });

  // does the leader+term stay the same if there is no network failure?
  await sleep(2 * RaftElectionTimeout);
  const term2 = cfg.checkTerms();
  if (term1 !== term2) print('warning: term changed even though there were no failures');

  // there should still be a leader.
  await cfg.checkOneLeader();
});

labTest('2A', 'election after network failure', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  const leader1 = await cfg.checkOneLeader();

  // if the leader disconnects, a new one should be elected.
  cfg.disconnect(leader1);
  await cfg.checkOneLeader();

  // if the old leader rejoins, that shouldn't
  // disturb the new leader. and the old leader
  // should switch to follower.
  cfg.connect(leader1);
  const leader2 = await cfg.checkOneLeader();

  // if there's no quorum, no new leader should
  // be elected.
  cfg.disconnect(leader2);
  cfg.disconnect((leader2 + 1) % servers);
  await sleep(2 * RaftElectionTimeout);

  // check that the one connected server
  // does not think it is the leader.
  cfg.checkNoLeader();

  // if a quorum arises, it should elect a leader.
  cfg.connect((leader2 + 1) % servers);
  await cfg.checkOneLeader();

  // re-join of last node shouldn't prevent leader from existing.
  cfg.connect(leader2);
  await cfg.checkOneLeader();
});

labTest('2A', 'multiple elections', { servers: 7 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.checkOneLeader();

  const iters = 10;
  for (let ii = 1; ii < iters; ii++) {
    // disconnect three nodes
    const i1 = randomInt(servers);
    const i2 = randomInt(servers);
    const i3 = randomInt(servers);
    cfg.disconnect(i1);
    cfg.disconnect(i2);
    cfg.disconnect(i3);

    // either the current leader should still be alive,
    // or the remaining four should elect a new one.
    await cfg.checkOneLeader();

    cfg.connect(i1);
    cfg.connect(i2);
    cfg.connect(i3);
  }

  await cfg.checkOneLeader();
});
