import { now } from '../sim/index.ts';
import { Network } from '../labrpc/index.ts';
import { CallTracker } from './calls.ts';
import { SafetyMonitor } from './safety.ts';
import { fail, TestFailure } from './failure.ts';
import { print } from './output.ts';
import { registerSimTest } from './simtest.ts';
import type { PassedStats } from './runner.ts';

/** A test's time limit (ms of the run's clock), as 6.5840's checkTimeout. */
export const harnessTimeLimitMs = 120_000;

/**
 * What the Lab 4 harnesses (the shardctrler's and shardkv's config.go ports) share with each
 * other: the network, the begin/end sections and their Passed lines, the 120 s limit, Clerk
 * calls tracked while they run, and goroutine-like background work whose failure ends the test.
 */
export abstract class Harness {
  readonly net = new Network();
  /** First failure outside the test body: rejects with it (the test races its body against it). */
  readonly backgroundFailure: Promise<never>;
  /** The Passed numbers of each begin/end section that passed. */
  readonly passed: PassedStats[] = [];
  /** The Clerk calls in progress. */
  readonly calls = new CallTracker();

  private readonly startMs = now();
  private t0Ms = 0;
  private rpcs0 = 0;
  private ops = 0;
  private finished = false;
  private failed = false;
  private background: { error: unknown } | undefined;
  private rejectBackground!: (error: unknown) => void;
  private readonly voteMonitors = new Map<string, SafetyMonitor>();

  constructor() {
    this.backgroundFailure = new Promise<never>((_, reject) => {
      this.rejectBackground = reject;
    });
    this.backgroundFailure.catch(() => undefined);
  }

  /**
   * The vote checks of the safety monitors (tester/safety.ts), one monitor per Raft group:
   * `groupOf` says which group a labrpc server name belongs to, its index there and the group's
   * size, or undefined for a server outside every group.
   */
  protected watchVotes(groupOf: (server: string) => { group: string; index: number; size: number } | undefined): void {
    this.net.setHandledObserver((rpc) => {
      const where = groupOf(String(rpc.server));
      if (where === undefined) return;
      let monitor = this.voteMonitors.get(where.group);
      if (monitor === undefined) this.voteMonitors.set(where.group, (monitor = new SafetyMonitor(undefined, where.size, where.group)));
      monitor.onHandled({ id: rpc.id, svcMeth: rpc.svcMeth, end: rpc.end, server: String(where.index), args: () => rpc.args(), reply: () => rpc.reply() });
    });
  }

  /** The number the Passed line shows as peers. */
  abstract peers(): number;

  /** Kills every server; returns the first error a Kill threw. */
  protected abstract killAll(): { error: unknown } | undefined;

  /** Starts a test section: prints its description, resets the RPC and operation counters. */
  begin(description: string): void {
    print(`${description} ...`);
    this.t0Ms = now();
    this.rpcs0 = this.net.getTotalCount();
    this.ops = 0;
  }

  /** Counts one Clerk call made through the tester's wrappers. */
  op(): void {
    this.ops++;
  }

  /** Ends a passing section: checks the time limit and prints the Passed line. */
  end(): PassedStats {
    this.checkTimeout();
    this.checkBackground();
    const stats: PassedStats = { timeS: (now() - this.t0Ms) / 1000, peers: this.peers(), rpcs: this.net.getTotalCount() - this.rpcs0, cmds: this.ops };
    print(`  ... Passed --  ${stats.timeS.toFixed(1).padStart(4)}  ${stats.peers} ${String(stats.rpcs).padStart(5)} ${String(stats.cmds).padStart(4)}`);
    this.passed.push(stats);
    return stats;
  }

  markFailed(): void {
    this.failed = true;
  }

  /** True once cleanup() has run: client loops stop then. */
  isFinished(): boolean {
    return this.finished;
  }

  /** Kills every server and shuts the network; call it however the test ended. */
  cleanup(): void {
    this.finished = true;
    for (const monitor of this.voteMonitors.values()) monitor.stop();
    const thrown = this.killAll();
    this.net.cleanup();
    this.calls.clear();
    if (thrown !== undefined && !this.failed) throw thrown.error;
    this.checkTimeout();
  }

  /** Fails if the test has run for more than 120 s of the run's clock. */
  checkTimeout(): void {
    const elapsedMs = this.elapsedMs();
    if (!this.failed && elapsedMs > harnessTimeLimitMs) {
      this.failed = true;
      fail('timeout', 'test took longer than 120 seconds', { expected: 'at most 120 s', seen: `${(elapsedMs / 1000).toFixed(1)} s${this.pendingSuffix()}` });
    }
  }

  /** The failure of a test that reached its time limit: names the Clerk calls still waiting. */
  timeLimitFailure(): TestFailure {
    this.failed = true;
    const pending = this.calls.describe();
    const waiting = pending.length === 0 ? 'no Clerk call was waiting' : `still waiting for ${pending.join('; ')}`;
    return new TestFailure('timeout', `test took longer than 120 seconds; ${waiting}`, {
      expected: 'the test to finish within 120 s',
      seen: `${(harnessTimeLimitMs / 1000).toFixed(0)} s passed; ${waiting}`,
    });
  }

  elapsedMs(): number {
    return now() - this.startMs;
  }

  /** Runs fn like a goroutine; a failure in it ends the test at once. */
  go<T>(fn: () => Promise<T>): Promise<T | undefined> {
    return (async () => fn())().then(
      (value) => value,
      (error: unknown) => {
        this.recordBackgroundFailure(error);
        return undefined;
      },
    );
  }

  /** Throws the first failure that happened outside the test body, if any. */
  checkBackground(): void {
    if (this.background !== undefined) throw this.background.error;
  }

  /** Records a failure seen outside the test body (a client loop, a reply check). */
  recordBackgroundFailure(error: unknown): void {
    if (this.background !== undefined || this.finished) return;
    this.background = { error };
    this.failed = true;
    this.rejectBackground(error);
  }

  private pendingSuffix(): string {
    const pending = this.calls.describe();
    return pending.length === 0 ? '' : `; still waiting for ${pending.join('; ')}`;
  }
}

/**
 * Registers a simulated test that runs body on a fresh harness: the body calls begin()/end()
 * itself (one test may have several sections); the test ends at once when background work
 * fails, fails at the 120 s limit naming the Clerk calls that had not returned, and always
 * cleans up.
 */
export function registerHarnessTest<H extends Harness>(name: string, make: () => H, body: (cfg: H, name: string) => Promise<void>): void {
  registerSimTest(name, async (): Promise<PassedStats> => {
    const cfg = make();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeLimit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(cfg.timeLimitFailure()), Math.max(0, harnessTimeLimitMs - cfg.elapsedMs()));
    });
    timeLimit.catch(() => undefined);
    try {
      const running = body(cfg, name);
      running.catch(() => undefined);
      await Promise.race([running, cfg.backgroundFailure, timeLimit]);
      cfg.checkBackground();
      if (cfg.passed.length === 0) throw new Error(`${name}: the test body returned without calling cfg.end(), so nothing says it passed`);
      const sum: PassedStats = { timeS: 0, peers: cfg.peers(), rpcs: 0, cmds: 0 };
      for (const s of cfg.passed) {
        sum.timeS += s.timeS;
        sum.rpcs += s.rpcs;
        sum.cmds += s.cmds;
      }
      return sum;
    } catch (e) {
      cfg.markFailed();
      throw e;
    } finally {
      clearTimeout(timer);
      cfg.cleanup();
    }
  });
}
