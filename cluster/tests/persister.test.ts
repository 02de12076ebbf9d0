import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { encode, decode } from '../../persister/index.ts';
import { DamagedStateError, DataDirError, DiskPersister, DiskPersisterUsageError } from '../disk-persister.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-persister-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;
function freshDir(): string {
  return path.join(root, `d${dirs++}`);
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

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
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('snapshot-'))).toEqual(['snapshot-2.bin']);
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
    // As if killed after writing the new snapshot and half the new state file, before the rename.
    fs.writeFileSync(path.join(dir, 'snapshot-2.bin'), 'new snapshot, complete but not yet named by raft-state.bin');
    fs.writeFileSync(path.join(dir, 'raft-state.tmp'), 'half a state file');
    fs.writeFileSync(path.join(dir, 'snapshot-3.tmp'), 'half a snapshot');
    const q = DiskPersister.open(dir);
    expect(text(q.ReadRaftState())).toBe('old state');
    expect(text(q.ReadSnapshot())).toBe('old snapshot');
    expect(fs.readdirSync(dir).sort()).toEqual(['LOCK', 'raft-state.bin', 'snapshot-1.bin']);
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

  test('a damaged state file: a clear error that names it and says what to do', async () => {
    const dir = freshDir();
    const p = DiskPersister.open(dir, { durability: 'sync' });
    p.Save(encode({ currentTerm: 3, log: ['a', 'b'] }), bytes('snap'));
    await p.close();
    const file = path.join(dir, 'raft-state.bin');
    const good = fs.readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0xff;
    fs.writeFileSync(file, flipped);
    expect(() => DiskPersister.open(dir)).toThrow(DamagedStateError);
    expect(() => DiskPersister.open(dir)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged: its checksum does not match.*mv ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    fs.writeFileSync(file, good.subarray(0, good.length - 10));
    expect(() => DiskPersister.open(dir)).toThrow(/truncated or extended/);
    fs.writeFileSync(file, 'hello, this is not a state file. '.repeat(4));
    expect(() => DiskPersister.open(dir)).toThrow(/does not start with the raftlab state marker/);
    fs.writeFileSync(file, good);
    fs.rmSync(path.join(dir, 'snapshot-1.bin'));
    expect(() => DiskPersister.open(dir)).toThrow(/snapshot-1\.bin is damaged: raft-state\.bin names it but it cannot be read/);
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
