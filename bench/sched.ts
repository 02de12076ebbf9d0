/**
 * Scheduler throughput on a Raft-like load: 5 servers, each sending a heartbeat RPC to each of
 * the others every 50 ms over an unreliable network (drops, 0-26 ms delays), with long delays
 * for the unreachable, for 600 s of virtual time. Prints the events fired per real second and
 * the run's trace hash, which must be the same on every run with the same LAB_SEED.
 *
 *   LAB_SEED=1 npx tsx bench/sched.ts   → sched_events_per_s=…  trace_hash=…
 */
import { runSimulation, sleep, now, mixTrace, asServer } from '../sim/index.ts';
import { Network, Server, Service, type ClientEnd } from '../labrpc/index.ts';

const servers = 5;
const heartbeatMs = 50;
const virtualMs = 600_000;
const seed = process.env.LAB_SEED ?? '1';

class Node {
  term = 0;
  heard = 0;
  Heartbeat(args: { term: number; from: number }, reply: { term?: number; ok?: boolean }): void {
    this.heard++;
    if (args.term > this.term) this.term = args.term;
    reply.term = this.term;
    reply.ok = true;
  }
}

const result = await runSimulation(
  async () => {
    const net = new Network();
    net.setReliable(false);
    net.setLongDelays(true);
    const nodes = Array.from({ length: servers }, () => new Node());
    nodes.forEach((node, i) => {
      const server = new Server();
      server.addService(new Service(node));
      net.addServer(i, server);
    });
    // ends[i][j]: server i's end to server j.
    const ends: ClientEnd[][] = nodes.map((_, i) =>
      nodes.map((__, j) => {
        const name = `end-${i}-${j}`;
        const end = net.makeEnd(name);
        net.connect(name, j);
        net.enable(name, true);
        return end;
      }),
    );
    let ok = 0;
    let failed = 0;
    const loop = (me: number): Promise<void> =>
      asServer(`S${me}`, async () => {
        while (now() < virtualMs) {
          for (let peer = 0; peer < servers; peer++) {
            if (peer === me) continue;
            const reply: { term?: number } = {};
            void ends[me]![peer]!.Call('Node.Heartbeat', { term: nodes[me]!.term, from: me }, reply).then((delivered) => {
              if (delivered) ok++;
              else failed++;
            });
          }
          // Now and then a server bumps its term, as after an election timeout.
          if (Math.random() < 0.01) nodes[me]!.term++;
          await sleep(heartbeatMs);
        }
      });
    // One server is cut off for a while, so long delays happen too.
    const partition = (async () => {
      await sleep(virtualMs / 3);
      for (let j = 0; j < servers; j++) net.enable(`end-0-${j}`, false);
      await sleep(virtualMs / 6);
      for (let j = 0; j < servers; j++) net.enable(`end-0-${j}`, true);
    })();
    await Promise.all([...nodes.map((_, i) => loop(i)), partition]);
    mixTrace(ok);
    mixTrace(failed);
    return { ok, failed, rpcs: net.getTotalCount(), bytes: net.getTotalBytes() };
  },
  { seed: `bench-sched:${seed}`, mode: 'virtual' },
);

console.log(`sched_virtual_s=${(result.elapsedMs / 1000).toFixed(0)}`);
console.log(`sched_real_ms=${result.realMs.toFixed(0)}`);
console.log(`sched_events=${result.events}`);
console.log(`sched_rpcs=${result.value.rpcs}`);
console.log(`sched_rpcs_ok=${result.value.ok}`);
console.log(`sched_events_per_s=${Math.round(result.events / (result.realMs / 1000))}`);
console.log(`trace_hash=${result.traceHash}`);
