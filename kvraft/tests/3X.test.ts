// kvraft lab 3X: beyond 6.5840. The 3B tests leave some unlucky schedules to chance; each test
// here makes one happen on purpose and names the class of bug it is written for. Needs 3B.
import { sleep } from '../../sim/index.ts';
import { fail } from '../../tester/failure.ts';
import { electionTimeout, Get, kvTest, Put } from '../../tester/kvtest.ts';

/**
 * Bug class: the duplicate table left out of the service's snapshot (raft-bugs.md 28).
 *
 * A Clerk's Append takes effect, but every answer to the Clerk is lost, so it keeps sending
 * the same Append again. Meanwhile the servers snapshot (maxraftstate is small), then all of
 * them restart and rebuild their state from the snapshot and the log after it. When the answers
 * get through again, the Clerk's next retry must be recognised as a duplicate: a server whose
 * snapshot forgot which requests it had executed appends the value a second time.
 */
kvTest('3X', 'a retried Append crosses a restart from a snapshot', { servers: 3, maxraftstate: 1000 }, async (cfg, title) => {
  const ck = cfg.makeClient(cfg.all());
  const other = cfg.makeClient(cfg.all());
  cfg.begin(title);

  await Put(cfg, other, 'k', 'a', null, -1);

  // Every answer to ck is lost from now on: its Append takes effect, and it retries anyway.
  cfg.loseRepliesTo(ck, true);
  const appended = ck.Append('k', 'b');
  cfg.op();
  for (let waited = 0; ; waited += 100) {
    const value = await Get(cfg, other, 'k', null, -1);
    if (value === 'ab') break;
    if (value !== 'a') {
      fail('duplicate', `key "k" holds ${JSON.stringify(value)} while one Clerk is retrying its only Append("k", "b")`, {
        expected: '"ab" once the Append took effect: a retried request is executed at most once',
        seen: JSON.stringify(value),
      });
    }
    if (waited > 10 * electionTimeout) {
      fail('Append', `the Append("k", "b") did not take effect within ${waited / 1000} s while its answers were lost`, {
        expected: 'the Append executed by the leader even though the Clerk never hears back',
        seen: `key "k" still holds ${JSON.stringify(value)}`,
      });
    }
    await sleep(100);
  }

  // More writes, so that every server snapshots after the Append.
  for (let i = 0; i < 20; i++) await Put(cfg, other, `fill${i}`, 'x'.repeat(40), null, -1);
  if (cfg.snapshotSize() === 0) {
    fail('snapshot', 'no server saved a snapshot although the Raft state grew past maxraftstate (1000 bytes)', {
      expected: 'Snapshot() called once the Raft state reaches maxraftstate',
      seen: 'every snapshot is empty',
    });
  }

  // Every server restarts from its snapshot and the log after it; then the answers get through.
  for (const i of cfg.all()) cfg.shutdownServer(i);
  for (const i of cfg.all()) cfg.startServer(i);
  cfg.connectAll();
  await sleep(electionTimeout);
  cfg.loseRepliesTo(ck, false);
  await appended;

  const value = await Get(cfg, other, 'k', null, -1);
  if (value !== 'ab') {
    fail('duplicate', `key "k" holds ${JSON.stringify(value)}: one Append("k", "b") took effect ${value === 'abb' ? 'twice' : 'a wrong number of times'}`, {
      expected: '"ab": the retries of an Append executed before a snapshot are recognised after a restart from it (keep the duplicate table in the snapshot)',
      seen: JSON.stringify(value),
    });
  }
  cfg.end();
});
