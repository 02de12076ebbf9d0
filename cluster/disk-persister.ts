/**
 * A Persister on disk, with the API of persister/ (Save, ReadRaftState, RaftStateSize,
 * ReadSnapshot, SnapshotSize), that survives kill -9 at any instant.
 *
 * Files in the node's folder:
 *   raft-state.bin      the Raft state, and which snapshot file goes with it (generation and hash)
 *   snapshot-<gen>.bin  a snapshot, written once per new snapshot (not on every Save)
 *   LOCK                the pid of the node using the folder
 *
 * One Save is made durable by (1) writing a new snapshot, if it changed, to snapshot-<gen+1>.tmp,
 * fsync, rename to snapshot-<gen+1>.bin; (2) writing raft-state.tmp, which names that snapshot,
 * fsync, rename over raft-state.bin; (3) fsync of the folder, so both renames are on disk;
 * (4) deleting the previous snapshot file. A crash before the rename in (2) leaves
 * raft-state.bin naming the old snapshot, which still exists: the old pair. After it, the new
 * pair is complete. Opening removes leftover *.tmp files and snapshot files that raft-state.bin
 * does not name. Both files carry a SHA-256 of their content, so a damaged or truncated file is
 * detected, named, and refused.
 *
 * Two durability modes:
 * - `sync`: Save returns once the steps above are done. Simple, and slow: two fsyncs per Save,
 *   and Raft saves on every Start and every AppendEntries it accepts.
 * - `batch` (default): Save keeps the pair in memory and schedules a flush; Saves made while a
 *   flush runs go out together in the next one. Nothing this node says leaves it before what it
 *   saved is on disk: the transport and the HTTP API pass every frame and response through
 *   `pass()`, which waits for the flush. So a node killed with Saves not yet flushed restarts
 *   from an older pair, and nobody has seen anything that depended on the lost ones: as if it
 *   had crashed just after its last flush. That is the rule Raft needs ("respond to RPCs only
 *   after persisting"), applied to every output at once (group commit).
 *
 * `fsync: false` skips the fsyncs: the files still change atomically, which is all kill -9
 * needs (the kernel keeps written data), but a power cut may lose recent saves.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PersisterLike } from '../persister/index.ts';
import type { OutputGate } from './transport.ts';

export type Durability = 'batch' | 'sync';

export interface DiskPersisterOptions {
  durability?: Durability;
  /** Default true; see the file comment. */
  fsync?: boolean;
  /** Told once if a flush fails (disk full, folder removed): the node should stop. */
  onFailure?: (error: Error) => void;
  /** Take the folder's LOCK (default true); a test reading a folder after a crash may skip it. */
  lock?: boolean;
}

/** The folder cannot be used (not a folder, not writable, locked by another node). */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/** A state file is damaged: the node refuses to start on it. The message names the file and the way out. */
export class DamagedStateError extends Error {
  constructor(
    readonly file: string,
    why: string,
  ) {
    const dir = path.dirname(file);
    super(
      `${file} is damaged: ${why}. This node cannot trust its saved Raft state, so it does not start. ` +
        `To recover, while the other nodes are up and have a leader: move this node's folder aside ` +
        `(mv ${dir} ${dir}.damaged) and start the node again; it rejoins empty and the leader sends it ` +
        `the log or a snapshot. Do that for one node at a time: a node that forgets its state also ` +
        `forgets its votes.`,
    );
    this.name = 'DamagedStateError';
  }
}

/** Save was given something that is not bytes (a bug in the caller, as with the in-memory Persister). */
export class DiskPersisterUsageError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'DiskPersisterUsageError';
  }
}

export const stateFileName = 'raft-state.bin';
const stateMagic = Buffer.from('RLABRS01', 'latin1');
const snapshotMagic = Buffer.from('RLABSN01', 'latin1');
const hashBytes = 32;
/** magic, snapshot generation u32, snapshot length u32, snapshot hash, raft length u32, checksum. */
const stateHeaderBytes = 8 + 4 + 4 + hashBytes + 4 + hashBytes;
/** magic, generation u32, length u32, hash of the bytes. */
const snapshotHeaderBytes = 8 + 4 + 4 + hashBytes;

