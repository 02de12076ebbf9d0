/**
 * A Persister on disk, with the API of persister/ (Save, ReadRaftState, RaftStateSize,
 * ReadSnapshot, SnapshotSize), that survives kill -9 at any instant.
 *
 * Files in the node's folder:
 *   raft-log.bin        an append-only log of the Raft state and its snapshots (format and
 *                       reading: state-log.ts)
 *   LOCK                the pid of the node using the folder
 * (and, in folders of an earlier raftlab, snapshot-<gen>.bin: a snapshot in a file of its own,
 * read while the log names it and removed once a newer snapshot is durable)
 *
 * Design. Save(raftstate, snapshot) hands over whole byte arrays, and Raft calls it on every Start
 * and every AppendEntries it accepts, so rewriting a state file each time (temp file, fsync,
 * rename, fsync of the folder) costs four disk round trips and the whole state in bytes. Instead
 * each flush appends one record to raft-log.bin with one durable write (the log is open with
 * O_DSYNC, so the write returns once the record is on disk; where there is no O_DSYNC, a write
 * and an fdatasync):
 * - a record is a diff: the pieces of the Raft state that changed since the last record (the
 *   new log entries, a new term or vote), found by comparing the two states block by block.
 *   When most of the state changed (the log was trimmed after a snapshot), the record holds the
 *   whole state instead;
 * - a new snapshot is written once, not on every Save: in the record of the flush that first
 *   sees it, together with the whole state (one record, one checksum, one durable write, like any
 *   flush; it does not stall the flushes around it). Later records say that their state goes
 *   with that snapshot;
 * - compaction: once the log outgrows max(4 MiB, 4 × (the state and the snapshot)), the next
 *   flush writes a new log holding one record of the state and its snapshot (temp file, fsync,
 *   rename, fsync of the folder) in its place. So the file stays small and a restart replays at
 *   most a few thousand small records.
 *
 * Recovery replays the records. A crash in the middle of a flush can leave its record cut
 * short: that torn tail is cut off and the node's log says so; it holds nothing anybody was
 * told (see batch mode). A record that fails its checksum while intact records follow it is
 * damage, not a crash: the node refuses to start, naming the file and the offset. (A record
 * damaged after its fsync, at the very end of the file, cannot be told from a torn one; that is
 * what the checksums of etcd's WAL cannot tell either.) Opening also removes leftover *.tmp files
 * and snapshot files the log does not name.
 *
 * Two durability modes:
 * - `sync`: Save returns once its record is on disk. Simple, and slow: Raft waits on the disk.
 * - `batch` (default): group commit. Save keeps the state in memory and schedules a flush at
 *   the end of the turn; all the Saves made until then go out together: one record (the latest
 *   state) and one durable write for all of them. A flush need not wait for the one before it
 *   to reach the disk: it is queued at once (two at most) and written right after it. Nothing this
 *   node says to another node leaves it before what it saved is on disk: the transport passes
 *   every frame through `pass()`, which waits for the flush. So a node killed with Saves not
 *   yet flushed restarts from an older state, and no other node has seen anything that depended
 *   on the lost ones: as if it had crashed just after its last flush. That is the rule Raft
 *   needs ("respond to RPCs only after persisting"), applied to every message at once. The one
 *   exception is a leader's AppendEntries requests, which leave before the flush with a
 *   LeaderCommit that counts only durable copies (commit-clamp.ts); answers to clients pass the
 *   gate too (kvnode.ts).
 *
 * `fsync: false` skips the fsyncs: a kill -9 loses nothing written (the kernel keeps it), but a
 * power cut may lose recent saves.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PersisterLike } from '../persister/index.ts';
import { LogDamage, diffState, encodeLogFile, encodeRecord, inlineSnapshot, scanLog, type LogScan } from './state-log.ts';
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
  /** Where recovery says what it did (a torn tail cut off); the node's log. */
  log?: (line: string) => void;
  /** Compact the log once it reaches this many bytes (default: max(4 MiB, 4 × the state)). */
  compactBytes?: number;
  /**
   * Testing only: a slow disk. Each append is held back before its write(2) (batch mode with
   * fsync on) for a time drawn once per DiskPersister, uniformly in 0..this many ms, so the
   * nodes of a cluster get disks of different speeds. A kill -9 loses what is not written yet:
   * this widens the window in which a crash finds Saves still in memory only, and lets fast
   * followers answer before a slow leader has written (default 0).
   */
  writeDelayMaxMs?: number;
}

