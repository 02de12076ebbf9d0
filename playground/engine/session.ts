/**
 * One playground run: the simulator (one code base with the tests) driving the student's Raft
 * in a PlaygroundCluster (in kv scenes, the student's KVServers and Clerks over it), a scene
 * script, and the user's actions. Between every two events,
 * once every promise continuation has settled, the session applies the actions due at that
 * point, runs the monitor, and hands the next event to its host: Node fires it at once, the
 * page's worker when the animation's clock reaches it. Same seed, same actions: the same run,
 * event for event, in either host (the trace hash proves it).
 */
import { currentRuntime, describeThrown, lastRunInfo, nextEventAtMs, now, runSimulation, sleep } from '../../sim/index.ts';
import { SafetyMonitor } from '../../tester/safety.ts';
import { TestFailure } from '../../tester/failure.ts';
import { PlaygroundCluster, type MakeRaft } from './cluster.ts';
import { crashedView, inspectRaft } from './inspect.ts';
import { KvClients, quote } from './kv-clients.ts';
import { readKvMap } from './kv-server.ts';
import { kvAbsentReason, kvBinding, type KvBinding } from './kv-source.ts';
import { Monitor } from './monitor.ts';
import { findScene, type SceneContext } from './scenes.ts';
import type { Action, ActionBody, Flight, Frame, KvServerView, Mark, MarkKind, NodeView, RunConfig } from './protocol.ts';

/** Captured before any run: inside a run the global setImmediate is virtual. */
const hostImmediate: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis) as (fn: () => void) => void;

/** A playground run lasts at most this much simulated time. */
export const runLimitMs = 3_600_000;
/** The kv scenes' servers never snapshot (6.5840's maxraftstate -1): their logs stay short. */
const kvMaxRaftState = -1;
/** Flights and marks kept for the next frame; older ones are dropped if no host reads them. */
const bufferMax = 20_000;

/** Node's host: every event fires as soon as the last one settled. */
export const immediateHost: SessionHost = { draws: false, between: (release) => release() };

export interface SessionHost {
  /** Between two events: call `release` (now or later, once) to fire the next one. */
  between(release: () => void): void;
  /** Whether the host draws (collects flights and marks for frames). */
  readonly draws: boolean;
}

export interface SessionOutcome {
  ok: boolean;
  message: string;
  traceHash: string;
  timeMs: number;
  events: number;
  realMs: number;
}

/** Checks a run's settings; a message saying what is wrong, or '' if they are fine. */
export function checkConfig(c: RunConfig): string {
  if (findScene(c.scene) === undefined) return `unknown scene "${c.scene}"`;
  if (!Number.isInteger(c.servers) || c.servers < 3 || c.servers > 7) return `servers must be a whole number from 3 to 7, got ${c.servers}`;
  if (!(c.dropRate >= 0 && c.dropRate <= 1)) return `dropRate must be from 0 to 1, got ${c.dropRate}`;
  if (!(c.delayMinMs >= 0 && c.delayMaxMs >= c.delayMinMs && c.delayMaxMs <= 5000)) return `delays must satisfy 0 <= min <= max <= 5000 ms, got ${c.delayMinMs}..${c.delayMaxMs}`;
  return '';
}

/** A tester verdict as the tester's report words it: the check, the message, what was expected and seen. */
function describeFailure(f: TestFailure): string {
  const lines = [`${f.check}: ${f.message}`];
  if (f.details.expected !== undefined) lines.push(`expected: ${f.details.expected}`);
  if (f.details.seen !== undefined) lines.push(`seen: ${f.details.seen}`);
  return lines.join('\n');
}

export class Session {
  /** Events fired so far. */
  eventsFired = 0;
  narration = '';
  /** Every action applied, at its place (replayed ones and live ones). */
  readonly applied: Action[] = [];
  private paces = 0;
  private held: (() => void) | undefined;
  private cluster: PlaygroundCluster | undefined;
  private monitor: Monitor | undefined;
  private kvClients: KvClients | undefined;
  private readonly pending: Action[];
  private flights: Flight[] = [];
  private marks: Mark[] = [];
  private failures = 0;

  constructor(
    readonly config: RunConfig,
    actions: Action[],
    private readonly host: SessionHost,
    /** Another Raft than raft/raft.ts (tests of the playground's checks). */
    private readonly make?: MakeRaft,
    /** The key/value service of kv scenes: kvraft/'s, unless a test passes another (null: none). */
    private readonly kv: KvBinding | null = kvBinding ?? null,
  ) {
    const problem = checkConfig(config);
    if (problem !== '') throw new RangeError(problem);
    if (findScene(config.scene)!.service === 'kv' && kv === null) throw new RangeError(`the scene "${config.scene}" runs the key/value service, and there is none: ${kvAbsentReason || 'no kvraft'}`);
    this.pending = [...actions].sort((a, b) => a.atEvent - b.atEvent);
  }

