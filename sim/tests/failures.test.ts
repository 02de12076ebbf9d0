/**
 * A run never hangs and never fails silently: deadlocks, zero-delay loops, unhandled
 * rejections and exceptions in timer callbacks each end the run with an error that says what
 * happened, when, and where.
 */
import { describe, expect, test } from 'vitest';
import {
  runSimulation,
  sleep,
  asServer,
  Channel,
  DeadlockError,
  LivelockError,
  UncaughtError,
  TimeLimitError,
  SimUsageError,
  SimulationError,
  type RunOptions,
} from '../index.ts';

const virtual: RunOptions = { seed: 'failures', mode: 'virtual' };

async function failure(body: () => Promise<unknown>, options: RunOptions = virtual): Promise<Error> {
  try {
    await runSimulation(body, options);
  } catch (e) {
    return e as Error;
  }
  throw new Error('the run was expected to fail, but it passed');
}

describe('deadlock', () => {
  test('a receive on a channel nobody sends to names the channel', async () => {
    const e = await failure(async () => {
      await sleep(300);
      await new Channel<number>(0, 'applyCh').receive();
    });
    expect(e).toBeInstanceOf(DeadlockError);
    expect(e).toBeInstanceOf(SimulationError);
    expect(e.message).toMatch(/deadlock at virtual time 300 ms/);
    expect(e.message).toMatch(/channel "applyCh": 1 receiver\(s\) waiting/);
  });

  test('a blocked send names its channel and the number of senders', async () => {
    const e = await failure(async () => {
      const ch = new Channel<number>(1, 'results');
      await ch.send(1); // buffered
      void ch.send(2);
      await ch.send(3);
    });
    expect(e).toBeInstanceOf(DeadlockError);
    expect(e.message).toMatch(/channel "results": 2 sender\(s\) waiting/);
  });

  test('only the channels still blocked are listed', async () => {
    const e = await failure(async () => {
      const done = new Channel<number>(0, 'done');
      const fine = new Channel<number>(0, 'fine');
      setTimeout(() => void fine.send(1), 10);
      await fine.receive();
      await done.receive();
    });
    expect(e.message).toMatch(/"done"/);
    expect(e.message).not.toMatch(/"fine"/);
  });

  test('awaiting a promise nothing resolves says so', async () => {
    const e = await failure(() => new Promise(() => undefined));
    expect(e).toBeInstanceOf(DeadlockError);
    expect(e.message).toMatch(/no timer is pending and no channel operation is blocked/);
  });

  test('pending timers are not a deadlock', async () => {
    const r = await runSimulation(async () => {
      const ch = new Channel<string>(0, 'late');
      setTimeout(() => void ch.send('hi'), 60_000);
      return ch.receive();
    }, virtual);
    expect(r.value).toBe('hi');
    expect(r.elapsedMs).toBe(60_000);
  });
});

describe('livelock', () => {
  test('a setImmediate loop is a livelock (default limit)', async () => {
    const e = await failure(async () => {
      const f = (): void => {
        setImmediate(f);
      };
      f();
      await sleep(10);
    });
    expect(e).toBeInstanceOf(LivelockError);
    expect(e.message).toMatch(/more than 100000 events fired at virtual time 0 ms/);
    expect(e.message).toMatch(/sleep for a few milliseconds instead/);
  });

  test('sleep(0) in a loop is a livelock', async () => {
    const e = await failure(
      async () => {
        await sleep(5);
        for (;;) await sleep(0);
      },
      { ...virtual, limits: { maxEventsPerInstant: 5000 } },
    );
    expect(e).toBeInstanceOf(LivelockError);
    expect(e.message).toMatch(/more than 5000 events fired at virtual time 5 ms/);
  });

  test('setTimeout(f, 0) in a loop is not: it moves time on by 1 ms each step, as in Node', async () => {
    const r = await runSimulation(async () => {
      let n = 0;
      const f = (): void => {
        if (++n < 1000) setTimeout(f, 0);
      };
      f();
      await sleep(2000);
      return n;
    }, virtual);
    expect(r.value).toBe(1000);
  });

  test('a loop that never stops is ended by the virtual time limit', async () => {
    const e = await failure(
      async () => {
        for (;;) await sleep(1000);
      },
      { ...virtual, limits: { virtualTimeLimitMs: 60_000 } },
    );
    expect(e).toBeInstanceOf(TimeLimitError);
    expect(e.message).toMatch(/more than 60 s of virtual time/);
  });
});

