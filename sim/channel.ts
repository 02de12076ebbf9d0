import { currentRuntime } from './runtime.ts';
import { SimUsageError } from './errors.ts';

/** Sending on a closed channel, or closing it twice: a bug in the code that owns the channel. */
export class ChannelClosedError extends SimUsageError {}

interface PendingSend<T> {
  value: T;
  resolve: () => void;
  reject: (e: Error) => void;
}

type PendingReceive<T> = (result: IteratorResult<T, undefined>) => void;

/** Capacity limit of a buffered channel; a bound on every queue is a rule here. */
const maxCapacity = 1_000_000;

/**
 * A Go-style channel. Unbuffered by default: `send` resolves only once a receiver has taken
 * the value, as `ch <- v` blocks in Go. With a capacity, `send` resolves at once while the
 * buffer has room. After `close`, receivers drain what is buffered and then get `done`.
 */
export class Channel<T> {
  private readonly buffer: T[] = [];
  private readonly senders: PendingSend<T>[] = [];
  private readonly receivers: PendingReceive<T>[] = [];
  private closedFlag = false;

  constructor(
    /** Values held without a receiver waiting; 0 means unbuffered. */
    readonly capacity = 0,
    /** A name shown in deadlock reports. */
    readonly name = 'channel',
  ) {
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > maxCapacity) {
      throw new SimUsageError(`Channel capacity must be a whole number from 0 to ${maxCapacity}, got ${capacity}`);
    }
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Number of values buffered. */
  get length(): number {
    return this.buffer.length;
  }

  /** Delivers `value`; resolves when a receiver has it (or it is buffered). */
  send(value: T): Promise<void> {
    if (this.closedFlag) {
      return Promise.reject(new ChannelClosedError(`send on closed channel "${this.name}": stop sending before you close it, or check \`closed\` first`));
    }
    const receiver = this.receivers.shift();
    if (receiver !== undefined) {
      this.untrackIfIdle();
      receiver({ value, done: false });
      return Promise.resolve();
    }
    if (this.buffer.length < this.capacity) {
      this.buffer.push(value);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.senders.push({ value, resolve, reject });
      this.track();
    });
  }

  /** Waits for the next value. Rejects with ChannelClosedError once closed and drained. */
  async receive(): Promise<T> {
    const r = await this.next();
    if (r.done === true) throw new ChannelClosedError(`receive on closed channel "${this.name}"`);
    return r.value;
  }

  /** Like receive, but tells a closed channel apart from a value: `{ value, ok }` as in Go's `v, ok := <-ch`. */
  async recv(): Promise<{ value: T | undefined; ok: boolean }> {
    const r = await this.next();
    return r.done === true ? { value: undefined, ok: false } : { value: r.value, ok: true };
  }

  /** Takes a value if one is ready now, without waiting. */
  tryReceive(): { value: T | undefined; ok: boolean } {
    if (this.buffer.length > 0) {
      const value = this.buffer.shift() as T;
      this.refillFromSenders();
      return { value, ok: true };
    }
    const sender = this.senders.shift();
    if (sender !== undefined) {
      this.untrackIfIdle();
      sender.resolve();
      return { value: sender.value, ok: true };
    }
    return { value: undefined, ok: false };
  }

  /** Closes the channel: blocked senders fail, waiting receivers get `done`. */
  close(): void {
    if (this.closedFlag) throw new ChannelClosedError(`close of closed channel "${this.name}"`);
    this.closedFlag = true;
    for (const r of this.receivers.splice(0)) r({ value: undefined, done: true });
    for (const s of this.senders.splice(0)) s.reject(new ChannelClosedError(`channel "${this.name}" was closed while a send waited`));
    this.untrackIfIdle();
  }

  /** `for await (const v of ch)` receives until the channel is closed. */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return { next: () => this.next() };
  }

  /** One line for deadlock reports. */
  describeBlocked(): string {
    const parts: string[] = [];
    if (this.senders.length > 0) parts.push(`${this.senders.length} sender(s) waiting`);
    if (this.receivers.length > 0) parts.push(`${this.receivers.length} receiver(s) waiting`);
    return `channel "${this.name}": ${parts.join(', ')}`;
  }

  private next(): Promise<IteratorResult<T, undefined>> {
    const got = this.tryReceive();
    if (got.ok) return Promise.resolve({ value: got.value as T, done: false });
    if (this.closedFlag) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.receivers.push(resolve);
      this.track();
    });
  }

  private refillFromSenders(): void {
    const sender = this.senders.shift();
    if (sender === undefined) return;
    this.buffer.push(sender.value);
    this.untrackIfIdle();
    sender.resolve();
  }

  private track(): void {
    currentRuntime().blocked.add(this);
  }

  private untrackIfIdle(): void {
    if (this.senders.length === 0 && this.receivers.length === 0) currentRuntime().blocked.delete(this);
  }
}
