/**
 * A client of the cluster's HTTP API that knows what a failure means. Used by `lab cluster`,
 * `lab demo`, the crash test and the benchmarks.
 *
 * An operation either succeeded, or certainly did not happen, or its outcome is unknown:
 * - 200: done. 307 (not the leader) and 503 (no leader known, or busy) come before the node
 *   touches the operation, and so does a refused connection: it is tried again elsewhere.
 * - 504 (the node gave up waiting), a connection lost after the request went out (the node was
 *   killed), or no answer in time: the operation may or may not take effect. Jepsen calls
 *   these "info" operations; the history records them as never returning.
 */
import * as http from 'node:http';
import { formatAddress, type Address } from './transport.ts';
import type { KvOperation } from './http-api.ts';

export type KvResult =
  | { kind: 'ok'; value: string; node: number }
  /** Certainly not applied: every node refused it until the deadline, or a 4xx said it is malformed. */
  | { kind: 'fail'; why: string }
  /** May or may not have been applied. */
  | { kind: 'unknown'; why: string };

/** One HTTP exchange: an answer, or what went wrong on the way. */
type Exchange =
  | { kind: 'answer'; status: number; body: Record<string, unknown> }
  | { kind: 'refused'; why: string }
  | { kind: 'lost'; why: string };

export interface HttpCallOptions {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  timeoutMs: number;
}

/** One request to one node, without retries; never rejects. */
export function httpCall(address: Address, options: HttpCallOptions, agent?: http.Agent): Promise<Exchange> {
  return new Promise((resolve) => {
    let sent = false;
    let settled = false;
    const finish = (x: Exchange): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(x);
    };
    const req = http.request({
      host: address.host,
      port: address.port,
      method: options.method,
      path: options.path,
      agent: agent ?? false,
      headers: options.body === undefined ? {} : { 'Content-Type': options.contentType ?? 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(options.body) },
    });
    const timer = setTimeout(() => {
      finish({ kind: 'lost', why: `no answer within ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    req.on('socket', (socket) => {
      // A reused keep-alive socket is connected already; a new one is once it connects.
      if (!socket.connecting) sent = true;
      else socket.once('connect', () => (sent = true));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (parsed !== null && typeof parsed === 'object') body = parsed as Record<string, unknown>;
        } catch {
          body = { error: 'the answer is not JSON' };
        }
        finish({ kind: 'answer', status: res.statusCode ?? 0, body });
      });
      res.on('error', (e) => finish({ kind: 'lost', why: e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      // Refused before connecting: the node never saw it. Anything later: it may have.
      if (!sent || e.code === 'ECONNREFUSED') finish({ kind: 'refused', why: e.code ?? e.message });
      else finish({ kind: 'lost', why: e.code ?? e.message });
    });
    req.end(options.body);
  });
}

export interface KvClientOptions {
  /** Give up on an operation after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Pause between tries when no node will take it (default 50 ms). */
  retryPauseMs?: number;
  /** Reuse connections (default true). */
  keepAlive?: boolean;
}

/** A client of the whole cluster: finds the leader, follows redirects, classifies outcomes. */
export class KvHttpClient {
  readonly agent: http.Agent;
  private guess = 0;
  private readonly timeoutMs: number;
  private readonly retryPauseMs: number;

  constructor(
    readonly nodes: readonly Address[],
    options: KvClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retryPauseMs = options.retryPauseMs ?? 50;
    this.agent = new http.Agent({ keepAlive: options.keepAlive ?? true, maxSockets: 64 });
  }

  /** The node this client will try first: the last one that answered as leader. */
  get leaderGuess(): number {
    return this.guess;
  }

  /** Sends the next operation to `node` first. */
  prefer(node: number): void {
    if (node >= 0 && node < this.nodes.length) this.guess = node;
  }

  async execute(operation: KvOperation, timeoutMs = this.timeoutMs): Promise<KvResult> {
    const deadline = performance.now() + timeoutMs;
    const path = operation.op === 'append' ? `/kv/${encodeURIComponent(operation.key)}/append` : `/kv/${encodeURIComponent(operation.key)}`;
    const method = operation.op === 'get' ? 'GET' : operation.op === 'put' ? 'PUT' : 'POST';
    const body = operation.op === 'get' ? undefined : JSON.stringify({ value: operation.value });
    let node = this.guess;
    let lastWhy = 'no node answered';
    for (let attempt = 0; ; attempt++) {
      const remaining = Math.floor(deadline - performance.now());
      if (remaining < 60) return { kind: 'fail', why: `no node took it within ${timeoutMs} ms (last: ${lastWhy})` };
      const x = await httpCall(
        this.nodes[node]!,
        // The node answers 504 before the socket gives up, so "unknown" comes with a reason.
        { method, path: `${path}?timeout=${Math.max(50, remaining - 50)}`, body, contentType: 'application/json', timeoutMs: remaining + 1000 },
        this.agent,
      );
      if (x.kind === 'lost') return { kind: 'unknown', why: `node ${node}: ${x.why}` };
      if (x.kind === 'refused') {
        lastWhy = `node ${node} refused the connection (${x.why})`;
        node = (node + 1) % this.nodes.length;
        if (attempt % this.nodes.length === this.nodes.length - 1) await pause(this.retryPauseMs);
        continue;
      }
      const { status, body: answer } = x;
      if (status === 200) {
        this.guess = node;
        return { kind: 'ok', value: typeof answer.value === 'string' ? answer.value : '', node };
      }
      if (status === 307 && typeof answer.leader === 'number' && answer.leader >= 0 && answer.leader < this.nodes.length) {
        lastWhy = `node ${node} redirected to node ${answer.leader}`;
        node = answer.leader;
        if (attempt > 0 && attempt % 3 === 0) await pause(this.retryPauseMs);
        continue;
      }
      if (status === 503) {
        lastWhy = `node ${node}: ${String(answer.error ?? 'unavailable')}`;
        node = (node + 1) % this.nodes.length;
        await pause(this.retryPauseMs);
        continue;
      }
      if (status === 504) return { kind: 'unknown', why: `node ${node}: ${String(answer.error ?? 'timed out')}` };
      return { kind: 'fail', why: `node ${node} answered ${status}: ${String(answer.error ?? '')}` };
    }
  }

  get(key: string, timeoutMs?: number): Promise<KvResult> {
    return this.execute({ op: 'get', key }, timeoutMs);
  }

  put(key: string, value: string, timeoutMs?: number): Promise<KvResult> {
    return this.execute({ op: 'put', key, value }, timeoutMs);
  }

  append(key: string, value: string, timeoutMs?: number): Promise<KvResult> {
    return this.execute({ op: 'append', key, value }, timeoutMs);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** GET /status of one node; null if it does not answer within timeoutMs. */
export async function fetchStatus(address: Address, timeoutMs = 1000): Promise<Record<string, unknown> | null> {
  const x = await httpCall(address, { method: 'GET', path: '/status', timeoutMs });
  return x.kind === 'answer' && x.status === 200 ? x.body : null;
}

/** POST /control/partition; throws with the node's answer if it fails. */
export async function setReachable(address: Address, reachable: number[] | null, timeoutMs = 2000): Promise<void> {
  const x = await httpCall(address, { method: 'POST', path: '/control/partition', body: JSON.stringify({ reachable }), contentType: 'application/json', timeoutMs });
  if (x.kind !== 'answer' || x.status !== 200) {
    throw new Error(`node at ${formatAddress(address)} did not take the partition: ${x.kind === 'answer' ? `${x.status} ${String(x.body.error)}` : x.why}`);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
