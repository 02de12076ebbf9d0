/** A big linearizable history, and the same with one read corrupted. */
import { describe, expect, it } from 'vitest';
import { checkOperations, checkOperationsTimeout, checkOperationsVerbose, kvModel, makeLinearizableKvHistory } from '../index.ts';

describe('10 000 operations, 50 keys, 20 clients', () => {
  const history = makeLinearizableKvHistory({ seed: 20240601, operations: 10_000, keys: 50, clients: 20 });

  it('is generated with real concurrency', () => {
    // Sweep over time: how many operations are in flight at once, at most.
    const edges = history.flatMap((o) => [[o.call, 1], [o.return, -1]] as const);
    edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let inFlight = 0;
    let most = 0;
    for (const [, delta] of edges) most = Math.max(most, (inFlight += delta));
    expect(most).toBeGreaterThanOrEqual(15);
    expect(new Set(history.map((o) => o.input.key)).size).toBe(50);
    expect(new Set(history.map((o) => o.clientId)).size).toBe(20);
  });

  it('checks Ok, fast', () => {
    const start = performance.now();
    expect(checkOperationsTimeout(kvModel, history, 0)).toBe('Ok');
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it('checks Illegal once one get returns a value nobody wrote', () => {
    const index = history.findIndex((o, i) => i > 5000 && o.input.op === 'get');
    const corrupted = history.slice();
    corrupted[index] = { ...history[index], output: { value: 'never written' } };
    expect(checkOperations(kvModel, corrupted)).toBe(false);
    const { result, info } = checkOperationsVerbose(kvModel, corrupted, 0);
    expect(result).toBe('Illegal');
    const failing = info.partitions.filter((p) => p.result === 'Illegal');
    expect(failing).toHaveLength(1);
    expect(failing[0].operations[failing[0].failedOperation]).toBe(corrupted[index]);
  });
});
