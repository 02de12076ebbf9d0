/**
 * The trace recorder: one object per traced run that collects every RPC step (from labrpc's
 * observer), every student `debug` line (from the log sink) and what the tester tells it
 * (faults, Start, apply, snapshots, checker steps, sampled GetState, the failure), each with
 * the run's virtual time and the server where it happened.
 *
 * Off costs nothing: the tester writes `activeRecorder()?.crash(i)`, which is one function
 * call and a test of undefined when no recorder is active, and neither the network nor the
 * logger has an observer.
 *
 * Memory is bounded: past `maxEvents` the recorder keeps the most recent events in a ring and
 * counts what it dropped, and the trace says so. Log lines are cut at `logCharsMax`.
 */
import { writeFileSync } from 'node:fs';
import { now, setLogSink } from '../sim/index.ts';
import type { EndName, Network, RpcEvent } from '../labrpc/index.ts';
import { summarize } from './summarize.ts';
import {
  traceFormat,
  traceVersion,
  type CheckEvent,
  type LogEvent,
  type NetKind,
  type Party,
  type Role,
  type RpcStepEvent,
  type Trace,
  type TraceEvent,
  type TraceMeta,
} from './types.ts';

/** Default cap on recorded events: about 100-150 MB of heap at worst. */
export const defaultMaxEvents = 1_000_000;
/** Student log lines longer than this are cut (with "…"), so one huge line cannot fill memory. */
export const defaultLogCharsMax = 500;
/** Checker details and failure messages are cut here: long enough for any tester message. */
const messageCharsMax = 4000;

export interface RecorderOptions {
  /** Keep at most this many events (the most recent). Default 1 000 000. */
  maxEvents?: number;
  /** The run's clock in ms; default sim's now() (virtual time inside a simulated run). */
  clock?: () => number;
  /** Cut student log lines to this many characters. Default 500. */
  logCharsMax?: number;
}

/** The two ends of a named labrpc end: who calls whom. */
interface EndInfo {
  from: Party;
  to: Party;
}

/** A trailing "S2" (or "s2") in a debug namespace like "raft:S2" names server 2. */
const serverInNamespace = /[Ss](\d+)$/;

export class TraceRecorder {
  readonly maxEvents: number;
  private readonly clock: () => number;
  private readonly logCharsMax: number;
  /** Ring of events: grows to maxEvents, then `head` is the oldest and is overwritten next. */
  private readonly ring: TraceEvent[] = [];
  private head = 0;
  private dropped = 0;
  private metaInfo: TraceMeta = {};
  private readonly ends = new Map<EndName, EndInfo>();
  private readonly networks = new Set<Network>();
  private logsAttached = false;
  /** Last sampled state per server, so unchanged samples are not recorded. */
  private readonly lastState = new Map<number, string>();
  private sampler: ((server: number) => [term: number, isLeader: boolean] | undefined) | undefined;

  constructor(options: RecorderOptions = {}) {
    const maxEvents = options.maxEvents ?? defaultMaxEvents;
    if (!Number.isInteger(maxEvents) || maxEvents < 1) throw new RangeError(`TraceRecorder: maxEvents must be a positive integer, got ${String(maxEvents)}`);
    this.maxEvents = maxEvents;
    this.clock = options.clock ?? now;
    this.logCharsMax = options.logCharsMax ?? defaultLogCharsMax;
  }

  // ---- wiring ----

  /** Records every RPC step of `network` (replaces any other observer it had). */
  attachNetwork(network: Network): void {
    this.networks.add(network);
    network.setObserver(this.onRpc);
  }

  /** Records every student `debug` line, printed or not (replaces any other log sink). */
  attachLogs(): void {
    this.logsAttached = true;
    setLogSink(this.onLog);
  }

  /** Stops recording from the networks and the logger (what was recorded stays). */
  detach(): void {
    for (const network of this.networks) network.setObserver(undefined);
    this.networks.clear();
    if (this.logsAttached) setLogSink(undefined);
    this.logsAttached = false;
  }

  /**
   * Says that the labrpc end `endName` is `from`'s connection to `to`: end names are opaque
   * random strings, so without this an RPC has no lanes to be drawn between.
   */
  nameEnd(endName: EndName, from: Party, to: Party): void {
    this.ends.set(endName, { from, to });
  }

  // ---- what the tester reports ----

  crash(server: number): void {
    this.lastState.delete(server);
    this.push({ t: this.time(), k: 'crash', s: server });
  }

  restart(server: number): void {
    this.lastState.delete(server);
    this.push({ t: this.time(), k: 'restart', s: server });
  }

  connect(server: number): void {
    this.push({ t: this.time(), k: 'connect', s: server });
  }

  disconnect(server: number): void {
    this.push({ t: this.time(), k: 'disconnect', s: server });
  }

  /** The network now reaches only within each group. */
  partition(groups: number[][]): void {
    this.push({ t: this.time(), k: 'partition', groups: groups.map((g) => [...g]) });
  }

  /** A network switch: `net('reliable', false)` is an unreliable network. */
  net(kind: NetKind, on: boolean): void {
    this.push({ t: this.time(), k: 'net', what: kind, on });
  }

  /** Start(command) on `server` returned (index, term, isLeader=true). */
  start(server: number, index: number, term: number, command: unknown): void {
    this.push({ t: this.time(), k: 'start', s: server, index, term, cmd: summarize(command) });
  }

  /** `server` applied `command` at `index` (an ApplyMsg with CommandValid). */
  apply(server: number, index: number, command: unknown): void {
    this.push({ t: this.time(), k: 'apply', s: server, index, cmd: summarize(command) });
  }

  /** `server` applied a snapshot through `index` (an ApplyMsg with SnapshotValid). */
  applySnapshot(server: number, index: number): void {
    this.push({ t: this.time(), k: 'apply', s: server, index, cmd: 'snapshot', snap: true });
  }

