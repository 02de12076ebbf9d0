import { encode as encodeValue, decode as decodeValue } from '../labrpc/index.ts';

/** Save was given something that is not bytes. */
export class PersisterUsageError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'PersisterUsageError';
  }
}

/** The interface Raft and the KV server see; a disk-backed one runs the same code for real. */
export interface PersisterLike {
  Save(raftstate: Uint8Array | null, snapshot: Uint8Array | null): void;
  ReadRaftState(): Uint8Array;
  RaftStateSize(): number;
  ReadSnapshot(): Uint8Array;
  SnapshotSize(): number;
}

const empty = new Uint8Array(0);

/**
 * Holds Raft's persistent state and the service's snapshot, as 6.5840's Persister (2023 API):
 * `Save` replaces both at once, reads return copies, and `Copy` gives a new Persister that
 * shares the current bytes (safe, because stored arrays are never changed in place).
 */
export class Persister implements PersisterLike {
  private raftstate: Uint8Array = empty;
  private snapshot: Uint8Array = empty;

  /** A new Persister holding the same state; the tester uses it to keep a crashed server's state. */
  Copy(): Persister {
    const copy = new Persister();
    copy.raftstate = this.raftstate;
    copy.snapshot = this.snapshot;
    return copy;
  }

  /** Replaces the Raft state and the snapshot together. Pass null (or empty) for no snapshot: that erases an older one. */
  Save(raftstate: Uint8Array | null, snapshot: Uint8Array | null): void {
    this.raftstate = cloneBytes(raftstate, 'raftstate');
    this.snapshot = cloneBytes(snapshot, 'snapshot');
  }

  /** A copy of the saved Raft state; empty (length 0) if nothing was saved. */
  ReadRaftState(): Uint8Array {
    return this.raftstate.slice();
  }

  RaftStateSize(): number {
    return this.raftstate.length;
  }

  /** A copy of the saved snapshot; empty (length 0) if none. */
  ReadSnapshot(): Uint8Array {
    return this.snapshot.slice();
  }

  SnapshotSize(): number {
    return this.snapshot.length;
  }
}

function cloneBytes(value: unknown, which: string): Uint8Array {
  if (value === null || value === undefined) return empty;
  if (!(value instanceof Uint8Array)) {
    const got = typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
    throw new PersisterUsageError(
      `Persister.Save: ${which} must be a Uint8Array (or null), got ${got}. Turn your state into bytes first: Save(encode({ currentTerm, votedFor, log }), snapshot).`,
    );
  }
  // A copy into a plain Uint8Array: a Buffer (what v8.serialize and so encode() return) is a
  // Uint8Array whose slice() is a view sharing memory, not a copy.
  return new Uint8Array(value);
}

/** Turns plain data (objects, arrays, numbers, strings, Uint8Array, Map...) into bytes for Save. */
export function encode(value: unknown): Uint8Array {
  return encodeValue(value, 'persisted state');
}

/** Turns bytes made by `encode` back into the value. */
export function decode<T = unknown>(bytes: Uint8Array): T {
  return decodeValue<T>(bytes);
}
