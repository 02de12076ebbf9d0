import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/**
 * The graded parts and their test files. Every command maps part names through here, so a
 * new part is one line below (and its points in cli/grading.json).
 */
export interface PartMap {
  /** Part name → absolute paths of its test files, in the order parts are run and listed. */
  parts: Map<string, string[]>;
  /** Names that stand for several parts (`lab2`, `lab3`); `all` is always every part. */
  groups: Map<string, string[]>;
  /** Paths are shown relative to this folder. */
  root: string;
}

/**
 * The repository's own parts: Lab 2 (Raft, and 2X beyond 6.5840), Lab 3 (fault-tolerant
 * key/value service, and 3X beyond 6.5840) and Lab 4 (sharded key/value service; its challenges are a part of their
 * own, graded apart as in 6.5840, where they are optional). Each part has its main file here,
 * and every other `*.test.ts` file of the same folder whose name starts with the part's name
 * (`2B-backup.test.ts`, `2B.extra.test.ts`) belongs to it too, unless it is another part's main
 * file (`4B-challenge.test.ts`): a new test file needs no line here (see discoverTestFiles).
 */
export function defaultPartMap(root: string): PartMap {
  const mainFiles: [string, string][] = [
    ['2A', 'raft/tests/2A.test.ts'],
    ['2B', 'raft/tests/2B.test.ts'],
    ['2C', 'raft/tests/2C.test.ts'],
    ['2D', 'raft/tests/2D.test.ts'],
    ['2X', 'raft/tests/2X.test.ts'],
    ['3A', 'kvraft/tests/3A.test.ts'],
    ['3B', 'kvraft/tests/3B.test.ts'],
    ['3X', 'kvraft/tests/3X.test.ts'],
    ['4A', 'shardctrler/tests/4A.test.ts'],
    ['4B', 'shardkv/tests/4B.test.ts'],
    ['4B-challenge', 'shardkv/tests/4B-challenge.test.ts'],
  ];
  const mains = new Set(mainFiles.map(([, path]) => resolve(root, path)));
  const file = (path: string): string[] => {
    const main = resolve(root, path);
    return discoverTestFiles(main, basename(path).split('.')[0]!).filter((f) => f === main || !mains.has(f));
  };
  return {
    parts: new Map(mainFiles.map(([part, path]) => [part, file(path)])),
    groups: new Map([
      ['lab2', ['2A', '2B', '2C', '2D']],
      ['lab3', ['3A', '3B']],
      ['lab4', ['4A', '4B', '4B-challenge']],
    ]),
    root,
  };
}

/**
 * The test files of a part: its main file first, then the other `*.test.ts` files beside it
 * whose names start with the part's name and a separator (`2B-`, `2B.`, `2B_`), in name order.
 * `2Bx.test.ts` does not belong to 2B (nor `12B-….test.ts`).
 */
export function discoverTestFiles(mainFile: string, part: string): string[] {
  const folder = dirname(mainFile);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [mainFile];
  }
  const prefix = new RegExp(`^${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[-._]`, 'i');
  const others = names
    .filter((n) => n.endsWith('.test.ts') && prefix.test(n))
    .map((n) => resolve(folder, n))
    .filter((f) => f !== mainFile)
    .sort();
  return [mainFile, ...others];
}

/**
 * A part map from a JSON file (env LAB_PARTS_FILE; tests point it at fixtures):
 * `{ "parts": { "X": ["file.ts", …] }, "groups": { "g": ["X", …] } }`, paths relative to the
 * JSON file.
 */
export function loadPartMapFile(path: string): PartMap {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read the part map ${path} (LAB_PARTS_FILE): ${(e as Error).message}`);
  }
  const base = dirname(resolve(path));
  const shape = json as { parts?: Record<string, string[]>; groups?: Record<string, string[]> };
  if (typeof shape.parts !== 'object' || shape.parts === null) throw new UsageError(`the part map ${path} needs a "parts" object: { "parts": { "X": ["file.ts"] } }`);
  const parts = new Map(Object.entries(shape.parts).map(([name, files]) => [name, files.map((f) => (isAbsolute(f) ? f : resolve(base, f)))]));
  const groups = new Map(Object.entries(shape.groups ?? {}));
  return { parts, groups, root: base };
}

/** Every name a command accepts where it wants parts, for help and error messages. */
export function partNames(map: PartMap): string[] {
  return [...map.parts.keys(), ...map.groups.keys(), 'all'];
}

/** True if the word names a part or a group of parts. */
export function isPartName(map: PartMap, word: string): boolean {
  return partNames(map).some((n) => n.toLowerCase() === word.toLowerCase());
}

/**
 * Expands part names and groups (case-insensitive, `lab2`, `all`) into parts, without
 * duplicates, in the map's order. An unknown name is an error that lists the known ones.
 */
export function expandParts(map: PartMap, words: string[]): string[] {
  if (words.length === 0) throw new UsageError(`name at least one part: ${partNames(map).join(', ')}`);
  const wanted = new Set<string>();
  for (const word of words) {
    const lower = word.toLowerCase();
    if (lower === 'all') {
      for (const p of map.parts.keys()) wanted.add(p);
      continue;
    }
    const part = [...map.parts.keys()].find((p) => p.toLowerCase() === lower);
    if (part !== undefined) {
      wanted.add(part);
      continue;
    }
    const group = [...map.groups.entries()].find(([g]) => g.toLowerCase() === lower);
    if (group !== undefined) {
      for (const p of group[1]) {
        if (!map.parts.has(p)) throw new UsageError(`group ${group[0]} names part ${p}, which the part map does not have`);
        wanted.add(p);
      }
      continue;
    }
    throw new UsageError(`unknown part "${word}"; the parts are ${partNames(map).join(', ')}`);
  }
  return [...map.parts.keys()].filter((p) => wanted.has(p));
}

/** The test files of the parts; a missing file is an error that names it. */
export function partFiles(map: PartMap, part: string): string[] {
  const files = map.parts.get(part);
  if (files === undefined) throw new UsageError(`unknown part "${part}"; the parts are ${partNames(map).join(', ')}`);
  for (const f of files) {
    if (!existsSync(f)) throw new UsageError(`part ${part}: its test file ${relative(map.root, f) || f} does not exist`);
  }
  return files;
}

/** The lab (group) a part belongs to, for the per-lab time limit of grading; the part itself if none. */
export function labOf(map: PartMap, part: string): string {
  for (const [group, members] of map.groups) if (members.includes(part)) return group;
  return part;
}

/** The parts whose test files all exist (for commands that search every part by test name). */
export function existingParts(map: PartMap): string[] {
  return [...map.parts.entries()].filter(([, files]) => files.every((f) => existsSync(f))).map(([p]) => p);
}
