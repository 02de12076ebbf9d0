import { test, expect } from 'vitest';
import { runSimulation, sleep, UncaughtError } from '../index.ts';
import { randomUUID } from 'node:crypto';
test('unhandled real', async () => {
  await expect(runSimulation(async () => { Promise.reject(new Error('boom')); await sleep(10); }, { seed: 'z', mode: 'real' })).rejects.toThrow(UncaughtError);
});
test('uuid', async () => {
  const r = await runSimulation(async () => [randomUUID(), crypto.randomUUID()], { seed: 'z' });
  const r2 = await runSimulation(async () => [randomUUID(), crypto.randomUUID()], { seed: 'z' });
  console.log(r.value, r2.value);
});
test('timer throw real', async () => {
  await expect(runSimulation(async () => { setTimeout(() => { throw new Error('boom2'); }, 5); await sleep(10); }, { seed: 'z', mode: 'real' })).rejects.toThrow(UncaughtError);
});
