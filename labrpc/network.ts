import { currentRuntime, sleep, debug } from '../sim/index.ts';
import { activeSchedule, type MessageChoices } from '../schedule/index.ts';
import { encodeMessage, decodeMessage, messageView, argsSite, type WireMessage } from './wire.ts';
import type { Server } from './service.ts';

/** Names of ends and servers: the tester uses random strings for ends and numbers for servers. */
export type EndName = string | number;
export type ServerName = string | number;

/** The client side of a connection to one server; what student code calls. */
export interface ClientEnd {
  /**
   * Sends an RPC and waits for the reply, which is copied into `reply`. Resolves true if a
   * reply arrived, false if the network lost the request or the reply, or the server is
   * unreachable (that can take up to 7 s of simulated time in the Raft tests).
   */
  Call(svcMeth: string, args: object, reply: object): Promise<boolean>;
}

/** What happened to an RPC, for the trace recorder. */
export type RpcFate = 'sent' | 'request-dropped' | 'request-delayed' | 'delivered' | 'reply-dropped' | 'reply-delayed' | 'replied' | 'unreachable' | 'server-dead';

export interface RpcEvent {
  id: number;
  fate: RpcFate;
  svcMeth: string;
  end: EndName;
  server: ServerName | undefined;
  timeMs: number;
  bytes?: number;
  delayMs?: number;
}

/** Receives every step of every RPC; used by the trace recorder. Absent means no cost. */
export type RpcObserver = (event: RpcEvent) => void;

/** One message about to cross the network: a request on its way to the handler, or its reply on the way back. */
export interface Message {
  /** The RPC's number on this network (1, 2, ...), shared by its request and its reply. */
  id: number;
  svcMeth: string;
  end: EndName;
  server: ServerName;
  direction: 'request' | 'reply';
  /** The request or reply itself, to read and never to change. */
  content(): unknown;
}

/**
 * What a fault injector decides for one message: deliver it as usual, lose it (the caller gets
 * false at once, as when the unreliable network loses a message), or hold it back for `delayMs`.
 */
export type MessageVerdict = 'deliver' | 'drop' | { delayMs: number };

/** Decides the fate of each message; beyond 6.5840, for targeted fault tests. Absent means no cost. */
export type MessageInterceptor = (message: Message) => MessageVerdict | undefined;

/** A handled RPC: the handler ran and its reply left the server (the network may still lose it). */
export interface HandledRpc {
  id: number;
  svcMeth: string;
  end: EndName;
  server: ServerName;
  /** The request and the reply themselves, to read and never to change (no copy is made). */
  args(): unknown;
  reply(): unknown;
}

/** Sees every RPC whose handler ran, with its request and reply; used by the safety monitors. */
export type HandledObserver = (rpc: HandledRpc) => void;

const log = debug('labrpc');

/** Short delay before every request on an unreliable network: 0-26 ms, as labrpc's rand()%27. */
const unreliableDelayMsMax = 27;
/** Per-mille chance that an unreliable network drops a request before the handler runs (10%). */
const dropRequestPerMille = 100;
/** Per-mille chance that an unreliable network drops the reply after the handler ran (10%). */
const dropReplyPerMille = 100;
/** Long reordering delays 600 of every 900 replies (2/3)... */
const reorderOutOf = 900;
const reorderBelow = 600;
/** ...by 200 ms plus up to 2000 ms, skewed low: 200 + rand(1 + rand(2000)). */
const reorderBaseMs = 200;
const reorderSpreadMs = 2000;
/** An unreachable server's RPC fails after up to 7 s with long delays (so a leader must not call synchronously)... */
const longDelayMsMax = 7000;
/** ...or up to 100 ms without. */
const shortDelayMsMax = 100;
/** How often a waiting call re-checks that its end is still enabled and its server still there. */
const livenessCheckMs = 100;
/**
 * Every hop, request or reply, reliable or not, takes 20 us to 1 ms, like a goroutine hand-off
 * in Go's labrpc. Without it a reliable round trip would take no time at all: the first server
 * to time out would collect its votes before any other timer of the same instant fired, and a
 * Raft with a fixed election timeout would never see a split vote. The spread also lets
 * messages between different pairs of servers arrive in either order.
 */
