// shardctrler lab 4A: the configuration service. A port of 6.5840's shardctrler/test_test.go
// (2023), step for step: TestBasic and TestMulti, each with its printed sections.
import { sleep } from '../../sim/index.ts';
import { fail } from '../../tester/failure.ts';
import { check, checkSameConfig, ctrlerTest, NShards } from '../../tester/ctrlertest.ts';
import type { Config } from '../index.ts';

const nservers = 3;
const npara = 10;

// TestBasic
ctrlerTest('Basic', { servers: nservers }, async (cfg) => {
  const ck = cfg.makeClient(cfg.all());

  cfg.begin('Test: Basic leave/join');

  const cfa: Config[] = new Array<Config>(6);
  cfa[0] = await ck.Query(-1);

  await check([], ck);

  const gid1 = 1;
  await ck.Join({ [gid1]: ['x', 'y', 'z'] });
  await check([gid1], ck);
  cfa[1] = await ck.Query(-1);

  const gid2 = 2;
  await ck.Join({ [gid2]: ['a', 'b', 'c'] });
  await check([gid1, gid2], ck);
  cfa[2] = await ck.Query(-1);

  const cfx = await ck.Query(-1);
  checkServers(cfx, gid1, ['x', 'y', 'z']);
  checkServers(cfx, gid2, ['a', 'b', 'c']);

  await ck.Leave([gid1]);
  await check([gid2], ck);
  cfa[4] = await ck.Query(-1);

  await ck.Leave([gid2]);
  cfa[5] = await ck.Query(-1);

  cfg.end();

  cfg.begin('Test: Historical queries');

  // Go leaves cfa[3] as the zero Config (Num 0, no groups), so it is queried as config 0.
  cfa[3] = { Num: 0, Shards: new Array<number>(NShards).fill(0), Groups: {} };
  for (let s = 0; s < nservers; s++) {
    cfg.shutdownServer(s);
    for (let i = 0; i < cfa.length; i++) {
      const c = await ck.Query(cfa[i]!.Num);
      checkSameConfig(c, cfa[i]!);
    }
    cfg.startServer(s);
    cfg.connectAll();
  }

  cfg.end();

  cfg.begin('Test: Move');
  {
    const gid3 = 503;
    await ck.Join({ [gid3]: ['3a', '3b', '3c'] });
    const gid4 = 504;
    await ck.Join({ [gid4]: ['4a', '4b', '4c'] });
    for (let i = 0; i < NShards; i++) {
      const cf = await ck.Query(-1);
      const to = i < NShards / 2 ? gid3 : gid4;
      await ck.Move(i, to);
      if (cf.Shards[i] !== to) {
        const cf1 = await ck.Query(-1);
        if (cf1.Num <= cf.Num) fail('Move', 'Move should increase Config.Num', { expected: `a configuration after ${cf.Num}`, seen: `configuration ${cf1.Num} after Move(${i}, ${to})` });
      }
    }
    const cf2 = await ck.Query(-1);
    for (let i = 0; i < NShards; i++) {
      const gid = i < NShards / 2 ? gid3 : gid4;
      if (cf2.Shards[i] !== gid) fail('Move', `expected shard ${i} on gid ${gid} actually ${cf2.Shards[i]}`, { expected: `shard ${i} on group ${gid}`, seen: `Shards [${cf2.Shards.join(' ')}] in configuration ${cf2.Num}` });
    }
    await ck.Leave([gid3]);
    await ck.Leave([gid4]);
  }
  cfg.end();

  cfg.begin('Test: Concurrent leave/join');

  const cka = Array.from({ length: npara }, () => cfg.makeClient(cfg.all()));
  const gids = Array.from({ length: npara }, (_, xi) => xi * 10 + 100);
  await Promise.all(
    gids.map((gid, i) =>
      cfg.go(async () => {
        const sid1 = `s${gid}a`;
        const sid2 = `s${gid}b`;
        await cka[i]!.Join({ [gid + 1000]: [sid1] });
        await cka[i]!.Join({ [gid]: [sid2] });
        await cka[i]!.Leave([gid + 1000]);
      }),
    ),
  );
  cfg.checkBackground();
  await check(gids, ck);

  cfg.end();

  cfg.begin('Test: Minimal transfers after joins');

  const c1 = await ck.Query(-1);
  for (let i = 0; i < 5; i++) {
    const gid = npara + 1 + i;
    await ck.Join({ [gid]: [`${gid}a`, `${gid}b`, `${gid}b`] });
  }
  const c2 = await ck.Query(-1);
  checkMinimal(c1, c2, 'non-minimal transfer after Join()s');

  cfg.end();

  cfg.begin('Test: Minimal transfers after leaves');

  for (let i = 0; i < 5; i++) await ck.Leave([npara + 1 + i]);
  const c3 = await ck.Query(-1);
  checkMinimal(c2, c3, 'non-minimal transfer after Leave()s');

  cfg.end();
});

