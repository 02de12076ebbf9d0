import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commands } from '../main.ts';
import { delegatedCommands } from '../delegated.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const docs = ['README.md', 'cli/handout-README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Every test file's source, to check that names quoted in the docs are tests. */
const testSources = ['raft/tests', 'kvraft/tests', 'shardctrler/tests', 'shardkv/tests', 'tester/tests/fixtures', 'cli/tests/fixtures']
  .flatMap((dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => read(`${dir}/${f}`)))
  .join('\n');

describe('the docs say what is true', () => {
  it('docs/cli.md has a section for every command of lab --help', () => {
    const cli = read('docs/cli.md');
    for (const name of [...commands.map((c) => c.spec.name), ...delegatedCommands.map((c) => c.name)]) {
      expect(cli, `a section for lab ${name}`).toMatch(new RegExp(`^## .*\`lab ${name}\\b`, 'm'));
    }
    expect(cli).not.toContain('fails for now');
  });

  it('every relative link of the docs points at a file of the repository', () => {
    for (const doc of docs) {
      for (const m of read(doc).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        // The handout README becomes the README at the top of the student repository.
        const base = doc === 'cli/handout-README.md' ? '.' : dirname(doc);
        expect(existsSync(resolve(root, base, target)), `${doc} links ${target}`).toBe(true);
      }
    }
  });

  it('every test a replay command of the docs names exists', () => {
    for (const doc of docs) {
      for (const m of read(doc).matchAll(/lab replay "([^"]+)"/g)) {
        const name = m[1]!;
        if (name.startsWith('<') || name === '…') continue; // a placeholder such as "<test>"
        // "Test (2A): title" (Raft) or "Test: title (3A)" (the key/value labs).
        const title = /^Test \([^)]+\): (.*)$/.exec(name)?.[1] ?? /^Test: (.*) \([^)]+\)$/.exec(name)?.[1] ?? name;
        expect(testSources.includes(`'${title}'`) || testSources.toLowerCase().includes(title.toLowerCase()), `${doc}: lab replay "${name}"`).toBe(true);
      }
    }
  });

  it('every vitest command of the docs names test files or folders that exist', () => {
    for (const doc of docs) {
      for (const m of read(doc).matchAll(/npx vitest run([^\n`#]*)/g)) {
        const words = m[1]!.trim().split(/\s+/);
        // The first word that is not a flag (nor a flag's value) is the path.
        const path = words.find((w, i) => w !== '' && !w.startsWith('-') && !(i > 0 && words[i - 1]!.startsWith('-') && !words[i - 1]!.includes('=')) && !w.startsWith('"'));
        expect(path, `${doc}: "npx vitest run${m[1]}" names no file (without one, vitest loads every test file)`).toBeDefined();
        expect(existsSync(join(root, path!)), `${doc}: ${path}`).toBe(true);
      }
    }
  });

  it('the student guide covers Lab 3 and the common mistakes; the handout README links it', () => {
    const guide = read('docs/student-guide.md');
    const section = (title: string): string => guide.split(/^## /m).find((s) => s.startsWith(title)) ?? '';
    const lab3 = section('Lab 3');
    for (const topic of ['Clerk', 'KVServer', 'Duplicate detection', 'select', 'Snapshots']) expect(lab3, topic).toContain(topic);
    const mistakes = section('Common mistakes');
    for (const topic of ['forgotten `await`', '`async GetState()`', 'Class instances in RPC arguments', 'Channel without a timeout', 'state across an `await`']) expect(mistakes, topic).toContain(topic);
    expect(read('cli/handout-README.md')).toContain('](docs/student-guide.md)');
  });
});
