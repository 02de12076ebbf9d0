// Raft lab 2C: persistence. A port of 6.5840's raft/test_test.go (2023), step for step.
import { sleep, randomInt } from '../../sim/index.ts';
import { labTest, fail, fmtV, randInt, RaftElectionTimeout, type Config } from '../../tester/index.ts';

labTest('2C', 'basic persistence', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(11, servers, true);

  // Restart every server; each must recover from what it persisted.
  for (let i = 0; i < servers; i++) cfg.start1(i, cfg.applier);
  for (let i = 0; i < servers; i++) {
    cfg.disconnect(i);
    cfg.connect(i);
  }

  await cfg.one(12, servers, true);

  const leader1 = await cfg.checkOneLeader();
  cfg.disconnect(leader1);
  cfg.start1(leader1, cfg.applier);
  cfg.connect(leader1);

  await cfg.one(13, servers, true);

  const leader2 = await cfg.checkOneLeader();
  cfg.disconnect(leader2);
  await cfg.one(14, servers - 1, true);
  cfg.start1(leader2, cfg.applier);
  cfg.connect(leader2);

  await cfg.wait(4, servers, -1); // i3 may only go once leader2 holds index 4

  const i3 = ((await cfg.checkOneLeader()) + 1) % servers;
  cfg.disconnect(i3);
  await cfg.one(15, servers - 1, true);
  cfg.start1(i3, cfg.applier);
  cfg.connect(i3);

  await cfg.one(16, servers, true);
});

labTest('2C', 'more persistence', { servers: 5 }, async (cfg) => {
  const servers = cfg.n;
  let index = 1;
  for (let iters = 0; iters < 5; iters++) {
    await cfg.one(10 + index, servers, true);
    index++;

    const leader1 = await cfg.checkOneLeader();

    cfg.disconnect((leader1 + 1) % servers);
    cfg.disconnect((leader1 + 2) % servers);

    await cfg.one(10 + index, servers - 2, true);
    index++;

    cfg.disconnect((leader1 + 0) % servers);
    cfg.disconnect((leader1 + 3) % servers);
    cfg.disconnect((leader1 + 4) % servers);

    cfg.start1((leader1 + 1) % servers, cfg.applier);
    cfg.start1((leader1 + 2) % servers, cfg.applier);
    cfg.connect((leader1 + 1) % servers);
    cfg.connect((leader1 + 2) % servers);

    await sleep(RaftElectionTimeout);

    cfg.start1((leader1 + 3) % servers, cfg.applier);
    cfg.connect((leader1 + 3) % servers);

    await cfg.one(10 + index, servers - 2, true);
    index++;

    cfg.connect((leader1 + 4) % servers);
    cfg.connect((leader1 + 0) % servers);
  }

  await cfg.one(1000, servers, true);
});

labTest('2C', 'partitioned leader and one follower crash, leader restarts', { servers: 3 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(101, 3, true);

  const leader = await cfg.checkOneLeader();
  cfg.disconnect((leader + 2) % servers);

  await cfg.one(102, 2, true);

  cfg.crash1((leader + 0) % servers);
  cfg.crash1((leader + 1) % servers);
  cfg.connect((leader + 2) % servers);
  cfg.start1((leader + 0) % servers, cfg.applier);
  cfg.connect((leader + 0) % servers);

  await cfg.one(103, 2, true);

  cfg.start1((leader + 1) % servers, cfg.applier);
  cfg.connect((leader + 1) % servers);

  await cfg.one(104, servers, true);
});

// Randomised Figure 8 of the extended Raft paper. Each round offers a command
// to whoever claims to lead; that leader is then crashed, usually soon (often
// before it commits) and sometimes only after a while (likely after). While
// fewer than three servers are up, a random one may be restarted. So new
// leaders keep inheriting uncommitted entries from older terms, which they must
// not commit just by counting replicas.
labTest('2C', 'Figure 8', { servers: 5 }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(randInt(), 1, true);

  let nup = servers;
  for (let iters = 0; iters < 1000; iters++) {
    let leader = -1;
    for (let i = 0; i < servers; i++) {
      if (cfg.rafts[i] !== null) {
        const [, , ok] = cfg.raft(i).Start(randInt());
        if (ok) leader = i;
      }
    }

    if (randomInt(1000) < 100) {
      await sleep(randomInt(RaftElectionTimeout / 2));
    } else {
      await sleep(randomInt(13));
    }

    if (leader !== -1) {
      cfg.crash1(leader);
      nup -= 1;
    }

    if (nup < 3) {
      const s = randomInt(servers);
      if (cfg.rafts[s] === null) {
        cfg.start1(s, cfg.applier);
        cfg.connect(s);
        nup += 1;
      }
    }
  }

  for (let i = 0; i < servers; i++) {
    if (cfg.rafts[i] === null) {
      cfg.start1(i, cfg.applier);
      cfg.connect(i);
    }
  }

  await cfg.one(randInt(), servers, true);
});

