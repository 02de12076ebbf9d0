import { activeSchedule, type Schedule } from '../schedule/index.ts';
import type { Config } from './config.ts';
import type { KvConfig } from './kvconfig.ts';

/**
 * Routes the faults a test injects through the run's schedule, so an edited schedule can leave
 * some of them out. A fault is a call that changes the cluster: a crash of a running server, a
 * restart of a running one (crash and boot), a disconnect of a connected one, a partition, a
 * shutdown. Calls that change nothing (a crash of a crashed server) are not faults and take no
 * identity, so they cannot shift the numbering of real ones.
 *
 * A fault left out leaves the server as it was: a crash left out keeps the server running, and
 * the restart that would have ended that crash is left out with it (the test body restarts
 * only crashed servers, so it would otherwise reboot a healthy one). Calls the tester makes
 * inside a fault (start1 crashes first, a crash disconnects) belong to that fault.
 *
 * The config's methods are wrapped on the instance: the port of config.go stays as it was.
 */
export function scheduleRaftFaults(cfg: Config): void {
  const schedule = activeSchedule();
  if (schedule === undefined) return;
  const gate = new Nesting();
  /** Servers whose crash was left out: for the test they are down until their next start1. */
  const keptUp = new Set<number>();
  const crash1 = cfg.crash1.bind(cfg);
  const start1 = cfg.start1.bind(cfg);
  const disconnect = cfg.disconnect.bind(cfg);
  const connect = cfg.connect.bind(cfg);

  cfg.crash1 = (i) => {
    if (gate.inside) return crash1(i);
    if (keptUp.has(i)) return;
    if (cfg.rafts[i] !== null && !faultOn(schedule, 'crash', i)) {
      keptUp.add(i);
      return;
    }
    gate.run(() => crash1(i));
  };
  cfg.start1 = (i, applier) => {
    if (gate.inside) return start1(i, applier);
    if (keptUp.delete(i)) return;
    if (cfg.rafts[i] !== null) {
      if (!faultOn(schedule, 'restart', i)) return;
    } else {
      schedule.repair('start', [`S${i}`]);
    }
    gate.run(() => start1(i, applier));
  };
  cfg.disconnect = (i) => {
    if (gate.inside) return disconnect(i);
    if (keptUp.has(i)) return;
    if (cfg.connected[i] && !faultOn(schedule, 'disconnect', i)) return;
    gate.run(() => disconnect(i));
  };
  cfg.connect = (i) => {
    if (!gate.inside && !cfg.connected[i]) schedule.repair('connect', [`S${i}`]);
    gate.run(() => connect(i));
  };
}

/** The same for the key/value tester: shutdowns, restarts and partitions. */
export function scheduleKvFaults(cfg: KvConfig): void {
  const schedule = activeSchedule();
  if (schedule === undefined) return;
  const gate = new Nesting();
  const keptUp = new Set<number>();
  const shutdownServer = cfg.shutdownServer.bind(cfg);
  const startServer = cfg.startServer.bind(cfg);
  const partition = cfg.partition.bind(cfg);

  cfg.shutdownServer = (i) => {
    if (gate.inside) return shutdownServer(i);
    if (keptUp.has(i)) return;
    if (cfg.kvservers[i] !== null && !faultOn(schedule, 'shutdown', i)) {
      keptUp.add(i);
      return;
    }
    gate.run(() => shutdownServer(i));
  };
  cfg.startServer = (i) => {
    if (gate.inside) return startServer(i);
    if (keptUp.delete(i)) return;
    schedule.repair('start', [`S${i}`]);
    gate.run(() => startServer(i));
  };
  cfg.partition = (p1, p2) => {
    if (gate.inside) return partition(p1, p2);
    if (p2.length === 0) {
      schedule.repair('heal', p1.map((i) => `S${i}`));
      return gate.run(() => partition(p1, p2));
    }
    const groups = `[${p1.join(' ')}] [${p2.join(' ')}]`;
    const servers = [...p1, ...p2].map((i) => `S${i}`);
    // A partition left out is no partition: every server hears every other until the next one.
    if (!schedule.fault('partition', '', servers, groups)) return gate.run(() => partition(cfg.all(), []));
    gate.run(() => partition(p1, p2));
  };
}

function faultOn(schedule: Schedule, kind: 'crash' | 'restart' | 'disconnect' | 'shutdown', i: number): boolean {
  return schedule.fault(kind, `S${i}`, [`S${i}`]);
}

/** Tells calls made inside a fault from the test's own calls. */
class Nesting {
  private depth = 0;

  get inside(): boolean {
    return this.depth > 0;
  }

  run<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }
}
