// shardkv lab 4B: the sharded key/value service. A port of 6.5840's shardkv/test_test.go
// (2023), step for step; the two optional challenges are in 4B-challenge.test.ts.
import { randomInt, sleep } from '../../sim/index.ts';
import { fail } from '../../tester/failure.ts';
import { append, check, checkLinearizable, get, OpLog, put, randstring, shardTest } from '../../tester/shardtest.ts';
import type { ShardClerk } from '../../tester/shardconfig.ts';

const n = 10;
const keys = (): string[] => Array.from({ length: n }, (_, i) => String(i)); // ensure multiple shards

// TestStaticShards: static 2-way sharding, without shard movement.
shardTest('4B', 'static shards', { n: 3, maxraftstate: -1 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(0);
  await cfg.join(1);

  const ka = keys();
  const va = ka.map(() => randstring(20));
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);
  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  // make sure that the data really is sharded by shutting down one shard and checking that
  // some Get()s don't succeed.
  cfg.ShutdownGroup(1);
  cfg.checklogs(); // forbid snapshots

  const results: string[] = [];
  let wake: (() => void) | undefined;
  for (let xi = 0; xi < n; xi++) {
    const ck1 = cfg.makeClient(); // only one call allowed per client
    void cfg.go(async () => {
      const v = await get(cfg, ck1, ka[xi]!);
      results.push(v !== va[xi] ? `Get(${ka[xi]}): expected:\n${va[xi]}\nreceived:\n${v}` : '');
      wake?.();
    });
  }

  // wait a bit, only about half the Gets should succeed.
  let ndone = 0;
  for (;;) {
    while (ndone < results.length) {
      const err = results[ndone]!;
      if (err !== '') fail('check', err);
      ndone += 1;
    }
    const arrived = await Promise.race([new Promise<boolean>((resolve) => (wake = () => resolve(true))), sleep(2000).then(() => false)]);
    wake = undefined;
    if (!arrived && ndone === results.length) break;
  }

  if (ndone !== 5) {
    fail('static', `expected 5 completions with one shard dead; got ${ndone}`, {
      expected: '5 Gets to finish (the keys of the group still up), the other 5 to wait',
      seen: `${ndone} finished within 2 s of the last one while group 101 was down; latest configuration ${cfg.latestConfig().Num}: shards [${cfg.latestConfig().Shards.join(' ')}]`,
    });
  }

  // bring the crashed shard/group back to life.
  cfg.StartGroup(1);
  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  cfg.end();
});

// TestJoinLeave
shardTest('4B', 'join then leave', { n: 3, maxraftstate: -1 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(0);

  const ka = keys();
  const va = ka.map(() => randstring(5));
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);
  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  await cfg.join(1);

  for (let i = 0; i < n; i++) {
    await check(cfg, ck, ka[i]!, va[i]!);
    const x = randstring(5);
    await append(cfg, ck, ka[i]!, x);
    va[i] += x;
  }

  await cfg.leave(0);

  for (let i = 0; i < n; i++) {
    await check(cfg, ck, ka[i]!, va[i]!);
    const x = randstring(5);
    await append(cfg, ck, ka[i]!, x);
    va[i] += x;
  }

  // allow time for shards to transfer.
  await sleep(1000);

  cfg.checklogs();
  cfg.ShutdownGroup(0);

  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  cfg.end();
});

// TestSnapshot
shardTest('4B', 'snapshots, join, and leave', { n: 3, maxraftstate: 1000 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(0);

  const nk = 30;
  const ka = Array.from({ length: nk }, (_, i) => String(i));
  const va = ka.map(() => randstring(20));
  for (let i = 0; i < nk; i++) await put(cfg, ck, ka[i]!, va[i]!);
  for (let i = 0; i < nk; i++) await check(cfg, ck, ka[i]!, va[i]!);

  await cfg.join(1);
  await cfg.join(2);
  await cfg.leave(0);

  for (let i = 0; i < nk; i++) {
    await check(cfg, ck, ka[i]!, va[i]!);
    const x = randstring(20);
    await append(cfg, ck, ka[i]!, x);
    va[i] += x;
  }

  await cfg.leave(1);
  await cfg.join(0);

  for (let i = 0; i < nk; i++) {
    await check(cfg, ck, ka[i]!, va[i]!);
    const x = randstring(20);
    await append(cfg, ck, ka[i]!, x);
    va[i] += x;
  }

  await sleep(1000);

  for (let i = 0; i < nk; i++) await check(cfg, ck, ka[i]!, va[i]!);

  await sleep(1000);

  cfg.checklogs();

  cfg.ShutdownGroup(0);
  cfg.ShutdownGroup(1);
  cfg.ShutdownGroup(2);

  cfg.StartGroup(0);
  cfg.StartGroup(1);
  cfg.StartGroup(2);

  for (let i = 0; i < nk; i++) await check(cfg, ck, ka[i]!, va[i]!);

  cfg.end();
});