// TestMulti
ctrlerTest('Multi', { servers: nservers }, async (cfg) => {
  const ck = cfg.makeClient(cfg.all());

  cfg.begin('Test: Multi-group join/leave');

  const cfa: Config[] = new Array<Config>(6);
  cfa[0] = await ck.Query(-1);

  await check([], ck);

  const gid1 = 1;
  const gid2 = 2;
  await ck.Join({ [gid1]: ['x', 'y', 'z'], [gid2]: ['a', 'b', 'c'] });
  await check([gid1, gid2], ck);
  cfa[1] = await ck.Query(-1);

  const gid3 = 3;
  await ck.Join({ [gid3]: ['j', 'k', 'l'] });
  await check([gid1, gid2, gid3], ck);
  cfa[2] = await ck.Query(-1);

  let cfx = await ck.Query(-1);
  checkServers(cfx, gid1, ['x', 'y', 'z']);
  checkServers(cfx, gid2, ['a', 'b', 'c']);
  checkServers(cfx, gid3, ['j', 'k', 'l']);

  await ck.Leave([gid1, gid3]);
  await check([gid2], ck);
  cfa[3] = await ck.Query(-1);

  cfx = await ck.Query(-1);
  checkServers(cfx, gid2, ['a', 'b', 'c']);

  await ck.Leave([gid2]);

  cfg.end();

  cfg.begin('Test: Concurrent multi leave/join');

  const cka = Array.from({ length: npara }, () => cfg.makeClient(cfg.all()));
  const gids = Array.from({ length: npara }, (_, xi) => xi + 1000);
  await Promise.all(
    gids.map((gid, i) =>
      cfg.go(async () => {
        await cka[i]!.Join({
          [gid]: [`${gid}a`, `${gid}b`, `${gid}c`],
          [gid + 1000]: [`${gid + 1000}a`],
          [gid + 2000]: [`${gid + 2000}a`],
        });
        await cka[i]!.Leave([gid + 1000, gid + 2000]);
      }),
    ),
  );
  cfg.checkBackground();
  await check(gids, ck);

  cfg.end();

  cfg.begin('Test: Minimal transfers after multijoins');

  let c1 = await ck.Query(-1);
  const m: Record<number, string[]> = {};
  for (let i = 0; i < 5; i++) {
    const gid = npara + 1 + i;
    m[gid] = [`${gid}a`, `${gid}b`];
  }
  await ck.Join(m);
  const c2 = await ck.Query(-1);
  checkMinimal(c1, c2, 'non-minimal transfer after Join()s');

  cfg.end();

  cfg.begin('Test: Minimal transfers after multileaves');

  const l: number[] = [];
  for (let i = 0; i < 5; i++) l.push(npara + 1 + i);
  await ck.Leave(l);
  const c3 = await ck.Query(-1);
  checkMinimal(c2, c3, 'non-minimal transfer after Leave()s');

  cfg.end();

  cfg.begin('Test: Check Same config on servers');

  let [isLeader, leader] = cfg.leader();
  if (!isLeader) fail('leader', 'Leader not found', { expected: 'a controller that believes it leads', seen: 'none does' });
  const c = await ck.Query(-1); // Config leader claims

  cfg.shutdownServer(leader);

  // As in Go, the loop condition is evaluated once: it waits (and fails after 3 tries) only if
  // another server already claims to lead at the instant the leader is shut down.
  let attempts = 0;
  for ([isLeader, leader] = cfg.leader(); isLeader; await sleep(1000)) {
    if (++attempts >= 3) fail('leader', 'Leader not found', { expected: 'no leader right after the old one was shut down', seen: `server ${leader} claims to lead` });
  }

  c1 = await ck.Query(-1);
  checkSameConfig(c, c1);

  cfg.end();
});

/** The servers of group gid in cfx are exactly `want`, in order. */
function checkServers(cfx: Config, gid: number, want: string[]): void {
  const sa = cfx.Groups[gid];
  if (sa === undefined || sa.length !== want.length || want.some((s, i) => sa[i] !== s)) {
    fail('Join', `wrong servers for gid ${gid}: [${(sa ?? []).join(' ')}]`, { expected: `[${want.join(' ')}]`, seen: `[${(sa ?? []).join(' ')}] in configuration ${cfx.Num}` });
  }
}

/** Go's minimal-transfer check: a shard that groups 1..npara hold in `after` was theirs in `before`. */
function checkMinimal(before: Config, after: Config, message: string): void {
  for (let i = 1; i <= npara; i++) {
    for (let j = 0; j < before.Shards.length; j++) {
      if (after.Shards[j] === i && before.Shards[j] !== i) {
        fail('minimal', message, { expected: `shard ${j} stays where it was (group ${before.Shards[j]})`, seen: `moved to group ${i}: [${before.Shards.join(' ')}] -> [${after.Shards.join(' ')}]` });
      }
    }
  }
}
