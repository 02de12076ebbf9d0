import { SimUsageError } from './errors.ts';
import { realPerformanceNow } from './runtime.ts';

let randomBase: string | undefined;

/**
 * The base seed of this process: LAB_SEED if set (any whole number), else one random number
 * drawn once, so every test of a run shares a base that one replay command can name.
 */
export function baseSeedFromEnv(): string {
  const fromEnv = process.env.LAB_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!/^\d{1,15}$/.test(fromEnv)) throw new SimUsageError(`LAB_SEED must be a whole number of at most 15 digits, got "${fromEnv}"`);
    return fromEnv;
  }
  // Real entropy on purpose: a fresh seed when none is given (the seed is printed on failure).
  randomBase ??= String(Math.floor((Math.random() * 1e9 + realPerformanceNow() * 1000) % 1e9));
  return randomBase;
}

/** The seed of one test: its base seed and its full name, so tests of one run differ from each other. */
export function seedFor(baseSeed: string, testName: string): string {
  return `${baseSeed}:${testName}`;
}
