/**
 * The playground's run in Node: scenes pass on the reference Raft, the same seed and actions
 * give the same run (trace hash), actions change it, and a broken Raft gets a red mark.
 */
import { describe, expect, it } from 'vitest';
import { Session, immediateHost, type Action, type MakeRaft, type RunConfig, type SessionHost } from '../index.ts';
import { Make } from '../../raft/raft.ts';

const config = (scene: string, seed = '7'): RunConfig => ({ seed, scene, servers: 5, dropRate: 0, delayMinMs: 10, delayMaxMs: 30 });
const drawingHost: SessionHost = { draws: true, between: (release) => release() };

async function marksOf(scene: string, untilMs: number, make?: MakeRaft): Promise<{ kind: string; text: string }[]> {
  const session = new Session(config(scene), [], drawingHost, make);
  await session.run(untilMs);
  return session.frame(0).marks;
}

describe('playground runs in Node', () => {
  it.each(['election', 'replication', 'partition'])('the %s scene passes on the reference Raft', async (scene) => {
    const marks = await marksOf(scene, 12_000);
    expect(marks.filter((m) => m.kind === 'fail')).toEqual([]);
    expect(marks.filter((m) => m.kind === 'pass').length).toBeGreaterThanOrEqual(3);
    expect(marks.at(-1)?.text).toMatch(/Scene done/);
  });

  it('the same seed and actions give the same run; other actions another', async () => {
    const actions: Action[] = [
      { kind: 'crash', server: 1, atEvent: 300 },
      { kind: 'submit', command: 'x=1', atEvent: 400 },
      { kind: 'cut', a: 0, b: 2, atEvent: 500 },
      { kind: 'net', dropRate: 0.2, delayMinMs: 5, delayMaxMs: 50, atEvent: 600 },
      { kind: 'restart', server: 1, atEvent: 900 },
    ];
    const run = async (a: Action[]) => (await new Session(config('free'), a, immediateHost).run(8000)).traceHash;
    const first = await run(actions);
    expect(await run(actions)).toBe(first);
    expect(await run(actions.map((x) => (x.kind === 'crash' ? { ...x, server: 2 } : x)))).not.toBe(first);
    expect(await run(actions.map((x) => (x.kind === 'submit' ? { ...x, atEvent: 1500 } : x)))).not.toBe(first);
  });

  it('gives a Raft that leads without an election the tester\'s Election Safety verdict', async () => {
    // Server 3 claims to lead in whatever term it is in: a second leader beside the real one.
    const lying: MakeRaft = (peers, me, persister, applyCh) => {
      const rf = Make(peers, me, persister, applyCh);
      if (me !== 3) return rf;
      const real = rf.GetState.bind(rf);
      rf.GetState = () => [real()[0], true];
      return rf;
    };
    const marks = await marksOf('election', 3000, lying);
    // The graded tests' safety monitor ends the run with its own verdict, named after the property.
    expect(marks.some((m) => m.kind === 'fail' && /^Election Safety: /.test(m.text))).toBe(true);
  });

  it('marks nonsense from GetState as the tester does', async () => {
    const nonsense: MakeRaft = (peers, me, persister, applyCh) => {
      const rf = Make(peers, me, persister, applyCh);
      (rf as unknown as { GetState(): unknown }).GetState = () => ({ term: 1 });
      return rf;
    };
    const marks = await marksOf('election', 6000, nonsense);
    expect(marks.some((m) => m.kind === 'fail' && /GetState\(\) returned \{"term":1\}; expected \[term, isLeader\]/.test(m.text))).toBe(true);
    expect(marks.some((m) => m.kind === 'fail' && /GetState\(\) of server \d returned/.test(m.text))).toBe(true);
  });

  it('marks a Raft that never elects a leader', async () => {
    const silent: MakeRaft = (peers, me, persister, applyCh) => {
      const rf = Make(peers, me, persister, applyCh);
      rf.GetState = () => [0, false];
      return rf;
    };
    const marks = await marksOf('election', 6000, silent);
    expect(marks.some((m) => m.kind === 'fail' && /no leader 5 s after the start/.test(m.text))).toBe(true);
  });

  it('ends a run whose Raft throws with the error and where it happened', async () => {
    const throwing: MakeRaft = (peers, me, persister, applyCh) => {
      const rf = Make(peers, me, persister, applyCh);
      if (me === 0) setTimeout(() => { throw new Error('boom in S0'); }, 700);
      return rf;
    };
    const outcome = await new Session(config('election'), [], immediateHost, throwing).run(3000);
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/uncaught exception at virtual time 700 ms in server 0/);
    expect(outcome.message).toMatch(/boom in S0/);
  });
});