  /** Runs until `untilMs` of simulated time (or the run limit); never throws. */
  async run(untilMs = runLimitMs - 1000): Promise<SessionOutcome> {
    const started = performance.now();
    try {
      const result = await runSimulation(() => this.body(untilMs), {
        seed: this.config.seed,
        mode: 'virtual',
        limits: { realTimeLimitMs: Number.POSITIVE_INFINITY, virtualTimeLimitMs: runLimitMs },
        pace: (next) => this.pace(next),
        // The page's bundle names places in the code differently from Node: one stream for both.
        testerStreamPerCallSite: false,
      });
      const ok = this.failures === 0;
      return { ok, message: ok ? 'the run ended with no failed check' : `${this.failures} check(s) failed`, traceHash: result.traceHash, timeMs: result.elapsedMs, events: result.events, realMs: performance.now() - started };
    } catch (e) {
      const info = lastRunInfo();
      const message = e instanceof TestFailure ? describeFailure(e) : describeThrown(e);
      this.mark('fail', message.split('\n').slice(0, 6).join('\n'));
      return { ok: false, message, traceHash: info.traceHash, timeMs: info.elapsedMs, events: info.events, realMs: performance.now() - started };
    }
  }

  /** Applies a user's action now (between two events) and records where it happened. */
  act(body: ActionBody): Action {
    const action = { ...body, atEvent: this.eventsFired } as Action;
    this.apply(action);
    hostImmediate(() => this.monitor?.check(this.cluster?.rafts ?? []));
    return action;
  }

  /** Adds an action this run will apply when it has fired `action.atEvent` events (not in its past). */
  schedule(action: Action): void {
    if (action.atEvent < this.eventsFired) throw new RangeError(`action at event ${action.atEvent} is in the past of this run (event ${this.eventsFired})`);
    this.pending.push(action);
    this.pending.sort((a, b) => a.atEvent - b.atEvent);
  }

  /** The state to draw now, with the flights and marks new since the last frame. */
  frame(timeMs = now()): Frame {
    const c = this.cluster;
    const m = this.monitor;
    const nodes =
      c === undefined || m === undefined
        ? []
        : c.rafts.map((rf, i): NodeView => {
            const state = m.states[i];
            if (rf === null || state === undefined) return crashedView(i, c.appliedIndex[i]!);
            const view = inspectRaft(i, rf, state, c.appliedIndex[i]!, now());
            const kv = c.kvServers[i];
            if (kv !== null && kv !== undefined) view.kv = { entries: readKvMap(kv), lastApplied: c.lastApplied[i] } satisfies KvServerView;
            return view;
          });
    const frame: Frame = {
      timeMs,
      events: this.eventsFired,
      nextEventMs: nextEventAtMs(),
      nodes,
      cuts: c?.cuts() ?? [],
      dropRate: c?.settings.dropRate ?? this.config.dropRate,
      delayMinMs: c?.settings.delayMinMs ?? this.config.delayMinMs,
      delayMaxMs: c?.settings.delayMaxMs ?? this.config.delayMaxMs,
      flights: this.flights,
      marks: this.marks,
      narration: this.narration,
      rpcs: c?.net.getTotalCount() ?? 0,
      bytes: c?.net.getTotalBytes() ?? 0,
    };
    if (this.kvClients !== undefined) frame.kv = { clerks: this.kvClients.views(), verdict: this.kvClients.verdict };
    this.flights = [];
    this.marks = [];
    return frame;
  }

  private async body(untilMs: number): Promise<void> {
    const { servers, dropRate, delayMinMs, delayMaxMs } = this.config;
    const scene = findScene(this.config.scene)!;
    const kv = scene.service === 'kv' ? this.kv ?? undefined : undefined;
    // A KVServer's Raft may send on applyCh before the page taps it: there, apply order is
    // checked from the first message seen.
    this.monitor = new Monitor(servers, (_key, text) => this.mark('fail', text), kv === undefined);
    const monitor = this.monitor;
    // The graded tests' safety monitors too: a violation ends the run with the tester's verdict.
    let cluster: PlaygroundCluster | undefined;
    const safety = new SafetyMonitor({ n: servers, raftOf: (i) => cluster?.rafts[i] ?? null }, servers);
    cluster = new PlaygroundCluster(servers, { dropRate, delayMinMs, delayMaxMs }, {
      flight: (f) => {
        if (this.host.draws && this.flights.length < bufferMax) this.flights.push(f);
      },
      applied: (i, msg) => {
        monitor.applied(i, msg);
        if (msg !== null && typeof msg === 'object' && msg.CommandValid === true) safety.onApply(i, msg.CommandIndex, msg.Command);
      },
      crashed: (i) => safety.onCrash(i),
      started: (i, index, term, isLeader) => safety.onStart(i, index, term, isLeader),
    }, this.make, kv === undefined ? undefined : { binding: kv, maxraftstate: kvMaxRaftState });
    this.cluster = cluster;
    if (kv !== undefined) this.kvClients = new KvClients(cluster, kv, (text) => this.mark('fail', text));
    cluster.net.setHandledObserver((rpc) => safety.onHandled(rpc));
    currentRuntime().addEventHook(() => safety.afterEvent());
    scene.script(this.sceneContext()).catch((e: unknown) => this.mark('fail', `the scene stopped: ${describeThrown(e).split('\n')[0]}`));
    await sleep(untilMs);
  }

