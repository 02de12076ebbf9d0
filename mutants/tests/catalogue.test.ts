import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyEdits, countOccurrences, syntaxErrors } from '../apply.ts';
import { assertionsOff, catalogue, shardBugs } from '../catalogue.ts';
import { projectRoot } from '../run.ts';

const source = (file: string): string => readFileSync(join(projectRoot, file), 'utf8');

describe('the mutant catalogue', () => {
  it('has at least 20 mutants with unique kebab-case ids', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(20);
    const ids = catalogue.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('names real raft-bugs.md items, parts and edits', () => {
    for (const m of catalogue) {
      expect(m.bug.length, m.id).toBeGreaterThan(0);
      for (const b of m.bug) expect((b >= 1 && b <= 28) || shardBugs[b] !== undefined, `${m.id}: bug ${b}`).toBe(true);
      expect(m.parts.length, m.id).toBeGreaterThan(0);
      expect(m.edits.length, m.id).toBeGreaterThan(0);
      for (const e of m.edits) expect(e.find, m.id).not.toBe(e.replace);
      // Raft mutants are judged by the Raft parts, KV mutants by the KV parts.
      const raftParts = m.parts.every((p) => p.startsWith('2'));
      expect(raftParts, m.id).toBe(m.file === 'raft/raft.ts');
    }
  });

  it('covers the raft-bugs.md list broadly', () => {
    const covered = new Set(catalogue.flatMap((m) => m.bug));
    for (const b of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24, 25, 26, 27, 28]) expect(covered.has(b), `bug ${b}`).toBe(true);
  });

  it.each(catalogue.map((m) => [m.id, m] as const))('%s: every anchor occurs exactly once in the reference, and the result parses', (_id, m) => {
    const text = source(m.file);
    const mutated = applyEdits(m, text);
    expect(mutated).not.toBe(text);
    expect(syntaxErrors(m.file, mutated)).toEqual([]);
  });

  it('can turn off the reference assertions of raft.ts (applied to every copy)', () => {
    expect(countOccurrences(source('raft/raft.ts'), assertionsOff.find)).toBe(1);
    expect(syntaxErrors('raft/raft.ts', applyEdits({ id: 'assertions-off', file: 'raft/raft.ts', edits: [assertionsOff] }, source('raft/raft.ts')))).toEqual([]);
  });

  it('says why each mutant that need not be killed may survive', () => {
    for (const m of catalogue.filter((x) => !x.mustKill)) expect(m.survives, m.id).toBeTruthy();
  });
});