const hopLatencyMsMin = 0.02;
const hopLatencyMsMax = 1;

/** A call whose handler is still running: what its liveness checks look at. */
class WaitingCall {
  resolve: (bytes: WireMessage | null) => void = ignoreReply;
  finished = false;
  deadlineMs = 0;
  constructor(
    private readonly network: Network,
    private readonly endName: EndName,
    private readonly serverName: ServerName,
    private readonly server: Server,
  ) {}

  isServerDead(): boolean {
    return this.network.isServerDead(this.endName, this.serverName, this.server);
  }
}

function ignoreReply(): void {}

/** The HandledRpc an observer sees; its getters read the messages in place. */
class Handled implements HandledRpc {
  constructor(
    readonly id: number,
    readonly svcMeth: string,
    readonly end: EndName,
    readonly server: ServerName,
    private readonly argsMessage: WireMessage,
    private readonly replyMessage: WireMessage,
  ) {}

  args(): unknown {
    return messageView(this.argsMessage);
  }

  reply(): unknown {
    return messageView(this.replyMessage);
  }
}

class End implements ClientEnd {
  deleted = false;
  constructor(
    readonly name: EndName,
    private readonly network: Network,
  ) {}

  Call(svcMeth: string, args: object, reply: object): Promise<boolean> {
    return this.network.call(this, svcMeth, args, reply);
  }
}

/**
 * A simulated network in the manner of 6.5840's labrpc: ends connect to servers, and an
 * unreliable network delays, drops and reorders. Every count and constant matches the
 * original, so the original tests' thresholds hold.
 */
export class Network {
  private reliable = true;
  private longDelays = false;
  private longReordering = false;
  private readonly ends = new Map<EndName, End>();
  private readonly enabled = new Map<EndName, boolean>();
  private readonly servers = new Map<ServerName, Server | null>();
  private readonly connections = new Map<EndName, ServerName | null>();
  private done = false;
  private count = 0;
  private bytes = 0;
  private nextRpcId = 1;
  private observer: RpcObserver | undefined;
  private interceptor: MessageInterceptor | undefined;
  private handledObserver: HandledObserver | undefined;
  private hopLatency = true;
  private readonly warnedDeleted = new Set<EndName>();
  /** Liveness checks of calls whose handler may still be running, in deadline order from checksHead. */
  private checks: WaitingCall[] = [];
  private checksHead = 0;
  private checkArmed = false;
  /** Read once: checking the DEBUG patterns on every RPC step would cost more than the step. */
  private readonly logging = log.enabled;

  /** Drops and delays messages when false. */
  setReliable(yes: boolean): void {
    this.reliable = yes;
  }

  /** Unreachable servers answer after up to 7 s instead of 100 ms. */
  setLongDelays(yes: boolean): void {
    this.longDelays = yes;
  }

  /** Two thirds of replies arrive 200-2200 ms late, so replies overtake each other. */
  setLongReordering(yes: boolean): void {
    this.longReordering = yes;
  }

  /** Calls every step of every RPC on `observer` (or stops, with undefined). */
  setObserver(observer: RpcObserver | undefined): void {
    this.observer = observer;
  }

  /** Lets `interceptor` drop or delay single messages (or stops, with undefined). */
  setInterceptor(interceptor: MessageInterceptor | undefined): void {
    this.interceptor = interceptor;
  }

  /** Calls `observer` with every RPC whose handler ran (or stops, with undefined). */
  setHandledObserver(observer: HandledObserver | undefined): void {
    this.handledObserver = observer;
  }

  /**
   * Turns the per-hop latency off (true by default). Only for tests of the network itself that
   * count events at one instant; graded tests always keep it.
   */
  setHopLatency(yes: boolean): void {
    this.hopLatency = yes;
  }

  /** Makes a new end; it starts disabled and unconnected. */
  makeEnd(name: EndName): ClientEnd {
    if (this.ends.has(name)) throw new Error(`makeEnd: end ${String(name)} already exists; end names must be unique`);
    const end = new End(name, this);
    this.ends.set(name, end);
    this.enabled.set(name, false);
    this.connections.set(name, null);
    return end;
  }

