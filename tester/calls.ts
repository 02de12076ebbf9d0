import { currentRuntime, now } from '../sim/index.ts';

/** A Clerk call that has not returned yet; the simulator lists it in a deadlock report. */
interface PendingCall {
  clerk: number;
  what: string;
  sinceMs: number;
  /** More about the call, asked for when it is reported (e.g. the shard and the last reply). */
  context?: () => string;
  describeBlocked(): string;
}

/**
 * The Clerk calls in progress of one test, so that a test that hangs in a Clerk fails naming
 * the calls still waiting (and what they last heard), instead of hanging.
 */
export class CallTracker {
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;

  /** Runs one Clerk call, known as pending until it returns. */
  async track<T>(clerk: number, what: string, call: () => Promise<T>, context?: () => string): Promise<T> {
    const id = this.nextId++;
    const entry: PendingCall = {
      clerk,
      what,
      sinceMs: now(),
      context,
      describeBlocked: () => `Clerk ${clerk}: ${what}, called at ${(entry.sinceMs / 1000).toFixed(3)} s, has not returned${suffix(entry)}`,
    };
    this.pending.set(id, entry);
    const blocked = currentRuntime().blocked;
    blocked.add(entry);
    try {
      return await call();
    } finally {
      this.pending.delete(id);
      blocked.delete(entry);
    }
  }

  /** "Clerk 1003: Get('1') (called at 2.345 s; ...)", one per call still waiting. */
  describe(): string[] {
    return [...this.pending.values()].map((c) => `Clerk ${c.clerk}: ${c.what} (called at ${(c.sinceMs / 1000).toFixed(3)} s${suffix(c)})`);
  }

  /** Forgets every pending call (at cleanup: the run is over). */
  clear(): void {
    const blocked = currentRuntime().blocked;
    for (const call of this.pending.values()) blocked.delete(call);
    this.pending.clear();
  }
}

function suffix(c: PendingCall): string {
  if (c.context === undefined) return '';
  try {
    const text = c.context();
    return text === '' ? '' : `; ${text}`;
  } catch {
    return '';
  }
}
