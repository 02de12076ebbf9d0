import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DiskPersister } from '../disk-persister.ts';
import { httpCall } from '../http-client.ts';
import { snapshotAdvice, startNode, type RunningNode } from '../kvnode.ts';
import { findFreePorts } from '../ports.ts';
import { encodeRecord } from '../state-log.ts';
import type { Address } from '../transport.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-http-'));
const logs: string[] = [];
const nodes: RunningNode[] = [];
let cluster: Address[] = [];

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Three nodes in this process (real TCP, real disk); returns the leader. */
beforeAll(async () => {
  const base = await findFreePorts(3);
  cluster = [0, 1, 2].map((i) => ({ host: '127.0.0.1', port: base + i }));
  for (let id = 0; id < 3; id++) {
    nodes.push(await startNode({ id, peers: cluster, dataDir: path.join(root, `node-${id}`), log: (l) => logs.push(`[${id}] ${l}`) }));
  }
  await waitFor('a leader that all know', () => {
    const leaders = nodes.map((n) => n.leader());
    return leaders.every((l) => l !== null && l === leaders[0]) ? true : undefined;
  });
}, 30_000);

afterAll(async () => {
  for (const n of nodes) await n.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function leaderAddress(): Address {
  return cluster[nodes[0]!.leader()!]!;
}

async function request(method: string, urlPath: string, body?: string, contentType?: string, to = leaderAddress()): Promise<{ status: number; body: Record<string, unknown> }> {
  const x = await httpCall(to, { method, path: urlPath, body, contentType, timeoutMs: 8000 });
  if (x.kind !== 'answer') throw new Error(`no answer to ${method} ${urlPath}: ${x.why}`);
  return { status: x.status, body: x.body };
}

describe('the HTTP API', () => {
  test('put, append and get through the leader; a write answers once applied', async () => {
    expect(await request('PUT', '/kv/greeting', 'hello')).toMatchObject({ status: 200, body: { ok: true, op: 'put' } });
    expect(await request('POST', '/kv/greeting/append', JSON.stringify({ value: ', world' }), 'application/json')).toMatchObject({ status: 200 });
    expect(await request('GET', '/kv/greeting')).toMatchObject({ status: 200, body: { key: 'greeting', value: 'hello, world' } });
    expect(await request('GET', '/kv/never-written')).toMatchObject({ status: 200, body: { value: '' } });
    expect(await request('PUT', `/kv/${encodeURIComponent('a/b c')}`, JSON.stringify({ value: '' }), 'application/json')).toMatchObject({ status: 200 });
    // Applied everywhere soon after: each node's applied index reaches the leader's.
    const leader = nodes[nodes[0]!.leader()!]!;
    const applied = leader.status().appliedIndex as number;
    await waitFor('followers to apply', () => (nodes.every((n) => (n.status().appliedIndex as number) >= applied) ? true : undefined));
  });

  test('a follower answers 307 with where the leader is', async () => {
    const leaderId = nodes[0]!.leader()!;
    const follower = cluster[(leaderId + 1) % 3]!;
    const r = await request('PUT', '/kv/x', 'y', undefined, follower);
    expect(r.status).toBe(307);
    expect(r.body).toMatchObject({ leader: leaderId, leaderUrl: `http://${cluster[leaderId]!.host}:${cluster[leaderId]!.port}/kv/x` });
  });

  test('/status says who leads and where the indices are', async () => {
    const r = await request('GET', '/status');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ role: 'leader', leader: nodes[0]!.leader() });
    for (const field of ['id', 'term', 'lastLogIndex', 'commitIndex', 'appliedIndex', 'snapshotIndex']) expect(typeof r.body[field]).toBe('number');
  });

  test.each([
    ['GET', '/nothing/here', undefined, undefined, 404, /no route GET \/nothing\/here; the routes are/],
    ['DELETE', '/kv/a', undefined, undefined, 405, /DELETE is not allowed/],
    ['GET', '/kv/a/append', undefined, undefined, 405, /use POST/],
    ['PUT', '/kv/a', '', undefined, 400, /missing value/],
    ['PUT', '/kv/a', '{"value": ', 'application/json', 400, /not valid JSON/],
    ['PUT', '/kv/a', '{"val": "x"}', 'application/json', 400, /missing value: the JSON body needs a "value" field/],
    ['PUT', '/kv/a', '{"value": 42}', 'application/json', 400, /"value" must be a string, got number/],
    ['PUT', '/kv/a', '<x/>', 'application/xml', 415, /not understood/],
    ['GET', '/kv/%E0%A4%A', undefined, undefined, 400, /not valid percent-encoding/],
    ['GET', `/kv/${'k'.repeat(2000)}`, undefined, undefined, 413, /keys are at most 1024 bytes/],
    ['PUT', '/kv/a', 'v'.repeat(70_000), undefined, 413, /at most 65536/],
    ['PUT', '/kv/a', JSON.stringify({ value: 'v'.repeat(70_000) }), 'application/json', 413, /values are at most 65536 bytes/],
    ['GET', '/kv/a?timeout=nope', undefined, undefined, 400, /timeout must be a number/],
    ['POST', '/control/partition', '{"reachable":[7]}', 'application/json', 400, /list of node ids from 0 to 2/],
  ])('%s %s → %i with a JSON error', async (method, urlPath, body, type, status, message) => {
    const r = await request(method, urlPath, body, type);
    expect(r.status).toBe(status);
    expect(String(r.body.error)).toMatch(message);
  });

  test('a body that is not UTF-8 is refused', async () => {
    const r = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const s = net.connect(leaderAddress().port, '127.0.0.1', () => {
        const body = Buffer.from([0xff, 0xfe, 0x41]);
        s.write(`PUT /kv/a HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
        s.write(body);
      });
      let text = '';
      s.on('data', (c) => (text += c.toString()));
      s.on('end', () => resolve({ status: Number(text.split(' ')[1]), text }));
      s.on('error', reject);
    });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/not UTF-8/);
  });

  test('bytes that are not HTTP get a 400 and a log line; the node keeps serving', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const s = net.connect(leaderAddress().port, '127.0.0.1', () => s.write('\x16\x03\x01 this is not http\r\n\r\n'));
      let out = '';
      s.on('data', (c) => (out += c.toString()));
      s.on('close', () => resolve(out));
      s.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1.1 400/);
    expect(logs.join('\n')).toMatch(/http: rejected a request that is not HTTP/);
    expect(await request('GET', '/kv/greeting')).toMatchObject({ status: 200, body: { value: 'hello, world' } });
  });

  test('a node that knows no leader says so with 503', async () => {
    const lonelyPorts = await findFreePorts(3);
    const peers = [0, 1, 2].map((i) => ({ host: '127.0.0.1', port: lonelyPorts + i }));
    const lonely = await startNode({ id: 0, peers, dataDir: path.join(root, 'lonely') });
    try {
      const r = await request('PUT', '/kv/a', 'b', undefined, peers[0]);
      expect(r.status).toBe(503);
      expect(String(r.body.error)).toMatch(/knows no leader right now/);
    } finally {
      await lonely.stop();
    }
  });
});

describe('a node that cannot start says why', () => {
  const nodeScript = fileURLToPath(new URL('../node.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

  function runNodeProcess(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', tsx, nodeScript, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (code) => resolve({ code, stderr }));
    });
  }

  test('a damaged file, a folder it cannot write, bad flags: exit 2 and a message', async () => {
    const ports = await findFreePorts(1);
    // A log of three records whose middle one changed on disk.
    const damaged = path.join(root, 'damaged');
    const persister = DiskPersister.open(damaged, { durability: 'sync', lock: false });
    persister.Save(new Uint8Array(300).fill(1), null);
    const middle = persister.stats.logBytes;
    persister.Save(new Uint8Array(300).fill(2), null);
    persister.Save(new Uint8Array(300).fill(3), null);
    await persister.close();
    const logFile = path.join(damaged, 'raft-log.bin');
    const bytes = fs.readFileSync(logFile);
    bytes[middle + 100]! ^= 0x10;
    fs.writeFileSync(logFile, bytes);
    const notADir = path.join(root, 'plain-file');
    fs.writeFileSync(notADir, 'x');
    const peers = `127.0.0.1:${ports}`;
    const [a, b, c] = await Promise.all([
      runNodeProcess(['--id', '0', '--peers', peers, '--data', damaged]),
      runNodeProcess(['--id', '0', '--peers', peers, '--data', notADir]),
      runNodeProcess(['--id', '3', '--peers', peers]),
    ]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(new RegExp(`cannot start: .*damaged/raft-log\\.bin is damaged at offset ${middle}: the record at offset ${middle} is damaged`));
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/cannot start: cannot use .*plain-file as a node's data folder: it exists and is not a folder/);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--id must be at most 0/);
  }, 20_000);
});

describe('a node restarted on a log with a torn tail', () => {
  test('keeps every write it acknowledged, and its log says what was cut off', async () => {
    const peers = [{ host: '127.0.0.1', port: await findFreePorts(1) }];
    const dataDir = path.join(root, 'torn');
    const first = await startNode({ id: 0, peers, dataDir });
    try {
      await waitFor('the lone node to lead', () => (first.leader() === 0 ? true : undefined));
      for (let i = 0; i < 5; i++) expect((await request('PUT', `/kv/k${i}`, `v${i}`, undefined, peers[0])).status).toBe(200);
    } finally {
      await first.stop();
    }
    // A crash in the middle of the next flush: the start of a record, not the rest.
    const logFile = path.join(dataDir, 'raft-log.bin');
    const intact = fs.statSync(logFile).size;
    fs.appendFileSync(logFile, encodeRecord(0, new Uint8Array(500).fill(9), null).subarray(0, 100));
    const lines: string[] = [];
    const second = await startNode({ id: 0, peers, dataDir, log: (line) => lines.push(line) });
    try {
      expect(lines.filter((l) => l.startsWith('persister:'))).toEqual([
        expect.stringMatching(new RegExp(`^persister: .*torn/raft-log\\.bin: cut off a torn tail of 100 bytes at offset ${intact} \\(the record announces 500 bytes but only 76 follow\\)`)),
      ]);
      await waitFor('the lone node to lead again', () => (second.leader() === 0 ? true : undefined));
      for (let i = 0; i < 5; i++) expect(await request('GET', `/kv/k${i}`, undefined, undefined, peers[0])).toMatchObject({ status: 200, body: { value: `v${i}` } });
    } finally {
      await second.stop();
    }
  }, 30_000);
});

describe('snapshot advice', () => {
  test('is given when the key/value snapshot outgrows --maxraftstate, with a size to use', () => {
    expect(snapshotAdvice(8000, 8192)).toBeUndefined();
    expect(snapshotAdvice(8192, 8192)).toBeUndefined();
    expect(snapshotAdvice(1_000_000, -1)).toBeUndefined();
    expect(snapshotAdvice(10_000, 8192)).toMatch(/snapshot \(10000 bytes\) is larger than --maxraftstate \(8192\).*--maxraftstate \(e\.g\. 65536\)/);
  });

  test('a node says so in its log, once', async () => {
    // Values of 30 000 bytes: the key/value state (and its snapshot) outgrows the default 8 KiB.
    for (const key of ['big-1', 'big-2']) expect((await request('PUT', `/kv/${key}`, 'x'.repeat(30_000))).status).toBe(200);
    const leader = nodes[0]!.leader()!;
    const advice = await waitFor('the advice in the leader\'s log', () => logs.find((l) => l.startsWith(`[${leader}] `) && l.includes('is larger than --maxraftstate (8192)')));
    expect(advice).toMatch(/Start the cluster with a larger --maxraftstate/);
    await new Promise((r) => setTimeout(r, 400));
    expect(logs.filter((l) => l.startsWith(`[${leader}] `) && l.includes('is larger than --maxraftstate'))).toHaveLength(1);
  });
});
