import { asServer, currentRuntime } from '../sim/index.ts';
import { encode, decode } from './codec.ts';
import { encodeMessage, decodeMessage, checkSite, type CheckSite, type WireMessage } from './wire.ts';

/** The service or method named by a Call does not exist on the server. */
export class UnknownMethodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownMethodError';
  }
}

/** An RPC handler threw; the message names the handler and the server. */
export class HandlerError extends Error {
  constructor(
    message: string,
    readonly original: unknown,
  ) {
    super(message);
    this.name = 'HandlerError';
  }
}

type Handler = (args: unknown, reply: unknown) => unknown;

/**
 * An object whose methods answer RPCs. The service is named after the object's class
 * ("Raft", "KVServer") unless a name is given; its handlers are the methods whose names start
 * with a capital letter, called as "Service.Method" with (args, reply).
 */
export class Service {
  readonly name: string;
  private readonly methods = new Map<string, Handler>();
  private readonly replySites = new Map<string, CheckSite>();

  constructor(receiver: object, name?: string) {
    this.name = name ?? receiver.constructor.name;
    // Own function properties first: they shadow the class's methods, as they do when called.
    for (const key of Object.keys(receiver)) {
      const value = (receiver as Record<string, unknown>)[key];
      if (/^[A-Z]/.test(key) && typeof value === 'function') this.methods.set(key, (value as Handler).bind(receiver));
    }
    for (let proto: object | null = Object.getPrototypeOf(receiver); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        if (!/^[A-Z]/.test(key) || this.methods.has(key)) continue;
        const d = Object.getOwnPropertyDescriptor(proto, key);
        if (d !== undefined && typeof d.value === 'function') this.methods.set(key, (d.value as Handler).bind(receiver));
      }
    }
  }

  /** Names of the handlers, for error messages. */
  methodNames(): string[] {
    return [...this.methods.keys()].sort();
  }

  /** Decodes the arguments, runs the handler on a fresh empty reply, and encodes the reply. */
  async dispatch(method: string, argsBytes: Uint8Array, serverLabel: string): Promise<Uint8Array> {
    const handler = this.handlerFor(method);
    const args = decode(argsBytes);
    const reply: Record<string, unknown> = {};
    try {
      const result = asServer(serverLabel, () => handler(args, reply));
      if (result instanceof Promise) await result;
    } catch (e) {
      throw this.handlerError(method, serverLabel, e);
    }
    return encode(reply, `reply of ${this.name}.${method}`);
  }

  /**
   * `dispatch` for the simulated network: a message in, a message out, no bytes built. A
   * handler that returns at once gets its reply back at once (no promise): a promise per RPC
   * that nothing waits on is a good part of a simulated RPC's cost. Throws (or rejects with)
   * HandlerError when the handler throws.
   */
  dispatchMessage(method: string, argsMessage: WireMessage, serverLabel: string): WireMessage | Promise<WireMessage> {
    const handler = this.handlerFor(method);
    const args = decodeMessage(argsMessage);
    const reply: Record<string, unknown> = {};
    const runtime = currentRuntime();
    const before = runtime.currentServer;
    let result: unknown;
    runtime.currentServer = serverLabel; // as asServer does, without a closure per call
    try {
      result = handler(args, reply);
    } catch (e) {
      throw this.handlerError(method, serverLabel, e);
    } finally {
      runtime.currentServer = before;
    }
    if (result instanceof Promise) return this.replyWhenDone(method, serverLabel, result, reply);
    return encodeMessage(reply, this.replySite(method));
  }

  private async replyWhenDone(method: string, serverLabel: string, running: Promise<unknown>, reply: Record<string, unknown>): Promise<WireMessage> {
    try {
      await running;
    } catch (e) {
      throw this.handlerError(method, serverLabel, e);
    }
    return encodeMessage(reply, this.replySite(method));
  }

  private replySite(method: string): CheckSite {
    let site = this.replySites.get(method);
    if (site === undefined) {
      site = checkSite(`reply of ${this.name}.${method}`);
      this.replySites.set(method, site);
    }
    return site;
  }

  private handlerFor(method: string): Handler {
    const handler = this.methods.get(method);
    if (handler === undefined) {
      throw new UnknownMethodError(`unknown method ${method} in ${this.name}.${method}; expecting one of ${this.methodNames().join(', ')}`);
    }
    return handler;
  }

  private handlerError(method: string, serverLabel: string, e: unknown): HandlerError {
    return new HandlerError(`RPC handler ${this.name}.${method} on server ${serverLabel} threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, e);
  }
}

/** A server: a set of services behind one network name, counting the RPCs it receives. */
export class Server {
  private readonly services = new Map<string, Service>();
  private count = 0;

  /** Where each "Service.Method" seen so far goes: method names are constants, so this saves parsing them per call. */
  private readonly routes = new Map<string, { service: Service; method: string }>();

  addService(service: Service): void {
    this.services.set(service.name, service);
    this.routes.clear();
  }

  /** RPCs that reached this server (after request drops). */
  getCount(): number {
    return this.count;
  }

  dispatch(svcMeth: string, argsBytes: Uint8Array, serverLabel: string): Promise<Uint8Array> {
    const target = this.route(svcMeth);
    if (target instanceof Error) return Promise.reject(target);
    return target.service.dispatch(target.method, argsBytes, serverLabel);
  }

  /** `dispatch` for the simulated network, with messages instead of bytes (see wire.ts); throws UnknownMethodError. */
  dispatchMessage(svcMeth: string, args: WireMessage, serverLabel: string): WireMessage | Promise<WireMessage> {
    const target = this.route(svcMeth);
    if (target instanceof Error) throw target;
    return target.service.dispatchMessage(target.method, args, serverLabel);
  }

  /** Counts the RPC and finds its service, or the error that says it has none. */
  private route(svcMeth: string): { service: Service; method: string } | UnknownMethodError {
    this.count++;
    const known = this.routes.get(svcMeth);
    if (known !== undefined) return known;
    const dot = svcMeth.lastIndexOf('.');
    const serviceName = dot < 0 ? svcMeth : svcMeth.slice(0, dot);
    const method = dot < 0 ? '' : svcMeth.slice(dot + 1);
    const service = this.services.get(serviceName);
    if (service === undefined) {
      return new UnknownMethodError(
        `unknown service ${serviceName} in ${svcMeth}; expecting one of ${[...this.services.keys()].join(', ')}. Call as "Service.Method", e.g. "Raft.RequestVote".`,
      );
    }
    const route = { service, method };
    this.routes.set(svcMeth, route);
    return route;
  }
}

