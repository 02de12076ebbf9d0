import type { OutputGate } from '../transport.ts';

/**
 * An output gate a test opens by hand: while held, every pass() gets a promise of its own
 * (as DiskPersister's waiters do), which the test resolves, in any order, or rejects.
 */
export class ManualGate implements OutputGate {
  private held = false;
  private readonly waiting: { resolve(): void; reject(e: Error): void }[] = [];

  /** From now on pass() returns a pending promise. */
  hold(): void {
    this.held = true;
  }

  pass(): Promise<void> | undefined {
    if (!this.held) return undefined;
    return new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** How many pass() promises are still pending. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Resolves the pass() promise handed out `index`-th among those still pending (0: the oldest). */
  resolveOne(index: number): void {
    const [w] = this.waiting.splice(index, 1);
    if (w === undefined) throw new RangeError(`no pending pass() number ${index}`);
    w.resolve();
  }

  /** Resolves every pending promise and lets later frames through at once. */
  open(): void {
    this.held = false;
    for (const w of this.waiting.splice(0)) w.resolve();
  }

  /** Rejects every pending promise, as a failed disk does. */
  fail(error: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(error);
  }
}

/** Lets every promise callback queued so far run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
