import { describe, expect, it } from 'vitest';
import { applyEdits, countOccurrences, mutateSource, MutantApplyError, MutantSyntaxError } from '../apply.ts';

const text = 'const a = 1;\nconst b = 2;\nconst c = a + b;\n';

describe('applyEdits', () => {
  it('replaces each anchor, in order, each edit seeing the last one', () => {
    const out = applyEdits(
      {
        id: 'm',
        file: 'raft/raft.ts',
        edits: [
          { find: 'const b = 2;', replace: 'const b = 3;' },
          { find: 'b = 3', replace: 'b = 4' },
        ],
      },
      text,
    );
    expect(out).toBe('const a = 1;\nconst b = 4;\nconst c = a + b;\n');
  });

  it('fails naming the mutant and the anchor when the anchor is missing', () => {
    const run = () => applyEdits({ id: 'lost-anchor', file: 'raft/raft.ts', edits: [{ find: 'const z = 9;', replace: '' }] }, text);
    expect(run).toThrow(MutantApplyError);
    expect(run).toThrow(/mutant "lost-anchor": the anchor "const z = 9;" does not occur in raft\/raft.ts/);
  });

  it('fails when the anchor occurs several times', () => {
    const run = () => applyEdits({ id: 'ambiguous', file: 'kvraft/server.ts', edits: [{ find: 'const', replace: 'let' }] }, text);
    expect(run).toThrow(/mutant "ambiguous": the anchor "const" occurs 3 times \(it must occur exactly once\) in kvraft\/server.ts/);
    try {
      run();
    } catch (e) {
      expect(e).toBeInstanceOf(MutantApplyError);
      expect((e as MutantApplyError).occurrences).toBe(3);
      expect((e as MutantApplyError).mutantId).toBe('ambiguous');
    }
  });

  it('fails on an empty anchor', () => {
    expect(() => applyEdits({ id: 'empty', file: 'raft/raft.ts', edits: [{ find: '', replace: 'x' }] }, text)).toThrow(/does not occur/);
  });

  it('rejects an edit that leaves the file unparsable', () => {
    const run = () => mutateSource({ id: 'broken', file: 'raft/raft.ts', edits: [{ find: 'const c = a + b;', replace: 'const c = a + ;' }] }, text);
    expect(run).toThrow(MutantSyntaxError);
    expect(run).toThrow(/mutant "broken": the mutated raft\/raft.ts does not parse: line 3/);
  });

  it('counts occurrences, overlapping ones too', () => {
    expect(countOccurrences('aaaa', 'aa')).toBe(3);
    expect(countOccurrences('abc', 'd')).toBe(0);
  });
});
