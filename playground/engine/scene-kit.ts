/**
 * What a scene script can do and see, and the checks the scenes share. A scene runs inside the
 * simulated run, so a replay from the seed replays it too.
 */
import { now } from '../../sim/index.ts';
import type { KvCall } from './kv-clients.ts';
import type { KvOpName, KvVerdict } from './protocol.ts';

/** What a scene script can do and see. */
export interface SceneContext {
  readonly n: number;
  say(text: string): void;
  pass(text: string): void;
  fail(text: string): void;
  /** The current leader (by GetState), if any. */
  leader(): number | undefined;
  term(i: number): number | undefined;
  alive(i: number): boolean;
  crash(i: number): void;
  restart(i: number): void;
  cut(a: number, b: number): void;
  heal(a: number, b: number): void;
  /** Whether server i says (GetState) that it leads. */
  isLeader(i: number): boolean;
  /** Start(command) on `server`, or on the leader; the server that took it, if any. */
  submit(command: string, server?: number): number | undefined;
  /** Highest index server i applied. */
  applied(i: number): number;
  /** Waits until `ready()` holds (checked every `pollMs`, 10 by default), at most `timeoutMs`; true if it held. */
  waitFor(ready: () => boolean, timeoutMs: number, pollMs?: number): Promise<boolean>;
  /** kv scenes: a Clerk call (by Clerk `clerk`, or the first idle one); undefined if that Clerk is busy. */
  kvCall(op: KvOpName, key: string, value: string, clerk?: number): KvCall | undefined;
  /** kv scenes: porcupine's verdict on the history so far. */
  kvVerdict(): KvVerdict | undefined;
}

export interface Scene {
  id: string;
  title: string;
  /** Servers the scene is written for (the page may change it, from 3 to 7). */
  servers: number;
  /** What runs on each server: the student's Raft alone, or their KVServer over it (with Clerks). */
  service: 'raft' | 'kv';
  script(ctx: SceneContext): Promise<void>;
}

/** 6.5840's checkOneLeader gives an election 5 s. */
export const electionLimitMs = 5000;
export const commitLimitMs = 3000;

/** Waits for a leader (at most an election's limit); marks it, or the lack of one. */
export async function expectLeader(ctx: SceneContext, what: string): Promise<number | undefined> {
  const started = now();
  const ok = await ctx.waitFor(() => ctx.leader() !== undefined, electionLimitMs);
  const leader = ctx.leader();
  if (!ok || leader === undefined) {
    ctx.fail(`no leader ${electionLimitMs / 1000} s after ${what}: an election should finish well within that`);
    return undefined;
  }
  ctx.pass(`S${leader} leads in term ${ctx.term(leader)} (${Math.round(now() - started)} ms after ${what})`);
  return leader;
}

/** Waits until every server of `servers` applied `index` (at most commitLimitMs); marks the outcome. */
export async function expectApplied(ctx: SceneContext, servers: number[], index: number, what: string): Promise<boolean> {
  const ok = await ctx.waitFor(() => servers.every((i) => ctx.applied(i) >= index), commitLimitMs);
  const behind = servers.filter((i) => ctx.applied(i) < index);
  if (!ok) ctx.fail(`${what}: after ${commitLimitMs / 1000} s, ${behind.map((i) => `S${i}`).join(', ')} had not applied index ${index}`);
  else ctx.pass(`${what}: ${servers.map((i) => `S${i}`).join(', ')} applied index ${index}`);
  return ok;
}