  /** Forgets an end; later Calls on it fail (and warn once). */
  deleteEnd(name: EndName): void {
    const end = this.ends.get(name);
    if (end !== undefined) end.deleted = true;
    this.ends.delete(name);
    this.enabled.delete(name);
    this.connections.delete(name);
  }

  addServer(name: ServerName, server: Server): void {
    this.servers.set(name, server);
  }

  /** Removes a server: its in-flight calls fail within 100 ms and their replies are never delivered. */
  deleteServer(name: ServerName): void {
    this.servers.set(name, null);
  }

  /** Connects an end to a server (an end connects once in its life). */
  connect(endName: EndName, serverName: ServerName): void {
    this.connections.set(endName, serverName);
  }

  /** Enables or disables an end: a disabled end's calls fail as if the network were cut. */
  enable(endName: EndName, enabled: boolean): void {
    this.enabled.set(endName, enabled);
  }

  /** RPCs dispatched to a server (after request drops). */
  getCount(serverName: ServerName): number {
    const server = this.servers.get(serverName);
    if (server === undefined || server === null) throw new Error(`getCount: server ${String(serverName)} does not exist or was deleted`);
    return server.getCount();
  }

  /** Every RPC sent on the network, delivered or not. */
  getTotalCount(): number {
    return this.count;
  }

  /** Bytes of every request sent plus every reply delivered. */
  getTotalBytes(): number {
    return this.bytes;
  }

  /** Shuts the network: every later Call fails at once. */
  cleanup(): void {
    this.done = true;
  }

  /**
   * @internal Used by ClientEnd.Call. Not an async function: the trip's own promise is the
   * call's (one promise less per RPC); bad arguments still reject instead of throwing.
   */
  call(end: End, svcMeth: string, args: object, reply: object): Promise<boolean> {
    if (typeof svcMeth !== 'string') return Promise.reject(new TypeError(`Call(svcMeth, args, reply): svcMeth must be a string like "Raft.RequestVote", got ${typeof svcMeth}`));
    if (args === null || typeof args !== 'object') return Promise.reject(new TypeError(`Call("${svcMeth}", args, reply): args must be an object, got ${args === null ? 'null' : typeof args}`));
    if (reply === null || typeof reply !== 'object') return Promise.reject(new TypeError(`Call("${svcMeth}", args, reply): reply must be an object to fill in, got ${reply === null ? 'null' : typeof reply}`));
    if (this.done) return Promise.resolve(false);
    let argsBytes: WireMessage;
    try {
      argsBytes = encodeMessage(args, argsSite(svcMeth));
    } catch (e) {
      return Promise.reject(e);
    }
    if (end.deleted && !this.warnedDeleted.has(end.name)) {
      this.warnedDeleted.add(end.name);
      process.stderr.write(`labrpc warning: Call("${svcMeth}") on end ${String(end.name)}, which was deleted; it will always return false. Use the ends the tester gives the new instance.\n`);
    }
    this.count++;
    this.bytes += argsBytes.length;
    const id = this.nextRpcId++;
    this.observe(id, 'sent', svcMeth, end.name, undefined, argsBytes.length);
    return this.deliver(id, end.name, svcMeth, argsBytes, reply);
  }