// TestMissChange
shardTest('4B', 'servers miss configuration changes', { n: 3, maxraftstate: 1000 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(0);

  const ka = keys();
  const va = ka.map(() => randstring(20));
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);
  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  const checkAndAppend = async (): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await check(cfg, ck, ka[i]!, va[i]!);
      const x = randstring(20);
      await append(cfg, ck, ka[i]!, x);
      va[i] += x;
    }
  };

  await cfg.join(1);

  cfg.ShutdownServer(0, 0);
  cfg.ShutdownServer(1, 0);
  cfg.ShutdownServer(2, 0);

  await cfg.join(2);
  await cfg.leave(1);
  await cfg.leave(0);

  await checkAndAppend();

  await cfg.join(1);

  await checkAndAppend();

  cfg.StartServer(0, 0);
  cfg.StartServer(1, 0);
  cfg.StartServer(2, 0);

  await checkAndAppend();

  await sleep(2000);

  cfg.ShutdownServer(0, 1);
  cfg.ShutdownServer(1, 1);
  cfg.ShutdownServer(2, 1);

  await cfg.join(0);
  await cfg.leave(2);

  await checkAndAppend();

  cfg.StartServer(0, 1);
  cfg.StartServer(1, 1);
  cfg.StartServer(2, 1);

  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  cfg.end();
});

/**
 * Starts one appender per key (Go's ff goroutines): each appends random strings of `len` to its
 * key until done() and keeps va[i] up to date; returns a promise of all of them finishing.
 */
function appenders(cfg: Parameters<Parameters<typeof shardTest>[3]>[0], ka: string[], va: string[], len: number, pauseMs: number, done: () => boolean, clerks?: ShardClerk[]): Promise<unknown> {
  return Promise.all(
    ka.map((key, i) =>
      cfg.go(async () => {
        const ck1 = clerks?.[i] ?? cfg.makeClient();
        while (!done() && !cfg.isFinished()) {
          const x = randstring(len);
          await append(cfg, ck1, key, x);
          va[i] += x;
          if (pauseMs > 0) await sleep(pauseMs);
        }
      }),
    ),
  );
}

// TestConcurrent1
shardTest('4B', 'concurrent puts and configuration changes', { n: 3, maxraftstate: 100 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(0);

  const ka = keys();
  const va = ka.map(() => randstring(5));
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);

  let done = false;
  const clients = appenders(cfg, ka, va, 5, 10, () => done);

  await sleep(150);
  await cfg.join(1);
  await sleep(500);
  await cfg.join(2);
  await sleep(500);
  await cfg.leave(0);

  cfg.ShutdownGroup(0);
  await sleep(100);
  cfg.ShutdownGroup(1);
  await sleep(100);
  cfg.ShutdownGroup(2);

  await cfg.leave(2);

  await sleep(100);
  cfg.StartGroup(0);
  cfg.StartGroup(1);
  cfg.StartGroup(2);

  await sleep(100);
  await cfg.join(0);
  await cfg.leave(1);
  await sleep(500);
  await cfg.join(1);

  await sleep(1000);

  done = true;
  await clients;
  cfg.checkBackground();

  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  cfg.end();
});

// TestConcurrent2: the various sources from which a re-starting group might need to fetch
// shard contents.
shardTest('4B', 'more concurrent puts and configuration changes', { n: 3, maxraftstate: -1 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(1);
  await cfg.join(0);
  await cfg.join(2);

  const ka = keys();
  const va = ka.map(() => randstring(1));
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);

  let done = false;
  const clerks = ka.map(() => cfg.makeClient());
  const clients = appenders(cfg, ka, va, 1, 50, () => done, clerks);

  await cfg.leave(0);
  await cfg.leave(2);
  await sleep(3000);
  await cfg.join(0);
  await cfg.join(2);
  await cfg.leave(1);
  await sleep(3000);
  await cfg.join(1);
  await cfg.leave(0);
  await cfg.leave(2);
  await sleep(3000);

  cfg.ShutdownGroup(1);
  cfg.ShutdownGroup(2);
  await sleep(1000);
  cfg.StartGroup(1);
  cfg.StartGroup(2);

  await sleep(2000);

  done = true;
  await clients;
  cfg.checkBackground();

  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  cfg.end();
});

