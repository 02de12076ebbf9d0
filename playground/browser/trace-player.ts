/**
 * Plays a recorded trace of a graded run (`lab replay TEST --seed S --playground`) in the
 * page, speaking the worker's protocol so that the page's controls work unchanged: play at a
 * speed, pause, step an event, go to an instant or event (a trace is all in memory, so going
 * back is a rescan). Servers' roles and terms come from the tester's GetState samples, faults
 * from its crash/restart/connect/disconnect/partition events, messages from labrpc's RPC steps,
 * and the checks, safety monitors and the failure of the test become the page's marks.
 */
import type { Trace, TraceEvent } from '../../trace/types.ts';
import type { Flight, Frame, FromWorker, Mark, NodeView, Target, ToWorker } from '../engine/protocol.ts';

interface ServerState {
  role: NodeView['role'];
  term: number | undefined;
  crashed: boolean;
  connected: boolean;
  applied: number;
  log: Map<number, { term: number; command: string }>;
}

/** A trace player with the surface of a Worker (postMessage, onmessage, terminate). */
export class TracePlayer {
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  private readonly events: TraceEvent[];
  private readonly n: number;
  private index = 0;
  private timeMs = 0;
  private states: ServerState[] = [];
  private partition: number[][] | undefined;
  private termOfIndex = new Map<number, number>();
  private pendingRequests = new Map<number, { t: number; from: number; to: number; method: string }>();
  private flights: Flight[] = [];
  private marks: Mark[] = [];
  private narration: string;
  private rpcs = 0;
  private bytes = 0;
  private nextFlight = 1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private speed = 1;
  private lastWall = 0;

  constructor(trace: Trace) {
    this.events = trace.events;
    let servers = typeof trace.meta.servers === 'number' ? trace.meta.servers : 0;
    for (const e of trace.events) if ('s' in e && typeof e.s === 'number') servers = Math.max(servers, e.s + 1);
    this.n = Math.max(1, servers);
    const failure = trace.events.find((e) => e.k === 'failure');
    this.narration = `Recorded run of "${String(trace.meta.test ?? 'a test')}", seed ${String(trace.meta.seed ?? '?')}: ${failure === undefined ? 'it passed' : `it failed at ${(failure.t / 1000).toFixed(3)} s`}. Clicks on servers are off in a recorded run.`;
    this.reset();
  }

  postMessage(m: ToWorker): void {
    switch (m.type) {
      case 'start':
        this.reset();
        this.speed = m.speed > 0 ? m.speed : 1;
        if (m.target !== null) this.seek(m.target, m.speed);
        else if (m.speed > 0) this.play(m.speed);
        else this.emitFrame(true);
        return;
      case 'play':
        return this.play(m.speed);
      case 'pause':
        this.stop();
        return this.emitFrame(true);
      case 'step':
        this.stop();
        if (this.index < this.events.length) this.apply(this.events[this.index]!);
        return this.emitFrame(true);
      case 'seek':
        return this.seek(m.target, m.speed);
      case 'action':
      case 'schedule':
        this.emit({ type: 'log', text: 'this is a recorded run: crashes, cuts and commands are off (run a scene to try them)' });
        return;
      case 'ping':
        return this.emit({ type: 'pong', id: m.id });
    }
  }

  terminate(): void {
    this.stop();
    this.onmessage = null;
  }

  private emit(message: FromWorker): void {
    const handler = this.onmessage;
    if (handler !== null) queueMicrotask(() => handler({ data: message } as MessageEvent<FromWorker>));
  }