describe('uncaught errors', () => {
  test('an unhandled rejection fails the run with its stack, time and server', async () => {
    const e = await failure(async () => {
      await sleep(250);
      asServer('S2', () => {
        setTimeout(() => {
          void Promise.reject(new Error('boom in a promise'));
        }, 5);
      });
      await sleep(1000);
    });
    expect(e).toBeInstanceOf(UncaughtError);
    expect(e.message).toMatch(/unhandled promise rejection at virtual time 255 ms in server S2/);
    expect(e.message).toMatch(/boom in a promise/);
    expect(e.message).toMatch(/failures\.test\.ts/); // the stack
    expect(((e as UncaughtError).original as Error).message).toBe('boom in a promise');
  });

  test('a rejection that is handled later in the same turn is fine', async () => {
    const r = await runSimulation(async () => {
      const p = Promise.reject(new Error('handled'));
      await sleep(1);
      return p.catch((x: Error) => x.message);
    }, virtual).catch((x: unknown) => x);
    // Node reports a rejection unhandled once the microtasks have run; this one was not handled
    // in time, so the run fails. (Same as Node's own --unhandled-rejections=throw.)
    expect(r).toBeInstanceOf(UncaughtError);
  });

  test('an exception thrown in a timer callback fails the run with its time and server', async () => {
    const e = await failure(async () => {
      asServer('S4', () =>
        setTimeout(() => {
          throw new Error('boom in a timer');
        }, 42),
      );
      await sleep(100);
    });
    expect(e).toBeInstanceOf(UncaughtError);
    expect(e.message).toMatch(/uncaught exception at virtual time 42 ms in server S4/);
    expect(e.message).toMatch(/boom in a timer/);
  });

  test('an exception in a setInterval callback fails the run', async () => {
    const e = await failure(async () => {
      let n = 0;
      setInterval(() => {
        if (++n === 3) throw new Error('third tick');
      }, 10);
      await sleep(100);
    });
    expect(e).toBeInstanceOf(UncaughtError);
    expect(e.message).toMatch(/at virtual time 30 ms/);
  });

  test('an exception in queueMicrotask or process.nextTick fails the run instead of the process', async () => {
    const e1 = await failure(async () => {
      await sleep(7);
      queueMicrotask(() => {
        throw new Error('microtask boom');
      });
      await sleep(10);
    });
    expect(e1).toBeInstanceOf(UncaughtError);
    expect(e1.message).toMatch(/uncaught exception at virtual time 7 ms[^]*microtask boom/);
    const e2 = await failure(async () => {
      process.nextTick(() => {
        throw new Error('tick boom');
      });
      await sleep(10);
    });
    expect(e2).toBeInstanceOf(UncaughtError);
    expect(e2.message).toMatch(/tick boom/);
  });

  test('a thrown non-Error is described', async () => {
    const e = await failure(async () => {
      setTimeout(() => {
        throw { code: 7 };
      }, 1);
      await sleep(10);
    });
    expect(e.message).toMatch(/a non-Error value was thrown: \{"code":7\}/);
  });

  test('the body failing fails the run with that same error', async () => {
    const mine = new Error('assertion failed');
    const e = await failure(async () => {
      await sleep(10);
      throw mine;
    });
    expect(e).toBe(mine);
  });

  test('runs cannot nest', async () => {
    const e = await failure(async () => runSimulation(async () => 1, virtual));
    expect(e).toBeInstanceOf(SimUsageError);
    expect(e.message).toMatch(/cannot nest/);
  });

  test('after a failed run the next one works', async () => {
    await failure(async () => {
      void Promise.reject(new Error('x'));
      await sleep(1);
    });
    const r = await runSimulation(async () => {
      await sleep(5);
      return 'ok';
    }, virtual);
    expect(r.value).toBe('ok');
  });
});

describe('uncaught errors in real time', () => {
  const real: RunOptions = { seed: 'failures-real', mode: 'real' };

  test('an unhandled rejection fails the run', async () => {
    const e = await failure(async () => {
      void Promise.reject(new Error('real boom'));
      await sleep(20);
    }, real);
    expect(e).toBeInstanceOf(UncaughtError);
    expect(e.message).toMatch(/unhandled promise rejection.*\n.*real boom/);
  });

  test('an exception thrown in a timer callback fails the run', async () => {
    const e = await failure(async () => {
      setTimeout(() => {
        throw new Error('real timer boom');
      }, 5);
      await sleep(50);
    }, real);
    expect(e).toBeInstanceOf(UncaughtError);
    expect(e.message).toMatch(/real timer boom/);
  });

  test('a run over its real time limit is a livelock', async () => {
    const e = await failure(() => sleep(5000), { ...real, limits: { realTimeLimitMs: 50 } });
    expect(e).toBeInstanceOf(LivelockError);
  });
});
