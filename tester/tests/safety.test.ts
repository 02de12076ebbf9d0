import { describe, expect, test } from 'vitest';
import { currentRuntime, runSimulation, sleep } from '../../sim/index.ts';
import type { HandledRpc } from '../../labrpc/index.ts';
import { SafetyMonitor } from '../safety.ts';
import { TestFailure } from '../failure.ts';

/** A stand-in cluster whose GetState answers are set by the test. */
class FakeCluster {
  readonly states: (unknown | null)[];
  constructor(readonly n: number) {
    this.states = new Array<unknown>(n).fill([0, false]);
  }
  raftOf(i: number): { GetState(): unknown } | null {
    const state = this.states[i];
    if (state === null) return null;
    return {
      GetState: () => {
        if (state instanceof Error) throw state;
        return state;
      },
    };
  }
}

let rpcId = 0;
function vote(voter: number, term: number, candidate: number, granted: boolean): HandledRpc {
  return {
    id: ++rpcId,
    svcMeth: 'Raft.RequestVote',
    end: `e${candidate}-${voter}`,
    server: voter,
    args: () => ({ Term: term, CandidateId: candidate, LastLogIndex: 0, LastLogTerm: 0 }),
    reply: () => ({ Term: term, VoteGranted: granted }),
  };
}

function appendReply(server: number, term: number): HandledRpc {
  return { id: ++rpcId, svcMeth: 'Raft.AppendEntries', end: `x-${server}`, server, args: () => ({ Term: term }), reply: () => ({ Term: term, Success: true }) };
}

/** Runs `script` in a simulated run with the monitor hooked after every event; returns the failure, if any. */
async function monitored(n: number, script: (cluster: FakeCluster, monitor: SafetyMonitor) => Promise<void>): Promise<TestFailure | undefined> {
  try {
    await runSimulation(
      async () => {
        const cluster = new FakeCluster(n);
        const monitor = new SafetyMonitor(cluster, n);
        currentRuntime().addEventHook(() => monitor.afterEvent());
        await script(cluster, monitor);
        await sleep(1);
      },
      { seed: 'safety-monitor' },
    );
    return undefined;
  } catch (e) {
    if (e instanceof TestFailure) return e;
    throw e;
  }
}