  private reset(): void {
    this.stop();
    this.index = 0;
    this.timeMs = 0;
    this.partition = undefined;
    this.termOfIndex = new Map();
    this.pendingRequests = new Map();
    this.flights = [];
    this.marks = [];
    this.rpcs = 0;
    this.bytes = 0;
    this.states = Array.from({ length: this.n }, () => ({ role: 'follower' as const, term: undefined, crashed: false, connected: true, applied: 0, log: new Map() }));
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private play(speed: number): void {
    this.stop();
    this.speed = speed;
    this.lastWall = performance.now();
    this.timer = setInterval(() => this.tick(), 16);
  }

  private tick(): void {
    const wall = performance.now();
    const dt = (wall - this.lastWall) * (this.speed === Number.POSITIVE_INFINITY ? 1000 : this.speed);
    this.lastWall = wall;
    this.advanceTo(this.timeMs + dt);
    if (this.index >= this.events.length) {
      this.stop();
      this.emitFrame(true);
      return;
    }
    this.emitFrame(false);
  }

  private seek(target: NonNullable<Target>, speed: number): void {
    this.stop();
    const behind = 'timeMs' in target ? target.timeMs < this.timeMs : target.events < this.index;
    if (behind) this.reset();
    if ('timeMs' in target) this.advanceTo(target.timeMs);
    else while (this.index < Math.min(target.events, this.events.length)) this.apply(this.events[this.index]!);
    if (speed > 0) this.play(speed);
    else this.emitFrame(true);
  }

  private advanceTo(timeMs: number): void {
    while (this.index < this.events.length && this.events[this.index]!.t <= timeMs) this.apply(this.events[this.index]!);
    const last = this.events.at(-1)?.t ?? 0;
    this.timeMs = Math.min(Math.max(this.timeMs, timeMs), last);
  }

  private mark(t: number, kind: Mark['kind'], text: string): void {
    this.marks.push({ atMs: t, atEvent: this.index, kind, text });
  }

  private apply(e: TraceEvent): void {
    this.index++;
    this.timeMs = Math.max(this.timeMs, e.t);
    const server = (s: unknown): ServerState | undefined => (typeof s === 'number' ? this.states[s] : undefined);
    switch (e.k) {
      case 'state': {
        const st = server(e.s);
        if (st !== undefined) {
          st.term = e.term;
          st.role = e.role;
        }
        return;
      }
      case 'crash':
      case 'restart': {
        const st = server(e.s);
        if (st !== undefined) {
          st.crashed = e.k === 'crash';
          if (e.k === 'restart') st.applied = 0;
        }
        this.mark(e.t, 'info', `S${e.s} ${e.k === 'crash' ? 'crashed' : 'restarted'}`);
        return;
      }
      case 'connect':
      case 'disconnect': {
        const st = server(e.s);
        if (st !== undefined) st.connected = e.k === 'connect';
        this.mark(e.t, 'info', `S${e.s} ${e.k === 'connect' ? 'reconnected' : 'disconnected'}`);
        return;
      }
      case 'partition':
        this.partition = e.groups;
        this.mark(e.t, 'info', `partition: ${e.groups.map((g) => `{${g.map((s) => `S${s}`).join(', ')}}`).join(' ')}`);
        return;
      case 'start':
        this.termOfIndex.set(e.index, e.term);
        server(e.s)?.log.set(e.index, { term: e.term, command: e.cmd });
        return;
      case 'apply': {
        const st = server(e.s);
        if (st === undefined) return;
        st.applied = Math.max(st.applied, e.index);
        if (e.snap !== true) st.log.set(e.index, { term: this.termOfIndex.get(e.index) ?? -1, command: e.cmd });
        return;
      }
      case 'check':
        if (!e.ok) this.mark(e.t, 'fail', `${e.name}: ${e.detail ?? 'failed'}`);
        return;
      case 'failure':
        this.mark(e.t, 'fail', `${e.check}: ${e.message}`);
        return;
      case 'rpc':
        this.rpc(e);
        return;
      default:
        return;
    }
  }

  private rpc(e: Extract<TraceEvent, { k: 'rpc' }>): void {
    const from = typeof e.s === 'number' ? e.s : undefined;
    const to = typeof e.to === 'number' ? e.to : undefined;
    if (from === undefined || to === undefined) return;
    const flight = (f: number, g: number, t0: number, t1: number, reply: boolean, fate: Flight['fate']): void => {
      this.flights.push({ id: this.nextFlight++, rpc: e.id, from: f, to: g, method: e.method, reply, t0, t1, fate, label: '' });
    };
    switch (e.fate) {
      case 'sent':
        this.rpcs++;
        this.bytes += e.bytes ?? 0;
        this.pendingRequests.set(e.id, { t: e.t, from, to, method: e.method });
        return;
      case 'delivered': {
        const sent = this.pendingRequests.get(e.id);
        flight(from, to, sent?.t ?? e.t, e.t, false, 'delivered');
        this.pendingRequests.set(e.id, { t: e.t, from, to, method: e.method });
        return;
      }
      case 'request-dropped':
      case 'unreachable':
      case 'server-dead': {
        const sent = this.pendingRequests.get(e.id);
        flight(from, to, sent?.t ?? e.t, e.t, e.fate === 'server-dead', e.fate === 'request-dropped' ? 'dropped' : 'lost');
        this.pendingRequests.delete(e.id);
        return;
      }
      case 'reply-dropped': {
        const at = this.pendingRequests.get(e.id);
        flight(to, from, at?.t ?? e.t, e.t, true, 'dropped');
        this.pendingRequests.delete(e.id);
        return;
      }
      case 'replied': {
        const at = this.pendingRequests.get(e.id);
        this.bytes += e.bytes ?? 0;
        flight(to, from, at?.t ?? e.t, e.t, true, 'delivered');
        this.pendingRequests.delete(e.id);
        return;
      }
      default:
        return;
    }
  }

  private cuts(): [number, number][] {
    const out: [number, number][] = [];
    for (let a = 0; a < this.n; a++) {
      for (let b = a + 1; b < this.n; b++) {
        const sa = this.states[a]!;
        const sb = this.states[b]!;
        const split = this.partition !== undefined && !this.partition.some((g) => g.includes(a) && g.includes(b));
        if (!sa.connected || !sb.connected || split) out.push([a, b]);
      }
    }
    return out;
  }

  private emitFrame(paused: boolean): void {
    const nodes: NodeView[] = this.states.map((st, id) => {
      const log = [...st.log.entries()].sort((x, y) => x[0] - y[0]).slice(-40).map(([index, v]) => ({ index, term: v.term, command: v.command }));
      return {
        id,
        role: st.crashed ? 'crashed' : st.role,
        term: st.crashed ? undefined : st.term,
        votedFor: undefined,
        log: st.crashed ? undefined : log,
        lastIndex: log.at(-1)?.index,
        commitIndex: st.applied,
        applied: st.applied,
        timer: undefined,
        stateError: undefined,
      };
    });
    const frame: Frame = {
      timeMs: this.timeMs,
      events: this.index,
      nextEventMs: this.events[this.index]?.t,
      nodes,
      cuts: this.cuts(),
      dropRate: 0,
      delayMinMs: 0,
      delayMaxMs: 0,
      flights: this.flights,
      marks: this.marks,
      narration: this.narration,
      rpcs: this.rpcs,
      bytes: this.bytes,
    };
    this.flights = [];
    this.marks = [];
    this.emit({ type: 'frame', frame, paused });
  }
}