labTest('2C', 'unreliable agreement', { servers: 5, unreliable: true }, async (cfg) => {
  const servers = cfg.n;
  const wg: Promise<unknown>[] = [];

  for (let iters = 1; iters < 50; iters++) {
    for (let j = 0; j < 4; j++) {
      wg.push(cfg.go(() => cfg.one(100 * iters + j, 1, true)));
    }
    await cfg.one(iters, 1, true);
  }

  cfg.setUnreliable(false);

  await Promise.all(wg);

  await cfg.one(100, servers, true);
});

labTest('2C', 'Figure 8 (unreliable)', { servers: 5, unreliable: true }, async (cfg) => {
  const servers = cfg.n;
  await cfg.one(randomInt(10000), 1, true);

  let nup = servers;
  for (let iters = 0; iters < 1000; iters++) {
    if (iters === 200) cfg.setLongReordering(true);
    let leader = -1;
    for (let i = 0; i < servers; i++) {
      const [, , ok] = cfg.raft(i).Start(randomInt(10000));
      if (ok && cfg.connected[i]) leader = i;
    }

    if (randomInt(1000) < 100) {
      await sleep(randomInt(RaftElectionTimeout / 2));
    } else {
      await sleep(randomInt(13));
    }

    if (leader !== -1 && randomInt(1000) < RaftElectionTimeout / 2) {
      cfg.disconnect(leader);
      nup -= 1;
    }

    if (nup < 3) {
      const s = randomInt(servers);
      if (!cfg.connected[s]) {
        cfg.connect(s);
        nup += 1;
      }
    }
  }

  for (let i = 0; i < servers; i++) {
    if (!cfg.connected[i]) cfg.connect(i);
  }

  await cfg.one(randomInt(10000), servers, true);
});

// The churn tests; the config says whether the network starts unreliable.
async function internalChurn(cfg: Config): Promise<void> {
  const servers = cfg.n;
  let stop = false;

  // Each client keeps offering random values to whoever will lead.
  const cfn = async (me: number): Promise<number[]> => {
    const values: number[] = [];
    while (!stop) {
      const x = randInt();
      let index = -1;
      let ok = false;
      for (let i = 0; i < servers; i++) {
        // Offer x to every live server; any that accepts is a leader.
        if (cfg.rafts[i] !== null) {
          const [index1, , ok1] = cfg.raft(i).Start(x);
          if (ok1) {
            ok = ok1;
            index = index1;
          }
        }
      }
      if (ok) {
        // Commit is not guaranteed (the leader may fall), so poll
        // a few times with growing pauses, then move on.
        for (const to of [10, 20, 50, 100, 200]) {
          const [nd, cmd] = cfg.nCommitted(index);
          if (nd > 0) {
            if (typeof cmd === 'number' && Number.isInteger(cmd)) {
              if (cmd === x) values.push(x);
            } else {
              fail('churn', 'wrong command type', { index, expected: 'an integer command', seen: fmtV(cmd) });
            }
            break;
          }
          await sleep(to);
        }
      } else {
        await sleep(79 + me * 17);
      }
    }
    return values;
  };

  const ncli = 3;
  const cha: Promise<number[] | undefined>[] = [];
  for (let i = 0; i < ncli; i++) cha.push(cfg.go(() => cfn(i)));

  for (let iters = 0; iters < 20; iters++) {
    if (randomInt(1000) < 200) {
      const i = randomInt(servers);
      cfg.disconnect(i);
    }

    if (randomInt(1000) < 500) {
      const i = randomInt(servers);
      if (cfg.rafts[i] === null) cfg.start1(i, cfg.applier);
      cfg.connect(i);
    }

    if (randomInt(1000) < 200) {
      const i = randomInt(servers);
      if (cfg.rafts[i] !== null) cfg.crash1(i);
    }

    // Pause for 70% of an election timeout: long enough that peers can
    // often catch up, short enough that the cluster rarely settles
    // completely between two changes.
    await sleep((RaftElectionTimeout * 7) / 10);
  }

  await sleep(RaftElectionTimeout);
  cfg.setUnreliable(false);
  for (let i = 0; i < servers; i++) {
    if (cfg.rafts[i] === null) cfg.start1(i, cfg.applier);
    cfg.connect(i);
  }

  stop = true;

  const values: number[] = [];
  for (let i = 0; i < ncli; i++) {
    const vv = await cha[i]!;
    if (vv === undefined) fail('churn', 'client failed', { expected: `client ${i} to finish` });
    values.push(...vv);
  }

  await sleep(RaftElectionTimeout);

  const lastIndex = await cfg.one(randInt(), servers, true);

  const really: number[] = [];
  for (let index = 1; index <= lastIndex; index++) {
    const v = await cfg.wait(index, servers, -1);
    if (typeof v === 'number' && Number.isInteger(v)) really.push(v);
    else fail('churn', 'not an int', { index, expected: 'an integer command', seen: fmtV(v) });
  }

  for (const v1 of values) {
    if (!really.includes(v1)) {
      fail('churn', "didn't find a value", { expected: `${fmtV(v1)}, committed during the churn, in the final log`, seen: `a log of ${really.length} entries without it` });
    }
  }
}

labTest('2C', 'churn', { servers: 5 }, internalChurn);

labTest('2C', 'unreliable churn', { servers: 5, unreliable: true }, internalChurn);
