import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { encode, decode } from '../../persister/index.ts';
import { DamagedStateError, DataDirError, DiskPersister, DiskPersisterUsageError } from '../disk-persister.ts';
import { encodeLogFile, encodeRecord, scanLog } from '../state-log.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-persister-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;
function freshDir(): string {
  return path.join(root, `d${dirs++}`);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A snapshot file as an earlier raftlab wrote it: marker, generation, length, SHA-256, bytes. */
function legacySnapshotFile(gen: number, snapshot: Uint8Array): Buffer {
  const head = Buffer.alloc(48);
  head.write('RLABSN01', 0, 'latin1');
  head.writeUInt32BE(gen, 8);
  head.writeUInt32BE(snapshot.length, 12);
  createHash('sha256').update(snapshot).digest().copy(head, 16);
  return Buffer.concat([head, snapshot]);
}

describe('DiskPersister', () => {
  test('what Save wrote is read back after reopening', async () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir);
    expect(p.RaftStateSize()).toBe(0);
    expect(p.SnapshotSize()).toBe(0);
    p.Save(bytes('state-1'), bytes('snap-1'));
    p.Save(bytes('state-2'), bytes('snap-1'));
    expect(text(p.ReadRaftState())).toBe('state-2');
    await p.close();
    const q = DiskPersister.open(dir);
    expect(text(q.ReadRaftState())).toBe('state-2');
    expect(text(q.ReadSnapshot())).toBe('snap-1');
    expect(q.RaftStateSize()).toBe(7);
    expect(q.SnapshotSize()).toBe(6);
    await q.close();
  });

  test('a snapshot is written once, not on every Save', () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir, { durability: 'sync' });
    const snapshot = new Uint8Array(100_000);
    p.Save(bytes('a'), snapshot);
    const afterFirst = p.stats.bytesWritten;
    for (let i = 0; i < 10; i++) p.Save(bytes(`state ${i}`), snapshot);
    expect(p.stats.bytesWritten - afterFirst).toBeLessThan(2000);
    p.Save(bytes('b'), new Uint8Array(50_000).fill(1));
    expect(p.stats.snapshotRecords).toBe(2);
    // Snapshots travel in the log: no file of their own, no rename, no fsync of the folder.
    expect(fs.readdirSync(dir).sort()).toEqual(['LOCK', 'raft-log.bin']);
  });

  test('a folder of an earlier raftlab, whose log names a snapshot file, is read; the file goes once a newer snapshot is durable', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'raft-log.bin'), Buffer.concat([encodeLogFile(4, bytes('state one')), encodeRecord(4, bytes('state two'), null)]));
    fs.writeFileSync(path.join(dir, 'snapshot-4.bin'), legacySnapshotFile(4, bytes('snapshot four')));
    const p = DiskPersister.open(dir, { durability: 'sync' });
    expect(text(p.ReadRaftState())).toBe('state two');
    expect(text(p.ReadSnapshot())).toBe('snapshot four');
    p.Save(bytes('state three'), p.ReadSnapshot());
    expect(fs.existsSync(path.join(dir, 'snapshot-4.bin'))).toBe(true);
    p.Save(bytes('state four'), bytes('snapshot five'));
    expect(fs.readdirSync(dir).sort()).toEqual(['LOCK', 'raft-log.bin']);
    await p.close();
    const q = DiskPersister.open(dir);
    expect(text(q.ReadRaftState())).toBe('state four');
    expect(text(q.ReadSnapshot())).toBe('snapshot five');
    await q.close();
  });

  test('batch mode: output waits until the Saves before it are on disk', async () => {
    const p = DiskPersister.open(freshDir());
    expect(p.pass()).toBeUndefined();
    p.Save(bytes('x'), null);
    const gate = p.pass();
    expect(gate).toBeInstanceOf(Promise);
    await gate;
    expect(p.pass()).toBeUndefined();
    expect(p.stats.flushes).toBe(1);
    // Saves of one turn share a flush.
    for (let i = 0; i < 20; i++) p.Save(bytes(`y${i}`), null);
    await p.durable();
    expect(p.stats.flushes).toBe(2);
  });

  test('Save rejects what is not bytes, as the in-memory Persister does', () => {
    const p = DiskPersister.open(freshDir());
    expect(() => p.Save({ term: 1 } as unknown as Uint8Array, null)).toThrow(DiskPersisterUsageError);
  });

  test('leftovers of a save cut short are ignored and removed: the old pair is read', async () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir, { durability: 'sync' });
    p.Save(bytes('old state'), bytes('old snapshot'));
    await p.close();
    // As if killed after writing a new snapshot and before its record, and during a compaction.
    fs.writeFileSync(path.join(dir, 'snapshot-2.bin'), 'new snapshot, complete but named by no record');
    fs.writeFileSync(path.join(dir, 'raft-log.tmp'), 'half a compacted log');
    fs.writeFileSync(path.join(dir, 'snapshot-3.tmp'), 'half a snapshot');
    const q = DiskPersister.open(dir);
    expect(text(q.ReadRaftState())).toBe('old state');
    expect(text(q.ReadSnapshot())).toBe('old snapshot');
    expect(fs.readdirSync(dir).sort()).toEqual(['LOCK', 'raft-log.bin']);
  });

  test('kill -9 in the middle of saving, over and over: always the old or the new pair, never a mix, never less than acknowledged', async () => {
    const script = fileURLToPath(new URL('./fixtures/save-loop.ts', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    for (const mode of ['sync', 'batch']) {
      const dir = freshDir();
      let acknowledged = 0;
      for (let round = 0; round < 6; round++) {
        const child = spawn(process.execPath, ['--import', tsx, script, dir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
        const waitFor = 1 + Math.floor(Math.random() * 30);
        let seen = 0;
        let last = acknowledged;
        await new Promise<void>((resolve, reject) => {
          let buffered = '';
          child.stdout.on('data', (chunk: Buffer) => {
            buffered += chunk.toString();
            const lines = buffered.split('\n');
            buffered = lines.pop()!;
            for (const line of lines) {
              last = Number(line);
              if (++seen === waitFor) {
                child.kill('SIGKILL');
                resolve();
              }
            }
          });
          child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`save-loop exited with ${code}`))));
        });
        await new Promise((r) => child.once('exit', r));
        const p = DiskPersister.open(dir, { lock: false });
        const state = decode<{ i: number; snapTag: number }>(p.ReadRaftState());
        const snapshot = decode<{ tag: number }>(p.ReadSnapshot());
        expect(state.i, `${mode} round ${round}: state ${state.i} is older than the acknowledged ${last}`).toBeGreaterThanOrEqual(last);
        expect(snapshot.tag, `${mode} round ${round}: state ${state.i} came with snapshot ${snapshot.tag}, not ${state.snapTag}`).toBe(state.snapTag);
        acknowledged = state.i;
      }
      expect(acknowledged).toBeGreaterThan(6);
    }
  }, 60_000);

  test('a damaged log or snapshot: a clear error that names the file and says what to do', async () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir, { durability: 'sync' });
    p.Save(encode({ currentTerm: 3, log: ['a', 'b'] }), bytes('snap'));
    await p.close();
    const file = path.join(dir, 'raft-log.bin');
    const good = fs.readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0xff;
    fs.writeFileSync(file, flipped);
    // The only record was written with the file (before its rename): not a torn tail, damage.
    expect(() => DiskPersister.open(dir)).toThrow(DamagedStateError);
    expect(() => DiskPersister.open(dir)).toThrow(new RegExp(`${escape(file)} is damaged at offset 8: its first record is damaged \\(the record fails its checksum\\).*mv ${escape(dir)}`));
    fs.writeFileSync(file, good.subarray(0, good.length - 10));
    expect(() => DiskPersister.open(dir)).toThrow(/at offset 8: its first record is damaged \(the record announces/);
    fs.writeFileSync(file, 'hello, this is not a log file. '.repeat(4));
    expect(() => DiskPersister.open(dir)).toThrow(/at offset 0: it does not start with the raftlab log marker/);
    // A log of an earlier raftlab, naming a snapshot file that is damaged or gone.
    fs.writeFileSync(file, encodeLogFile(1, bytes('state')));
    const snapshotFile = path.join(dir, 'snapshot-1.bin');
    const snapshot = legacySnapshotFile(1, bytes('snap'));
    fs.writeFileSync(snapshotFile, Buffer.concat([snapshot.subarray(0, snapshot.length - 1), Buffer.from('X')]));
    expect(() => DiskPersister.open(dir)).toThrow(/snapshot-1\.bin is damaged: its checksum does not match/);
    fs.rmSync(snapshotFile);
    expect(() => DiskPersister.open(dir)).toThrow(/snapshot-1\.bin is damaged: raft-log\.bin names it but it cannot be read/);
  });

  test('a folder written by the earlier state-file format is refused with what to do', () => {
    const dir = freshDir();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'raft-state.bin'), 'an old state file');
    expect(() => DiskPersister.open(dir)).toThrow(/holds raft-state\.bin, the state file of an earlier raftlab.*lab cluster start --clean/);
  });

  test('recovery cuts a torn tail at any offset of the last record, keeps every record before it, and says so', async () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir, { durability: 'sync' });
    for (let i = 1; i <= 5; i++) p.Save(encode({ i, pad: 'x'.repeat(1000) }), bytes('snap'));
    const beforeLast = p.stats.logBytes;
    p.Save(encode({ i: 6, pad: 'x'.repeat(1000), more: 'y'.repeat(200) }), bytes('snap')); // a patch of ~250 bytes
    await p.close();
    const file = path.join(dir, 'raft-log.bin');
    const whole = fs.readFileSync(file);
    expect(whole.length).toBe(p.stats.logBytes);
    for (let cut = beforeLast + 1; cut < whole.length; cut++) {
      fs.writeFileSync(file, whole.subarray(0, cut));
      const lines: string[] = [];
      const q = DiskPersister.open(dir, { fsync: false, lock: false, log: (line) => lines.push(line) });
      expect(decode<{ i: number }>(q.ReadRaftState()).i, `cut at ${cut}`).toBe(5);
      expect(lines, `cut at ${cut}`).toEqual([expect.stringMatching(new RegExp(`^${escape(file)}: cut off a torn tail of ${cut - beforeLast} bytes at offset ${beforeLast} \\(.*\\).*Kept all 5 intact records`))]);
      expect(fs.statSync(file).size).toBe(beforeLast);
      await q.close();
    }
    // What comes next is appended after the intact records, and read back.
    const r = DiskPersister.open(dir, { durability: 'sync' });
    r.Save(encode({ i: 7 }), bytes('snap'));
    await r.close();
    const lines: string[] = [];
    const s = DiskPersister.open(dir, { log: (line) => lines.push(line) });
    expect(decode<{ i: number }>(s.ReadRaftState()).i).toBe(7);
    expect(text(s.ReadSnapshot())).toBe('snap');
    expect(lines).toEqual([]);
  });

  test('a log damaged in the middle: the node refuses to start, naming the file and the offset', async () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir, { durability: 'sync' });
    const offsets: number[] = [];
    for (let i = 1; i <= 4; i++) {
      offsets.push(p.stats.logBytes);
      p.Save(encode({ i, pad: 'x'.repeat(100 * i) }), null);
    }
    await p.close();
    const file = path.join(dir, 'raft-log.bin');
    const good = fs.readFileSync(file);
    const third = offsets[2]!;
    const damaged = Buffer.from(good);
    damaged[third + 30]! ^= 0x01;
    fs.writeFileSync(file, damaged);
    expect(() => DiskPersister.open(dir)).toThrow(DamagedStateError);
    expect(() => DiskPersister.open(dir)).toThrow(new RegExp(`^${escape(file)} is damaged at offset ${third}: the record at offset ${third} is damaged \\(the record fails its checksum\\), yet an intact record follows at offset ${offsets[3]}.*does not start`));
    // Refusing changed nothing: mended, the file opens with every record.
    expect(fs.readFileSync(file).equals(damaged)).toBe(true);
    fs.writeFileSync(file, good);
    expect(decode<{ i: number }>(DiskPersister.open(dir).ReadRaftState()).i).toBe(4);
  });

  test('group commit: concurrent Saves share flushes, one fsync each, and each waits for its own', async () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir);
    p.Save(encode({ writer: -1, n: 0, sequence: 0, log: 'x'.repeat(2000) }), null);
    await p.durable();
    const start = { ...p.stats };
    const file = path.join(dir, 'raft-log.bin');
    const saved: number[] = Array.from({ length: 8 }, () => 0);
    let sequence = 0;
    // Eight writers, as eight handlers answering: save, wait for the disk, check the disk has it.
    await Promise.all(
      saved.map(async (_, writer) => {
        for (let n = 1; n <= 25; n++) {
          const mine = ++sequence;
          const fsyncsBefore = p.stats.fsyncs;
          p.Save(encode({ writer, n, sequence: mine, log: 'x'.repeat(2000) }), null);
          await p.durable();
          expect(p.stats.fsyncs, `writer ${writer} save ${n}: told durable before an fsync ended`).toBeGreaterThan(fsyncsBefore);
          const onDisk = decode<{ sequence: number }>(scanLog(fs.readFileSync(file)).state).sequence;
          expect(onDisk, `writer ${writer} save ${n}: told durable, but the disk holds an older state`).toBeGreaterThanOrEqual(mine);
          saved[writer] = n;
          await new Promise((r) => setImmediate(r));
        }
      }),
    );
    const saves = p.stats.saves - start.saves;
    const flushes = p.stats.flushes - start.flushes;
    const fsyncs = p.stats.fsyncs - start.fsyncs;
    expect(saves).toBe(200);
    expect(fsyncs).toBe(flushes); // appends: one fdatasync per flush
    expect(flushes).toBeLessThanOrEqual(saves / 4);
    expect(p.stats.patchRecords - start.patchRecords).toBe(flushes);
    await p.close();
  });

  test('the log is compacted into one record once it grows past its limit', async () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir, { durability: 'sync', compactBytes: 4000 });
    for (let i = 0; i < 300; i++) p.Save(encode({ i, log: Array.from({ length: 20 + (i % 50) }, (_, k) => k) }), i % 100 === 99 ? encode({ snap: i }) : null);
    expect(p.stats.compactions).toBeGreaterThan(3);
    expect(fs.statSync(path.join(dir, 'raft-log.bin')).size).toBeLessThan(4000 + 1000);
    await p.close();
    const q = DiskPersister.open(dir);
    expect(decode<{ i: number }>(q.ReadRaftState()).i).toBe(299);
    expect(decode<{ snap: number }>(q.ReadSnapshot()).snap).toBe(299);
    expect(fs.readdirSync(dir).sort()).toEqual(['LOCK', 'raft-log.bin']);
  });

  test('a compaction carries the snapshot into the new log, when the snapshot did not change', async () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir, { durability: 'sync', compactBytes: 4000 });
    const snapshot = encode({ snap: 'kept across compactions' });
    for (let i = 0; i < 200; i++) p.Save(encode({ i, log: Array.from({ length: 20 + (i % 50) }, (_, k) => k) }), snapshot);
    expect(p.stats.compactions).toBeGreaterThan(2);
    expect(p.stats.snapshotRecords).toBe(p.stats.compactions); // each new log file (the first one too) carries it
    await p.close();
    const q = DiskPersister.open(dir);
    expect(decode<{ i: number }>(q.ReadRaftState()).i).toBe(199);
    expect(decode<{ snap: string }>(q.ReadSnapshot()).snap).toBe('kept across compactions');
    await q.close();
  });

  test('a folder that cannot be used: a clear error', () => {
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(() => DiskPersister.open(file)).toThrow(DataDirError);
    expect(() => DiskPersister.open(file)).toThrow(/cannot use .*a-file as a node's data folder: .*not a folder.*--data DIR/);
    expect(() => DiskPersister.open(path.join(file, 'node-0'))).toThrow(/a part of the path is a file, not a folder/);
  });

  test('a folder in use by another live process is refused', () => {
    const dir = freshDir();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'LOCK'), `${process.ppid}\n`);
    expect(() => DiskPersister.open(dir)).toThrow(/in use by another process \(pid \d+/);
  });

  test('a disk that fails under a running node stops its output and says why', async () => {
    const dir = freshDir();
    const failures: Error[] = [];
    const p = DiskPersister.open(dir, { onFailure: (e) => failures.push(e) });
    p.Save(bytes('one'), null);
    await p.durable();
    fs.rmSync(dir, { recursive: true });
    p.Save(bytes('two'), null);
    await expect(p.durable()).rejects.toThrow(/saving Raft state in .* failed: .*it stops/);
    expect(failures).toHaveLength(1);
    expect(() => p.Save(bytes('three'), null)).toThrow(/failed/);
  });
});
