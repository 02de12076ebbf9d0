/**
 * The HTTP key/value API of a node:
 *
 *   GET  /kv/:key            → 200 {"key","value"}          ("" for a key never written)
 *   PUT  /kv/:key            → 200 {"ok":true}              body: the value (see below)
 *   POST /kv/:key/append     → 200 {"ok":true}              body: what to append
 *   GET  /status             → 200 this node's view: term, role, leader, indices, counters
 *   POST /control/partition  → 200 body {"reachable":[ids]} or {"reachable":null} (heal)
 *
 * A value is the raw body (text/plain, or what curl -d sends) or JSON {"value":"..."} with
 * Content-Type application/json. A write answers once the operation is applied. Every other
 * answer is JSON with an "error" that says what to do:
 *   307  this node is not the leader: Location and "leaderUrl" name the leader (curl -L follows)
 *   400  malformed request (bad JSON, no value, bad key encoding, not UTF-8)
 *   404  unknown route; 405 wrong method (Allow names the right one)
 *   413  key over maxKeyBytes (1 KiB) or value/body over maxValueBytes (64 KiB)
 *   415  a body type other than text, JSON, form or octet-stream
 *   503  no leader known right now, or too many requests in flight: retry shortly
 *   504  no answer within the timeout (?timeout=ms, default 5 s): the operation may or may not
 *        have taken effect ("outcome":"unknown")
 */
import * as http from 'node:http';
import type { OutputGate } from './transport.ts';

export interface HttpLimits {
  maxKeyBytes: number;
  maxValueBytes: number;
}

export const defaultHttpLimits: HttpLimits = { maxKeyBytes: 1024, maxValueBytes: 64 * 1024 };

/** Default and bounds of ?timeout=ms. */
export const defaultOpTimeoutMs = 5000;
const minOpTimeoutMs = 50;
const maxOpTimeoutMs = 60_000;

export type KvOperation = { op: 'get'; key: string } | { op: 'put' | 'append'; key: string; value: string };

export type OpOutcome = { kind: 'ok'; value: string } | { kind: 'timeout' } | { kind: 'busy' };

/** Where a KV request goes: served here, sent to the leader, or nowhere yet. */
export type Route = { kind: 'serve' } | { kind: 'redirect'; leader: number; address: string } | { kind: 'no-leader'; why: string };

/** What the API needs from the node behind it. */
export interface ApiBackend {
  readonly id: number;
  readonly nodes: number;
  route(): Route;
  run(operation: KvOperation, timeoutMs: number): Promise<OpOutcome>;
  status(): Record<string, unknown>;
  setReachable(reachable: number[] | null): void;
  /** Answers wait for it when given (a single node, whose commits are on its disk alone). */
  gate?: OutputGate;
  log(line: string): void;
}

export interface HttpStats {
  requests: number;
  ok: number;
  redirects: number;
  clientErrors: number;
  unavailable: number;
  timeouts: number;
  /** Answers that waited for the gate (the disk), and how long they waited in all. */
  heldAnswers: number;
  heldMs: number;
}

const routesHelp = 'GET /kv/:key, PUT /kv/:key, POST /kv/:key/append, GET /status, POST /control/partition';

