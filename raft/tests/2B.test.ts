// Raft lab 2B: log agreement. A port of 6.5840's raft/test_test.go (2023), step for step.
import { sleep, randomInt } from '../../sim/index.ts';
import { labTest, fail, fmtV, randString, randInt, RaftElectionTimeout } from '../../tester/index.ts';

labTest('2B', 'basic agreement', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  const iters = 3;
  for (let index = 1; index < iters + 1; index++) {
    const [nd] = cfg.nCommitted(index);
    if (nd > 0) fail('nCommitted', 'some have committed before Start()', { index, expected: 'nothing committed yet', seen: `${nd} servers applied index ${index}` });

    const xindex = await cfg.one(index * 100, servers, false);
    if (xindex !== index) fail('one', `got index ${xindex} but expected ${index}`, { index, expected: `index ${index}`, seen: `index ${xindex}` });
  }
});

// Measures RPC traffic in bytes: a leader should ship each command to
// each follower about once, not resend it again and again.
labTest('2B', 'RPC byte count', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(99, servers, false);
  const bytes0 = cfg.bytesTotal();

  const iters = 10;
  let sent = 0;
  for (let index = 2; index < iters + 2; index++) {
    const cmd = randString(5000);
    const xindex = await cfg.one(cmd, servers, false);
    if (xindex !== index) fail('one', `got index ${xindex} but expected ${index}`, { index, expected: `index ${index}`, seen: `index ${xindex}` });
    sent += cmd.length;
  }

  const bytes1 = cfg.bytesTotal();
  const got = bytes1 - bytes0;
  const expected = servers * sent;
  if (got > expected + 50000) {
    fail('bytes', `too many RPC bytes; got ${got}, expected ${expected}`, { expected: `at most ${expected + 50000} bytes (each command sent to each peer about once)`, seen: `${got} bytes` });
  }
});

// Followers drop out one after the other while the leader stays up.
labTest('2B', 'test progressive failure of followers', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(101, servers, false);

  // Take one follower off the network.
  const leader1 = await cfg.checkOneLeader();
  cfg.disconnect((leader1 + 1) % servers);

  // Two of three still form a majority, so agreement must
  // go on without the missing follower.
  await cfg.one(102, servers - 1, false);
  await sleep(RaftElectionTimeout);
  await cfg.one(103, servers - 1, false);

  // Now cut off both followers of the current leader.
  const leader2 = await cfg.checkOneLeader();
  cfg.disconnect((leader2 + 1) % servers);
  cfg.disconnect((leader2 + 2) % servers);

  // The isolated leader still accepts a command...
  const [index, , ok] = cfg.raft(leader2).Start(104);
  if (ok !== true) fail('Start', 'leader rejected Start()', { servers: [leader2], expected: 'isLeader true', seen: 'isLeader false' });
  if (index !== 4) fail('Start', `expected index 4, got ${index}`, { servers: [leader2], index, expected: 'index 4', seen: `index ${index}` });

  await sleep(2 * RaftElectionTimeout);

  // ...but, lacking a majority, must never commit it.
  const [n] = cfg.nCommitted(index);
  if (n > 0) fail('nCommitted', `${n} committed but no majority`, { index, expected: 'no server applies index 4 (its leader has no majority)', seen: `${n} applied it` });
});

// Leaders fail one after another.
labTest('2B', 'test failure of leaders', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(101, servers, false);

  // Cut off the current leader.
  const leader1 = await cfg.checkOneLeader();
  cfg.disconnect(leader1);

  // The two followers left must elect one of themselves
  // and keep committing.
  await cfg.one(102, servers - 1, false);
  await sleep(RaftElectionTimeout);
  await cfg.one(103, servers - 1, false);

  // Now cut off that replacement as well.
  const leader2 = await cfg.checkOneLeader();
  cfg.disconnect(leader2);

  // Offer the same command to every server, connected or not.
  for (let i = 0; i < servers; i++) cfg.raft(i).Start(104);

  await sleep(2 * RaftElectionTimeout);

  // Nobody has a majority, so 104 must stay uncommitted.
  const [n] = cfg.nCommitted(4);
  if (n > 0) fail('nCommitted', `${n} committed but no majority`, { index: 4, expected: 'no server applies index 4 (no majority is connected)', seen: `${n} applied it` });
});

// A follower that was cut off must rejoin and take part again.
labTest('2B', 'agreement after follower reconnects', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(101, servers, false);

  // Take one follower off the network.
  const leader = await cfg.checkOneLeader();
  cfg.disconnect((leader + 1) % servers);

  // Two of three still form a majority, so agreement must
  // go on without the missing follower.
  await cfg.one(102, servers - 1, false);
  await cfg.one(103, servers - 1, false);
  await sleep(RaftElectionTimeout);
  await cfg.one(104, servers - 1, false);
  await cfg.one(105, servers - 1, false);

  // Bring the follower back.
  cfg.connect((leader + 1) % servers);

  // All three must keep what was agreed meanwhile
  // and go on agreeing on new commands.
  await cfg.one(106, servers, true);
  await sleep(RaftElectionTimeout);
  await cfg.one(107, servers, true);
});

