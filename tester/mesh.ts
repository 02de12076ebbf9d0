import type { Network } from '../labrpc/index.ts';

/**
 * The ends between the n servers of one Raft group, as the kvraft and shardctrler config.go
 * ports wire them: endnames[i][j] is the end server i uses to reach server j (null until server
 * i is first started). Connects, detaches and partitions servers by enabling those ends.
 */
export class ServerMesh {
  readonly endnames: (string[] | null)[];

  constructor(
    private readonly net: Network,
    readonly n: number,
  ) {
    this.endnames = new Array<string[] | null>(n).fill(null);
  }

  /** Every server number, 0..n-1. */
  all(): number[] {
    return Array.from({ length: this.n }, (_, i) => i);
  }

  /** Attaches server i to the servers listed in `to` (both directions). */
  connect(i: number, to: number[]): void {
    for (const j of to) this.net.enable(this.endname(i, j), true); // outgoing
    for (const j of to) this.net.enable(this.endname(j, i), true); // incoming
  }

  /** Detaches server i from the servers listed in `from` (both directions). */
  disconnect(i: number, from: number[]): void {
    const out = this.endnames[i];
    if (out !== null) for (const j of from) this.net.enable(out[j]!, false);
    for (const j of from) {
      const row = this.endnames[j];
      if (row !== null) this.net.enable(row[i]!, false);
    }
  }

  connectAll(): void {
    for (let i = 0; i < this.n; i++) this.connect(i, this.all());
  }

  /** Two partitions, each fully connected inside and cut off from the other. */
  partition(p1: number[], p2: number[]): void {
    for (const i of p1) {
      this.disconnect(i, p2);
      this.connect(i, p1);
    }
    for (const i of p2) {
      this.disconnect(i, p1);
      this.connect(i, p2);
    }
  }

  private endname(i: number, j: number): string {
    const row = this.endnames[i];
    if (row === null) throw new Error(`tester: server ${i} was never started`);
    return row[j]!;
  }
}