/** An answer that is not 200: status, error text, extra fields and headers. */
class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function createHttpApi(backend: ApiBackend, limits: HttpLimits = defaultHttpLimits): { server: http.Server; stats: HttpStats } {
  const stats: HttpStats = { requests: 0, ok: 0, redirects: 0, clientErrors: 0, unavailable: 0, timeouts: 0, heldAnswers: 0, heldMs: 0 };
  const server = http.createServer((req, res) => {
    stats.requests++;
    handle(backend, limits, req).then(
      ({ body, status, headers }) => send(backend, stats, res, status, body, headers),
      (e: unknown) => {
        if (e instanceof HttpAnswer) {
          send(backend, stats, res, e.status, { error: e.message, ...e.extra }, e.headers);
          return;
        }
        backend.log(`http: ${req.method ?? '?'} ${req.url ?? '?'} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        send(backend, stats, res, 500, { error: `internal error: ${e instanceof Error ? e.message : String(e)}` }, {});
      },
    );
  });
  // A client that opens a connection and dawdles is cut off; node's parser answers garbage with 400.
  server.headersTimeout = 10_000;
  server.requestTimeout = 70_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    backend.log(`http: rejected a request that is not HTTP (${err.code ?? err.message})`);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":"malformed HTTP request"}\n');
    else socket.destroy();
  });
  return { server, stats };
}

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

function send(backend: ApiBackend, stats: HttpStats, res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (status === 200) stats.ok++;
  else if (status === 307) stats.redirects++;
  else if (status === 504) stats.timeouts++;
  else if (status === 503) stats.unavailable++;
  else if (status >= 400 && status < 500) stats.clientErrors++;
  const text = `${JSON.stringify(body)}\n`;
  const write = (): void => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  // Nothing leaves before what it depends on is on disk (see DiskPersister's batch mode, kvnode.ts).
  const wait = backend.gate?.pass();
  if (wait === undefined) {
    write();
    return;
  }
  const heldFromMs = performance.now();
  stats.heldAnswers++;
  wait.then(() => {
    stats.heldMs += performance.now() - heldFromMs;
    write();
  }, () => res.destroy());
}

async function handle(backend: ApiBackend, limits: HttpLimits, req: http.IncomingMessage): Promise<Answer> {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  const method = req.method ?? 'GET';

  if (pathname === '/status') {
    allow(method, ['GET']);
    return ok(backend.status());
  }
  if (pathname === '/control/partition') {
    allow(method, ['POST']);
    const body = await readBody(req, 4096);
    const reachable = parseReachable(body, backend.nodes);
    backend.setReachable(reachable);
    backend.log(reachable === null ? 'partition: healed, every node reachable' : `partition: reachable nodes now ${reachable.join(',')}`);
    return ok({ ok: true, reachable });
  }
  const match = /^\/kv\/([^/]*)(\/append)?\/?$/.exec(pathname);
  if (match === null) {
    throw new HttpAnswer(404, `no route ${method} ${pathname}; the routes are ${routesHelp}`);
  }
  const key = decodeKey(match[1]!, limits);
  const isAppend = match[2] !== undefined;
  let operation: KvOperation;
  if (isAppend) {
    allow(method, ['POST']);
    operation = { op: 'append', key, value: await readValue(req, limits) };
  } else if (method === 'GET' || method === 'HEAD') {
    operation = { op: 'get', key };
  } else if (method === 'PUT') {
    operation = { op: 'put', key, value: await readValue(req, limits) };
  } else {
    throw new HttpAnswer(405, `${method} is not allowed on /kv/:key: GET reads it, PUT writes it, POST /kv/:key/append appends`, {}, { Allow: 'GET, PUT' });
  }
  const timeoutMs = parseTimeout(query.get('timeout'));

  const route = backend.route();
  if (route.kind === 'redirect') {
    const location = `http://${route.address}${rawUrl}`;
    throw new HttpAnswer(307, `node ${backend.id} is not the leader; node ${route.leader} is`, { leader: route.leader, leaderUrl: location }, { Location: location });
  }
  if (route.kind === 'no-leader') {
    throw new HttpAnswer(503, `node ${backend.id} knows no leader right now (${route.why}); retry in a moment or ask another node`, { retryAfterMs: 250 }, { 'Retry-After': '1' });
  }
  const outcome = await backend.run(operation, timeoutMs);
  if (outcome.kind === 'busy') {
    throw new HttpAnswer(503, `node ${backend.id} has too many requests in flight; retry shortly`, { retryAfterMs: 250 }, { 'Retry-After': '1' });
  }
  if (outcome.kind === 'timeout') {
    throw new HttpAnswer(504, `no answer within ${timeoutMs} ms (no majority reachable?); the ${operation.op} may or may not take effect`, { outcome: 'unknown' });
  }
  if (operation.op === 'get') return ok({ key, value: outcome.value, node: backend.id });
  return ok({ ok: true, op: operation.op, key, node: backend.id });
}

function ok(body: unknown): Answer {
  return { status: 200, body, headers: {} };
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new HttpAnswer(405, `${method} is not allowed here; use ${methods.join(' or ')}`, {}, { Allow: methods.join(', ') });
}

function decodeKey(encoded: string, limits: HttpLimits): string {
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    throw new HttpAnswer(400, 'the key is not valid percent-encoding; encode it with encodeURIComponent (a "/" in a key is %2F)');
  }
  if (key.length === 0) throw new HttpAnswer(400, 'the key is empty; use /kv/NAME');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > limits.maxKeyBytes) throw new HttpAnswer(413, `the key is ${bytes} bytes; keys are at most ${limits.maxKeyBytes} bytes`);
  return key;
}

function parseTimeout(text: string | null): number {
  if (text === null) return defaultOpTimeoutMs;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms < minOpTimeoutMs || ms > maxOpTimeoutMs) {
    throw new HttpAnswer(400, `timeout must be a number of milliseconds from ${minOpTimeoutMs} to ${maxOpTimeoutMs}, got "${text}"`);
  }
  return Math.round(ms);
}

/** Reads the body, answering 413 (and stopping the read) past `maxBytes`. */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    req.resume(); // drain, so the connection can answer
    return Promise.reject(new HttpAnswer(413, `the body is ${declared} bytes; at most ${maxBytes} are accepted here`, {}, { Connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      total += chunk.length;
      if (total > maxBytes) {
        over = true;
        reject(new HttpAnswer(413, `the body is over ${maxBytes} bytes, the most accepted here`, {}, { Connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, total));
    });
    req.on('error', (e) => reject(new HttpAnswer(400, `the body could not be read: ${e.message}`)));
  });
}

/** The value of a PUT or append: the raw UTF-8 body, or JSON {"value": "..."}. */
async function readValue(req: http.IncomingMessage, limits: HttpLimits): Promise<string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const textTypes = ['', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream'];
  if (type !== 'application/json' && !textTypes.includes(type)) {
    throw new HttpAnswer(415, `a body of type ${type} is not understood; send the value as text/plain, or JSON {"value":"..."} as application/json`);
  }
  // JSON escapes can triple a value's size; the decoded value is checked against the limit below.
  const body = await readBody(req, type === 'application/json' ? limits.maxValueBytes * 3 + 1024 : limits.maxValueBytes);
  let value: string;
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpAnswer(400, 'the body is not valid JSON; send {"value":"..."}');
    }
    const field = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>).value : undefined;
    if (field === undefined) throw new HttpAnswer(400, 'missing value: the JSON body needs a "value" field, e.g. {"value":"hello"}');
    if (typeof field !== 'string') throw new HttpAnswer(400, `"value" must be a string, got ${field === null ? 'null' : typeof field}`);
    value = field;
  } else {
    if (body.length === 0) {
      throw new HttpAnswer(400, 'missing value: send it as the body (curl -d hello); for an empty string send JSON {"value":""}');
    }
    try {
      value = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new HttpAnswer(400, 'the body is not UTF-8 text; values are strings');
    }
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > limits.maxValueBytes) throw new HttpAnswer(413, `the value is ${bytes} bytes; values are at most ${limits.maxValueBytes} bytes`);
  return value;
}

function parseReachable(body: Buffer, nodes: number): number[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpAnswer(400, 'the body is not valid JSON; send {"reachable":[0,1]} or {"reachable":null}');
  }
  const reachable = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>).reachable : undefined;
  if (reachable === null) return null;
  if (!Array.isArray(reachable) || !reachable.every((id) => Number.isInteger(id) && (id as number) >= 0 && (id as number) < nodes)) {
    throw new HttpAnswer(400, `"reachable" must be null (heal) or a list of node ids from 0 to ${nodes - 1}`);
  }
  return [...new Set(reachable as number[])].sort((a, b) => a - b);
}
