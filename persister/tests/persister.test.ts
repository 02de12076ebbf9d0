/**
 * The Persister of 6.5840 (2023 API): Save replaces both blobs atomically and stores copies,
 * reads return copies, Copy shares the current state but not later Saves, and a fresh one
 * reads as empty.
 */
import { describe, expect, test } from 'vitest';
import { Persister, PersisterUsageError, encode, decode, type PersisterLike } from '../index.ts';

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs);

describe('Persister', () => {
  test('a fresh persister reads empty (length 0, not null)', () => {
    const p = new Persister();
    expect(p.ReadRaftState()).toBeInstanceOf(Uint8Array);
    expect(p.ReadRaftState()).toHaveLength(0);
    expect(p.ReadSnapshot()).toHaveLength(0);
    expect(p.RaftStateSize()).toBe(0);
    expect(p.SnapshotSize()).toBe(0);
  });

  test('Save stores both; reads and sizes reflect them', () => {
    const p = new Persister();
    p.Save(bytes(1, 2, 3), bytes(4, 5));
    expect([...p.ReadRaftState()]).toEqual([1, 2, 3]);
    expect([...p.ReadSnapshot()]).toEqual([4, 5]);
    expect(p.RaftStateSize()).toBe(3);
    expect(p.SnapshotSize()).toBe(2);
  });

  test('mutating the array given to Save does not change the stored state', () => {
    const p = new Persister();
    const state = bytes(1, 2, 3);
    const snap = bytes(9);
    p.Save(state, snap);
    state[0] = 100;
    snap[0] = 100;
    expect([...p.ReadRaftState()]).toEqual([1, 2, 3]);
    expect([...p.ReadSnapshot()]).toEqual([9]);
  });

  test('mutating what a read returned does not change the stored state', () => {
    const p = new Persister();
    p.Save(bytes(1, 2, 3), bytes(9));
    const state = p.ReadRaftState();
    state[0] = 100;
    p.ReadSnapshot()[0] = 100;
    expect([...p.ReadRaftState()]).toEqual([1, 2, 3]);
    expect([...p.ReadSnapshot()]).toEqual([9]);
    expect(p.ReadRaftState()).not.toBe(p.ReadRaftState());
  });

  test('Buffers (what encode returns) are copied too, in and out', () => {
    // v8.serialize returns a Buffer, whose slice() is a view, not a copy.
    const p = new Persister();
    const state = encode({ currentTerm: 1, votedFor: 2, log: [] });
    const snap = Buffer.from([1, 2, 3]);
    const original = Uint8Array.from(state);
    p.Save(state, snap);
    state.fill(0);
    snap.fill(0);
    expect(p.ReadRaftState()).toEqual(original);
    expect([...p.ReadSnapshot()]).toEqual([1, 2, 3]);
    const read = p.ReadRaftState();
    read.fill(7);
    p.ReadSnapshot().fill(7);
    expect(p.ReadRaftState()).toEqual(original);
    expect([...p.ReadSnapshot()]).toEqual([1, 2, 3]);
    expect(decode(p.ReadRaftState())).toEqual({ currentTerm: 1, votedFor: 2, log: [] });
  });

  test('a view into a larger buffer stores only its own bytes', () => {
    const p = new Persister();
    const big = bytes(0, 1, 2, 3, 4, 5);
    p.Save(big.subarray(2, 4), null);
    expect([...p.ReadRaftState()]).toEqual([2, 3]);
    big[2] = 50;
    expect([...p.ReadRaftState()]).toEqual([2, 3]);
  });

  test('Save(state, null) erases an earlier snapshot', () => {
    const p = new Persister();
    p.Save(bytes(1), bytes(2, 3));
    p.Save(bytes(4), null);
    expect([...p.ReadRaftState()]).toEqual([4]);
    expect(p.SnapshotSize()).toBe(0);
    expect(p.ReadSnapshot()).toHaveLength(0);
  });

  test('Save(null, snapshot) erases the raft state', () => {
    const p = new Persister();
    p.Save(bytes(1), bytes(2));
    p.Save(null, bytes(3));
    expect(p.RaftStateSize()).toBe(0);
    expect([...p.ReadSnapshot()]).toEqual([3]);
  });

  test('Copy holds the same state; later Saves on either side are independent', () => {
    const p = new Persister();
    p.Save(bytes(1, 2), bytes(3));
    const c = p.Copy();
    expect(c).toBeInstanceOf(Persister);
    expect(c).not.toBe(p);
    expect([...c.ReadRaftState()]).toEqual([1, 2]);
    expect([...c.ReadSnapshot()]).toEqual([3]);
    p.Save(bytes(9), null);
    expect([...c.ReadRaftState()]).toEqual([1, 2]);
    expect([...c.ReadSnapshot()]).toEqual([3]);
    c.Save(bytes(8), bytes(7));
    expect([...p.ReadRaftState()]).toEqual([9]);
    expect(p.SnapshotSize()).toBe(0);
    // Reading from the copy returns copies as well.
    c.ReadRaftState()[0] = 0;
    expect([...c.ReadRaftState()]).toEqual([8]);
  });

  test('Copy of a fresh persister is fresh', () => {
    const c = new Persister().Copy();
    expect(c.RaftStateSize()).toBe(0);
    expect(c.SnapshotSize()).toBe(0);
  });

  test('Save with something that is not a Uint8Array throws PersisterUsageError with advice', () => {
    const p = new Persister();
    p.Save(bytes(1), bytes(2));
    const save = p.Save.bind(p) as (a: unknown, b: unknown) => void;
    expect(() => save({ currentTerm: 1 }, null)).toThrow(PersisterUsageError);
    expect(() => save({ currentTerm: 1 }, null)).toThrow(/raftstate must be a Uint8Array \(or null\), got Object.*encode\(/);
    expect(() => save(bytes(1), 'snap')).toThrow(/snapshot must be a Uint8Array \(or null\), got string/);
    expect(() => save([1, 2], null)).toThrow(/got Array/);
    expect(() => save(bytes(1).buffer, null)).toThrow(/got ArrayBuffer/);
    expect(new PersisterUsageError('x')).toBeInstanceOf(TypeError);
    // A failed Save leaves the earlier state in place.
    expect([...p.ReadRaftState()]).toEqual([1]);
    expect([...p.ReadSnapshot()]).toEqual([2]);
  });

  test('it satisfies PersisterLike', () => {
    const p: PersisterLike = new Persister();
    p.Save(bytes(1), null);
    expect(p.RaftStateSize()).toBe(1);
  });
});

describe('encode / decode for persisted state', () => {
  test('round trip of a typical Raft state', () => {
    const state = {
      currentTerm: 7,
      votedFor: -1,
      log: [
        { term: 0, command: null },
        { term: 3, command: { op: 'Put', key: 'a', value: 'x'.repeat(100) } },
        { term: 7, command: 42 },
      ],
      snapshotIndex: 10,
      kv: new Map([['a', 'b']]),
      blob: new Uint8Array([1, 2, 3]),
    };
    const p = new Persister();
    p.Save(encode(state), encode({ lastIncluded: 10 }));
    expect(decode(p.ReadRaftState())).toEqual(state);
    expect(decode(p.ReadSnapshot())).toEqual({ lastIncluded: 10 });
    expect(p.RaftStateSize()).toBe(encode(state).length);
  });

  test('encode refuses functions with a message naming persisted state', () => {
    expect(() => encode({ log: [{ cb: () => 1 }] })).toThrow(/persisted state at \.log\[0\]\.cb is a function/);
  });

  test('decoded values are fresh copies', () => {
    const state = { log: [{ term: 1 }] };
    const bytesOut = encode(state);
    const a = decode<typeof state>(bytesOut);
    const b = decode<typeof state>(bytesOut);
    expect(a).toEqual(b);
    expect(a.log).not.toBe(b.log);
  });
});
