import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encode } from '../../persister/index.ts';
import { LogDamage, diffState, encodeLogFile, encodeRecord, inlineSnapshot, logMagic, recordHeaderBytes, scanLog } from '../state-log.ts';

/** A log holding `states` in order: the first as a whole, each next one as a diff of the one before. */
function logOf(states: Uint8Array[], gens: number[] = states.map(() => 0)): { bytes: Buffer; offsets: number[] } {
  const parts: Buffer[] = [encodeLogFile(gens[0]!, states[0]!)];
  const offsets = [logMagic.length];
  let size = parts[0]!.length;
  for (let i = 1; i < states.length; i++) {
    offsets.push(size);
    const record = encodeRecord(gens[i]!, states[i]!, diffState(states[i - 1]!, states[i]!));
    parts.push(record);
    size += record.length;
  }
  return { bytes: Buffer.concat(parts), offsets };
}

/** The Raft state as the reference Raft encodes it, with `entries` log entries (of term 3). */
function raftState(entries: number, term = 3): Uint8Array {
  const log = Array.from({ length: entries }, (_, i) => ({ Term: 3, Command: { op: 'put', key: `key-${i % 16}`, value: `value-${i % 16}-${i}`, clientId: 1234567 + (i % 16), seq: i } }));
  return encode({ currentTerm: term, votedFor: 1, log, lastIncludedIndex: 0, lastIncludedTerm: 0 });
}

