import { Rng } from '../sim/index.ts';

/**
 * Draws for one named choice: a generator seeded by the run's seed and the choice's identity,
 * so the choice comes out the same whatever else the run did before it. The price is one small
 * generator per choice (a hash of the name and a few warm-up rounds), cheap next to an RPC.
 */
export function keyedInt(runSeed: string, choiceId: string): (n: number) => number {
  const rng = new Rng(`${runSeed}|${choiceId}`);
  return (n) => rng.int(n);
}
