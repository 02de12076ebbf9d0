/**
 * The key/value service in the playground, in Node: the kv scene passes on the reference,
 * Clerk calls made from the page are part of the run (same seed and calls, same trace hash),
 * porcupine marks a history that is not linearizable, and the probe tells a written kvraft
 * from a missing one or the handout's skeleton.
 */
import { describe, expect, it } from 'vitest';
import { Session, immediateHost, probeKv, type Action, type RunConfig, type SessionHost } from '../index.ts';
import { leaderless, losesAppends, notImplemented, skeleton, skeletonServer } from './fixtures/kv-skeleton.ts';

const config = (scene: string, seed = '7', servers = 5): RunConfig => ({ seed, scene, servers, dropRate: 0, delayMinMs: 10, delayMaxMs: 30 });
const drawingHost: SessionHost = { draws: true, between: (release) => release() };

const calls: Action[] = [
  { kind: 'kv', op: 'Put', key: 'x', value: '1', atEvent: 400 },
  { kind: 'kv', op: 'Append', key: 'x', value: '2', atEvent: 401 },
  { kind: 'kv', op: 'Get', key: 'x', value: '', atEvent: 900 },
  { kind: 'crash', server: 0, atEvent: 1000 },
  { kind: 'kv', op: 'Append', key: 'x', value: '3', atEvent: 1001 },
  { kind: 'kv', op: 'Get', key: 'x', value: '', atEvent: 2000 },
];

describe('the key/value service in the playground', () => {
  it.each([
    ['7', 5],
    ['8', 3],
    ['9', 7],
  ])('the kv scene passes on the reference (seed %s, %i servers)', async (seed, servers) => {
    const session = new Session(config('kv', seed, servers), [], drawingHost);
    const outcome = await session.run(10_000);
    const frame = session.frame(0);
    expect(frame.marks.filter((m) => m.kind === 'fail')).toEqual([]);
    expect(outcome.ok).toBe(true);
    expect(frame.marks.some((m) => m.kind === 'pass' && /no write lost, none applied twice/.test(m.text))).toBe(true);
    expect(frame.marks.at(-1)?.text).toMatch(/Scene done/);
    expect(frame.kv?.verdict.result).toBe('Ok');
    // Every live server shows the map the reference keeps, with the one key the scene wrote.
    for (const node of frame.nodes.filter((n) => n.role !== 'crashed')) expect(node.kv?.entries).toEqual([['x', 'abc']]);
  });

  it('Clerk calls are part of the run: the same calls give the same run, other calls another', async () => {
    const run = async (actions: Action[]) => {
      const session = new Session(config('kv-free'), actions, drawingHost);
      const outcome = await session.run(8000);
      return { hash: outcome.traceHash, frame: session.frame(0) };
    };
    const first = await run(calls);
    expect((await run(calls)).hash).toBe(first.hash);
    expect((await run(calls.map((a) => (a.kind === 'kv' && a.op === 'Append' && a.value === '2' ? { ...a, atEvent: 700 } : a)))).hash).not.toBe(first.hash);
    expect((await run(calls.map((a) => (a.kind === 'kv' && a.op === 'Put' ? { ...a, key: 'y' } : a)))).frame.kv?.verdict.result).toBe('Ok');
    // The two calls made one event apart went to two Clerks; the history is linearizable.
    const { frame } = first;
    expect(frame.kv?.clerks.map((c) => c.id)).toEqual([0, 1]);
    expect(frame.kv?.verdict).toMatchObject({ result: 'Ok', operations: 5 });
    const gets = frame.marks.filter((m) => m.kind === 'info' && /^C\d: Get "x"/.test(m.text));
    expect(gets).toHaveLength(2);
    // The last Get sees the Put and C0's own Append; C1's Append "2" may still be under way
    // (where it lands depends on the run's timing, which the simulator may refine).
    const lastGet = frame.kv?.clerks.map((c) => /^Get "x" → "([^"]*)"$/.exec(c.last ?? '')?.[1]).find((v) => v !== undefined);
    expect(['123', '213', '13']).toContain(lastGet);
  });

  it('marks a history that is not linearizable with porcupine\'s explanation', async () => {
    // Put, then (once it returned) an Append the Clerk loses, then a Get that cannot see it.
    const lost: Action[] = [
      { kind: 'kv', op: 'Put', key: 'x', value: '1', atEvent: 400 },
      { kind: 'kv', op: 'Append', key: 'x', value: '2', atEvent: 1200 },
      { kind: 'kv', op: 'Get', key: 'x', value: '', atEvent: 1300 },
    ];
    const session = new Session(config('kv-free'), lost, drawingHost, undefined, losesAppends);
    await session.run(8000);
    const frame = session.frame(0);
    expect(frame.kv?.verdict.result).toBe('Illegal');
    const fail = frame.marks.filter((m) => m.kind === 'fail');
    expect(fail).toHaveLength(1);
    expect(fail[0]!.text).toMatch(/^the key\/value history is not linearizable \(porcupine\): not linearizable: partition 0/);
    expect(fail[0]!.text).toMatch(/stuck at client 0: get\('x'\) -> '1'/);
  });

  it('a kv scene needs a kv service', () => {
    expect(() => new Session(config('kv'), [], immediateHost, undefined, null)).toThrow(/^the scene "kv" runs the key\/value service, and there is none: /);
    expect(() => new Session(config('election'), [], immediateHost, undefined, null)).not.toThrow();
  });

  it('the probe: ready on the reference; off for a skeleton, code that throws "not implemented", or no kvraft; untested on a Raft that elects nobody', async () => {
    expect(await probeKv()).toEqual({ status: 'ready', text: 'a Put and a Get went through the key/value service' });
    expect(await probeKv(skeleton)).toEqual({ status: 'skeleton', text: 'the Clerk\'s Put returned without sending any RPC: kvraft/client.ts is still the skeleton' });
    expect(await probeKv(skeletonServer)).toMatchObject({ status: 'skeleton', text: expect.stringMatching(/^the KVServers answered \d+ requests without ever calling Start on their Raft: kvraft\/server.ts is still the skeleton$/) });
    expect(await probeKv(notImplemented)).toEqual({ status: 'skeleton', text: 'kvraft is not written yet: StartKVServer: not implemented' });
    expect(await probeKv(null, 'kvraft/server.ts is not in this folder')).toEqual({ status: 'absent', text: 'no key/value service: kvraft/server.ts is not in this folder' });
    expect(await probeKv(leaderless)).toMatchObject({ status: 'untested', text: expect.stringMatching(/^no Raft leader within 8 s/) });
  });
});
