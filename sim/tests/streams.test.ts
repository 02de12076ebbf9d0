import { describe, expect, test } from 'vitest';
import { asServer, randomInt, runSimulation, sleep } from '../index.ts';

/** Draws `extra` numbers at one place, then 20 at another, in a test body; and 20 as a server. */
async function draws(extra: number): Promise<{ other: number[]; server: number[] }> {
  const result = await runSimulation(
    async () => {
      for (let i = 0; i < extra; i++) randomInt(1000);
      const other: number[] = [];
      for (let i = 0; i < 20; i++) {
        other.push(randomInt(1000));
        await sleep(1);
      }
      const server = asServer('1', () => Array.from({ length: 20 }, () => randomInt(1000)));
      return { other, server };
    },
    { seed: 'streams' },
  );
  return result.value;
}

describe("the tester's streams", () => {
  test('draws at one place of a test body do not shift the draws at another, nor the servers\'', async () => {
    const a = await draws(0);
    const b = await draws(7);
    expect(b.other).toEqual(a.other);
    expect(b.server).toEqual(a.server);
    expect(new Set(a.other).size).toBeGreaterThan(15);
  });

  test('a server draws from the run\'s generator, not from the tester\'s', async () => {
    const a = await draws(0);
    expect(a.server).not.toEqual(a.other);
  });
});
