/** A pending timer of the virtual clock. Ordered by (atMs, seq): equal times fire in creation order. */
export interface TimerEntry {
  atMs: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
  /** Repeat period for setInterval; 0 for a one-shot timer. */
  intervalMs: number;
  /** Which server's code scheduled it, where known; shown when its callback throws. */
  server: string | undefined;
}

/** A binary min-heap of timers. Cancelled timers stay in place and are skipped when popped. */
export class TimerHeap {
  private items: TimerEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(entry: TimerEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = entry;
  }

  /** The earliest live timer, removing cancelled ones on the way; undefined when none is left. */
  peekLive(): TimerEntry | undefined {
    while (this.items.length > 0 && this.items[0]!.cancelled) this.pop();
    return this.items[0];
  }

  pop(): TimerEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      let i = 0;
      const n = items.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && before(items[r]!, items[l]!) ? r : l;
        if (!before(items[child]!, last)) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }

  /** Live timers, for error messages. */
  liveCount(): number {
    let n = 0;
    for (const t of this.items) if (!t.cancelled) n++;
    return n;
  }
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
