/**
 * The commit clamp: lets a leader's AppendEntries requests leave before its own flush, so the
 * leader writes its log while its followers write theirs (Raft thesis §10.2.1), without ever
 * telling a follower of a commit that rests on the leader's not-yet-durable copy.
 *
 * Every frame a node sends normally waits for the output gate (every Save made before it is on
 * disk). An AppendEntries request does not need to: the entries it carries may be lost with the
 * leader, which Raft tolerates like any leader crash right after sending. What it must not
 * carry early is a LeaderCommit that counts the leader's own copy while that copy is only in
 * memory: a follower would apply the entry, the leader could die before its flush, and a
 * majority could then elect a leader without it. So an early request carries
 * min(LeaderCommit, safeCommit), where safeCommit is the highest LeaderCommit this process sent
 * whose flush has ended since: once every Save made before that send is durable, the leader's
 * copy of entries <= LeaderCommit is on disk, and the followers it counted wrote theirs before
 * replying (their replies pass their own gates). Lowering LeaderCommit is always safe: a
 * follower only ever raises its commitIndex from it (Figure 2), and reordered requests carry
 * lower values anyway.
 *
 * What overtakes: a request whose method ends in "AppendEntries" and whose args are a plain
 * object with a finite numeric `LeaderCommit` (Figure 2's name, used by the reference and
 * nearly every student). Anything else (other methods, other field names, a class instance
 * whose copy would lose its prototype) goes the gated way, as does every request while the gate
 * is idle (it leaves at once anyway) or before any LeaderCommit of this process is known to be
 * safe: a Raft that counts its log from 0 would read a LeaderCommit of 0 as "entry 0 is
 * committed", so the clamp only ever sends a value the Raft itself sent and saw made durable.
 *
 * The leader's answers to clients must wait for its gate (kvnode.ts): with early requests a
 * leader may commit counting its own copy before that copy is on disk.
 */
import type { EarlySendPolicy, OutputGate } from './transport.ts';

/** Figure 2's field: the leader's commitIndex, carried by every AppendEntries. */
const commitField = 'LeaderCommit';
const methodSuffix = 'AppendEntries';

export class CommitClamp implements EarlySendPolicy {
  /** The highest LeaderCommit sent whose flush has ended; undefined until one has. Never decreases. */
  private safe: number | undefined;

  constructor(private readonly gate: OutputGate) {}

  /** The highest LeaderCommit known to rest on a durable majority, or undefined before the first. */
  get safeCommit(): number | undefined {
    return this.safe;
  }

  /**
   * Called for every request the transport sends. Returns the args to send at once (a copy with
   * LeaderCommit lowered to safeCommit where needed), or undefined: send `args` through the gate.
   */
  early(svcMeth: string, args: object): object | undefined {
    if (!svcMeth.endsWith(methodSuffix) || !isPlainObject(args)) return undefined;
    const commit = args[commitField];
    if (typeof commit !== 'number' || !Number.isFinite(commit)) return undefined;
    const pending = this.gate.pass();
    if (pending === undefined) {
      // Every Save so far is on disk: this commit already rests on a durable majority.
      this.raise(commit);
      return undefined;
    }
    pending.then(
      () => this.raise(commit),
      () => {}, // the disk failed: the node stops, nothing more becomes safe
    );
    if (this.safe === undefined) return undefined;
    return { ...args, [commitField]: Math.min(commit, this.safe) };
  }

  private raise(commit: number): void {
    if (this.safe === undefined || commit > this.safe) this.safe = commit;
  }
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
