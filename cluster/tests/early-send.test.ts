/**
 * The transport with a commit clamp (commit-clamp.ts): an AppendEntries request leaves while
 * its sender's flush is pending, LeaderCommit lowered; every other frame (other requests, and
 * replies on the receiving side) still waits for its node's gate.
 */
import type * as net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { Server, Service } from '../../labrpc/index.ts';
import { CommitClamp } from '../commit-clamp.ts';
import { Transport, listen, type Address } from '../transport.ts';
import { ManualGate } from './manual-gate.ts';

interface AppendArgs {
  Term: number;
  Entries: string[];
  LeaderCommit: number;
}

/** The receiving node's Raft: records what arrives. */
class Raft {
  appends: AppendArgs[] = [];
  votes = 0;
  AppendEntries(args: AppendArgs, reply: { Success?: boolean }): void {
    this.appends.push(args);
    reply.Success = true;
  }
  RequestVote(_args: unknown, reply: { VoteGranted?: boolean }): void {
    this.votes++;
    reply.VoteGranted = true;
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Node 0 (receives, replies through `gate`) and node 1 (sends through its own gate, with the clamp). */
async function pair(withClamp = true): Promise<{ raft: Raft; receiverGate: ManualGate; senderGate: ManualGate; clamp: CommitClamp; sender: Transport }> {
  const raft = new Raft();
  const server = new Server();
  server.addService(new Service(raft));
  const receiverGate = new ManualGate();
  const receiver = new Transport({ me: 0, peers: [], dispatcher: server, gate: receiverGate });
  const listener = await listen({ host: '127.0.0.1', port: 0, transport: receiver });
  const address: Address = { host: '127.0.0.1', port: (listener.server.address() as net.AddressInfo).port };
  const senderGate = new ManualGate();
  const clamp = new CommitClamp(senderGate);
  const sender = new Transport({ me: 1, peers: [address], gate: senderGate, earlySend: withClamp ? clamp : undefined, deadlineMs: 5000 });
  cleanups.push(() => {
    sender.close();
    receiver.close();
    return listener.close();
  });
  return { raft, receiverGate, senderGate, clamp, sender };
}

/** Waits until `condition` holds; fails after `ms` saying what it waited for. */
async function until(what: string, condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('an AppendEntries overtakes a pending flush, LeaderCommit clamped; its reply and other requests wait for their gates', async () => {
  const { raft, receiverGate, senderGate, clamp, sender } = await pair();
  const end = sender.end(0);
  // Gates idle: LeaderCommit 2 goes as it is, and is safe from now on.
  expect(await end.Call('Raft.AppendEntries', { Term: 1, Entries: [], LeaderCommit: 2 }, {})).toBe(true);
  expect(raft.appends.at(-1)?.LeaderCommit).toBe(2);
  expect(clamp.safeCommit).toBe(2);

  // The sender's flush is pending and the receiver's too.
  senderGate.hold();
  receiverGate.hold();
  const vote = end.Call('Raft.RequestVote', { Term: 2 }, {});
  const args: AppendArgs = { Term: 1, Entries: ['x'], LeaderCommit: 5 };
  const reply: { Success?: boolean } = {};
  let replied = false;
  const append = end.Call('Raft.AppendEntries', args, reply).then((ok) => {
    replied = true;
    return ok;
  });
  await until('the AppendEntries to arrive while the sender flush is pending', () => raft.appends.length === 2);
  expect(raft.appends[1]).toEqual({ Term: 1, Entries: ['x'], LeaderCommit: 2 });
  expect(args.LeaderCommit).toBe(5); // the caller's object is untouched

  // The receiver handled it, but its reply waits for the receiver's flush.
  await new Promise((r) => setTimeout(r, 50));
  expect(replied).toBe(false);
  expect(raft.votes).toBe(0); // RequestVote still waits for the sender's flush
  receiverGate.open();
  expect(await append).toBe(true);
  expect(reply.Success).toBe(true);
  expect(raft.votes).toBe(0);

  // The sender's flush ends: RequestVote leaves, and 5 becomes safe.
  senderGate.open();
  expect(await vote).toBe(true);
  expect(raft.votes).toBe(1);
  expect(clamp.safeCommit).toBe(5);
});

test('without a policy every request waits for the gate, AppendEntries included', async () => {
  const { raft, senderGate, sender } = await pair(false);
  senderGate.hold();
  const call = sender.end(0).Call('Raft.AppendEntries', { Term: 1, Entries: [], LeaderCommit: 1 }, {});
  await new Promise((r) => setTimeout(r, 50));
  expect(raft.appends).toEqual([]);
  senderGate.open();
  expect(await call).toBe(true);
  expect(raft.appends).toEqual([{ Term: 1, Entries: [], LeaderCommit: 1 }]);
});