/** The folder cannot be used (not a folder, not writable, locked by another node). */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/** A state file is damaged: the node refuses to start on it. The message names the file (and offset) and the way out. */
export class DamagedStateError extends Error {
  constructor(
    readonly file: string,
    why: string,
    readonly offset?: number,
  ) {
    const dir = path.dirname(file);
    super(
      `${file} is damaged${offset === undefined ? '' : ` at offset ${offset}`}: ${why}. This node cannot trust its saved Raft state, so it does not start. ` +
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

export const logFileName = 'raft-log.bin';
/** Where an earlier version of this Persister kept the state (a file rewritten on every flush). */
const legacyStateFileName = 'raft-state.bin';
const snapshotMagic = Buffer.from('RLABSN01', 'latin1');
const hashBytes = 32;
/** O_DSYNC: a write returns once its data (and the file size) is on disk, as write + fdatasync. */
const dsyncFlag: number | undefined = (fs.constants as Record<string, number | undefined>).O_DSYNC;
/** magic, generation u32, length u32, hash of the bytes. */
const snapshotHeaderBytes = 8 + 4 + 4 + hashBytes;
const defaultCompactBytes = 4 * 1024 * 1024;
/** The log is compacted once it holds this many states' worth of bytes (and defaultCompactBytes). */
const compactStates = 4;
/** Appends under way at once (see pump). */
const maxAppendsInFlight = 2;

const empty = new Uint8Array(0);

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Whether a record's snapshot field names a snapshot file (a folder of an earlier raftlab). */
function isFileGen(gen: number): boolean {
  return gen > 0 && gen !== inlineSnapshot;
}

function snapshotFileName(gen: number): string {
  return `snapshot-${gen}.bin`;
}

function decodeSnapshot(file: string, bytes: Buffer, gen: number): Uint8Array {
  if (bytes.length < snapshotHeaderBytes || !bytes.subarray(0, 8).equals(snapshotMagic)) {
    throw new DamagedStateError(file, 'it is not a raftlab snapshot file (wrong marker or truncated header)');
  }
  const length = bytes.readUInt32BE(12);
  if (bytes.readUInt32BE(8) !== gen || bytes.length !== snapshotHeaderBytes + length) {
    throw new DamagedStateError(file, `its header (generation ${bytes.readUInt32BE(8)}, ${length} bytes) does not match the file (generation ${gen}, ${bytes.length - snapshotHeaderBytes} bytes): truncated or misnamed`);
  }
  const snapshot = bytes.subarray(snapshotHeaderBytes);
  if (!sha256(snapshot).equals(bytes.subarray(16, snapshotHeaderBytes))) throw new DamagedStateError(file, 'its checksum does not match (bytes changed on disk)');
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
  /** Flushes done: each made every Save before it durable with one record. */
  flushes: number;
  /** Durable writes of the log (O_DSYNC writes or fdatasync calls) and fsyncs of new files and the folder (0 with fsync off). */
  fsyncs: number;
  /** Records appended as pieces of the state, as the whole state, and as the state with a new snapshot. */
  patchRecords: number;
  fullRecords: number;
  snapshotRecords: number;
  /** Times the log was rewritten as one record. */
  compactions: number;
  bytesWritten: number;
  /** Size of raft-log.bin. */
  logBytes: number;
  /** Milliseconds the last flush took. */
  lastFlushMs: number;
}

/** What one flush writes: the state as of `version`, as one record. */
interface FlushJob {
  version: number;
  snapshotVersion: number;
  raftstate: Uint8Array;
  snapshot: Uint8Array;
  snapshotChanged: boolean;
  gen: number;
  previousGen: number;
  /** Rewrite the log as this one record (first flush, or compaction) instead of appending it. */
  rewrite: boolean;
  record: Buffer;
}

export class DiskPersister implements PersisterLike, OutputGate {
  readonly dir: string;
  readonly durability: Durability;
  readonly fsync: boolean;
  readonly stats: PersisterStats = { saves: 0, flushes: 0, fsyncs: 0, patchRecords: 0, fullRecords: 0, snapshotRecords: 0, compactions: 0, bytesWritten: 0, logBytes: 0, lastFlushMs: 0 };

  private raftstate: Uint8Array = empty;
  private snapshot: Uint8Array = empty;
  /**
   * Counts Saves (version) and snapshot changes. The written ones are in the log (maybe not yet
   * on disk), the durable ones are on disk.
   */
  private version = 0;
  private writtenVersion = 0;
  private durableVersion = 0;
  private snapshotVersion = 0;
  private writtenSnapshotVersion = 0;
  /** The Raft state of the log's last record: what the next record is a diff against. */
  private writtenState: Uint8Array = empty;
  /**
   * The snapshot the log's last record names: 0 none, inlineSnapshot the one in the log, else
   * the generation of a snapshot file (a folder of an earlier raftlab).
   */
  private writtenGen = 0;
  /** raft-log.bin, open for appending; undefined until it exists. */
  private fd: number | undefined;
  /** A flush is scheduled for the end of this turn. */
  private scheduled = false;
  /** Appends whose fdatasync runs. */
  private appendsInFlight = 0;
  /** The appends under way, in order: the next one is written after it. */
  private appendTail: Promise<void> = Promise.resolve();
  /** A flush that must run alone runs (a new log file). */
  private exclusive = false;
  private failed: Error | undefined;
  /**
   * Appends are durable when their write returns (the log is open with O_DSYNC): one trip to
   * the thread pool per flush instead of two (a write, then an fdatasync), and under load each
   * trip waits for the event loop. Where O_DSYNC does not exist (Windows), write then fdatasync.
   */
  private readonly dsync: boolean;
  /** This disk's slowness (testing only, see writeDelayMaxMs). */
  private readonly writeDelayMs: number;
  private waiters: Waiter[] = [];
  private idleWaiters: (() => void)[] = [];

  private constructor(
    dir: string,
    private readonly options: DiskPersisterOptions,
  ) {
    this.dir = dir;
    this.durability = options.durability ?? 'batch';
    this.fsync = options.fsync ?? true;
    this.dsync = this.fsync && dsyncFlag !== undefined;
    this.writeDelayMs = Math.random() * (options.writeDelayMaxMs ?? 0);
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
    const logFile = path.join(this.dir, logFileName);
    let bytes: Buffer | undefined;
    try {
      bytes = fs.readFileSync(logFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataDirError(`cannot read ${logFile}: ${describeFsError(e)}`);
    }
    if (bytes === undefined && fs.existsSync(path.join(this.dir, legacyStateFileName))) {
      throw new DataDirError(
        `${this.dir} holds ${legacyStateFileName}, the state file of an earlier raftlab; this one keeps the state in ${logFileName} and cannot read it. ` +
          `Start the cluster afresh (lab cluster start --clean), or move the folder aside.`,
      );
    }
    if (bytes !== undefined) {
      let scan: LogScan;
      try {
        scan = scanLog(bytes);
      } catch (e) {
        if (e instanceof LogDamage) throw new DamagedStateError(logFile, e.message, e.offset);
        throw e;
      }
      if (scan.tornTail !== undefined) {
        // Cut it off before appending: new records must follow the intact ones directly.
        const fd = fs.openSync(logFile, 'r+');
        try {
          fs.ftruncateSync(fd, scan.validBytes);
          if (this.fsync) fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        this.options.log?.(
          `${logFile}: cut off a torn tail of ${bytes.length - scan.validBytes} bytes at offset ${scan.validBytes} (${scan.tornTail}): ` +
            `a save that a crash cut short, which nothing was told about. Kept all ${scan.records} intact records (Raft state of ${scan.state.length} bytes).`,
        );
      }
      this.raftstate = scan.state;
      this.writtenState = scan.state;
      this.writtenGen = scan.snapshotGen;
      if (scan.snapshotGen === inlineSnapshot) {
        this.snapshot = new Uint8Array(scan.snapshot!);
      } else if (scan.snapshotGen > 0) {
        const snapFile = path.join(this.dir, snapshotFileName(scan.snapshotGen));
        let snapBytes: Buffer;
        try {
          snapBytes = fs.readFileSync(snapFile);
        } catch (e) {
          throw new DamagedStateError(snapFile, `${logFileName} names it but it cannot be read (${describeFsError(e)})`);
        }
        this.snapshot = decodeSnapshot(snapFile, snapBytes, scan.snapshotGen);
      }
      this.fd = fs.openSync(logFile, this.logOpenFlags());
      this.stats.logBytes = scan.validBytes;
    }
    // Leftovers of a save cut short: temp files, and snapshots the log does not name.
    for (const name of fs.readdirSync(this.dir)) {
      const orphanSnapshot = /^snapshot-\d+\.bin$/.test(name) && !(isFileGen(this.writtenGen) && name === snapshotFileName(this.writtenGen));
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

  /**
   * Writes what is pending now, blocking: every Save in sync mode, and at close (once no flush
   * runs: each record is a diff against the one written before it).
   */
  private flushSync(): void {
    if (this.writtenVersion >= this.version || this.failed !== undefined) return;
    const started = performance.now();
    try {
      const job = this.job();
      this.writeSync(job);
      this.written(job);
      this.done(job, started);
    } catch (e) {
      this.fail(e);
      throw this.failed!;
    }
  }

  /** Waits for the flushes under way to end, writes what is pending, and closes the log. */
  async close(): Promise<void> {
    while (!this.idle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.flushSync();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private idle(): boolean {
    return !this.scheduled && this.appendsInFlight === 0 && !this.exclusive;
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current turn: Saves of the same turn (16 Starts answering 16 clients) share one flush.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /**
   * Group commit: each flush appends the latest state as one record and makes it durable with
   * one durable write (O_DSYNC; elsewhere a write and an fdatasync). Saves made while one runs
   * need not wait for it to end: their record is queued at once (up to maxAppendsInFlight) and
   * written right after it, holding every Save made meanwhile. A flush that replaces the log
   * file (the first one, a compaction) runs alone.
   *
   * With fsync on, the appends run off the main thread, one after the other (in the order of
   * their records): a durable write takes the disk's time, which must not stop Raft and the
   * network.
   */
  private pump(): void {
    while (this.failed === undefined && this.writtenVersion < this.version && !this.exclusive && this.appendsInFlight < maxAppendsInFlight) {
      const alone = this.fd === undefined || this.stats.logBytes >= this.compactAt();
      if (alone && this.appendsInFlight > 0) break; // pump runs again when they end
      const started = performance.now();
      let job: FlushJob;
      try {
        job = this.job();
        if (!alone && !this.fsync) this.appendSync(job.record);
        else if (!alone) this.checkLogFile();
      } catch (e) {
        this.fail(e);
        break;
      }
      if (alone) {
        this.exclusive = true;
        this.writeAloneAsync(job).then(
          () => {
            this.exclusive = false;
            this.written(job);
            this.done(job, started);
            this.pump();
          },
          (e: unknown) => {
            this.exclusive = false;
            this.fail(e);
            this.wakeIfIdle();
          },
        );
        break;
      }
      this.written(job);
      if (!this.fsync) {
        this.done(job, started);
        continue;
      }
      this.appendsInFlight++;
      const fd = this.fd!;
      const record = job.record;
      this.stats.logBytes += record.length;
      // After a failed append nothing more is written: a record must never follow a broken one.
      const appended = this.appendTail
        .then(() => this.writeDelay())
        .then(() => (this.failed === undefined ? writeAll(fd, record) : Promise.reject(this.failed)));
      this.appendTail = appended.catch(() => undefined);
      appended
        .then(() => (this.dsync ? undefined : new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e === null ? resolve() : reject(e))))))
        .then(
          () => {
            this.appendsInFlight--;
            this.stats.fsyncs++;
            this.done(job, started);
            this.pump();
            this.wakeIfIdle();
          },
          (e: unknown) => {
            this.appendsInFlight--;
            this.fail(e);
            this.wakeIfIdle();
          },
        );
    }
    this.wakeIfIdle();
  }

  /** How raft-log.bin is opened for appending: with O_DSYNC where each append must be durable. */
  private logOpenFlags(): number | string {
    if (!this.dsync) return 'a';
    const c = fs.constants;
    return c.O_WRONLY | c.O_APPEND | c.O_CREAT | dsyncFlag!;
  }

  /** See writeDelayMaxMs. */
  private writeDelay(): Promise<void> | undefined {
    if (this.writeDelayMs <= 0) return undefined;
    return new Promise((resolve) => setTimeout(resolve, this.writeDelayMs));
  }

  private wakeIfIdle(): void {
    if (this.idle()) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private compactAt(): number {
    return this.options.compactBytes ?? Math.max(defaultCompactBytes, compactStates * (this.raftstate.length + this.snapshot.length));
  }

  private job(): FlushJob {
    const snapshotChanged = this.snapshotVersion !== this.writtenSnapshotVersion;
    const gen = snapshotChanged ? (this.snapshot.length === 0 ? 0 : inlineSnapshot) : this.writtenGen;
    const rewrite = this.fd === undefined || this.stats.logBytes >= this.compactAt();
    // The snapshot goes in the record when it is new, or when a new log file must hold it.
    const carry = gen === inlineSnapshot && (snapshotChanged || rewrite) ? this.snapshot : undefined;
    const pieces = rewrite || carry !== undefined ? null : diffState(this.writtenState, this.raftstate);
    const record = rewrite ? encodeLogFile(gen, this.raftstate, carry) : encodeRecord(gen, this.raftstate, pieces, carry);
    if (carry !== undefined) this.stats.snapshotRecords++;
    else if (pieces === null) this.stats.fullRecords++;
    else this.stats.patchRecords++;
    return {
      version: this.version,
      snapshotVersion: this.snapshotVersion,
      raftstate: this.raftstate,
      snapshot: this.snapshot,
      snapshotChanged,
      gen,
      previousGen: this.writtenGen,
      rewrite,
      record,
    };
  }

  /** The job's record is in the log: the next one is a diff against it. */
  private written(job: FlushJob): void {
    this.writtenVersion = job.version;
    this.writtenSnapshotVersion = job.snapshotVersion;
    this.writtenState = job.raftstate;
    this.writtenGen = job.gen;
    this.stats.bytesWritten += job.record.length;
  }

  /** The job's record is on disk, and so is every record before it. */
  private done(job: FlushJob, startedMs: number): void {
    this.stats.flushes++;
    this.stats.lastFlushMs = performance.now() - startedMs;
    // fdatasyncs may end out of order; each covers every record written before it started.
    // A snapshot file of an earlier raftlab goes once a record naming another snapshot is durable.
    if (job.snapshotChanged && isFileGen(job.previousGen)) fs.rmSync(this.file(snapshotFileName(job.previousGen)), { force: true });
    if (job.version <= this.durableVersion) return;
    this.durableVersion = job.version;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.version <= this.durableVersion) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private fail(e: unknown): void {
    if (this.failed !== undefined) return;
    const error = new Error(`saving Raft state in ${this.dir} failed: ${describeFsError(e)}. The node cannot keep its promises without its disk; it stops. Free space or fix the folder, then restart it.`);
    this.failed = error;
    for (const w of this.waiters.splice(0)) w.reject(error);
    this.options.onFailure?.(error);
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  private writeSync(job: FlushJob): void {
    if (job.rewrite) {
      this.replaceSync(logFileName, job.record);
      this.syncDirSync();
      this.reopenLog(job.record.length);
    } else {
      this.appendSync(job.record);
      if (this.fsync) {
        if (!this.dsync) fs.fdatasyncSync(this.fd!);
        this.stats.fsyncs++;
      }
    }
  }

  /** A flush that replaces the log file with one holding this record. */
  private async writeAloneAsync(job: FlushJob): Promise<void> {
    if (job.rewrite) {
      await this.replaceAsync(logFileName, job.record);
      await this.syncDirAsync();
      this.reopenLog(job.record.length);
    } else {
      this.appendSync(job.record);
      if (this.fsync) {
        const fd = this.fd!;
        if (!this.dsync) await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e === null ? resolve() : reject(e))));
        this.stats.fsyncs++;
      }
    }
  }

  /**
   * Appends a record to the open log. A log removed under a running node (its folder deleted)
   * would take appends and lose them all at the next start: that is a failed disk.
   */
  private appendSync(record: Buffer): void {
    this.checkLogFile();
    writeAllSync(this.fd!, record);
    this.stats.logBytes += record.length;
  }

  /** The open log must still be in the folder (see appendSync). */
  private checkLogFile(): void {
    if (fs.fstatSync(this.fd!).nlink === 0) throw Object.assign(new Error(`${this.file(logFileName)} was removed`), { code: 'ENOENT' });
  }

  /** After the log was replaced by a new file: append to that one. */
  private reopenLog(size: number): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file(logFileName), this.logOpenFlags());
    this.stats.logBytes = size;
    this.stats.compactions++;
  }

  /** Write to name.tmp, fsync, rename over name: readers see the old file or the new, whole. */
  private replaceSync(name: string, bytes: Buffer): void {
    const final = this.file(name);
    const temp = `${final.replace(/\.bin$/, '')}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      writeAllSync(fd, bytes);
      if (this.fsync) {
        fs.fsyncSync(fd);
        this.stats.fsyncs++;
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, final);
    this.stats.bytesWritten += name === logFileName ? 0 : bytes.length;
  }

  private async replaceAsync(name: string, bytes: Buffer): Promise<void> {
    const final = this.file(name);
    const temp = `${final.replace(/\.bin$/, '')}.tmp`;
    const handle = await fs.promises.open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      if (this.fsync) {
        await handle.sync();
        this.stats.fsyncs++;
      }
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, final);
    this.stats.bytesWritten += name === logFileName ? 0 : bytes.length;
  }

  /** Makes the renames durable. Some systems cannot fsync a folder; there renames are already ordered. */
  private syncDirSync(): void {
    if (!this.fsync) return;
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.dir, 'r');
      fs.fsyncSync(fd);
      this.stats.fsyncs++;
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
      this.stats.fsyncs++;
    } catch (e) {
      if (!dirSyncUnsupported(e)) throw e;
    } finally {
      await handle?.close();
    }
  }
}

/** writeAllSync off the main thread. */
async function writeAll(fd: number, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    at += await new Promise<number>((resolve, reject) => fs.write(fd, bytes, at, bytes.length - at, null, (e, written) => (e === null ? resolve(written) : reject(e))));
  }
}

/** write(2) may write less than asked (a signal, a full disk): go on until all of it is written. */
function writeAllSync(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at, bytes.length - at);
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
