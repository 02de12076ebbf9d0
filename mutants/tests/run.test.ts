import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { findMutant, type Mutant } from '../catalogue.ts';
import { formatMatrix, formatSummary, runMutantsCommand } from '../command.ts';
import { makeMutantCopy, projectRoot, removeMutantCopy, runMutants, seedPlus, type MutantsProgress } from '../run.ts';

/** Changes a comment only: the suite must pass it, which shows that the copies run the reference unharmed. */
const noop: Mutant = {
  id: 'noop-comment',
  title: 'a comment changed (a control: must survive)',
  bug: [17],
  file: 'raft/raft.ts',
  parts: ['2A'],
  mustKill: false,
  survives: 'it changes nothing',
  edits: [{ find: '/** The tester allows at most ten heartbeats per second. */', replace: '/** (mutated) The tester allows at most ten heartbeats per second. */' }],
};

const copiesLeft = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('raftlab-mutant-noop-comment-') || f.startsWith('raftlab-mutant-heartbeat-skips-log-check-'));

describe('runMutants, end to end', () => {
  it('kills a must-kill mutant and lets a no-op mutant survive, and cleans up its copies', { timeout: 120_000 }, async () => {
    const before = copiesLeft();
    const events: MutantsProgress[] = [];
    const killer: Mutant = { ...findMutant('heartbeat-skips-log-check'), parts: ['2A', '2B'] };
    const matrix = await runMutants({ mutants: [killer, noop], seeds: 2, baseSeed: '1', parallel: 2, onProgress: (e) => events.push(e) });

    const [killed, survived] = matrix.results;
    expect(killed!.mutant.id).toBe('heartbeat-skips-log-check');
    expect(killed!.error).toBeUndefined();
    expect(killed!.killed).toBe(true);
    const kills = killed!.cells.filter((c) => c.kills > 0);
    expect(kills.length).toBeGreaterThan(0);
    for (const c of kills) {
      expect(c.part).toBe('2B');
      expect(['1', '2']).toContain(c.killSeed);
      expect(c.check).toBeTruthy();
      expect(c.runs).toBe(c.killSeed === '1' ? 1 : 2); // stops at the first kill
    }
    expect(killed!.cells.map((c) => c.part)).toEqual([...Array(3).fill('2A'), ...Array(10).fill('2B')]);

    expect(survived!.killed).toBe(false);
    expect(survived!.error).toBeUndefined();
    expect(survived!.cells).toHaveLength(3);
    for (const c of survived!.cells) expect([c.runs, c.kills]).toEqual([2, 0]);

    expect(matrix.tests.map((t) => t.part)).toEqual([...Array(3).fill('2A'), ...Array(10).fill('2B')]);
    expect(events[0]).toEqual({ type: 'planned', mutants: 2, tasks: 16 });
    expect(events.filter((e) => e.type === 'test-done')).toHaveLength(16);
    expect(events.filter((e) => e.type === 'mutant-done')).toHaveLength(2);
    expect(copiesLeft()).toEqual(before);

    const summary = formatSummary(matrix).join('\n');
    expect(summary).toMatch(/heartbeat-skips-log-check\s+8\s+2A,2B\s+killed\s+2B /);
    expect(summary).toMatch(/noop-comment\s+17\s+2A\s+survived\s+none \(3 tests, 6 runs\)\n\s+why: it changes nothing/);
    const grid = formatMatrix(matrix).join('\n');
    expect(grid).toContain('2B.10  Test (2B): RPC counts');
    expect(grid).toMatch(/noop-comment\s+\.\s+\.\s+\.\s+survived/);
  });

  it('reports a mutant whose anchor is gone as an error, without running it', async () => {
    const lost: Mutant = { ...noop, id: 'lost', edits: [{ find: 'no such text in raft.ts', replace: '' }] };
    const matrix = await runMutants({ mutants: [lost], seeds: 1, baseSeed: '1', parallel: 1 });
    expect(matrix.results[0]!.error).toMatch(/mutant "lost": the anchor "no such text in raft.ts" does not occur in raft\/raft.ts/);
    expect(matrix.results[0]!.killed).toBe(false);
  });

  it('makes a copy with the edit applied and the assertions off, and removes it', async () => {
    const { readFileSync } = await import('node:fs');
    const dir = makeMutantCopy(projectRoot, noop);
    try {
      const raft = readFileSync(`${dir}/raft/raft.ts`, 'utf8');
      expect(raft).toContain('(mutated) The tester allows');
      expect(raft).toContain('assertions off (mutants)');
      expect(existsSync(`${dir}/node_modules/vitest`)).toBe(true);
      expect(existsSync(`${dir}/tester/pool.ts`)).toBe(true);
    } finally {
      removeMutantCopy(dir);
    }
    expect(existsSync(dir)).toBe(false);
  });

  it('numbers seeds from the base seed', () => {
    expect(seedPlus('1', 0)).toBe('1');
    expect(seedPlus('41', 2)).toBe('43');
    expect(() => seedPlus('x', 1)).toThrow(/whole number/);
  });
});

describe('lab mutants (runMutantsCommand)', () => {
  const run = async (argv: string[]): Promise<{ code: number; text: string }> => {
    const lines: string[] = [];
    const code = await runMutantsCommand(argv, (l) => lines.push(l), () => undefined);
    return { code, text: lines.join('\n') };
  };

  it('lists the catalogue and prints its help', async () => {
    const list = await run(['--list']);
    expect(list.code).toBe(0);
    expect(list.text).toMatch(/^fixed-election-timeout\s+bug 2 /m);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.text).toContain('Usage: lab mutants');
  });

  it('rejects bad arguments with exit code 2', async () => {
    expect((await run(['--seeds', '0'])).code).toBe(2);
    expect((await run(['--parts', '2E'])).text).toMatch(/unknown part 2E/);
    expect((await run(['--only', 'no-such-mutant'])).text).toMatch(/no mutant no-such-mutant/);
    expect((await run(['--frobnicate'])).code).toBe(2);
  });

  it('runs one mutant and exits 0 when the must-kill mutants are killed', { timeout: 120_000 }, async () => {
    const { code, text } = await run(['--only', 'heartbeat-every-10ms', '--parts', '2B', '--seeds', '1', '-p', '2']);
    expect(text).toMatch(/heartbeat-every-10ms\s+17\s+2B\s+killed\s+2B RPC counts aren't too high 1\/1 \(seed 1: rpcCount\)/);
    expect(text).toContain('PASS: every mustKill mutant was killed');
    expect(code).toBe(0);
  });
});