// TestConcurrent3
shardTest('4B', 'concurrent configuration change and restart', { n: 3, maxraftstate: 300 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(0);

  const ka = keys();
  const va = ka.map(() => randstring(1));
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);

  let done = false;
  const clerks = ka.map(() => cfg.makeClient());
  const clients = appenders(cfg, ka, va, 1, 0, () => done, clerks);

  const t0 = cfg.elapsedMs();
  while (cfg.elapsedMs() - t0 < 12_000) {
    await cfg.join(2);
    await cfg.join(1);
    await sleep(randomInt(900));
    cfg.ShutdownGroup(0);
    cfg.ShutdownGroup(1);
    cfg.ShutdownGroup(2);
    cfg.StartGroup(0);
    cfg.StartGroup(1);
    cfg.StartGroup(2);

    await sleep(randomInt(900));
    await cfg.leave(1);
    await cfg.leave(2);
    await sleep(randomInt(900));
  }

  await sleep(2000);

  done = true;
  await clients;
  cfg.checkBackground();

  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  cfg.end();
});

// TestUnreliable1
shardTest('4B', 'unreliable 1', { n: 3, unreliable: true, maxraftstate: 100 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(0);

  const ka = keys();
  const va = ka.map(() => randstring(5));
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);

  await cfg.join(1);
  await cfg.join(2);
  await cfg.leave(0);

  for (let ii = 0; ii < n * 2; ii++) {
    const i = ii % n;
    await check(cfg, ck, ka[i]!, va[i]!);
    const x = randstring(5);
    await append(cfg, ck, ka[i]!, x);
    va[i] += x;
  }

  await cfg.join(0);
  await cfg.leave(1);

  for (let ii = 0; ii < n * 2; ii++) {
    const i = ii % n;
    await check(cfg, ck, ka[i]!, va[i]!);
  }

  cfg.end();
});

// TestUnreliable2
shardTest('4B', 'unreliable 2', { n: 3, unreliable: true, maxraftstate: 100 }, async (cfg, name) => {
  cfg.begin(name);
  const ck = cfg.makeClient();

  await cfg.join(0);

  const ka = keys();
  const va = ka.map(() => randstring(5));
  for (let i = 0; i < n; i++) await put(cfg, ck, ka[i]!, va[i]!);

  let done = false;
  const clients = appenders(cfg, ka, va, 5, 0, () => done);

  await sleep(150);
  await cfg.join(1);
  await sleep(500);
  await cfg.join(2);
  await sleep(500);
  await cfg.leave(0);
  await sleep(500);
  await cfg.leave(1);
  await sleep(500);
  await cfg.join(1);
  await cfg.join(0);

  await sleep(2000);

  done = true;
  cfg.net.setReliable(true);
  await clients;
  cfg.checkBackground();

  for (let i = 0; i < n; i++) await check(cfg, ck, ka[i]!, va[i]!);

  cfg.end();
});

// TestUnreliable3: random Get/Put/Append on random keys while groups join and leave; the
// history must be linearizable.
shardTest('4B', 'unreliable 3', { n: 3, unreliable: true, maxraftstate: 100 }, async (cfg, name) => {
  cfg.begin(name);
  const opLog = new OpLog();

  const ck = cfg.makeClient();

  await cfg.join(0);

  const ka = keys();
  const va = ka.map(() => randstring(5));
  for (let i = 0; i < n; i++) {
    const start = opLog.stamp();
    await put(cfg, ck, ka[i]!, va[i]!);
    const end = opLog.stamp();
    opLog.append({ clientId: 0, input: { op: 'put', key: ka[i]!, value: va[i]! }, output: { value: '' }, call: start, return: end });
  }

  let done = false;
  const clients = Promise.all(
    ka.map((_, i) =>
      cfg.go(async () => {
        const ck1 = cfg.makeClient();
        while (!done && !cfg.isFinished()) {
          const ki = randomInt(n);
          const nv = randstring(5);
          const start = opLog.stamp();
          if (randomInt(1000) < 500) {
            await append(cfg, ck1, ka[ki]!, nv);
            opLog.append({ clientId: i, input: { op: 'append', key: ka[ki]!, value: nv }, output: { value: '' }, call: start, return: opLog.stamp() });
          } else if (randomInt(1000) < 100) {
            await put(cfg, ck1, ka[ki]!, nv);
            opLog.append({ clientId: i, input: { op: 'put', key: ka[ki]!, value: nv }, output: { value: '' }, call: start, return: opLog.stamp() });
          } else {
            const v = await get(cfg, ck1, ka[ki]!);
            opLog.append({ clientId: i, input: { op: 'get', key: ka[ki]! }, output: { value: v }, call: start, return: opLog.stamp() });
          }
        }
      }),
    ),
  );

  await sleep(150);
  await cfg.join(1);
  await sleep(500);
  await cfg.join(2);
  await sleep(500);
  await cfg.leave(0);
  await sleep(500);
  await cfg.leave(1);
  await sleep(500);
  await cfg.join(1);
  await cfg.join(0);

  await sleep(2000);

  done = true;
  cfg.net.setReliable(true);
  await clients;
  cfg.checkBackground();

  checkLinearizable(name, opLog);

  cfg.end();
});
