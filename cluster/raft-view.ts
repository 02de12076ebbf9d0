/**
 * What /status can say about a Raft without changing raft.ts. GetState() is the only contract
 * (term, and whether it leads); the rest is read, best effort, from fields named as in the
 * paper's Figure 2, which most Rafts (the reference included) use: commitIndex, lastApplied,
 * log, and a snapshot index (lastIncludedIndex, snapshotIndex...). A field that is missing or not
 * a number shows as null: the node works the same, /status just knows less.
 */

export type Role = 'leader' | 'candidate' | 'follower';

export interface RaftView {
  term: number;
  isLeader: boolean;
  /** From a `role`/`state` field when there is one; otherwise leader or follower from GetState. */
  role: Role;
  lastLogIndex: number | null;
  commitIndex: number | null;
  appliedIndex: number | null;
  snapshotIndex: number | null;
  votedFor: number | null;
}

interface HasGetState {
  GetState(): [number, boolean];
}

const snapshotIndexNames = ['lastIncludedIndex', 'snapshotIndex', 'lastSnapshotIndex', 'snapshotLastIndex', 'lastIncludedIdx'];
const roleNames = ['role', 'state', 'status'];

function field(raft: object, name: string): unknown {
  return (raft as Record<string, unknown>)[name];
}

function numberField(raft: object, names: readonly string[]): number | null {
  for (const name of names) {
    const value = field(raft, name);
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return null;
}

function roleField(raft: object): Role | null {
  for (const name of roleNames) {
    const value = field(raft, name);
    if (typeof value !== 'string') continue;
    const lower = value.toLowerCase();
    if (lower === 'leader' || lower === 'candidate' || lower === 'follower') return lower;
  }
  return null;
}

/**
 * The last log index: the last entry's `Index` field if entries carry one; otherwise the
 * snapshot index plus the entries after it (the reference's layout, log[0] right after the
 * snapshot). A Raft with a dummy entry at log[0] reads one too high; it is a display.
 */
function lastLogIndex(raft: object, snapshotIndex: number | null): number | null {
  const log = field(raft, 'log');
  if (!Array.isArray(log)) return null;
  const last: unknown = log[log.length - 1];
  if (last !== null && typeof last === 'object') {
    const index = (last as Record<string, unknown>).Index ?? (last as Record<string, unknown>).index;
    if (typeof index === 'number') return index;
  }
  return (snapshotIndex ?? 0) + log.length;
}

/** Reads a Raft (never writes, never calls anything but GetState). */
export function viewRaft(raft: HasGetState): RaftView {
  const [term, isLeader] = raft.GetState();
  const snapshotIndex = numberField(raft, snapshotIndexNames);
  const role = isLeader ? 'leader' : (roleField(raft) ?? 'follower');
  const votedFor = numberField(raft, ['votedFor']);
  return {
    term,
    isLeader,
    role: role === 'leader' && !isLeader ? 'follower' : role,
    lastLogIndex: lastLogIndex(raft, snapshotIndex),
    commitIndex: numberField(raft, ['commitIndex']),
    appliedIndex: numberField(raft, ['lastApplied']),
    snapshotIndex,
    votedFor,
  };
}
