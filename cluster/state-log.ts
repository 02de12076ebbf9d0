/**
 * The format of a node's append-only state log (`raft-log.bin`), and the pure functions that
 * write and read it. The file is what disk-persister.ts appends to; nothing here touches a file.
 *
 * File: an 8-byte marker, then records, one per flush:
 *
 *   offset  size  field
 *   0       4     record marker "RLRC"
 *   4       1     kind: 1 = full (the payload is the whole Raft state), 2 = patch,
 *                 3 = full with its snapshot
 *   5       3     zero
 *   8       4     the snapshot that goes with this state: 0 none, 0xffffffff the one in the
 *                 last kind-3 record (the record itself, for kind 3), else the generation of a
 *                 snapshot file (logs of an earlier raftlab)
 *   12      4     payload length
 *   16      4     CRC-32 of the payload
 *   20      4     CRC-32 of bytes 0..19 (so a damaged length is caught before it is believed)
 *   24      ...   payload
 *
 * A patch payload turns the state of the record before into the new one: the new length, then
 * pieces (offset, length, bytes) to write over it. Raft's state changes little from one flush to
 * the next (a few log entries appended, a term or a vote changed), and an encoder writes what
 * did not change at the same offsets, so the pieces are small: diffState compares the two states
 * block by block and keeps the blocks that differ, plus whatever lies past the old end. When the
 * pieces would be more than half the new state (the log was trimmed after a snapshot, and
 * everything moved), a full record is written instead.
 *
 * A new snapshot travels in the log too, in a kind-3 record: the payload is the state's length,
 * the state, then the snapshot. One record holds both, so one checksum makes the pair atomic and
 * one fdatasync makes it durable, as for any other flush (no file to create, rename and sync).
 *
 * Reading (scanLog) replays the records in order. The first record that is cut short or fails a
 * checksum ends the scan; it is a torn tail (a flush a crash cut short, which nobody was told
 * about) if no whole record follows it anywhere in the file, and damage otherwise: records that
 * were acknowledged come after it, and the node must not start without them.
 */
import * as zlib from 'node:zlib';

export const logMagic = Buffer.from('RLABLOG1', 'latin1');
export const recordMarker = 0x524c5243; // "RLRC"
export const recordHeaderBytes = 24;
export const recordKindFull = 1;
export const recordKindPatch = 2;
export const recordKindSnapshot = 3;
/** The snapshot field of a record whose snapshot is the one of the last kind-3 record. */
export const inlineSnapshot = 0xffffffff;
/** Bytes a patch piece costs beyond its data (offset and length). */
const pieceHeaderBytes = 8;
/** Differing blocks closer than this are sent as one piece: cheaper than a second piece header. */
const mergeGapBytes = 16;
/** Compare in chunks of this size first, then refine the chunks that differ. */
const coarseBytes = 4096;
const fineBytes = 64;

const crc32: (data: Uint8Array) => number = zlib.crc32 ?? crc32Fallback;

/** A piece of a patch: `data` goes at `offset` of the new state. */
export interface Piece {
  offset: number;
  data: Uint8Array;
}

/** What one record says: the state after it, as a whole or as pieces over the one before. */
export type RecordBody =
  | { kind: 'full'; state: Uint8Array }
  | { kind: 'patch'; length: number; pieces: Piece[] }
  | { kind: 'snapshot'; state: Uint8Array; snapshot: Uint8Array };

/**
 * The pieces that turn `old` into `next`, or null if a full record would be about as small.
 * Every byte of `next` that differs from `old` (or lies past old's end) is in some piece.
 */
export function diffState(old: Uint8Array, next: Uint8Array): Piece[] | null {
  const a = Buffer.from(old.buffer, old.byteOffset, old.length);
  const b = Buffer.from(next.buffer, next.byteOffset, next.length);
  const common = Math.min(a.length, b.length);
  const budget = next.length / 2;
  const ranges: [number, number][] = [];
  let cost = 0;
  const add = (from: number, to: number): boolean => {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && from - last[1] <= mergeGapBytes) {
      cost += to - last[1];
      last[1] = to;
    } else {
      ranges.push([from, to]);
      cost += pieceHeaderBytes + to - from;
    }
    return cost <= budget;
  };
  for (let chunk = 0; chunk < common; chunk += coarseBytes) {
    const chunkEnd = Math.min(chunk + coarseBytes, common);
    if (a.compare(b, chunk, chunkEnd, chunk, chunkEnd) === 0) continue;
    for (let block = chunk; block < chunkEnd; block += fineBytes) {
      const blockEnd = Math.min(block + fineBytes, chunkEnd);
      if (a.compare(b, block, blockEnd, block, blockEnd) === 0) continue;
      let first = block;
      while (a[first] === b[first]) first++;
      let last = blockEnd;
      while (a[last - 1] === b[last - 1]) last--;
      if (!add(first, last)) return null;
    }
  }
  if (b.length > common && !add(common, b.length)) return null;
  return ranges.map(([from, to]) => ({ offset: from, data: b.subarray(from, to) }));
}

