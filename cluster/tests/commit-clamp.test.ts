import { describe, expect, test } from 'vitest';
import { CommitClamp } from '../commit-clamp.ts';
import { ManualGate, settle } from './manual-gate.ts';

const ae = 'Raft.AppendEntries';

function appendArgs(leaderCommit: number): { Term: number; LeaderId: number; PrevLogIndex: number; PrevLogTerm: number; Entries: unknown[]; LeaderCommit: number } {
  return { Term: 3, LeaderId: 0, PrevLogIndex: 4, PrevLogTerm: 2, Entries: [{ Term: 3, Command: 'x' }], LeaderCommit: leaderCommit };
}

/** A clamp whose safeCommit is `safe` (learnt from a send while the gate was idle), gate now held. */
function clampAt(safe: number): { clamp: CommitClamp; gate: ManualGate } {
  const gate = new ManualGate();
  const clamp = new CommitClamp(gate);
  expect(clamp.early(ae, appendArgs(safe))).toBeUndefined();
  expect(clamp.safeCommit).toBe(safe);
  gate.hold();
  return { clamp, gate };
}

describe('commit clamp', () => {
  test('an idle gate: the request goes the usual way and its LeaderCommit is safe at once', () => {
    const gate = new ManualGate();
    const clamp = new CommitClamp(gate);
    expect(clamp.safeCommit).toBeUndefined();
    expect(clamp.early(ae, appendArgs(5))).toBeUndefined();
    expect(clamp.safeCommit).toBe(5);
  });

  test('a pending flush: the request overtakes with LeaderCommit lowered until that flush ends', async () => {
    const { clamp, gate } = clampAt(2);
    const args = appendArgs(7);
    const sent = clamp.early(ae, args) as ReturnType<typeof appendArgs>;
    expect(sent).toBeDefined();
    expect(sent.LeaderCommit).toBe(2);
    // Everything else is the caller's, unchanged; the caller's object is not touched.
    expect({ ...sent, LeaderCommit: 7 }).toEqual(args);
    expect(sent.Entries).toBe(args.Entries);
    expect(args.LeaderCommit).toBe(7);
    expect(sent).not.toBe(args);

    // While that flush runs, 7 is not safe: a second request is clamped the same way.
    expect((clamp.early(ae, appendArgs(8)) as ReturnType<typeof appendArgs>).LeaderCommit).toBe(2);
    gate.resolveOne(0); // the flush the request with 7 waited for
    await settle();
    expect(clamp.safeCommit).toBe(7);
    expect((clamp.early(ae, appendArgs(9)) as ReturnType<typeof appendArgs>).LeaderCommit).toBe(7);
    // A LeaderCommit below safeCommit goes as it is.
    expect((clamp.early(ae, appendArgs(1)) as ReturnType<typeof appendArgs>).LeaderCommit).toBe(1);
  });

  test('before any LeaderCommit is known safe, nothing overtakes (a 0 could claim an entry of a 0-based log)', async () => {
    const gate = new ManualGate();
    gate.hold();
    const clamp = new CommitClamp(gate);
    expect(clamp.early(ae, appendArgs(0))).toBeUndefined();
    expect(clamp.early(ae, appendArgs(3))).toBeUndefined();
    expect(clamp.safeCommit).toBeUndefined();
    gate.resolveOne(0);
    await settle();
    expect(clamp.safeCommit).toBe(0);
    expect((clamp.early(ae, appendArgs(3)) as ReturnType<typeof appendArgs>).LeaderCommit).toBe(0);
  });

  test('safeCommit never goes down, whatever order the flushes end in', async () => {
    const { clamp, gate } = clampAt(1);
    clamp.early(ae, appendArgs(10));
    clamp.early(ae, appendArgs(6));
    gate.resolveOne(0); // the flush for 10
    await settle();
    expect(clamp.safeCommit).toBe(10);
    gate.resolveOne(0); // the flush for 6
    await settle();
    expect(clamp.safeCommit).toBe(10);
    gate.open();
    expect(clamp.early(ae, appendArgs(4))).toBeUndefined(); // idle again: as is
    expect(clamp.safeCommit).toBe(10);
  });

  test('a failed flush makes nothing safe and leaves no unhandled rejection', async () => {
    const { clamp, gate } = clampAt(3);
    clamp.early(ae, appendArgs(8));
    gate.fail(new Error('disk full'));
    await settle();
    expect(clamp.safeCommit).toBe(3);
  });

  test('other methods, other field names, odd values and class instances go the gated way and teach nothing', () => {
    const { clamp } = clampAt(3);
    expect(clamp.early('Raft.RequestVote', appendArgs(5))).toBeUndefined();
    expect(clamp.early('Raft.InstallSnapshot', appendArgs(5))).toBeUndefined();
    expect(clamp.early('Node.Info', {})).toBeUndefined();
    expect(clamp.early('Raft.AppendEntriesX', appendArgs(5))).toBeUndefined();
    expect(clamp.early(ae, { Term: 3, leaderCommit: 5 })).toBeUndefined();
    expect(clamp.early(ae, { Term: 3, CommitIndex: 5 })).toBeUndefined();
    expect(clamp.early(ae, { Term: 3, LeaderCommit: '5' })).toBeUndefined();
    expect(clamp.early(ae, { Term: 3, LeaderCommit: NaN })).toBeUndefined();
    class AppendEntriesArgs {
      LeaderCommit = 5;
    }
    expect(clamp.early(ae, new AppendEntriesArgs())).toBeUndefined();
    expect(clamp.safeCommit).toBe(3);
    // Any service's AppendEntries with the field counts (a student may name the class otherwise).
    expect((clamp.early('Peer.AppendEntries', appendArgs(5)) as { LeaderCommit: number }).LeaderCommit).toBe(3);
  });
});
