import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MarkerError, parseExcludes, transformSource } from '../handout-transform.ts';
import { lab, tempDir } from './helpers.ts';

// Marker lines are built from pieces so that this file holds no marker line of its own.
const open = (kind: string) => `// <${kind}>`;
const close = (kind: string) => `// </${kind}>`;

const source = [
  'export class Raft {',
  '  GetState(): [number, boolean] {',
  `    ${open('solution')}`,
  '    return [this.term, this.state === "leader"];',
  `    ${close('solution')}`,
  `    ${open('stub')}`,
  '    //! // Your code here (2A).',
  '    //! return [0, false];',
  '    //!',
  '    //! const unused = 1;',
  `    ${close('stub')}`,
  '  }',
  `${open('solution')}`,
  '  private term = 0;',
  `${close('solution')}`,
  '}',
  '',
].join('\n');

describe('the handout transform', () => {
  it('removes solution blocks, opens stub blocks, and leaves the rest alone', () => {
    const r = transformSource(source, 'raft/raft.ts');
    expect(r.text).toBe(['export class Raft {', '  GetState(): [number, boolean] {', '    // Your code here (2A).', '    return [0, false];', '', '    const unused = 1;', '  }', '}', ''].join('\n'));
    expect([r.solutions, r.stubs]).toEqual([2, 1]);
    expect(r.text).not.toContain('this.term');
  });

  it('keeps CRLF line ends and files without markers unchanged', () => {
    const crlf = source.replace(/\n/g, '\r\n');
    expect(transformSource(crlf, 'a.ts').text).toBe(transformSource(source, 'a.ts').text.replace(/\n/g, '\r\n'));
    const plain = 'const a = 1; // <solution> in a comment is not a marker\n';
    expect(transformSource(plain, 'b.ts')).toEqual({ text: plain, solutions: 0, stubs: 0 });
  });

  it('refuses unbalanced, nested and malformed markers, naming the file and line', () => {
    const cases: [string[], RegExp][] = [
      [['a', open('solution'), 'b'], /^x\.ts:2: "\/\/ <solution>" is never closed/],
      [['a', close('solution')], /^x\.ts:2: "\/\/ <\/solution>" closes no block/],
      [[open('solution'), open('stub'), close('stub'), close('solution')], /^x\.ts:2: "\/\/ <stub>" inside the solution block opened at line 1: blocks do not nest/],
      [[open('stub'), close('solution')], /^x\.ts:2: "\/\/ <\/solution>" closes the stub block opened at line 1/],
      [['  //<solution>'], /^x\.ts:1: malformed marker "\/\/<solution>"/],
      [[`${open('solution')} 2A`], /^x\.ts:1: malformed marker/],
    ];
    for (const [lines, message] of cases) {
      let thrown: unknown;
      try {
        transformSource(lines.join('\n'), 'x.ts');
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(MarkerError);
      expect((thrown as Error).message).toMatch(message);
    }
  });

  it('reads exclusion patterns: folders, paths and globs', () => {
    const excluded = parseExcludes(['# staff only', 'mutants/', 'cli/tests', 'docs/instructor*.md', 'bench/**/*.json', ''].join('\n'));
    expect(['mutants/a.ts', 'cli/tests/x.test.ts', 'docs/instructor.md', 'docs/instructor-guide.md', 'bench/a/b/c.json'].filter((p) => !excluded(p))).toEqual([]);
    expect(['mutantsX/a.ts', 'cli/testsuite.ts', 'docs/student.md', 'bench/a.ts', 'raft/raft.ts'].filter(excluded)).toEqual([]);
  });
});

/** A small staff repository: a student file with markers, a staff-only folder, a README. */
function staffRepo(files: Record<string, string>): string {
  const root = tempDir('lab-staff-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe' });
  git('init', '-q');
  git('add', '-A');
  return root;
}

const repoFiles = {
  'raft/raft.ts': source,
  'sim/api.ts': 'export const x = 1;\n',
  'mutants/m1.ts': 'export const bug = true;\n',
  'README.md': '# staff README\n',
  'cli/handout-exclude.txt': '# staff\nmutants/\ncli/handout-exclude.txt\ncli/handout-README.md\n',
  'cli/handout-README.md': '# Student README\n',
  'bin/run.sh': '#!/bin/sh\necho hi\n',
  '.gitignore': 'node_modules/\nignored.txt\n',
  'ignored.txt': 'not tracked\n',
};

describe('lab handout', () => {
  it('writes the tracked files with solutions removed, stubs opened, staff files left out, and the student README', async () => {
    const root = staffRepo(repoFiles);
    execFileSync('chmod', ['+x', join(root, 'bin/run.sh')]);
    const dir = join(tempDir('lab-handout-'), 'student');
    const r = await lab(['handout', dir], { root });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`handout written to ${dir}: 5 files`);
    expect(r.out).toContain('2 solution block(s) removed and 1 stub block(s) opened, in 1 file(s)');
    expect(r.out).toContain('left out 3 staff-only file(s)');
    const raft = readFileSync(join(dir, 'raft/raft.ts'), 'utf8');
    expect(raft).toContain('    return [0, false];');
    expect(raft).not.toContain('this.term');
    expect(raft).not.toContain('//!');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# Student README\n');
    expect(readFileSync(join(dir, 'sim/api.ts'), 'utf8')).toBe('export const x = 1;\n');
    expect(existsSync(join(dir, 'mutants'))).toBe(false);
    expect(existsSync(join(dir, 'cli/handout-exclude.txt'))).toBe(false);
    expect(existsSync(join(dir, 'ignored.txt'))).toBe(false);
    expect(statSync(join(dir, 'bin/run.sh')).mode & 0o100).toBe(0o100);
  });

  it('refuses a folder that exists and is not empty', async () => {
    const root = staffRepo(repoFiles);
    const dir = tempDir('lab-handout-');
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    const r = await lab(['handout', dir], { root });
    expect(r.code).toBe(2);
    expect(r.err).toContain('exists and is not an empty folder');
    // An existing empty folder is fine.
    const empty = tempDir('lab-handout-');
    expect((await lab(['handout', empty], { root })).code).toBe(0);
  });

  it('writes nothing when a marker is unbalanced, and names the file and line', async () => {
    const root = staffRepo({ ...repoFiles, 'kvraft/server.ts': ['export function f() {', `  ${open('solution')}`, '  return 1;', '}', ''].join('\n') });
    const dir = join(tempDir('lab-handout-'), 'student');
    const r = await lab(['handout', dir], { root });
    expect(r.code).toBe(2);
    expect(r.err).toContain('kvraft/server.ts:2: "// <solution>" is never closed');
    expect(existsSync(dir)).toBe(false);
  });

  it('needs a git repository', async () => {
    const root = tempDir('lab-nogit-');
    mkdirSync(join(root, 'cli'));
    writeFileSync(join(root, 'cli/handout-exclude.txt'), '');
    writeFileSync(join(root, 'cli/handout-README.md'), '# R\n');
    const r = await lab(['handout', join(root, 'out')], { root, handoutExcludeFile: join(root, 'cli/handout-exclude.txt'), handoutReadmeFile: join(root, 'cli/handout-README.md') });
    expect(r.code).toBe(2);
    expect(r.err).toContain('"git ls-files" failed');
  });
});
