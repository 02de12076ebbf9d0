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

    // Often enough entries for the applier to take a snapshot.
    const nn = SnapShotInterval / 2 + randomInt(SnapShotInterval);
    for (let k = 0; k < nn; k++) cfg.raft(sender).Start(randInt());

    // Wait for the burst above to be applied: one() commits after it.
    if (!disconnect && !crash) {
      // Nobody was cut off, so every server must apply it; that keeps
      // 'snapshots basic' from needing InstallSnapshot.
      await cfg.one(randInt(), servers, true);
    } else {
      await cfg.one(randInt(), servers - 1, true);
    }

    const size = cfg.logSize();
    if (size >= MAXLOGSIZE) {
      fail('logSize', 'Log size too large', { expected: `persisted Raft state under ${MAXLOGSIZE} bytes (snapshots must trim the log)`, seen: `${size} bytes` });
    }
    if (disconnect) {
      // The returning server may lag behind the leader's snapshot;
      // then only InstallSnapshot can bring it up to date.
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

// Snapshots must be persisted, and a restarted server must rebuild its
// state from the snapshot plus the log entries that follow it.
labTest('2D', 'crash and restart all servers', { servers: 3, snapshot: true }, async (cfg) => {
  const servers = cfg.n;
  const iters = 5;

  await cfg.one(randInt(), servers, true);

  for (let i = 0; i < iters; i++) {
    // Often enough commands for a snapshot.
    const nn = SnapShotInterval / 2 + randomInt(SnapShotInterval);
    for (let k = 0; k < nn; k++) await cfg.one(randInt(), servers, true);

    const index1 = await cfg.one(randInt(), servers, true);

    // Crash every server...
    for (let k = 0; k < servers; k++) cfg.crash1(k);

    // ...and restart them from what they persisted.
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

// A restarted server must load its snapshot into memory too; otherwise its
// next persist() saves no snapshot and the compacted entries are lost.
labTest('2D', 'snapshot initialization after crash', { servers: 3, snapshot: true }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(randInt(), servers, true);

  // One more than a snapshot interval guarantees a snapshot.
  const nn = SnapShotInterval + 1;
  for (let i = 0; i < nn; i++) await cfg.one(randInt(), servers, true);

  // Crash every server...
  for (let i = 0; i < servers; i++) cfg.crash1(i);

  // ...and restart them from what they persisted.
  for (let i = 0; i < servers; i++) {
    cfg.start1(i, cfg.applierSnap);
    cfg.connect(i);
  }

  // One command, so that every server persists again after the restart.
  await cfg.one(randInt(), servers, true);

  // Crash every server...
  for (let i = 0; i < servers; i++) cfg.crash1(i);

  // ...and restart them from what they persisted.
  for (let i = 0; i < servers; i++) {
    cfg.start1(i, cfg.applierSnap);
    cfg.connect(i);
  }

  // A server whose last persist dropped its snapshot fails here.
  await cfg.one(randInt(), servers, true);
});