/**
 * One record, ready to append: the state with its snapshot when `snapshot` is given (kind 3,
 * whose snapshot field is always inlineSnapshot), else a patch when `pieces` is given, else the
 * whole state.
 */
export function encodeRecord(snapshotGen: number, state: Uint8Array, pieces: Piece[] | null, snapshot?: Uint8Array): Buffer {
  let payload: Buffer;
  if (snapshot !== undefined) {
    payload = Buffer.allocUnsafe(4 + state.length + snapshot.length);
    payload.writeUInt32BE(state.length, 0);
    payload.set(state, 4);
    payload.set(snapshot, 4 + state.length);
  } else if (pieces === null) {
    payload = Buffer.from(state.buffer, state.byteOffset, state.length);
  } else {
    let size = 4;
    for (const p of pieces) size += pieceHeaderBytes + p.data.length;
    payload = Buffer.allocUnsafe(size);
    payload.writeUInt32BE(state.length, 0);
    let at = 4;
    for (const p of pieces) {
      payload.writeUInt32BE(p.offset, at);
      payload.writeUInt32BE(p.data.length, at + 4);
      payload.set(p.data, at + pieceHeaderBytes);
      at += pieceHeaderBytes + p.data.length;
    }
  }
  const record = Buffer.allocUnsafe(recordHeaderBytes + payload.length);
  record.writeUInt32BE(recordMarker, 0);
  record.writeUInt32BE(0, 4);
  record[4] = snapshot !== undefined ? recordKindSnapshot : pieces === null ? recordKindFull : recordKindPatch;
  record.writeUInt32BE(snapshot !== undefined ? inlineSnapshot : snapshotGen, 8);
  record.writeUInt32BE(payload.length, 12);
  record.writeUInt32BE(crc32(payload), 16);
  record.writeUInt32BE(crc32(record.subarray(0, 20)), 20);
  record.set(payload, recordHeaderBytes);
  return record;
}

/** A new log file's bytes: the marker and one full record (with the snapshot, when given). */
export function encodeLogFile(snapshotGen: number, state: Uint8Array, snapshot?: Uint8Array): Buffer {
  return Buffer.concat([logMagic, encodeRecord(snapshotGen, state, null, snapshot)]);
}

/** A record read back whole: its place in the file and what it says. */
interface ParsedRecord {
  end: number;
  snapshotGen: number;
  body: RecordBody;
}

/**
 * Why the bytes at some offset are not a whole, intact record. `resumeAt`: where another record
 * could start, past this one's announced end when its header is intact (so that bytes inside its
 * payload, a value a client wrote, are never mistaken for a record).
 */
interface Problem {
  problem: string;
  resumeAt: number;
}

/** Reads the record at `at`, or says why it is not a whole, intact record. */
function parseRecord(bytes: Buffer, at: number): ParsedRecord | Problem {
  const left = bytes.length - at;
  const bad = (problem: string, resumeAt = at + 1): Problem => ({ problem, resumeAt });
  if (left < recordHeaderBytes) return bad(`only ${left} bytes remain, less than a record header (${recordHeaderBytes})`);
  if (bytes.readUInt32BE(at) !== recordMarker) return bad('no record marker');
  if (crc32(bytes.subarray(at, at + 20)) !== bytes.readUInt32BE(at + 20)) return bad('the record header fails its checksum');
  const kind = bytes[at + 4];
  if (kind !== recordKindFull && kind !== recordKindPatch && kind !== recordKindSnapshot) return bad(`unknown record kind ${String(kind)}`);
  const length = bytes.readUInt32BE(at + 12);
  const end = at + recordHeaderBytes + length;
  if (end > bytes.length) return bad(`the record announces ${length} bytes but only ${left - recordHeaderBytes} follow`, bytes.length);
  const payload = bytes.subarray(at + recordHeaderBytes, end);
  if (crc32(payload) !== bytes.readUInt32BE(at + 16)) return bad('the record fails its checksum', end);
  const snapshotGen = bytes.readUInt32BE(at + 8);
  if (kind === recordKindFull) return { end, snapshotGen, body: { kind: 'full', state: payload } };
  if (kind === recordKindSnapshot) {
    const stateLength = payload.length >= 4 ? payload.readUInt32BE(0) : -1;
    if (stateLength < 0 || 4 + stateLength > payload.length) return bad('a snapshot record whose state does not fit in it', end);
    return { end, snapshotGen, body: { kind: 'snapshot', state: payload.subarray(4, 4 + stateLength), snapshot: payload.subarray(4 + stateLength) } };
  }
  if (payload.length < 4) return bad('a patch record too short to hold its length', end);
  const pieces: Piece[] = [];
  const newLength = payload.readUInt32BE(0);
  for (let p = 4; p < payload.length; ) {
    if (p + pieceHeaderBytes > payload.length) return bad('a patch piece is cut short', end);
    const offset = payload.readUInt32BE(p);
    const size = payload.readUInt32BE(p + 4);
    if (p + pieceHeaderBytes + size > payload.length || offset + size > newLength) return bad('a patch piece lies outside its record or its state', end);
    pieces.push({ offset, data: payload.subarray(p + pieceHeaderBytes, p + pieceHeaderBytes + size) });
    p += pieceHeaderBytes + size;
  }
  return { end, snapshotGen, body: { kind: 'patch', length: newLength, pieces } };
}