const empty = new Uint8Array(0);

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function snapshotFileName(gen: number): string {
  return `snapshot-${gen}.bin`;
}

/** What raft-state.bin holds. */
interface StateImage {
  raftstate: Uint8Array;
  snapshotGen: number;
  snapshotLength: number;
  snapshotHash: Buffer;
}

function encodeState(image: StateImage): Buffer {
  const head = Buffer.alloc(stateHeaderBytes);
  stateMagic.copy(head, 0);
  head.writeUInt32BE(image.snapshotGen, 8);
  head.writeUInt32BE(image.snapshotLength, 12);
  image.snapshotHash.copy(head, 16);
  head.writeUInt32BE(image.raftstate.length, 16 + hashBytes);
  const checksum = sha256(head.subarray(8, 20 + hashBytes), image.raftstate);
  checksum.copy(head, 20 + hashBytes);
  return Buffer.concat([head, image.raftstate]);
}

function decodeState(file: string, bytes: Buffer): StateImage {
  if (bytes.length < stateHeaderBytes) throw new DamagedStateError(file, `it is ${bytes.length} bytes long, shorter than its ${stateHeaderBytes}-byte header (truncated)`);
  if (!bytes.subarray(0, 8).equals(stateMagic)) throw new DamagedStateError(file, 'it does not start with the raftlab state marker (not a raftlab file, or overwritten)');
  const raftLength = bytes.readUInt32BE(16 + hashBytes);
  if (bytes.length !== stateHeaderBytes + raftLength) {
    throw new DamagedStateError(file, `its header announces ${raftLength} bytes of Raft state but ${bytes.length - stateHeaderBytes} follow (truncated or extended)`);
  }
  const raftstate = bytes.subarray(stateHeaderBytes);
  const checksum = sha256(bytes.subarray(8, 20 + hashBytes), raftstate);
  if (!checksum.equals(bytes.subarray(20 + hashBytes, stateHeaderBytes))) throw new DamagedStateError(file, 'its checksum does not match its content (bytes changed on disk)');
  return {
    raftstate: new Uint8Array(raftstate),
    snapshotGen: bytes.readUInt32BE(8),
    snapshotLength: bytes.readUInt32BE(12),
    snapshotHash: Buffer.from(bytes.subarray(16, 16 + hashBytes)),
  };
}

function encodeSnapshot(gen: number, snapshot: Uint8Array, hash: Buffer): Buffer {
  const head = Buffer.alloc(snapshotHeaderBytes);
  snapshotMagic.copy(head, 0);
  head.writeUInt32BE(gen, 8);
  head.writeUInt32BE(snapshot.length, 12);
  hash.copy(head, 16);
  return Buffer.concat([head, snapshot]);
}

function decodeSnapshot(file: string, bytes: Buffer, expect: StateImage): Uint8Array {
  if (bytes.length < snapshotHeaderBytes || !bytes.subarray(0, 8).equals(snapshotMagic)) {
    throw new DamagedStateError(file, 'it is not a raftlab snapshot file (wrong marker or truncated header)');
  }
  const length = bytes.readUInt32BE(12);
  if (bytes.readUInt32BE(8) !== expect.snapshotGen || length !== expect.snapshotLength || bytes.length !== snapshotHeaderBytes + length) {
    throw new DamagedStateError(file, `its header or length (${bytes.length - snapshotHeaderBytes} bytes) is not the one ${stateFileName} names (${expect.snapshotLength} bytes)`);
  }
  const snapshot = bytes.subarray(snapshotHeaderBytes);
  if (!sha256(snapshot).equals(expect.snapshotHash) || !bytes.subarray(16, snapshotHeaderBytes).equals(expect.snapshotHash)) {
    throw new DamagedStateError(file, 'its checksum does not match (bytes changed on disk)');
  }
  return new Uint8Array(snapshot);
}