  private sceneContext(): SceneContext {
    const cluster = (): PlaygroundCluster => this.cluster!;
    const monitor = (): Monitor => this.monitor!;
    const stateOf = (i: number) => {
      const s = monitor().states[i];
      return s?.ok === true ? s : undefined;
    };
    return {
      n: this.config.servers,
      say: (text) => {
        this.narration = text;
        this.mark('info', text);
      },
      pass: (text) => this.mark('pass', text),
      fail: (text) => this.mark('fail', text),
      leader: () => monitor().leader(),
      isLeader: (i) => stateOf(i)?.isLeader === true,
      term: (i) => stateOf(i)?.term,
      alive: (i) => cluster().alive(i),
      crash: (i) => cluster().crash(i),
      restart: (i) => {
        cluster().start(i);
        monitor().restarted(i);
      },
      cut: (a, b) => cluster().setCut(a, b, true),
      heal: (a, b) => cluster().setCut(a, b, false),
      submit: (command, server) => cluster().submit(command, server),
      applied: (i) => cluster().appliedIndex[i]!,
      kvCall: (op, key, value, clerk) => {
        const call = this.kvClients?.call(op, key, value, clerk);
        if (call !== undefined) this.mark('info', `C${call.clerk}: ${call.text}`);
        return call;
      },
      kvVerdict: () => this.kvClients?.verdict,
      waitFor: async (ready, timeoutMs, pollMs = 10) => {
        const deadline = now() + timeoutMs;
        for (;;) {
          monitor().check(cluster().rafts);
          if (ready()) return true;
          if (now() >= deadline) return false;
          await sleep(pollMs);
        }
      },
    };
  }

  private mark(kind: MarkKind, text: string): void {
    if (kind === 'fail') this.failures++;
    if (this.host.draws && this.marks.length < bufferMax) this.marks.push({ atMs: now(), atEvent: this.eventsFired, kind, text });
  }

  private apply(action: Action): void {
    const c = this.cluster;
    if (c === undefined) return;
    this.applied.push(action);
    const inRange = (i: number): boolean => Number.isInteger(i) && i >= 0 && i < c.n;
    switch (action.kind) {
      case 'crash':
        if (inRange(action.server)) c.crash(action.server);
        break;
      case 'restart':
        if (inRange(action.server) && !c.alive(action.server)) {
          c.start(action.server);
          this.monitor?.restarted(action.server);
        }
        break;
      case 'cut':
      case 'heal':
        if (inRange(action.a) && inRange(action.b)) c.setCut(action.a, action.b, action.kind === 'cut');
        break;
      case 'submit': {
        const by = c.submit(action.command);
        this.mark('info', by === undefined ? `"${action.command}": no server says it leads, so nobody took it` : `"${action.command}" submitted to S${by}`);
        break;
      }
      case 'net':
        c.settings = { dropRate: action.dropRate, delayMinMs: action.delayMinMs, delayMaxMs: action.delayMaxMs };
        break;
      case 'kv': {
        const clients = this.kvClients;
        if (clients === undefined) {
          this.mark('info', `${action.op} ${quote(action.key)}: Clerk calls need a key/value scene`);
          break;
        }
        const call = clients.call(action.op, action.key, action.op === 'Get' ? '' : action.value);
        this.mark('info', call === undefined ? `${action.op} ${quote(action.key)}: every Clerk is busy with a call; wait for one to return` : `C${call.clerk}: ${call.text}`);
        break;
      }
    }
  }

  private pace(next: () => void): void {
    this.eventsFired = this.paces++;
    this.held = next;
    hostImmediate(() => this.tick());
  }

  /** In a fresh task: every continuation of the last event has settled. */
  private tick(): void {
    const due = this.pending[0];
    if (due !== undefined && due.atEvent <= this.eventsFired) {
      this.pending.shift();
      this.apply(due);
      hostImmediate(() => this.tick()); // let the action's continuations settle too
      return;
    }
    this.monitor?.check(this.cluster?.rafts ?? []);
    this.host.between(() => this.release());
  }

  private release(): void {
    const next = this.held;
    this.held = undefined;
    next?.();
  }
}
