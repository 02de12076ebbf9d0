/**
 * The key/value scenes: the student's KVServers over their Raft, with Clerks. The guided one
 * shows a write that survives a leader change, applied once; porcupine judges every history.
 */
import { commitLimitMs, expectLeader, type Scene, type SceneContext } from './scene-kit.ts';
import type { KvCall } from './kv-clients.ts';
import type { KvOpName } from './protocol.ts';

/** A Clerk call should return this soon after a leader exists (the kvraft tests allow far more; the scene only guides). */
const callLimitMs = 5000;

/** Makes a call and waits for it to return; marks a call that does not. The call, or undefined if it never returned. */
async function callAndWait(ctx: SceneContext, op: KvOpName, key: string, value: string, clerk: number, why: string): Promise<KvCall | undefined> {
  const call = ctx.kvCall(op, key, value, clerk);
  if (call === undefined) {
    ctx.fail(`C${clerk} could not make the call ${op} ${key}: it is busy`);
    return undefined;
  }
  if (!(await ctx.waitFor(() => call.done, callLimitMs))) {
    ctx.fail(`C${clerk}'s ${call.text} had not returned after ${callLimitMs / 1000} s ${why}`);
    return undefined;
  }
  return call;
}

/** What a read of x other than "abc" says about the service. */
function whatWentWrong(value: string): string {
  const count = (part: string): number => value.split(part).length - 1;
  if (count('c') > 1 || count('b') > 1) return 'a retried Append was applied twice (no duplicate detection?)';
  if (count('a') === 0 || count('b') === 0 || count('c') === 0) return 'a write that returned is missing';
  return 'the writes were applied out of order';
}

function judge(ctx: SceneContext): void {
  const verdict = ctx.kvVerdict();
  if (verdict === undefined) return;
  if (verdict.result === 'Ok') ctx.pass(`porcupine: the history is linearizable (${verdict.operations} operations)`);
  else if (verdict.result === 'Unknown') ctx.say(`porcupine could not decide in time: ${verdict.text}`);
  // Illegal was marked in red when it happened.
}

export const kvScene: Scene = {
  id: 'kv',
  title: 'Key/value: no lost write',
  servers: 5,
  service: 'kv',
  async script(ctx) {
    ctx.say('Each server runs a KVServer on its Raft. Clerks (C0, C1, left) send Put, Append and Get to the server they think leads; one that does not lead answers ErrWrongLeader and the Clerk tries the next.');
    const leader = await expectLeader(ctx, 'the start');
    if (leader === undefined) return;
    ctx.say(`C0 puts x = "a". S${leader} puts the operation in its Raft log; once a majority holds it, every KVServer applies it, and S${leader} answers C0.`);
    if ((await callAndWait(ctx, 'Put', 'x', 'a', 0, 'with a leader in place')) === undefined) return;
    ctx.pass('C0\'s Put returned');
    if ((await callAndWait(ctx, 'Append', 'x', 'b', 0, 'with a leader in place')) === undefined) return;
    const old = ctx.leader() ?? leader;
    ctx.say(`C1 appends "c" to x. S${old} commits and applies it, and crashes before its answer reaches C1. C1 hears nothing and retries at another server, which has the entry too: the service must apply "c" once, not twice.`);
    const index = ctx.applied(old) + 1;
    const append = ctx.kvCall('Append', 'x', 'c', 1);
    if (append === undefined) return;
    // Looked at every millisecond: a reply takes at least one hop (10 ms by default) to reach C1.
    if (await ctx.waitFor(() => ctx.applied(old) >= index, commitLimitMs, 1)) ctx.crash(old);
    else {
      ctx.fail(`S${old} had not applied C1's Append (index ${index}) ${commitLimitMs / 1000} s after it was sent`);
      return;
    }
    const next = await expectLeader(ctx, `S${old} crashed`);
    if (next === undefined) return;
    if (!(await ctx.waitFor(() => append.done, callLimitMs))) {
      ctx.fail(`C1's Append had not returned ${callLimitMs / 1000} s after S${next} became leader: the Clerk should retry at the new leader`);
      return;
    }
    ctx.pass(`C1's Append returned`);
    ctx.say('C0 reads x. Every write that returned must be in it, each once: "abc".');
    const get = await callAndWait(ctx, 'Get', 'x', '', 0, 'after the leader change');
    if (get === undefined) return;
    if (get.value === 'abc') ctx.pass('Get x returned "abc": no write lost, none applied twice');
    else ctx.fail(`Get x returned ${JSON.stringify(get.value)}, expected "abc": ${whatWentWrong(get.value ?? '')}`);
    ctx.say(`S${old} comes back; its Raft catches up, and its KVServer applies what it missed.`);
    ctx.restart(old);
    const caughtUp = await ctx.waitFor(() => ctx.applied(old) >= ctx.applied(next), commitLimitMs);
    if (caughtUp) ctx.pass(`S${old} caught up to index ${ctx.applied(old)}`);
    else ctx.fail(`S${old} had applied index ${ctx.applied(old)}, S${next} ${ctx.applied(next)}, ${commitLimitMs / 1000} s after the restart`);
    judge(ctx);
    ctx.say('Scene done. Make your own calls with the form below (op, key, value): each goes to the first idle Clerk. Crash servers, cut links, and watch porcupine\'s verdict.');
  },
};

export const kvFree: Scene = {
  id: 'kv-free',
  title: 'Key/value free play',
  servers: 5,
  service: 'kv',
  async script(ctx) {
    ctx.say('No script: make Clerk calls with the form below (op, key, value), crash servers, cut links; porcupine judges the history as it grows.');
  },
};
