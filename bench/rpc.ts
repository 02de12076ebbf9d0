/**
 * RPC throughput on virtual time, like labrpc's TestBenchmark ("march 2016, rtm laptop, 22
 * microseconds per RPC"): 100 000 sequential calls on a reliable network, then 100 ends making
 * 1000 calls each at the same time. Prints real microseconds per call.
 *
 *   npx tsx bench/rpc.ts      → rpc_us_per_call=…  rpc_concurrent_us_per_call=…
 */
import { runSimulation } from '../sim/index.ts';
import { Network, Server, Service } from '../labrpc/index.ts';

class Bench {
  Handler2(args: { X: number }, reply: { X?: string }): void {
    reply.X = `handler2-${args.X}`;
  }
}

function network(): Network {
  const net = new Network();
  const server = new Server();
  server.addService(new Service(new Bench()));
  net.addServer('server99', server);
  return net;
}

async function sequential(calls: number): Promise<number> {
  const result = await runSimulation(
    async () => {
      const net = network();
      const end = net.makeEnd('end1-99');
      net.connect('end1-99', 'server99');
      net.enable('end1-99', true);
      for (let i = 0; i < calls; i++) {
        const reply: { X?: string } = {};
        const ok = await end.Call('Bench.Handler2', { X: 111 }, reply);
        if (!ok || reply.X !== 'handler2-111') throw new Error(`call ${i} failed: ${String(ok)} ${String(reply.X)}`);
      }
      return net.getCount('server99');
    },
    { seed: 'bench-rpc-sequential', mode: 'virtual' },
  );
  if (result.value !== calls) throw new Error(`server saw ${result.value} calls, expected ${calls}`);
  return result.realMs;
}

async function concurrent(ends: number, callsPerEnd: number): Promise<number> {
  const result = await runSimulation(
    async () => {
      const net = network();
      const client = async (e: number): Promise<void> => {
        const end = net.makeEnd(e);
        net.connect(e, 'server99');
        net.enable(e, true);
        for (let i = 0; i < callsPerEnd; i++) {
          const reply: { X?: string } = {};
          if (!(await end.Call('Bench.Handler2', { X: e }, reply))) throw new Error(`end ${e} call ${i} failed`);
        }
      };
      await Promise.all(Array.from({ length: ends }, (_, e) => client(e)));
      return net.getCount('server99');
    },
    { seed: 'bench-rpc-concurrent', mode: 'virtual' },
  );
  if (result.value !== ends * callsPerEnd) throw new Error(`server saw ${result.value} calls, expected ${ends * callsPerEnd}`);
  return result.realMs;
}

const sequentialCalls = 100_000;
const ends = 100;
const callsPerEnd = 1000;

await sequential(2000); // warm up the JIT
const seqMs = await sequential(sequentialCalls);
const concMs = await concurrent(ends, callsPerEnd);
console.log(`rpc_calls=${sequentialCalls}`);
console.log(`rpc_us_per_call=${((seqMs * 1000) / sequentialCalls).toFixed(2)}`);
console.log(`rpc_concurrent_calls=${ends * callsPerEnd}`);
console.log(`rpc_concurrent_us_per_call=${((concMs * 1000) / (ends * callsPerEnd)).toFixed(2)}`);