/** A state being rebuilt from records: a buffer with room to grow, and the length in use. */
class GrowingState {
  private bytes = Buffer.alloc(0);
  length = 0;

  apply(body: RecordBody): void {
    if (body.kind !== 'patch') {
      this.reserve(body.state.length, false);
      this.bytes.set(body.state, 0);
      this.length = body.state.length;
      return;
    }
    this.reserve(body.length, true);
    for (const piece of body.pieces) this.bytes.set(piece.data, piece.offset);
    this.length = body.length;
  }

  private reserve(length: number, keep: boolean): void {
    if (length <= this.bytes.length) return;
    const grown = Buffer.alloc(Math.max(length, this.bytes.length * 2));
    if (keep) this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  result(): Uint8Array {
    return new Uint8Array(this.bytes.subarray(0, this.length));
  }
}

/** What scanLog found in a log file. */
export interface LogScan {
  state: Uint8Array;
  /** The snapshot that goes with the state: 0 none, inlineSnapshot `snapshot`, else a file's generation. */
  snapshotGen: number;
  /** The snapshot of the last kind-3 record, when snapshotGen is inlineSnapshot. */
  snapshot?: Uint8Array;
  /** The highest snapshot generation any record names (new snapshots get higher ones). */
  maxSnapshotGen: number;
  records: number;
  /** Where the intact records end: the file is cut here (before appending) if it is longer. */
  validBytes: number;
  /** Set when a torn tail follows the intact records: why its first record is not whole. */
  tornTail?: string;
}

/** The log cannot be trusted: a damaged record with intact ones after it, or a bad file start. */
export class LogDamage extends Error {
  constructor(
    readonly offset: number,
    why: string,
  ) {
    super(why);
    this.name = 'LogDamage';
  }
}

/** Replays a log file's records; throws LogDamage if it is damaged anywhere but at its tail. */
export function scanLog(bytes: Buffer): LogScan {
  if (bytes.length < logMagic.length || !bytes.subarray(0, logMagic.length).equals(logMagic)) {
    throw new LogDamage(0, 'it does not start with the raftlab log marker (not a raftlab log, or overwritten)');
  }
  const state = new GrowingState();
  let at = logMagic.length;
  let records = 0;
  let snapshotGen = 0;
  let maxSnapshotGen = 0;
  let snapshot: Uint8Array | undefined;
  while (at < bytes.length) {
    const parsed = parseRecord(bytes, at);
    if ('problem' in parsed) {
      // The first record was written with the file, whole, before the file got its name: a
      // crash cannot have cut it short.
      if (records === 0) throw new LogDamage(at, `its first record is damaged (${parsed.problem})`);
      const next = findIntactRecord(bytes, parsed.resumeAt);
      if (next !== -1) throw new LogDamage(at, `the record at offset ${at} is damaged (${parsed.problem}), yet an intact record follows at offset ${next}`);
      return { state: state.result(), snapshotGen, snapshot, maxSnapshotGen, records, validBytes: at, tornTail: parsed.problem };
    }
    if (parsed.body.kind === 'patch' && records === 0) throw new LogDamage(at, 'its first record is a patch, with no state before it to patch');
    if (parsed.body.kind === 'snapshot') snapshot = parsed.body.snapshot;
    else if (parsed.snapshotGen === inlineSnapshot && snapshot === undefined) {
      throw new LogDamage(at, 'a record refers to a snapshot record, but none comes before it');
    }
    state.apply(parsed.body);
    snapshotGen = parsed.snapshotGen;
    if (snapshotGen !== inlineSnapshot) maxSnapshotGen = Math.max(maxSnapshotGen, snapshotGen);
    records++;
    at = parsed.end;
  }
  return { state: state.result(), snapshotGen, snapshot, maxSnapshotGen, records, validBytes: at };
}

/** The offset of the first whole, intact record at or after `from`, or -1. */
function findIntactRecord(bytes: Buffer, from: number): number {
  const marker = Buffer.alloc(4);
  marker.writeUInt32BE(recordMarker, 0);
  for (let at = bytes.indexOf(marker, from); at !== -1; at = bytes.indexOf(marker, at + 1)) {
    if (!('problem' in parseRecord(bytes, at))) return at;
  }
  return -1;
}

let crcTable: Int32Array | undefined;

/** CRC-32 (the zlib polynomial), for a Node without zlib.crc32 (before 20.15). */
function crc32Fallback(data: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
