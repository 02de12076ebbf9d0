import * as net from 'node:net';

/**
 * `count` consecutive free ports on 127.0.0.1, for tests that start clusters side by side.
 * Free when checked: another program could take one before the nodes bind it (they then say so).
 */
export async function findFreePorts(count: number, from = 20_000, to = 60_000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * (to - from - count));
    let free = true;
    for (let i = 0; i < count && free; i++) free = await portFree(base + i);
    if (free) return base;
  }
  throw new Error(`found no ${count} consecutive free ports between ${from} and ${to}`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