describe('safety monitors', () => {
  test('a correct history passes: one leader per term, terms up, votes once, restarts that keep their term', async () => {
    const failure = await monitored(3, async (c, m) => {
      m.onHandled(vote(1, 1, 0, true));
      m.onHandled(vote(1, 1, 0, true)); // the same grant again (a retried RPC) is fine
      m.onHandled(vote(2, 1, 0, false));
      c.states[0] = [1, true];
      c.states[1] = [1, false];
      await sleep(10);
      m.onHandled(appendReply(1, 1));
      m.onCrash(1);
      c.states[1] = null;
      await sleep(10);
      c.states[1] = [1, false];
      await sleep(10);
      m.onHandled(vote(1, 2, 2, true));
      c.states[0] = [2, false];
      c.states[2] = [2, true];
      await sleep(10);
      m.onApply(2, 1, 'x');
      m.onStart(2, 2, 2, true);
    });
    expect(failure).toBeUndefined();
  });

  test('Election Safety: two servers leading one term, even a moment apart', async () => {
    const failure = await monitored(3, async (c) => {
      c.states[0] = [4, true];
      await sleep(1);
      c.states[0] = [4, false];
      c.states[2] = [4, true];
      await sleep(1);
    });
    expect(failure?.check).toBe('Election Safety');
    expect(failure?.message).toBe('two leaders in term 4: server 0 and server 2');
    expect(failure?.details.servers).toEqual([0, 2]);
  });

  test('Election Safety: a voter granting two candidates in one term, across a restart', async () => {
    const failure = await monitored(3, async (c, m) => {
      m.onHandled(vote(1, 3, 0, true));
      m.onCrash(1);
      m.onHandled(vote(1, 3, 2, true));
    });
    expect(failure?.check).toBe('Election Safety');
    expect(failure?.message).toBe('server 1 voted twice in term 3: for server 0 and for server 2');
  });

  test('a monitor of one Raft group among several names the group in its verdict (Lab 4)', async () => {
    let failure: TestFailure | undefined;
    try {
      await runSimulation(
        async () => {
          const monitor = new SafetyMonitor(undefined, 3, 'group 101');
          monitor.onHandled(vote(2, 1, 0, true));
          monitor.onHandled(vote(2, 1, 1, true));
          await sleep(1);
        },
        { seed: 'safety-monitor-group' },
      );
    } catch (e) {
      if (!(e instanceof TestFailure)) throw e;
      failure = e;
    }
    expect(failure?.check).toBe('Election Safety');
    expect(failure?.message).toBe('group 101: server 2 voted twice in term 1: for server 0 and for server 1');
  });

  test('Election Safety: a leader without a majority of votes in its term', async () => {
    const failure = await monitored(3, async (c, m) => {
      m.onHandled(vote(1, 1, 0, true));
      c.states[0] = [2, true]; // leads term 2 with a grant of term 1 only
      await sleep(1);
    });
    expect(failure?.check).toBe('Election Safety');
    expect(failure?.message).toBe('server 0 became leader of term 2 without a majority of votes in term 2');
  });

  test('vote checks stay silent until a RequestVote with Figure 2 names is seen', async () => {
    const failure = await monitored(3, async (c, m) => {
      m.onHandled({ ...vote(1, 1, 0, true), reply: () => ({ term: 1, granted: true }) });
      c.states[0] = [1, true];
      await sleep(1);
    });
    expect(failure).toBeUndefined();
  });

  test('Monotonic Term: GetState going down within a life', async () => {
    const failure = await monitored(3, async (c) => {
      c.states[1] = [5, false];
      await sleep(1);
      c.states[1] = [4, false];
      await sleep(1);
    });
    expect(failure?.check).toBe('Monotonic Term');
    expect(failure?.message).toBe("server 1's term went down from 5 to 4");
  });

  test('Monotonic Term: a restart below a term the server had answered with', async () => {
    const failure = await monitored(3, async (c, m) => {
      c.states[1] = [6, false];
      await sleep(1);
      m.onHandled(appendReply(1, 6));
      m.onCrash(1);
      c.states[1] = null;
      await sleep(1);
      c.states[1] = [2, false];
      await sleep(1);
    });
    expect(failure?.check).toBe('Monotonic Term');
    expect(failure?.message).toBe('server 1 restarted with term 2, but before its crash it had answered an RPC in term 6');
  });

  test('a restart may lose a term the server never answered with', async () => {
    const failure = await monitored(3, async (c, m) => {
      c.states[1] = [6, false];
      await sleep(1);
      m.onHandled(appendReply(1, 3));
      m.onCrash(1);
      c.states[1] = [3, false];
      await sleep(1);
    });
    expect(failure).toBeUndefined();
  });

  test('Leader Completeness: a leader of a later term handing out a committed index', async () => {
    const failure = await monitored(3, async (c, m) => {
      c.states[0] = [1, true];
      await sleep(1);
      m.onApply(0, 1, 'a');
      m.onApply(0, 2, 'b');
      c.states[0] = [1, false];
      c.states[2] = [3, true];
      await sleep(1);
      m.onStart(2, 2, 3, true);
    });
    expect(failure?.check).toBe('Leader Completeness');
    expect(failure?.details.index).toBe(2);
  });

  test('a stale leader of an older term may hand out a committed index', async () => {
    const failure = await monitored(3, async (c, m) => {
      c.states[0] = [2, true];
      await sleep(1);
      m.onApply(0, 1, 'a');
      m.onStart(1, 1, 1, true);
    });
    expect(failure).toBeUndefined();
  });

  test('GetState that throws or returns garbage is reported as what it is', async () => {
    const threw = await monitored(3, async (c) => {
      c.states[2] = new Error('boom');
      await sleep(1);
    });
    expect(threw?.check).toBe('GetState');
    expect(threw?.message).toBe('GetState() of server 2 threw: boom');
    const garbage = await monitored(3, async (c) => {
      c.states[1] = { term: 1 };
      await sleep(1);
    });
    expect(garbage?.check).toBe('GetState');
    expect(garbage?.message).toBe('GetState() of server 1 returned { term: 1 }');
  });
});