  /** `server` called Snapshot(index, ...): its log is trimmed through `index`. */
  snapshot(server: number, index: number): void {
    this.push({ t: this.time(), k: 'snapshot', s: server, index });
  }

  /** A checker step: `check('checkOneLeader', true, 'leader 2 in term 3')`. */
  check(name: string, ok: boolean, detail?: string): void {
    const event: CheckEvent = { t: this.time(), k: 'check', name, ok };
    if (detail !== undefined) event.detail = cut(detail, messageCharsMax);
    this.push(event);
  }

  /** A sampled GetState of `server`; recorded only if term or role changed since its last sample. */
  state(server: number, term: number, role: Role): void {
    const key = `${term}/${role}`;
    if (this.lastState.get(server) === key) return;
    this.lastState.set(server, key);
    this.push({ t: this.time(), k: 'state', s: server, term, role });
  }

  /**
   * The check that failed the test, at the moment it was detected. A failure is often recorded
   * after the run has ended (its clock is gone by then): `atMs` gives the run's time it failed at.
   */
  failure(check: string, message: string, atMs?: number): void {
    this.push({ t: atMs === undefined ? this.time() : roundMs(atMs), k: 'failure', check, message: cut(message, messageCharsMax) });
  }

  /** Sets facts about the run (merged with earlier ones): test name, seed, mode, servers. */
  meta(info: TraceMeta): void {
    this.metaInfo = { ...this.metaInfo, ...info };
  }

  /** A log line from elsewhere than `debug` (the tester's own notes, for instance). */
  log(namespace: string, text: string, server?: number): void {
    this.pushLog(namespace, text, this.time(), server);
  }

  // ---- reading ----

  /** Events held now (at most maxEvents). */
  get size(): number {
    return this.ring.length;
  }

  /** Oldest events dropped to stay under the cap. */
  get droppedEvents(): number {
    return this.dropped;
  }

  /** The held events, oldest first (a copy). */
  events(): TraceEvent[] {
    if (this.dropped === 0) return this.ring.slice();
    return this.ring.slice(this.head).concat(this.ring.slice(0, this.head));
  }

  /** The whole trace as one JSON-ready object. */
  toJSON(): Trace {
    return { format: traceFormat, version: traceVersion, meta: { ...this.metaInfo }, maxEvents: this.maxEvents, droppedEvents: this.dropped, events: this.events() };
  }

  /** Writes the trace as JSON to `path` (synchronously, so it is on disk before a failing test ends). */
  writeTrace(path: string): void {
    writeFileSync(path, JSON.stringify(this.toJSON()), 'utf8');
  }

  // ---- internals ----

  private time(): number {
    return roundMs(this.clock());
  }

  private push(event: TraceEvent): void {
    if (this.ring.length < this.maxEvents) {
      this.ring.push(event);
      return;
    }
    this.ring[this.head] = event;
    this.head = this.head + 1 === this.maxEvents ? 0 : this.head + 1;
    this.dropped++;
  }

  /** labrpc's observer: an arrow function so that it can be handed over as is. */
  private readonly onRpc = (e: RpcEvent): void => {
    const end = this.ends.get(e.end);
    const event: RpcStepEvent = { t: roundMs(e.timeMs), k: 'rpc', id: e.id, fate: e.fate, method: e.svcMeth };
    if (end !== undefined) {
      event.s = end.from;
      event.to = end.to;
    } else if (e.server !== undefined) {
      event.to = e.server;
    }
    if (e.bytes !== undefined) event.bytes = e.bytes;
    if (e.delayMs !== undefined) event.delayMs = e.delayMs;
    this.push(event);
    // A handler may have changed its server's term or role: look at both ends of the RPC.
    if (this.sampler !== undefined && (e.fate === 'replied' || e.fate === 'delivered')) {
      if (typeof event.s === 'number') this.sampleState(event.s);
      if (typeof event.to === 'number') this.sampleState(event.to);
    }
  };

  /**
   * Sets how to read a server's [term, isLeader] (the tester passes GetState). The recorder
   * samples it whenever an RPC reaches or leaves the server, recording changes only; sampling
   * reads state and schedules nothing, so a traced run stays event-for-event the same.
   */
  setStateSampler(sampler: ((server: number) => [term: number, isLeader: boolean] | undefined) | undefined): void {
    this.sampler = sampler;
  }

  /** Samples one server's state now (the tester also calls this after crashes and restarts). */
  sampleState(server: number): void {
    const got = this.sampler?.(server);
    if (got !== undefined) this.state(server, got[0], got[1] ? 'leader' : 'follower');
  }

  /** sim's log sink. */
  private readonly onLog = (namespace: string, text: string, timeMs: number): void => {
    this.pushLog(namespace, text, roundMs(timeMs), undefined);
  };

  private pushLog(namespace: string, text: string, t: number, server: number | undefined): void {
    let s = server;
    if (s === undefined) {
      const match = serverInNamespace.exec(namespace);
      if (match !== null) s = Number(match[1]);
    }
    const event: LogEvent = { t, k: 'log', ns: namespace, text: cut(text, this.logCharsMax) };
    if (s !== undefined) event.s = s;
    this.push(event);
  }
}

/** Times to the microsecond: real-time runs give long fractions that only bloat the file. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

// ---- the active recorder ----

let active: TraceRecorder | undefined;

/** The recorder of the current traced run, or undefined (then callers do nothing). */
export function activeRecorder(): TraceRecorder | undefined {
  return active;
}

/** Makes `recorder` the active one (undefined: tracing off). */
export function setActiveRecorder(recorder: TraceRecorder | undefined): void {
  active = recorder;
}
