import { test, expect } from 'vitest';
import { runSimulation, sleep, UncaughtError } from '../index.ts';
test('unhandled', async () => {
  await expect(runSimulation(async () => { Promise.reject(new Error('boom')); await sleep(10); }, { seed: 'z' })).rejects.toThrow(UncaughtError);
});
test('timer throw', async () => {
  await expect(runSimulation(async () => { setTimeout(() => { throw new Error('boom2'); }, 5); await sleep(10); }, { seed: 'z' })).rejects.toThrow(UncaughtError);
});
test('after', async () => { await new Promise(r => setTimeout(r, 10)); expect(1).toBe(1); });