function toBytes(value: unknown, which: string): Uint8Array {
  if (value === null || value === undefined) return empty;
  if (!(value instanceof Uint8Array)) {
    const got = typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value;
    throw new DiskPersisterUsageError(`Persister.Save: ${which} must be a Uint8Array (or null), got ${got}.`);
  }
  return new Uint8Array(value); // a copy: the caller may reuse its array
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || (a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length)));
}

interface Waiter {
  version: number;
  resolve(): void;
  reject(e: Error): void;
}

export interface PersisterStats {
  saves: number;
  flushes: number;
  bytesWritten: number;
  /** Milliseconds the last flush took. */
  lastFlushMs: number;
}

export class DiskPersister implements PersisterLike, OutputGate {
  readonly dir: string;
  readonly durability: Durability;
  readonly fsync: boolean;
  readonly stats: PersisterStats = { saves: 0, flushes: 0, bytesWritten: 0, lastFlushMs: 0 };

  private raftstate: Uint8Array = empty;
  private snapshot: Uint8Array = empty;
  /** Counts Saves (version) and snapshot changes; the durable ones are what is on disk. */
  private version = 0;
  private durableVersion = 0;
  private snapshotVersion = 0;
  private durableSnapshotVersion = 0;
  /** Generation of the snapshot file raft-state.bin names (0: none). */
  private durableGen = 0;
  private durableHash: Buffer = sha256(empty);
  private flushing = false;
  private failed: Error | undefined;
  private waiters: Waiter[] = [];
  private idleWaiters: (() => void)[] = [];

  private constructor(
    dir: string,
    private readonly options: DiskPersisterOptions,
  ) {
    this.dir = dir;
    this.durability = options.durability ?? 'batch';
    this.fsync = options.fsync ?? true;
  }

  /**
   * Opens (creating if needed) the folder and reads what was saved. Throws DataDirError if the
   * folder is unusable, DamagedStateError if a file is damaged.
   */
  static open(dir: string, options: DiskPersisterOptions = {}): DiskPersister {
    const p = new DiskPersister(path.resolve(dir), options);
    p.prepareDir(options.lock ?? true);
    p.load();
    return p;
  }

