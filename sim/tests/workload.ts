/**
 * A small workload that touches every source of time and randomness the simulator virtualizes:
 * five "servers" that sleep random amounts, read the clocks, draw random numbers and UUIDs, and
 * send to each other over channels. Its trace hash and its observations must be the same for
 * the same seed, in any process.
 */
import { setTimeout as sleepPromise } from 'node:timers/promises';
import { Channel, asServer, now, randomInt, runSimulation, sleep, type RunResult } from '../index.ts';

export interface Observed {
  log: string[];
}

export async function workload(): Promise<Observed> {
  const log: string[] = [];
  const inboxes = Array.from({ length: 5 }, (_, i) => new Channel<string>(i % 2, `inbox-${i}`));
  const servers = inboxes.map((inbox, me) =>
    asServer(`S${me}`, async () => {
      for (let round = 0; round < 20; round++) {
        await sleep(randomInt(50));
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 30)));
        await sleepPromise(1 + randomInt(5));
        const to = (me + 1 + randomInt(4)) % 5;
        const message = `${me}->${to}@${Date.now() - Date.UTC(2025, 0, 1)}:${crypto.randomUUID().slice(0, 8)}`;
        await inboxes[to]!.send(message);
        const got = inbox.tryReceive();
        if (got.ok) log.push(`${now()} S${me} got ${got.value}`);
      }
    }),
  );
  let ticks = 0;
  const ticker = setInterval(() => {
    ticks++;
    log.push(`tick ${ticks} at ${performance.now()}`);
  }, 97);
  // Drain every inbox until the servers are done, so no send blocks forever.
  let finished = false;
  const drains = inboxes.map(async (inbox, i) => {
    while (!finished) {
      const got = inbox.tryReceive();
      if (got.ok) log.push(`${now()} drain ${i} ${got.value}`);
      else await sleep(3);
    }
  });
  await Promise.all(servers);
  finished = true;
  await Promise.all(drains);
  clearInterval(ticker);
  log.push(`end ${now()} ${new Date().toISOString()} ${Date()}`);
  return { log };
}

export function runWorkload(seed: string): Promise<RunResult<Observed>> {
  return runSimulation(workload, { seed, mode: 'virtual' });
}
