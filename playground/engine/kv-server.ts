/**
 * The student's KVServer and Clerk as the playground drives them: checked for shape as the
 * kvraft tester checks them (a clear message instead of a crash deep inside), the server's
 * applyCh tapped so that the page sees what its Raft applies, and its key/value map read for
 * drawing where it keeps one under a name the page knows. Nothing here judges the service:
 * the page's verdict on it is porcupine's.
 */
import { Channel } from '../../sim/index.ts';
import type { ApplyMsg } from '../../raft/raft.ts';
import type { RaftLike } from './cluster.ts';

/** What the playground needs of a KVServer: the handlers, Kill, and its Raft in `rf` (as the skeleton has it). */
export interface KvServerLike {
  rf: RaftLike;
  Kill(): void;
}

/** What the playground needs of a Clerk. */
export interface ClerkLike {
  Get(key: string): Promise<unknown>;
  Put(key: string, value: string): Promise<unknown>;
  Append(key: string, value: string): Promise<unknown>;
}

/** The student's kvraft returned something the playground cannot drive. */
export class KvShapeError extends Error {
  override name = 'KvShapeError';
}

function shape(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  const keys = Object.keys(v);
  const name = (v as object).constructor?.name ?? 'Object';
  return `${name} { ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''} }`;
}

/** Checks what StartKVServer returned; throws KvShapeError saying what is missing. */
export function checkKvServer(kv: unknown, server: number): KvServerLike {
  if (kv !== null && typeof kv === 'object' && typeof (kv as { then?: unknown }).then === 'function') {
    throw new KvShapeError(`StartKVServer() of server ${server} returned a Promise; it must return the KVServer at once (start long-running work with un-awaited async functions)`);
  }
  const k = kv as Record<string, unknown> | null;
  const missing = ['Get', 'PutAppend', 'Kill'].filter((m) => k === null || typeof k !== 'object' || typeof k[m] !== 'function');
  const rf = k?.rf as Record<string, unknown> | null | undefined;
  if (rf === null || typeof rf !== 'object' || typeof rf.GetState !== 'function' || typeof rf.Start !== 'function') missing.push('rf (its Raft, with GetState and Start)');
  if (missing.length > 0) throw new KvShapeError(`StartKVServer() of server ${server} returned ${shape(kv)}, which is not a KVServer: it lacks ${missing.join(', ')}`);
  return kv as KvServerLike;
}

/** Checks what MakeClerk returned; throws KvShapeError saying what is missing. */
export function checkClerk(ck: unknown): ClerkLike {
  const c = ck as Record<string, unknown> | null;
  const missing = ['Get', 'Put', 'Append'].filter((m) => c === null || typeof c !== 'object' || typeof c[m] !== 'function');
  if (missing.length > 0) throw new KvShapeError(`MakeClerk() returned ${shape(ck)}, which is not a Clerk: it lacks ${missing.join(', ')}`);
  return ck as ClerkLike;
}

/**
 * Calls `seen` with every message the KVServer's Raft sends on its applyCh (the field
 * `applyCh`, as the skeleton names it), as it is sent; false if the server has no such
 * Channel. The message goes on unchanged.
 */
export function tapApplyCh(kv: KvServerLike, seen: (msg: ApplyMsg) => void): boolean {
  const ch = (kv as unknown as { applyCh?: unknown }).applyCh;
  if (!(ch instanceof Channel)) return false;
  const channel = ch as Channel<ApplyMsg>;
  const send = channel.send.bind(channel);
  channel.send = (msg: ApplyMsg): Promise<void> => {
    seen(msg);
    return send(msg);
  };
  return true;
}

/** Names under which a KVServer may keep its key/value map (matched without regard to case or underscores). */
const mapNames = new Set(['data', 'kv', 'kvs', 'store', 'kvstore', 'kvmap', 'db', 'database', 'table', 'storage', 'state', 'statemachine', 'keyvalues', 'kvdata', 'm', 'map']);
/** More keys than this are not drawn. */
export const kvEntriesShownMax = 12;
const norm = (name: string): string => name.toLowerCase().replace(/[_#]/g, '');

/** A map of strings to strings, as a sorted list of entries (at most the first `kvEntriesShownMax`), or undefined. */
function stringEntries(v: unknown): [string, string][] | undefined {
  let entries: [unknown, unknown][];
  if (v instanceof Map) entries = [...v.entries()];
  else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) entries = Object.entries(v);
  else return undefined;
  if (!entries.every(([k, x]) => typeof k === 'string' && typeof x === 'string')) return undefined;
  return (entries as [string, string][]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, kvEntriesShownMax);
}

/** The KVServer's key/value map, where it keeps one in a field the page knows; undefined otherwise. */
export function readKvMap(kv: object): [string, string][] | undefined {
  for (const key of Object.keys(kv)) {
    if (!mapNames.has(norm(key))) continue;
    const entries = stringEntries((kv as Record<string, unknown>)[key]);
    if (entries !== undefined) return entries;
  }
  return undefined;
}