labTest('2B', 'no agreement if too many followers disconnect', { servers: 5 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(10, servers, false);

  // Cut off three of the four followers: the leader is left in a minority.
  const leader = await cfg.checkOneLeader();
  cfg.disconnect((leader + 1) % servers);
  cfg.disconnect((leader + 2) % servers);
  cfg.disconnect((leader + 3) % servers);

  const [index, , ok] = cfg.raft(leader).Start(20);
  if (ok !== true) fail('Start', 'leader rejected Start()', { servers: [leader], expected: 'isLeader true', seen: 'isLeader false' });
  if (index !== 2) fail('Start', `expected index 2, got ${index}`, { servers: [leader], index, expected: 'index 2', seen: `index ${index}` });

  await sleep(2 * RaftElectionTimeout);

  const [n] = cfg.nCommitted(index);
  if (n > 0) fail('nCommitted', `${n} committed but no majority`, { index, expected: 'no server applies index 2 (3 of 5 are disconnected)', seen: `${n} applied it` });

  // Reconnect them.
  cfg.connect((leader + 1) % servers);
  cfg.connect((leader + 2) % servers);
  cfg.connect((leader + 3) % servers);

  // The three that were cut off may have elected one of their own,
  // whose log lacks index 2; so 30 may land at index 2 or 3.
  const leader2 = await cfg.checkOneLeader();
  const [index2, , ok2] = cfg.raft(leader2).Start(30);
  if (ok2 === false) fail('Start', 'leader2 rejected Start()', { servers: [leader2], expected: 'isLeader true', seen: 'isLeader false' });
  if (index2 < 2 || index2 > 3) fail('Start', `unexpected index ${index2}`, { servers: [leader2], index: index2, expected: 'index 2 or 3', seen: `index ${index2}` });

  await cfg.one(1000, servers, true);
});

labTest('2B', 'concurrent Start()s', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  let success = false;
  loop: for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) {
      // Let the cluster calm down before trying again.
      await sleep(3000);
    }

    const leader = await cfg.checkOneLeader();
    const [, term, ok] = cfg.raft(leader).Start(1);
    if (!ok) {
      // Leadership was already lost; try again.
      continue;
    }

    const iters = 5;
    const is: number[] = [];
    const starters: Promise<void | undefined>[] = [];
    for (let ii = 0; ii < iters; ii++) {
      starters.push(
        cfg.go(async () => {
          const [i, term1, ok1] = cfg.raft(leader).Start(100 + ii);
          if (term1 !== term) return;
          if (ok1 !== true) return;
          is.push(i);
        }),
      );
    }
    await Promise.all(starters);

    for (let j = 0; j < servers; j++) {
      const [t] = cfg.raft(j).GetState();
      if (t !== term) {
        // The term moved on meanwhile; start over.
        continue loop;
      }
    }

    let failed = false;
    const cmds: number[] = [];
    for (const index of is) {
      const cmd = await cfg.wait(index, servers, term);
      if (typeof cmd === 'number' && Number.isInteger(cmd)) {
        if (cmd === -1) {
          // A later term began, so some of these Start()s
          // may legitimately be lost; retry.
          failed = true;
          break;
        }
        cmds.push(cmd);
      } else {
        fail('wait', `value ${fmtV(cmd)} is not an int`, { index, expected: 'an integer command', seen: fmtV(cmd) });
      }
    }

    if (failed) continue;

    for (let ii = 0; ii < iters; ii++) {
      const x = 100 + ii;
      if (!cmds.includes(x)) fail('concurrentStarts', `cmd ${x} missing in ${fmtV(cmds)}`, { expected: `command ${x} committed`, seen: `committed ${fmtV(cmds)}` });
    }

    success = true;
    break;
  }

  if (!success) fail('concurrentStarts', 'term changed too often', { expected: 'a stable term in one of 5 tries' });
});

labTest('2B', 'rejoin of partitioned leader', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(101, servers, true);

  // Cut off the leader.
  const leader1 = await cfg.checkOneLeader();
  cfg.disconnect(leader1);

  // The isolated leader accepts entries it can never commit.
  cfg.raft(leader1).Start(102);
  cfg.raft(leader1).Start(103);
  cfg.raft(leader1).Start(104);

  // The other two elect a leader, which commits 103 at index 2.
  await cfg.one(103, 2, true);

  // Cut off that leader too.
  const leader2 = await cfg.checkOneLeader();
  cfg.disconnect(leader2);

  // Reconnect the first leader; its stale entries must be replaced.
  cfg.connect(leader1);

  await cfg.one(104, 2, true);

  // Reconnect everyone.
  cfg.connect(leader2);

  await cfg.one(105, servers, true);
});

