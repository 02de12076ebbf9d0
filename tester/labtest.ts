import { registerSimTest } from './simtest.ts';
import { makeConfig, type Config, type MakeRaft } from './config.ts';
import type { PassedStats } from './runner.ts';

/** The parts of the Raft lab; 2X goes beyond 6.5840 (targeted schedules), graded apart. */
export type LabPart = '2A' | '2B' | '2C' | '2D' | '2X';

export interface LabTestOptions {
  /** Number of Raft servers. */
  servers: number;
  /** Start with an unreliable network (drops, delays); tests may change it with cfg.setUnreliable. */
  unreliable?: boolean;
  /** Use the snapshotting applier (2D), which calls Snapshot() every SnapShotInterval commands. */
  snapshot?: boolean;
  /** Test another Raft than raft/raft.ts (for the tester's own tests). */
  make?: MakeRaft;
}

/**
 * Registers a graded Raft test named `Test (<part>): <title>`, as 6.5840's test_test.go
 * writes them:
 *
 *   labTest('2A', 'initial election', { servers: 3 }, async (cfg) => {
 *     await cfg.checkOneLeader();
 *   });
 *
 * The test runs on the simulator with its own seed. labTest makes the config, calls
 * cfg.begin(name) before the body and cfg.end() after it (which prints the Passed line), and
 * always cfg.cleanup(). An apply error or a failed cfg.go() task ends the test at once, even
 * while the body sleeps (in 6.5840 it killed the test process).
 */
export function labTest(part: LabPart, title: string, options: LabTestOptions, body: (cfg: Config) => Promise<void>): void {
  const name = `Test (${part}): ${title}`;
  registerSimTest(name, async (): Promise<PassedStats> => {
    const cfg = makeConfig(options.servers, options.unreliable ?? false, options.snapshot ?? false, { make: options.make });
    try {
      cfg.begin(name);
      const running = body(cfg);
      // If the background failure wins the race, the body is abandoned; its later failure must not go unhandled.
      running.catch(() => undefined);
      await Promise.race([running, cfg.backgroundFailure]);
      return cfg.end();
    } catch (e) {
      cfg.markFailed();
      throw e;
    } finally {
      cfg.cleanup();
    }
  });
}
