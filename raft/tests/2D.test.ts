// Raft lab 2D: log compaction. A port of 6.5840's raft/test_test.go (2023), step for step.
import { randomInt } from '../../sim/index.ts';
import { labTest, fail, randInt, SnapShotInterval, MAXLOGSIZE, type Config } from '../../tester/index.ts';

/** 30 rounds of crash/disconnect of a follower or the leader while commands flow; snapshots keep the log small. */
async function snapcommon(cfg: Config, disconnect: boolean, crash: boolean): Promise<void> {
  const iters = 30;
  const servers = cfg.n;

  await cfg.one(randInt(), servers, true);
  let leader1 = await cfg.checkOneLeader();

  for (let i = 0; i < iters; i++) {
    let victim = (leader1 + 1) % servers;
    let sender = leader1;
    if (i % 3 === 1) {
      sender = (leader1 + 1) % servers;
      victim = leader1;
    }

    if (disconnect) {
      cfg.disconnect(victim);
      await cfg.one(randInt(), servers - 1, true);
    }
    if (crash) {
      cfg.crash1(victim);
      await cfg.one(randInt(), servers - 1, true);
    }

    // perhaps send enough to get a snapshot
    const nn = SnapShotInterval / 2 + randomInt(SnapShotInterval);
    for (let k = 0; k < nn; k++) cfg.raft(sender).Start(randInt());

    // let applier threads catch up with the Start()'s
    if (!disconnect && !crash) {
      // make sure all followers have caught up, so that
      // an InstallSnapshot RPC isn't required for
      // TestSnapshotBasic2D().
      await cfg.one(randInt(), servers, true);
    } else {
      await cfg.one(randInt(), servers - 1, true);
    }

    const size = cfg.logSize();
    if (size >= MAXLOGSIZE) {
      fail('logSize', 'Log size too large', { expected: `persisted Raft state under ${MAXLOGSIZE} bytes (snapshots must trim the log)`, seen: `${size} bytes` });
    }
    if (disconnect) {
      // reconnect a follower, who maybe behind and
      // needs to rceive a snapshot to catch up.
      cfg.connect(victim);
      await cfg.one(randInt(), servers, true);
      leader1 = await cfg.checkOneLeader();
    }
    if (crash) {
      cfg.start1(victim, cfg.applierSnap);
      cfg.connect(victim);
      await cfg.one(randInt(), servers, true);
      leader1 = await cfg.checkOneLeader();
    }
  }
}

labTest('2D', 'snapshots basic', { servers: 3, snapshot: true }, (cfg) => snapcommon(cfg, false, false));

labTest('2D', 'install snapshots (disconnect)', { servers: 3, snapshot: true }, (cfg) => snapcommon(cfg, true, false));

labTest('2D', 'install snapshots (disconnect+unreliable)', { servers: 3, unreliable: true, snapshot: true }, (cfg) => snapcommon(cfg, true, false));

labTest('2D', 'install snapshots (crash)', { servers: 3, snapshot: true }, (cfg) => snapcommon(cfg, false, true));

labTest('2D', 'install snapshots (unreliable+crash)', { servers: 3, unreliable: true, snapshot: true }, (cfg) => snapcommon(cfg, false, true));

// do the servers persist the snapshots, and
// restart using snapshot along with the
// tail of the log?
labTest('2D', 'crash and restart all servers', { servers: 3, snapshot: true }, async (cfg) => {
  const servers = cfg.n;
  const iters = 5;

  await cfg.one(randInt(), servers, true);

  for (let i = 0; i < iters; i++) {
    // perhaps enough to get a snapshot
    const nn = SnapShotInterval / 2 + randomInt(SnapShotInterval);
    for (let k = 0; k < nn; k++) await cfg.one(randInt(), servers, true);

    const index1 = await cfg.one(randInt(), servers, true);

    // crash all
    for (let k = 0; k < servers; k++) cfg.crash1(k);

    // revive all
    for (let k = 0; k < servers; k++) {
      cfg.start1(k, cfg.applierSnap);
      cfg.connect(k);
    }

    const index2 = await cfg.one(randInt(), servers, true);
    if (index2 < index1 + 1) {
      fail('one', `index decreased from ${index1} to ${index2}`, { index: index2, expected: `index ${index1 + 1} or more`, seen: `index ${index2}` });
    }
  }
});

// do servers correctly initialize their in-memory copy of the snapshot, making
// sure that future writes to persistent state don't lose state?
labTest('2D', 'snapshot initialization after crash', { servers: 3, snapshot: true }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(randInt(), servers, true);

  // enough ops to make a snapshot
  const nn = SnapShotInterval + 1;
  for (let i = 0; i < nn; i++) await cfg.one(randInt(), servers, true);

  // crash all
  for (let i = 0; i < servers; i++) cfg.crash1(i);

  // revive all
  for (let i = 0; i < servers; i++) {
    cfg.start1(i, cfg.applierSnap);
    cfg.connect(i);
  }

  // a single op, to get something to be written back to persistent storage.
  await cfg.one(randInt(), servers, true);

  // crash all
  for (let i = 0; i < servers; i++) cfg.crash1(i);

  // revive all
  for (let i = 0; i < servers; i++) {
    cfg.start1(i, cfg.applierSnap);
    cfg.connect(i);
  }

  // do another op to trigger potential bug
  await cfg.one(randInt(), servers, true);
});