  /**
   * One trip: the request's hop (and, unreliable, its delay or loss), the handler, the reply's
   * fates and hop. Fills `reply` and resolves true, or false for no reply. The plain case
   * (reliable, no hooks, a handler that returns at once) sets two timers and builds no closure.
   */
  private async deliver(id: number, endName: EndName, svcMeth: string, argsBytes: WireMessage, reply: object): Promise<boolean> {
    const enabled = this.enabled.get(endName) === true;
    const serverName = this.connections.get(endName) ?? null;
    const server = serverName === null ? undefined : this.servers.get(serverName);
    const reliable = this.reliable;
    const longReordering = this.longReordering;

    if (!enabled || serverName === null || server === undefined || server === null) {
      await this.timeOut(id, svcMeth, endName, serverName ?? undefined);
      return false;
    }
    // The fates of this trip come from the run's schedule, which can edit them (else from the run's generator).
    const fates = reliable && !longReordering ? plainFates : this.fatesOf(svcMeth, endName, serverName, argsBytes);
    const requestDelayMs = (reliable ? 0 : fates.pick('request-delay', drawRequestDelay, 0)) + this.hopMs();
    if (requestDelayMs > 0) await sleep(requestDelayMs);
    if (!reliable && fates.pick('request-drop', drawRequestDrop, false)) {
      this.observe(id, 'request-dropped', svcMeth, endName, serverName);
      return false;
    }
    if (this.interceptor !== undefined) {
      const verdict = this.interceptor({ id, svcMeth, end: endName, server: serverName, direction: 'request', content: () => messageView(argsBytes) });
      if (verdict === 'drop') {
        this.observe(id, 'request-dropped', svcMeth, endName, serverName);
        return false;
      }
      if (verdict !== undefined && verdict !== 'deliver') {
        this.observe(id, 'request-delayed', svcMeth, endName, serverName, undefined, verdict.delayMs);
        await sleep(verdict.delayMs);
      }
    }
    this.observe(id, 'delivered', svcMeth, endName, serverName);
    const handled = server.dispatchMessage(svcMeth, argsBytes, String(serverName));
    // A handler that returned at once needs no liveness checks: they only matter while one runs.
    const replyBytes = handled instanceof Promise ? await this.awaitHandler(handled, new WaitingCall(this, endName, serverName, server)) : handled;
    if (replyBytes === null || this.isServerDead(endName, serverName, server)) {
      this.observe(id, 'server-dead', svcMeth, endName, serverName);
      return false;
    }
    if (this.handledObserver !== undefined) this.handledObserver(new Handled(id, svcMeth, endName, serverName, argsBytes, replyBytes));
    if (!reliable && fates.pick('reply-drop', drawReplyDrop, false)) {
      this.observe(id, 'reply-dropped', svcMeth, endName, serverName, replyBytes.length);
      return false;
    }
    if (this.interceptor !== undefined) {
      const verdict = this.interceptor({ id, svcMeth, end: endName, server: serverName, direction: 'reply', content: () => messageView(replyBytes) });
      if (verdict === 'drop') {
        this.observe(id, 'reply-dropped', svcMeth, endName, serverName, replyBytes.length);
        return false;
      }
      if (verdict !== undefined && verdict !== 'deliver') {
        this.observe(id, 'reply-delayed', svcMeth, endName, serverName, replyBytes.length, verdict.delayMs);
        await sleep(verdict.delayMs);
      }
    }
    const reorderMs = longReordering ? fates.pick('reply-reorder', drawReorderDelay, 0) : 0;
    if (reorderMs > 0) {
      this.observe(id, 'reply-delayed', svcMeth, endName, serverName, replyBytes.length, reorderMs);
      await sleep(reorderMs);
    }
    const replyDelayMs = this.hopMs();
    if (replyDelayMs > 0) await sleep(replyDelayMs);
    this.bytes += replyBytes.length;
    this.observe(id, 'replied', svcMeth, endName, serverName, replyBytes.length);
    Object.assign(reply, decodeMessage(replyBytes));
    return true;
  }

  /** labrpc's check while a handler runs: the end was disabled or the server deleted or replaced since the call began. */
  isServerDead(endName: EndName, serverName: ServerName, server: Server): boolean {
    return this.enabled.get(endName) !== true || this.servers.get(serverName) !== server;
  }

  /** The fates of one trip: the schedule's, named after the message, or plain draws from `rng` outside scheduled runs. */
  private fatesOf(svcMeth: string, end: EndName, server: ServerName, argsBytes: WireMessage): MessageChoices {
    const schedule = activeSchedule();
    if (schedule === undefined) {
      const rng = currentRuntime().rng;
      return { pick: (_kind, draw) => draw((n) => rng.int(n)) };
    }
    return schedule.message({ svcMeth, end, server, readTerm: () => termOf(argsBytes) });
  }

  /** One hop's latency, drawn from the run's generator (0 when turned off). */
  private hopMs(): number {
    if (!this.hopLatency) return 0;
    return hopLatencyMsMin + currentRuntime().rng.float() * (hopLatencyMsMax - hopLatencyMsMin);
  }