  private prepareDir(lock: boolean): void {
    const dir = this.dir;
    const unusable = (why: string): DataDirError =>
      new DataDirError(`cannot use ${dir} as a node's data folder: ${why}. Choose a folder you can write (--data DIR), or fix its permissions.`);
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw unusable((e as NodeJS.ErrnoException).code === 'EEXIST' ? 'it exists and is not a folder' : describeFsError(e));
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(dir);
    } catch (e) {
      throw unusable(describeFsError(e));
    }
    if (!stat.isDirectory()) throw unusable('it exists and is not a folder');
    // Permission bits say little (root ignores them): try to write, as Save will.
    const probe = path.join(dir, '.write-probe.tmp');
    try {
      fs.writeFileSync(probe, 'probe');
      fs.unlinkSync(probe);
    } catch (e) {
      throw unusable(`it is not writable (${describeFsError(e)})`);
    }
    if (lock) this.lock();
  }

  /** One node per folder: two Rafts writing one state would corrupt it silently. */
  private lock(): void {
    const file = path.join(this.dir, 'LOCK');
    try {
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new DataDirError(`${this.dir} is in use by another process (pid ${pid}, see ${file}). Stop that node first, or give this one another folder; if no node runs there (the pid is some other program now), delete ${file}.`);
      }
    } catch (e) {
      if (e instanceof DataDirError) throw e;
      // No LOCK, or an unreadable one: take it.
    }
    fs.writeFileSync(file, `${process.pid}\n`);
  }

  private load(): void {
    const stateFile = path.join(this.dir, stateFileName);
    let bytes: Buffer | undefined;
    try {
      bytes = fs.readFileSync(stateFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataDirError(`cannot read ${stateFile}: ${describeFsError(e)}`);
    }
    if (bytes !== undefined) {
      const image = decodeState(stateFile, bytes);
      this.raftstate = image.raftstate;
      if (image.snapshotGen > 0) {
        const snapFile = path.join(this.dir, snapshotFileName(image.snapshotGen));
        let snapBytes: Buffer;
        try {
          snapBytes = fs.readFileSync(snapFile);
        } catch (e) {
          throw new DamagedStateError(snapFile, `${stateFileName} names it but it cannot be read (${describeFsError(e)})`);
        }
        this.snapshot = decodeSnapshot(snapFile, snapBytes, image);
      }
      this.durableGen = image.snapshotGen;
      this.durableHash = image.snapshotHash;
    }
    // Leftovers of a save cut short: temp files, and snapshots the state file does not name.
    for (const name of fs.readdirSync(this.dir)) {
      const orphanSnapshot = /^snapshot-\d+\.bin$/.test(name) && name !== snapshotFileName(this.durableGen);
      if (name.endsWith('.tmp') || orphanSnapshot) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  // --- PersisterLike -------------------------------------------------------------------------

  /** Replaces the Raft state and the snapshot together (null or empty: none). */
  Save(raftstate: Uint8Array | null, snapshot: Uint8Array | null): void {
    if (this.failed !== undefined) throw this.failed;
    const raft = toBytes(raftstate, 'raftstate');
    const incoming = snapshot ?? empty;
    if (!(incoming instanceof Uint8Array)) toBytes(incoming, 'snapshot'); // throws the usage error
    if (!sameBytes(incoming, this.snapshot)) {
      this.snapshot = toBytes(incoming, 'snapshot');
      this.snapshotVersion++;
    }
    this.raftstate = raft;
    this.version++;
    this.stats.saves++;
    if (this.durability === 'sync') this.flushSync();
    else this.scheduleFlush();
  }

  ReadRaftState(): Uint8Array {
    return this.raftstate.slice();
  }

  RaftStateSize(): number {
    return this.raftstate.length;
  }

  ReadSnapshot(): Uint8Array {
    return this.snapshot.slice();
  }

  SnapshotSize(): number {
    return this.snapshot.length;
  }

  // --- durability ------------------------------------------------------------------------------

  /** OutputGate: undefined when every Save is on disk, else a promise for that moment. */
  pass(): Promise<void> | undefined {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.durableVersion >= this.version) return undefined;
    const version = this.version;
    return new Promise<void>((resolve, reject) => this.waiters.push({ version, resolve, reject }));
  }

  /** Resolves once every Save so far is on disk (at once in sync mode). */
  durable(): Promise<void> {
    return this.pass() ?? Promise.resolve();
  }

  /** Writes what is pending now, blocking; for shutdown. */
  flushSync(): void {
    if (this.durableVersion >= this.version || this.failed !== undefined) return;
    const job = this.job();
    const started = performance.now();
    try {
      this.writeSync(job);
    } catch (e) {
      this.fail(e);
      throw this.failed!;
    }
    this.done(job, started);
  }

  /** Waits for a running flush to end (and pending Saves to be written). */
  async close(): Promise<void> {
    while (this.flushing) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.flushSync();
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    // After the current turn: Saves of the same turn (16 Starts answering 16 clients) share one flush.
    setImmediate(() => void this.flushLoop());
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.durableVersion < this.version && this.failed === undefined) {
        const job = this.job();
        const started = performance.now();
        await this.writeAsync(job);
        this.done(job, started);
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.flushing = false;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private job(): FlushJob {
    const snapshotChanged = this.snapshotVersion !== this.durableSnapshotVersion;
    const gen = snapshotChanged ? (this.snapshot.length === 0 ? 0 : this.durableGen + 1) : this.durableGen;
    const hash = snapshotChanged ? sha256(this.snapshot) : this.durableHash;
    return {
      version: this.version,
      snapshotVersion: this.snapshotVersion,
      raftstate: this.raftstate,
      snapshot: this.snapshot,
      snapshotChanged,
      gen,
      hash,
      previousGen: this.durableGen,
    };
  }

  private done(job: FlushJob, startedMs: number): void {
    this.durableVersion = job.version;
    this.durableSnapshotVersion = job.snapshotVersion;
    this.durableGen = job.gen;
    this.durableHash = job.hash;
    this.stats.flushes++;
    this.stats.lastFlushMs = performance.now() - startedMs;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.version <= this.durableVersion) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private fail(e: unknown): void {
    const error = new Error(`saving Raft state in ${this.dir} failed: ${describeFsError(e)}. The node cannot keep its promises without its disk; it stops. Free space or fix the folder, then restart it.`);
    this.failed = error;
    for (const w of this.waiters.splice(0)) w.reject(error);
    this.options.onFailure?.(error);
  }

  private stateBytes(job: FlushJob): Buffer {
    return encodeState({ raftstate: job.raftstate, snapshotGen: job.gen, snapshotLength: job.snapshot.length, snapshotHash: job.hash });
  }

  private writeSync(job: FlushJob): void {
    if (job.snapshotChanged && job.gen > 0) this.replaceSync(snapshotFileName(job.gen), encodeSnapshot(job.gen, job.snapshot, job.hash));
    this.replaceSync(stateFileName, this.stateBytes(job));
    this.syncDirSync();
    if (job.snapshotChanged && job.previousGen > 0) fs.rmSync(path.join(this.dir, snapshotFileName(job.previousGen)), { force: true });
  }

  private async writeAsync(job: FlushJob): Promise<void> {
    if (job.snapshotChanged && job.gen > 0) await this.replaceAsync(snapshotFileName(job.gen), encodeSnapshot(job.gen, job.snapshot, job.hash));
    await this.replaceAsync(stateFileName, this.stateBytes(job));
    await this.syncDirAsync();
    if (job.snapshotChanged && job.previousGen > 0) await fs.promises.rm(path.join(this.dir, snapshotFileName(job.previousGen)), { force: true });
  }

  /** Write to name.tmp, fsync, rename over name: readers see the old file or the new, whole. */
  private replaceSync(name: string, bytes: Buffer): void {
    const final = path.join(this.dir, name);
    const temp = `${final.replace(/\.bin$/, '')}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, bytes);
      if (this.fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, final);
    this.stats.bytesWritten += bytes.length;
  }

  private async replaceAsync(name: string, bytes: Buffer): Promise<void> {
    const final = path.join(this.dir, name);
    const temp = `${final.replace(/\.bin$/, '')}.tmp`;
    const handle = await fs.promises.open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      if (this.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, final);
    this.stats.bytesWritten += bytes.length;
  }

  /** Makes the renames durable. Some systems cannot fsync a folder; there renames are already ordered. */
  private syncDirSync(): void {
    if (!this.fsync) return;
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.dir, 'r');
      fs.fsyncSync(fd);
    } catch (e) {
      if (!dirSyncUnsupported(e)) throw e;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  private async syncDirAsync(): Promise<void> {
    if (!this.fsync) return;
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(this.dir, 'r');
      await handle.sync();
    } catch (e) {
      if (!dirSyncUnsupported(e)) throw e;
    } finally {
      await handle?.close();
    }
  }
}

interface FlushJob {
  version: number;
  snapshotVersion: number;
  raftstate: Uint8Array;
  snapshot: Uint8Array;
  snapshotChanged: boolean;
  gen: number;
  hash: Buffer;
  previousGen: number;
}

function dirSyncUnsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EBADF';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const hints: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file of that name exists',
    ENOENT: 'the folder was removed',
  };
  const hint = err.code !== undefined ? hints[err.code] : undefined;
  return hint !== undefined ? `${hint} (${err.code})` : (err.message ?? String(e));
}
