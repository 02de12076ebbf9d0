/**
 * Whether the page can offer the key/value scenes: kvraft's files are bundled, and they are
 * not the handout's skeleton. A short run of its own (3 servers, a reliable network, a fixed
 * seed) makes one Put and one Get. The skeleton shows itself there: a Clerk that returns
 * without sending an RPC, servers that answer requests without ever calling Start, or code
 * that throws "not implemented". A Raft that elects or commits nothing leaves the question
 * open ('untested'): the kv scenes stay on, and show what goes wrong.
 */
import { describeThrown, now, runSimulation, sleep } from '../../sim/index.ts';
import { PlaygroundCluster, type RaftLike } from './cluster.ts';
import { readState } from './inspect.ts';
import { checkClerk, KvShapeError } from './kv-server.ts';
import { kvAbsentReason, kvBinding, type KvBinding } from './kv-source.ts';
import { clerkAt, clerkEndpoint, type KvProbe } from './protocol.ts';

/** Simulated time the probe waits for each call. */
const callLimitMs = 8000;
const servers = 3;
/** Words of an exception thrown by code not written yet. */
const notWritten = /not implemented|unimplemented|todo|your code here/i;

/** Runs the probe; never throws. `binding` defaults to the bundled kvraft (null: there is none). */
export async function probeKv(binding: KvBinding | null = kvBinding ?? null, absentReason = kvAbsentReason): Promise<KvProbe> {
  if (binding === null) return { status: 'absent', text: `no key/value service: ${absentReason || 'kvraft is not there'}` };
  try {
    const result = await runSimulation(() => probe(binding), {
      seed: 'kv-probe',
      mode: 'virtual',
      limits: { realTimeLimitMs: 10_000, virtualTimeLimitMs: 4 * callLimitMs },
      testerStreamPerCallSite: false,
    });
    return result.value;
  } catch (e) {
    const text = (e instanceof Error ? e.message : describeThrown(e)).split('\n')[0]!;
    if (e instanceof KvShapeError || notWritten.test(text)) return { status: 'skeleton', text: `kvraft is not written yet: ${text}` };
    return { status: 'untested', text: `the probe run stopped: ${text}` };
  }
}

async function probe(binding: KvBinding): Promise<KvProbe> {
  let replies = 0;
  const cluster = new PlaygroundCluster(
    servers,
    { dropRate: 0, delayMinMs: 1, delayMaxMs: 5 },
    {
      flight: (f) => {
        if (f.reply && clerkAt(f.to) !== undefined) replies++;
      },
      applied: () => undefined,
      crashed: () => undefined,
      started: () => undefined,
    },
    undefined,
    { binding, maxraftstate: -1 },
  );
  // Counted here only: the scenes leave the student's Raft untouched.
  let starts = 0;
  for (const kv of cluster.kvServers) {
    const rf = kv!.rf;
    const start = rf.Start.bind(rf);
    rf.Start = (command: unknown): unknown => {
      starts++;
      return start(command);
    };
  }
  const clerk = checkClerk(binding.MakeClerk(cluster.clerkEnds(0)));
  let leaderSeen = false;
  const leads = (rf: RaftLike | null): boolean => {
    if (rf === null) return false;
    const state = readState(rf);
    return state.ok && state.isLeader;
  };
  const lookForLeader = (): void => {
    leaderSeen ||= cluster.rafts.some(leads);
  };
  const call = async (what: string, make: () => Promise<unknown>): Promise<{ done: true; value: unknown } | { done: false }> => {
    let outcome: { done: true; value: unknown } | { done: false } = { done: false };
    let thrown: unknown;
    let settled = false;
    Promise.resolve()
      .then(make)
      .then(
        (value) => (outcome = { done: true, value }),
        (e: unknown) => (thrown = e ?? new Error(`${what} rejected`)),
      )
      .finally(() => (settled = true));
    const deadline = now() + callLimitMs;
    while (!settled && now() < deadline) {
      lookForLeader();
      await sleep(10);
    }
    if (thrown !== undefined) throw thrown;
    return outcome;
  };
  const put = await call('Put', () => clerk.Put('probe', '1'));
  const rpcs = cluster.callsFrom(clerkEndpoint(0));
  if (put.done && rpcs === 0) return { status: 'skeleton', text: 'the Clerk\'s Put returned without sending any RPC: kvraft/client.ts is still the skeleton' };
  if (!put.done) {
    if (leaderSeen && replies > 0 && starts === 0) {
      return { status: 'skeleton', text: `the KVServers answered ${replies} requests without ever calling Start on their Raft: kvraft/server.ts is still the skeleton` };
    }
    if (!leaderSeen) return { status: 'untested', text: `no Raft leader within ${callLimitMs / 1000} s, so the key/value service could not be tried; its scenes need a Raft that elects and commits` };
    return { status: 'untested', text: `a Put did not return within ${callLimitMs / 1000} s (the Clerk sent ${rpcs} RPCs, the servers called Start ${starts} times); the key/value scenes show what happens` };
  }
  const get = await call('Get', () => clerk.Get('probe'));
  if (get.done && cluster.callsFrom(clerkEndpoint(0)) === rpcs) return { status: 'skeleton', text: 'the Clerk\'s Get returned without sending any RPC: kvraft/client.ts is still the skeleton' };
  if (!get.done) return { status: 'untested', text: `a Put returned, and a Get did not within ${callLimitMs / 1000} s; the key/value scenes show what happens` };
  const seen = get.value === '1' ? '' : ` (the Get returned ${JSON.stringify(get.value)}, not "1")`;
  return { status: 'ready', text: `a Put and a Get went through the key/value service${seen}` };
}
