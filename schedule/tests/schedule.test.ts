import { describe, expect, test } from 'vitest';
import { Network, Server, Service, type ClientEnd } from '../../labrpc/index.ts';
import { randomInt, runSimulation, sleep } from '../../sim/index.ts';
import { Schedule, setActiveSchedule, parseScheduleFile, ScheduleFileError, tellChoices, type RecordedChoice, type ScheduleRequest } from '../index.ts';

/** A Raft-shaped service: AppendEntries with a Term, answered at once. */
class Peer {
  AppendEntries(args: { Term: number }, reply: { Term?: number; Success?: boolean }): void {
    reply.Term = args.Term;
    reply.Success = true;
  }
}

/**
 * Two senders S0 and S1 call S2 on an unreliable network with long reordering, 150 calls each,
 * their terms rising every 50 calls; the test body also crashes servers on its own random
 * choices. Returns what the schedule recorded.
 */
async function scenario(request: ScheduleRequest): Promise<{ choices: RecordedChoice[]; bodyDraws: number[] }> {
  const schedule = new Schedule('schedule-test', { ...request, record: true });
  setActiveSchedule(schedule);
  try {
    const result = await runSimulation(
      async () => {
        const net = new Network();
        const server = new Server();
        server.addService(new Service(new Peer(), 'Raft'));
        net.addServer(2, server);
        const ends: ClientEnd[] = [];
        for (const from of [0, 1]) {
          const name = `end-${from}`;
          ends.push(net.makeEnd(name));
          net.connect(name, 2);
          net.enable(name, true);
          schedule.nameEnd(name, `S${from}`);
        }
        net.setReliable(false);
        net.setLongReordering(true);
        const bodyDraws: number[] = [];
        const senders = ends.map(async (end) => {
          for (let i = 0; i < 150; i++) {
            void end.Call('Raft.AppendEntries', { Term: 1 + Math.floor(i / 50) }, {});
            await sleep(10);
          }
        });
        // The test body's own choices: which server to crash, every 100 ms.
        for (let k = 0; k < 15; k++) {
          await sleep(100);
          const s = randomInt(3);
          bodyDraws.push(s);
          schedule.fault('crash', `S${s}`, [`S${s}`]);
        }
        await Promise.all(senders);
        await sleep(3000);
        return bodyDraws;
      },
      { seed: 'schedule-test' },
    );
    return { choices: schedule.recorded().choices, bodyDraws: result.value };
  } finally {
    setActiveSchedule(undefined);
  }
}

describe('the recorded schedule', () => {
  test('names every fault and message fate after what it is, and replays them exactly', async () => {
    const a = await scenario({});
    const b = await scenario({});
    expect(b.choices).toEqual(a.choices);
    const ids = a.choices.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('crash S0 #1');
    expect(ids.some((id) => /^request-drop Raft\.AppendEntries S[01]->S2 t[123] #\d+$/.test(id))).toBe(true);
    expect(ids.some((id) => /^reply-reorder Raft\.AppendEntries S[01]->S2 t[123] #\d+$/.test(id))).toBe(true);
    expect(ids.some((id) => id.startsWith('reply-drop '))).toBe(true);
    expect(ids.some((id) => id.startsWith('request-delay '))).toBe(true);
  });

  test('leaving some fates and faults out changes no other one, nor the test body\'s own draws', async () => {
    const all = await scenario({});
    const drops = all.choices.filter((c) => c.kind === 'request-drop' || c.kind === 'reply-drop');
    const removed = new Set([...drops.slice(0, 5).map((c) => c.id), 'crash S1 #1', all.choices.find((c) => c.kind === 'reply-reorder')!.id]);
    const keep = all.choices.map((c) => c.id).filter((id) => !removed.has(id));
    const edited = await scenario({ keep });
    // Every message fate and fault that was kept happened again, the same (delays included).
    const byId = new Map(edited.choices.map((c) => [c.id, c]));
    for (const c of all.choices) {
      if (removed.has(c.id)) expect(byId.has(c.id)).toBe(false);
      else expect(byId.get(c.id)?.delayMs).toBe(c.delayMs);
    }
    expect(edited.choices.length).toBe(all.choices.length - removed.size);
    expect(edited.bodyDraws).toEqual(all.bodyDraws);
  });

  test('a kept fault is told in plain words with its time and when it was undone', () => {
    const told = tellChoices([
      { id: 'crash S1 #2', unit: 'fault', kind: 'crash', atMs: 1500, servers: ['S1'] },
      { id: 'start S1', unit: 'repair', kind: 'start', atMs: 2750, servers: ['S1'] },
      { id: 'request-drop Raft.AppendEntries S1->S2 t4 #3', unit: 'message', kind: 'request-drop', atMs: 3000, servers: ['S1', 'S2'] },
      { id: 'reply-reorder Raft.RequestVote S0->S2 t5 #1', unit: 'message', kind: 'reply-reorder', atMs: 3100, servers: ['S0', 'S2'], delayMs: 812.4 },
    ]);
    expect(told.map((t) => t.text)).toEqual([
      'S1 crashes (restarted at 2.750 s)',
      'the AppendEntries request S1→S2 (term 4, #3 of its kind) is dropped',
      'the reply to the RequestVote S0→S2 (term 5, #1 of its kind) is held back by 812 ms, so later replies overtake it',
    ]);
  });

  test('a schedule file that cannot be used says what is wrong', () => {
    expect(() => parseScheduleFile('{', 'x.json')).toThrow(ScheduleFileError);
    expect(() => parseScheduleFile('{"format":"other"}', 'x.json')).toThrow(/format.*"other", expected "raftlab-schedule"/);
    expect(() => parseScheduleFile('{"format":"raftlab-schedule","version":1,"test":"t","seed":"1","keep":[1]}', 'x.json')).toThrow(/"keep" must be a list of fault ids/);
    expect(parseScheduleFile('{"format":"raftlab-schedule","version":1,"test":"t","seed":"12","keep":["crash S1 #2"]}', 'x.json').keep).toEqual(['crash S1 #2']);
  });
});