describe('state log records', () => {
  test('replaying the diffs of any sequence of states gives the last state', () => {
    const bytes = fc.uint8Array({ maxLength: 300 });
    // Mostly small edits of the state before (as Raft makes), sometimes a new state altogether.
    const edit = fc.record({ at: fc.nat(), cut: fc.nat({ max: 40 }), insert: fc.uint8Array({ maxLength: 40 }), fresh: fc.boolean() });
    fc.assert(
      fc.property(bytes, fc.array(fc.tuple(edit, bytes), { maxLength: 12 }), (first, edits) => {
        const states: Uint8Array[] = [first];
        for (const [e, other] of edits) {
          const prev = states[states.length - 1]!;
          if (e.fresh) {
            states.push(other);
            continue;
          }
          const at = prev.length === 0 ? 0 : e.at % (prev.length + 1);
          states.push(Buffer.concat([prev.subarray(0, at), e.insert, prev.subarray(Math.min(prev.length, at + e.cut))]));
        }
        const scan = scanLog(logOf(states).bytes);
        expect(Buffer.from(scan.state).equals(Buffer.from(states[states.length - 1]!))).toBe(true);
        expect(scan.records).toBe(states.length);
        expect(scan.tornTail).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  test("a diff of Raft's state after a Start holds the new entry, not the whole log", () => {
    const before = raftState(600);
    const after = raftState(601);
    expect(before.length).toBeGreaterThan(40_000);
    const pieces = diffState(before, after);
    expect(pieces).not.toBeNull();
    const record = encodeRecord(0, after, pieces);
    expect(record.length).toBeLessThan(400);
    // A new term changes a few bytes near the start, and costs a few bytes more.
    const withTerm = raftState(601, 4);
    expect(encodeRecord(0, withTerm, diffState(after, withTerm)).length).toBeLessThan(record.length);
    // After a snapshot the log is trimmed and everything moves: then the whole state is cheaper.
    expect(diffState(after, raftState(20))).toBeNull();
  });

  test('each record names its snapshot; the last one counts, and the highest is remembered', () => {
    const states = [raftState(1), raftState(2), raftState(3)];
    const scan = scanLog(logOf(states, [4, 7, 5]).bytes);
    expect(scan.snapshotGen).toBe(5);
    expect(scan.maxSnapshotGen).toBe(7);
  });

  test('a snapshot travels in its record with the state; later records go with it; a cut one is a torn tail', () => {
    const snapA = Buffer.from('snapshot A');
    const snapB = Buffer.from('snapshot B, longer');
    const first = encodeLogFile(inlineSnapshot, raftState(5), snapA);
    const patch = encodeRecord(inlineSnapshot, raftState(6), diffState(raftState(5), raftState(6)));
    const withB = encodeRecord(0, raftState(2), null, snapB);
    let scan = scanLog(Buffer.concat([first, patch]));
    expect(scan.snapshotGen).toBe(inlineSnapshot);
    expect(Buffer.from(scan.snapshot!).equals(snapA)).toBe(true);
    expect(Buffer.from(scan.state).equals(Buffer.from(raftState(6)))).toBe(true);
    scan = scanLog(Buffer.concat([first, patch, withB]));
    expect(Buffer.from(scan.snapshot!).equals(snapB)).toBe(true);
    expect(Buffer.from(scan.state).equals(Buffer.from(raftState(2)))).toBe(true);
    // Cut inside the record of snapshot B: the pair before it, A with state 6, whole.
    scan = scanLog(Buffer.concat([first, patch, withB.subarray(0, withB.length - 3)]));
    expect(scan.tornTail).toBeDefined();
    expect(Buffer.from(scan.snapshot!).equals(snapA)).toBe(true);
    expect(Buffer.from(scan.state).equals(Buffer.from(raftState(6)))).toBe(true);
  });

  test('a record that goes with a snapshot record when none came before it is damage', () => {
    const bytes = Buffer.concat([encodeLogFile(0, raftState(1)), encodeRecord(inlineSnapshot, raftState(2), null)]);
    expect(() => scanLog(bytes)).toThrow(LogDamage);
    expect(() => scanLog(bytes)).toThrow(/refers to a snapshot record, but none comes before it/);
  });

  test('a log cut anywhere inside its last record: that record is a torn tail, the ones before are kept', () => {
    const states = [raftState(50), raftState(51), raftState(52), raftState(10)]; // the last one a whole state
    const { bytes, offsets } = logOf(states);
    for (const lastIndex of [2, 3]) {
      const log = bytes.subarray(0, lastIndex === 3 ? bytes.length : offsets[3]);
      const lastStart = offsets[lastIndex]!;
      for (let cut = lastStart + 1; cut < log.length; cut++) {
        const scan = scanLog(log.subarray(0, cut));
        expect(scan.validBytes, `cut at ${cut}`).toBe(lastStart);
        expect(scan.tornTail, `cut at ${cut}`).toMatch(/less than a record header|announces \d+ bytes but only \d+ follow/);
        expect(Buffer.from(scan.state).equals(Buffer.from(states[lastIndex - 1]!)), `cut at ${cut}`).toBe(true);
      }
      // Cut exactly at a record's end: nothing torn.
      expect(scanLog(log.subarray(0, lastStart)).tornTail).toBeUndefined();
    }
  });

  test('a last record whose bytes are garbage (a power cut mid-write) is a torn tail too', () => {
    const states = [raftState(50), raftState(51), raftState(52)];
    const { bytes, offsets } = logOf(states);
    const zeroed = Buffer.from(bytes);
    zeroed.fill(0, offsets[2]! + recordHeaderBytes + 2);
    const scan = scanLog(zeroed);
    expect(scan.tornTail).toBe('the record fails its checksum');
    expect(scan.validBytes).toBe(offsets[2]);
  });

  test('damage in the middle is refused with its offset, wherever it hits a record', () => {
    const states = Array.from({ length: 6 }, (_, i) => raftState(40 + i));
    const { bytes, offsets } = logOf(states);
    for (let r = 0; r < offsets.length - 1; r++) {
      const start = offsets[r]!;
      const end = offsets[r + 1]!;
      for (const at of [start, start + 5, start + 12, start + 20, start + recordHeaderBytes, Math.floor((start + end) / 2), end - 1]) {
        const damaged = Buffer.from(bytes);
        damaged[at]! ^= 0x40;
        let error: unknown;
        try {
          scanLog(damaged);
        } catch (e) {
          error = e;
        }
        expect(error, `byte ${at} of record ${r} changed`).toBeInstanceOf(LogDamage);
        expect((error as LogDamage).offset).toBe(start);
        expect((error as LogDamage).message).toMatch(r === 0 ? /its first record is damaged/ : new RegExp(`record at offset ${start} is damaged .*intact record follows at offset \\d+`));
      }
    }
  });

  test('a file that is not a log is refused at offset 0', () => {
    expect(() => scanLog(Buffer.from('hello, this is not a log'))).toThrow(/does not start with the raftlab log marker/);
    expect(() => scanLog(Buffer.alloc(0))).toThrow(LogDamage);
  });

  test('a value that looks like a record, inside a torn record, is not taken for one', () => {
    // A client could put a value holding the bytes of a whole record; it lands in a record's payload.
    const inner = encodeRecord(0, Buffer.from('a record inside a value'), null);
    const states = [raftState(5), Buffer.concat([Buffer.from(raftState(5)), Buffer.alloc(300, 7), inner, Buffer.alloc(300, 9)])];
    const { bytes, offsets } = logOf(states);
    const torn = Buffer.from(bytes);
    torn[torn.length - 1]! ^= 0xff; // the last record fails its checksum, the record inside it would not
    const scan = scanLog(torn);
    expect(scan.validBytes).toBe(offsets[1]);
    expect(scan.tornTail).toBe('the record fails its checksum');
  });
});
