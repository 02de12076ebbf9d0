import { UsageError } from './errors.ts';

/** The I-th of N slices of a stress batch's seeds (1-based), as `--shard I/N` says. */
export interface Shard {
  index: number;
  count: number;
}

/** Parses "I/N" with 1 ≤ I ≤ N; anything else is a UsageError with an example. */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index < 1 || index > count) throw new UsageError(`--shard takes I/N with 1 ≤ I ≤ N (the I-th of N slices of the seeds), e.g. --shard 2/4; got "${text}"`);
  return { index, count };
}

/**
 * The run numbers [from, to) of a shard: N contiguous slices of 0..runs-1, as even as can be,
 * disjoint, and together all of them. Run i has base seed S+i in every shard alike.
 */
export function shardRange(runs: number, shard: Shard | undefined): { from: number; to: number } {
  if (shard === undefined) return { from: 0, to: runs };
  return { from: Math.floor(((shard.index - 1) * runs) / shard.count), to: Math.floor((shard.index * runs) / shard.count) };
}