labTest('2B', 'leader backs up quickly over incorrect follower logs', { servers: 5 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(randInt(), servers, true);

  // Isolate the leader together with one follower.
  const leader1 = await cfg.checkOneLeader();
  cfg.disconnect((leader1 + 2) % servers);
  cfg.disconnect((leader1 + 3) % servers);
  cfg.disconnect((leader1 + 4) % servers);

  // Pile up entries in this minority; they can never commit.
  for (let i = 0; i < 50; i++) cfg.raft(leader1).Start(randInt());

  await sleep(RaftElectionTimeout / 2);

  cfg.disconnect((leader1 + 0) % servers);
  cfg.disconnect((leader1 + 1) % servers);

  // Swap partitions: the other three get to work.
  cfg.connect((leader1 + 2) % servers);
  cfg.connect((leader1 + 3) % servers);
  cfg.connect((leader1 + 4) % servers);

  // This majority commits many entries of its own.
  for (let i = 0; i < 50; i++) await cfg.one(randInt(), 3, true);

  // Leave the new leader with a single follower by cutting off the third.
  const leader2 = await cfg.checkOneLeader();
  let other = (leader1 + 2) % servers;
  if (leader2 === other) other = (leader2 + 1) % servers;
  cfg.disconnect(other);

  // More entries this minority cannot commit.
  for (let i = 0; i < 50; i++) cfg.raft(leader2).Start(randInt());

  await sleep(RaftElectionTimeout / 2);

  // Connect only the first leader, its follower and `other`: a majority
  // in which two logs are long and stale and must be backed up quickly.
  for (let i = 0; i < servers; i++) cfg.disconnect(i);
  cfg.connect((leader1 + 0) % servers);
  cfg.connect((leader1 + 1) % servers);
  cfg.connect(other);

  // This majority must repair those logs and commit many entries.
  for (let i = 0; i < 50; i++) await cfg.one(randInt(), 3, true);

  // Finally, reconnect all five.
  for (let i = 0; i < servers; i++) cfg.connect(i);
  await cfg.one(randInt(), servers, true);
});

labTest('2B', "RPC counts aren't too high", { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  const rpcs = (): number => {
    let n = 0;
    for (let j = 0; j < servers; j++) n += cfg.rpcCount(j);
    return n;
  };

  let leader = await cfg.checkOneLeader();

  let total1 = rpcs();

  if (total1 > 30 || total1 < 1) {
    fail('rpcCount', `too many or few RPCs (${total1}) to elect initial leader`, { expected: '1 to 30 RPCs', seen: `${total1} RPCs` });
  }

  let total2 = 0;
  let success = false;
  loop: for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) {
      // Let the cluster calm down before trying again.
      await sleep(3000);
    }

    leader = await cfg.checkOneLeader();
    total1 = rpcs();

    const iters = 10;
    const [starti, term, ok] = cfg.raft(leader).Start(1);
    if (!ok) {
      // Leadership was already lost; try again.
      continue;
    }
    const cmds: number[] = [];
    for (let i = 1; i < iters + 2; i++) {
      const x = randomInt(2 ** 31);
      cmds.push(x);
      const [index1, term1, ok1] = cfg.raft(leader).Start(x);
      if (term1 !== term) {
        // A new term began part-way through; retry.
        continue loop;
      }
      if (!ok1) {
        // Lost leadership, which means a new term; retry.
        continue loop;
      }
      if (starti + i !== index1) fail('Start', 'Start() failed', { servers: [leader], expected: `index ${starti + i}`, seen: `index ${index1}` });
    }

    for (let i = 1; i < iters + 1; i++) {
      const cmd = await cfg.wait(starti + i, servers, term);
      const ix = typeof cmd === 'number' && Number.isInteger(cmd) ? cmd : 0;
      if (ix !== cmd || ix !== cmds[i - 1]) {
        if (ix === -1) {
          // wait() gave up because the term moved on; retry.
          continue loop;
        }
        fail('wait', `wrong value ${fmtV(cmd)} committed for index ${starti + i}; expected ${fmtV(cmds)}`, { index: starti + i, expected: fmtV(cmds[i - 1]), seen: fmtV(cmd) });
      }
    }

    let failed = false;
    total2 = 0;
    for (let j = 0; j < servers; j++) {
      const [t] = cfg.raft(j).GetState();
      if (t !== term) {
        // A new term means the count includes election traffic, so
        // retry; but finish the sum so that total2 stays complete.
        failed = true;
      }
      total2 += cfg.rpcCount(j);
    }

    if (failed) continue loop;

    if (total2 - total1 > (iters + 1 + 3) * 3) {
      fail('rpcCount', `too many RPCs (${total2 - total1}) for ${iters} entries`, { expected: `at most ${(iters + 1 + 3) * 3} RPCs`, seen: `${total2 - total1} RPCs` });
    }

    success = true;
    break;
  }

  if (!success) fail('rpcCount', 'term changed too often', { expected: 'a stable term in one of 5 tries' });

  await sleep(RaftElectionTimeout);

  let total3 = 0;
  for (let j = 0; j < servers; j++) total3 += cfg.rpcCount(j);

  if (total3 - total2 > 3 * 20) {
    fail('rpcCount', `too many RPCs (${total3 - total2}) for 1 second of idleness`, { expected: `at most ${3 * 20} RPCs in 1 s of idleness`, seen: `${total3 - total2} RPCs` });
  }
});