  /** No reply from an unreachable server: the caller waits as labrpc makes it wait, then gets false. */
  private async timeOut(id: number, svcMeth: string, endName: EndName, serverName: ServerName | undefined): Promise<void> {
    const rng = currentRuntime().rng;
    const ms = this.longDelays ? rng.int(longDelayMsMax) : rng.int(shortDelayMsMax);
    await sleep(ms);
    this.observe(id, 'unreachable', svcMeth, endName, serverName, undefined, ms);
  }

  /**
   * Waits for the handler, re-checking every 100 ms after the call began that its end is still
   * enabled and its server still there, as labrpc does. The checks wait in one queue ordered by
   * deadline (deadlines are always now + 100 ms, so appending keeps it sorted) behind a single
   * timer: a timer per RPC would cost more than the RPC.
   */
  private awaitHandler(handler: Promise<WireMessage>, waiting: WaitingCall): Promise<WireMessage | null> {
    return new Promise((resolve, reject) => {
      waiting.resolve = resolve;
      this.enqueueCheck(waiting);
      handler.then(
        (bytes) => {
          if (waiting.finished) return;
          waiting.finished = true;
          resolve(bytes);
        },
        (error: unknown) => {
          if (waiting.finished) return;
          waiting.finished = true;
          reject(error);
        },
      );
    });
  }

  private enqueueCheck(call: WaitingCall): void {
    call.deadlineMs = currentRuntime().nowMs() + livenessCheckMs;
    this.checks.push(call);
    if (!this.checkArmed) this.armCheck(call.deadlineMs);
  }

  private armCheck(atMs: number): void {
    this.checkArmed = true;
    const runtime = currentRuntime();
    runtime.setTimer(() => this.runChecks(), atMs - runtime.nowMs());
  }

  private runChecks(): void {
    this.checkArmed = false;
    const nowMs = currentRuntime().nowMs();
    while (this.checksHead < this.checks.length && this.checks[this.checksHead]!.deadlineMs <= nowMs) {
      const call = this.checks[this.checksHead++]!;
      if (call.finished) continue;
      if (call.isServerDead()) {
        call.finished = true;
        call.resolve(null);
      } else {
        this.enqueueCheck(call);
      }
    }
    if (this.checksHead > 1024 && this.checksHead * 2 > this.checks.length) {
      this.checks.splice(0, this.checksHead);
      this.checksHead = 0;
    }
    if (this.checksHead < this.checks.length && !this.checkArmed) this.armCheck(this.checks[this.checksHead]!.deadlineMs);
  }

  private observe(id: number, fate: RpcFate, svcMeth: string, end: EndName, server: ServerName | undefined, bytes?: number, delayMs?: number): void {
    if (this.observer === undefined) {
      if (this.logging) log('rpc %d %s %s end=%s server=%s', id, fate, svcMeth, String(end), String(server));
      return;
    }
    this.observer({ id, fate, svcMeth, end, server, timeMs: currentRuntime().nowMs(), bytes, delayMs });
  }
}

/** A reliable trip has no fates to choose. */
const plainFates: MessageChoices = { pick: (_kind, _draw, neutral) => neutral };

/** labrpc's draws for one trip, each given the generator's `int` (kept out of the call path: a closure per message costs). */
const drawRequestDelay = (int: (n: number) => number): number => int(unreliableDelayMsMax);
const drawRequestDrop = (int: (n: number) => number): boolean => int(1000) < dropRequestPerMille;
const drawReplyDrop = (int: (n: number) => number): boolean => int(1000) < dropReplyPerMille;
const drawReorderDelay = (int: (n: number) => number): number => (int(reorderOutOf) < reorderBelow ? reorderBaseMs + int(1 + int(reorderSpreadMs)) : 0);

/** The `Term` of a request's arguments, when it has a numeric one (Figure 2's name). */
function termOf(args: WireMessage): number | undefined {
  const value = messageView(args);
  const term = value !== null && typeof value === 'object' ? (value as { Term?: unknown }).Term : undefined;
  return typeof term === 'number' ? term : undefined;
}
