import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debug, now, runSimulation, sleep } from '../../sim/index.ts';
import { Network, Server, Service, type ClientEnd } from '../../labrpc/index.ts';
import {
  TraceRecorder,
  activeRecorder,
  setActiveRecorder,
  readTrace,
  parseTrace,
  writeTraceFiles,
  summarize,
  type RpcStepEvent,
  type TraceEvent,
} from '../index.ts';
import { runScenario } from './scenario.ts';

/** Answers with what it was given. */
class Echo {
  Ping(args: { v: number }, reply: { v?: number }): void {
    reply.v = args.v;
  }
}

function rpcSteps(events: TraceEvent[]): Map<number, RpcStepEvent[]> {
  const byId = new Map<number, RpcStepEvent[]>();
  for (const e of events) {
    if (e.k !== 'rpc') continue;
    const list = byId.get(e.id) ?? [];
    list.push(e);
    byId.set(e.id, list);
  }
  return byId;
}

afterEach(() => {
  activeRecorder()?.detach();
  setActiveRecorder(undefined);
});

describe('TraceRecorder on a simulated labrpc network', () => {
  it('records every step of every RPC, linked by id, and the fates match what Call returned', async () => {
    const rec = new TraceRecorder();
    const calls: { end: string; ok: boolean; v: number | undefined }[] = [];
    let network!: Network;
    await runSimulation(
      async () => {
        network = new Network();
        rec.attachNetwork(network);
        for (let i = 0; i < 3; i++) {
          const server = new Server();
          server.addService(new Service(new Echo(), 'Echo'));
          network.addServer(i, server);
        }
        // a: 0 → 1 enabled; b: 0 → 2 disabled (unreachable); c: 1 → 2 enabled.
        const ends: Record<string, ClientEnd> = {};
        for (const [name, from, to, on] of [['a', 0, 1, true], ['b', 0, 2, false], ['c', 1, 2, true]] as const) {
          ends[name] = network.makeEnd(name);
          network.connect(name, to);
          network.enable(name, on);
          rec.nameEnd(name, from, to);
        }
        network.setReliable(false);
        for (let k = 0; k < 240; k++) {
          const name = 'abc'[k % 3]!;
          const reply: { v?: number } = {};
          const ok = await ends[name]!.Call('Echo.Ping', { v: k }, reply);
          calls.push({ end: name, ok, v: reply.v });
        }
        // Long reordering delays most replies by 200-2200 ms.
        network.setReliable(true);
        network.setLongReordering(true);
        for (let k = 0; k < 30; k++) {
          const reply: { v?: number } = {};
          calls.push({ end: 'a', ok: await ends.a!.Call('Echo.Ping', { v: k }, reply), v: reply.v });
        }
      },
      { seed: 'trace-fates', mode: 'virtual' },
    );
    rec.detach();

    const byId = rpcSteps(rec.events());
    expect(byId.size).toBe(calls.length);
    expect(byId.size).toBe(network.getTotalCount());
    const ids = [...byId.keys()].sort((x, y) => x - y);
    const fateCount = new Map<string, number>();
    ids.forEach((id, k) => {
      const steps = byId.get(id)!;
      const call = calls[k]!;
      const fates = steps.map((s) => s.fate);
      for (const f of fates) fateCount.set(f, (fateCount.get(f) ?? 0) + 1);
      // Every step names the method, both parties, and goes forward in time.
      for (const s of steps) {
        expect(s.method).toBe('Echo.Ping');
        expect(s.s).toBe(call.end === 'c' ? 1 : 0);
        expect(s.to).toBe(call.end === 'a' ? 1 : 2);
      }
      for (let i = 1; i < steps.length; i++) expect(steps[i]!.t).toBeGreaterThanOrEqual(steps[i - 1]!.t);
      expect(fates[0]).toBe('sent');
      expect(steps[0]!.bytes).toBeGreaterThan(0);
      if (call.end === 'b') {
        expect(fates).toEqual(['sent', 'unreachable']);
        expect(call.ok).toBe(false);
        return;
      }
      // Call returned true exactly when the recorded fate was "replied".
      expect(fates.at(-1) === 'replied').toBe(call.ok);
      const allowed = [['sent', 'request-dropped'], ['sent', 'delivered', 'reply-dropped'], ['sent', 'delivered', 'replied'], ['sent', 'delivered', 'reply-delayed', 'replied']];
      expect(allowed).toContainEqual(fates);
      if (fates.includes('reply-delayed')) {
        const delayed = steps[2]!;
        expect(delayed.delayMs).toBeGreaterThanOrEqual(200);
        // Held back for delayMs, then one more hop of at most 1 ms.
        expect(steps[3]!.t - delayed.t).toBeGreaterThanOrEqual(delayed.delayMs!);
        expect(steps[3]!.t - delayed.t).toBeLessThanOrEqual(delayed.delayMs! + 1);
      }
    });
    // The unreliable stretch dropped both requests and replies; the reordering delayed replies.
    expect(fateCount.get('request-dropped')).toBeGreaterThan(0);
    expect(fateCount.get('reply-dropped')).toBeGreaterThan(0);
    expect(fateCount.get('reply-delayed')).toBeGreaterThan(0);
    expect(fateCount.get('unreachable')).toBe(80);
    // What labrpc counted as dispatched is what the trace calls delivered.
    const delivered = (to: number): number => rec.events().filter((e) => e.k === 'rpc' && e.fate === 'delivered' && e.to === to).length;
    expect(delivered(1)).toBe(network.getCount(1));
    expect(delivered(2)).toBe(network.getCount(2));
  });

  it('records the tester reports with virtual time, dedupes unchanged state, and summarizes commands', async () => {
    const rec = new TraceRecorder();
    setActiveRecorder(rec);
    rec.attachLogs();
    rec.meta({ test: 'TestX', seed: '7', mode: 'virtual', servers: 3 });
    await runSimulation(
      async () => {
        const log = debug('raft:S2');
        await sleep(10);
        activeRecorder()?.state(0, 1, 'leader');
        activeRecorder()?.state(0, 1, 'leader'); // unchanged: not recorded
        activeRecorder()?.state(1, 1, 'follower');
        activeRecorder()?.start(0, 1, 1, 'y'.repeat(5000));
        activeRecorder()?.start(0, 2, 1, { op: 'Put', key: 'k', value: 'v'.repeat(5000) });
        await sleep(5);
        log('got %d entries', 3);
        activeRecorder()?.apply(1, 1, 'y'.repeat(5000));
        activeRecorder()?.applySnapshot(2, 9);
        activeRecorder()?.snapshot(1, 1);
        activeRecorder()?.crash(0);
        activeRecorder()?.state(0, 1, 'leader'); // after a crash a sample is new again
        activeRecorder()?.restart(0);
        activeRecorder()?.disconnect(2);
        activeRecorder()?.connect(2);
        activeRecorder()?.partition([[0, 1], [2]]);
        activeRecorder()?.net('reliable', false);
        activeRecorder()?.check('checkOneLeader', true, 'leader 0');
        activeRecorder()?.failure('checkLogs', 'mismatch at 3');
        expect(now()).toBe(15);
      },
      { seed: 'trace-reports', mode: 'virtual' },
    );
    rec.detach();
    debug('raft:S1')('after detach: not recorded');
    const events = rec.events();
    expect(events.map((e) => e.k)).toEqual(['state', 'state', 'start', 'start', 'log', 'apply', 'apply', 'snapshot', 'crash', 'state', 'restart', 'disconnect', 'connect', 'partition', 'net', 'check', 'failure']);
    expect(events[0]!.t).toBe(10);
    expect(events.at(-1)!.t).toBe(15);
    const [start1, start2] = events.filter((e) => e.k === 'start');
    expect(start1!.k === 'start' && start1.cmd.length).toBeLessThanOrEqual(41);
    expect(start1!.k === 'start' && start1.cmd.startsWith('"yyyy')).toBe(true);
    expect(start2!.k === 'start' && start2.cmd).toMatch(/^\{op:"Put",key:"k",value:"vvv.*…$/);
    expect(start2!.k === 'start' && start2.cmd.length).toBeLessThanOrEqual(41);
    const logEvent = events.find((e) => e.k === 'log');
    expect(logEvent).toEqual({ t: 15, k: 'log', s: 2, ns: 'raft:S2', text: 'got 3 entries' });
    expect(events.find((e) => e.k === 'apply' && e.snap === true)).toMatchObject({ s: 2, index: 9 });
    const trace = rec.toJSON();
    expect(trace.meta).toEqual({ test: 'TestX', seed: '7', mode: 'virtual', servers: 3 });
    expect(trace.droppedEvents).toBe(0);
  });

  it('keeps memory bounded: past the cap it holds the most recent events and counts the dropped ones', () => {
    const rec = new TraceRecorder({ maxEvents: 100, clock: () => 0 });
    for (let i = 0; i < 250; i++) rec.check(`c${i}`, true);
    expect(rec.size).toBe(100);
    expect(rec.droppedEvents).toBe(150);
    const names = rec.events().map((e) => (e.k === 'check' ? e.name : ''));
    expect(names[0]).toBe('c150');
    expect(names.at(-1)).toBe('c249');
    const trace = rec.toJSON();
    expect(trace.droppedEvents).toBe(150);
    expect(trace.maxEvents).toBe(100);
    expect(trace.events).toHaveLength(100);
    expect(() => new TraceRecorder({ maxEvents: 0 })).toThrow(/maxEvents/);
  });

  it('cuts huge log lines so one line cannot fill memory', () => {
    const rec = new TraceRecorder({ clock: () => 1, logCharsMax: 50 });
    rec.log('raft:S0', 'z'.repeat(10_000));
    const e = rec.events()[0]!;
    expect(e.k === 'log' && e.text.length).toBe(51);
    expect(e.k === 'log' && e.s).toBe(0);
  });

  it('records nothing when no recorder is active', async () => {
    expect(activeRecorder()).toBeUndefined();
    const idle = new TraceRecorder();
    const result = await runSimulation(() => runScenario({ servers: 3, durationMs: 3000, fail: true }), { seed: 'trace-off', mode: 'virtual' });
    expect(result.value.rpcs).toBeGreaterThan(100);
    expect(idle.size).toBe(0);
    // The same run traced records its RPCs, so the off run really did send them unobserved.
    const rec = new TraceRecorder();
    setActiveRecorder(rec);
    const traced = await runSimulation(() => runScenario({ servers: 3, durationMs: 3000, fail: true }), { seed: 'trace-off', mode: 'virtual' });
    expect(traced.value).toEqual(result.value);
    expect(traced.traceHash).toBe(result.traceHash);
    expect(rpcSteps(rec.events()).size).toBe(result.value.rpcs);
  });

  it('writes the JSON trace and its page, and reads either back', async () => {
    const rec = new TraceRecorder();
    setActiveRecorder(rec);
    rec.meta({ test: 'roundtrip', seed: '1' });
    await runSimulation(() => runScenario({ servers: 3, durationMs: 2000, fail: true }), { seed: 'trace-file', mode: 'virtual' });
    const dir = mkdtempSync(join(tmpdir(), 'trace-'));
    const paths = writeTraceFiles(rec, join(dir, 'run.json'));
    expect(paths).toEqual({ json: join(dir, 'run.json'), html: join(dir, 'run.html') });
    const fromJson = readTrace(paths.json);
    const fromHtml = readTrace(paths.html);
    expect(fromJson).toEqual(rec.toJSON());
    expect(fromHtml).toEqual(fromJson);
    rec.writeTrace(join(dir, 'plain.json'));
    expect(parseTrace(readFileSync(join(dir, 'plain.json'), 'utf8'))).toEqual(fromJson);
    expect(() => parseTrace('{"format":"other"}', 'x.json')).toThrow(/not a raftlab trace/);
    expect(() => parseTrace('nope', 'x.json')).toThrow(/not JSON/);
  });
});

describe('summarize', () => {
  it('bounds every summary', () => {
    expect(summarize(42)).toBe('42');
    expect(summarize('abc')).toBe('"abc"');
    expect(summarize(null)).toBe('null');
    expect(summarize(new Uint8Array(9))).toBe('bytes(9)');
    expect(summarize([1, [2, [3, [4]]]])).toBe('[1,[2,[3,…]]]');
    expect(summarize('x'.repeat(5000))).toHaveLength(41);
    const deep: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) deep[`k${i}`] = i;
    expect(summarize(deep).length).toBeLessThanOrEqual(41);
  });
});
