import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TestWorker } from '../tester/pool.ts';
import type { RunOutcome } from '../tester/runner.ts';
import { mutateSource } from './apply.ts';
import { assertionsOff, catalogue, type Mutant, type MutantPart } from './catalogue.ts';

/**
 * Runs mutants: for each, a temporary copy of the project with the mutant's edits, and the
 * tests of its parts run from that copy, K seeds each. A test that fails on some seed kills
 * the mutant; the result is a matrix mutant × test.
 *
 * Why a copy and the copy's own TestWorker: a test file imports the tester, Raft and the
 * simulator by relative paths, and the worker thread finds the test it must run in the
 * registry module of the tester it booted from. So the worker must boot from the copy's
 * tester/ (import the copy's pool.ts), or it would load the copy's test into one registry and
 * look for it in another. Each copy is a separate module graph: mutants never share code.
 */

/** The project's root: the folder above mutants/. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What a temporary copy holds: the source folders the tests import, and the package files. */
export const copiedFolders = ['sim', 'schedule', 'labrpc', 'persister', 'raft', 'tester', 'kvraft', 'shardctrler', 'shardkv', 'porcupine', 'trace'] as const;
const copiedFiles = ['package.json', 'tsconfig.json'] as const;

/** The test file of each part, relative to the root. */
export const partFiles: Record<MutantPart, string> = {
  '2A': 'raft/tests/2A.test.ts',
  '2B': 'raft/tests/2B.test.ts',
  '2C': 'raft/tests/2C.test.ts',
  '2D': 'raft/tests/2D.test.ts',
  '2X': 'raft/tests/2X.test.ts',
  '3A': 'kvraft/tests/3A.test.ts',
  '3B': 'kvraft/tests/3B.test.ts',
  '3X': 'kvraft/tests/3X.test.ts',
  '4A': 'shardctrler/tests/4A.test.ts',
  '4B': 'shardkv/tests/4B.test.ts',
  '4B-challenge': 'shardkv/tests/4B-challenge.test.ts',
};

export const allParts: readonly MutantPart[] = ['2A', '2B', '2C', '2D', '2X', '3A', '3B', '3X', '4A', '4B', '4B-challenge'];

/** Real time one run of one test may take before the runner stops it and counts a kill. */
export const defaultRunLimitMs = 120_000;

export interface RunMutantsOptions {
  /** Mutant ids to run (default: all). */
  only?: string[];
  /** The mutants to choose from (default: the catalogue). */
  mutants?: readonly Mutant[];
  /** Seeds per test: run i uses base seed baseSeed + i. */
  seeds: number;
  /** Only these parts (intersected with each mutant's parts). */
  parts?: MutantPart[];
  /** First base seed, a whole number of at most 15 digits. */
  baseSeed: string;
  /** Test runs at once (worker threads). */
  parallel: number;
  /** Stop a test's seed loop at its first kill (default true). False counts kills over every seed. */
  stopAtFirstKill?: boolean;
  /** Ignore the mutants' `tests` filters: run every test of their parts. */
  allTests?: boolean;
  /** Project to copy (default: this one). */
  root?: string;
  /** Real-time limit of one run (default defaultRunLimitMs). */
  runLimitMs?: number;
  /**
   * Keep the reference's invariant assertions in raft/raft.ts (default false: they are turned
   * off in every copy, so that kills come from the tests' checks or from genuine crashes).
   */
  keepAssertions?: boolean;
  onProgress?: (event: MutantsProgress) => void;
}

export type MutantsProgress =
  | { type: 'planned'; mutants: number; tasks: number }
  | { type: 'test-done'; mutant: string; cell: TestCell; done: number; tasks: number }
  | { type: 'mutant-done'; result: MutantResult };

/** A test of the suite. */
export interface SuiteTest {
  part: MutantPart;
  name: string;
}

/** One mutant × one test. */
export interface TestCell extends SuiteTest {
  /** Seeds run. */
  runs: number;
  /** Seeds on which the test failed. */
  kills: number;
  /** The base seed of the first failing run. */
  killSeed?: string;
  /** The failing check of that run (e.g. checkOneLeader, apply, exception, watchdog). */
  check?: string;
  /** The first line of its failure message. */
  message?: string;
  /** Real ms spent on this cell. */
  realMs: number;
}

export interface MutantResult {
  mutant: Mutant;
  /** Killed: some test failed on some seed. */
  killed: boolean;
  cells: TestCell[];
  /** The mutant could not be run (its edits do not apply, or the copy failed). */
  error?: string;
  realMs: number;
}

export interface MutantsMatrix {
  baseSeed: string;
  seeds: number;
  stopAtFirstKill: boolean;
  /** Every test that some mutant ran, in part and file order. */
  tests: SuiteTest[];
  results: MutantResult[];
  realMs: number;
}

/** The base seed of run i: base + i, kept within 15 digits like the rest of the lab. */
export function seedPlus(base: string, i: number): string {
  if (!/^\d{1,15}$/.test(base)) throw new Error(`a base seed is a whole number of at most 15 digits, got "${base}"`);
  const text = (BigInt(base) + BigInt(i)).toString();
  return text.length > 15 ? ((BigInt(base) + BigInt(i)) % 1_000_000_000_000_000n).toString() : text;
}

/** Selects the mutants of `only` (every one if absent), failing clearly on an unknown id. */
export function selectMutants(from: readonly Mutant[], only: string[] | undefined): Mutant[] {
  if (only === undefined || only.length === 0) return [...from];
  const unknown = only.filter((id) => !from.some((m) => m.id === id));
  if (unknown.length > 0) throw new Error(`no mutant ${unknown.map((u) => `"${u}"`).join(', ')} in the catalogue; the ids are: ${from.map((m) => m.id).join(', ')}`);
  return from.filter((m) => only.includes(m.id));
}

/** The names of the tests of each part, listed by a fresh worker of the (unmutated) project. */
export async function listSuite(root: string, parts: readonly MutantPart[]): Promise<Map<MutantPart, string[]>> {
  const out = new Map<MutantPart, string[]>();
  for (const part of parts) {
    const file = join(root, partFiles[part]);
    if (!existsSync(file)) throw new Error(`part ${part} has no test file yet (${partFiles[part]}): leave it out with --parts`);
    // A fresh worker per file: a worker's registry keeps every file it has loaded.
    const worker = new TestWorker();
    try {
      out.set(part, await worker.list(pathToFileURL(file).href));
    } finally {
      await worker.close();
    }
  }
  return out;
}

/** The tests a mutant runs: its parts (∩ the requested ones), narrowed by its `tests` filter. */
export function testsOf(mutant: Mutant, suite: Map<MutantPart, string[]>, parts: readonly MutantPart[] | undefined, allTests: boolean): SuiteTest[] {
  const chosen = mutant.parts.filter((p) => parts === undefined || parts.includes(p));
  const tests: SuiteTest[] = [];
  for (const part of chosen) {
    for (const name of suite.get(part) ?? []) {
      if (!allTests && mutant.tests !== undefined && !mutant.tests.some((t) => name.includes(t))) continue;
      tests.push({ part, name });
    }
  }
  return tests;
}

/**
 * A temporary copy of the project with the mutant applied; node_modules is a symlink to the
 * project's. Returns its folder. Throws (naming the mutant) if the edits do not apply.
 */
export function makeMutantCopy(root: string, mutant: Mutant, keepAssertions = false): string {
  const sources = new Map<string, string>([[mutant.file, mutateSource(mutant, readFileSync(join(root, mutant.file), 'utf8'))]]);
  if (!keepAssertions) {
    const raft = 'raft/raft.ts';
    const text = sources.get(raft) ?? readFileSync(join(root, raft), 'utf8');
    sources.set(raft, mutateSource({ id: `${mutant.id} (assertions off)`, file: raft, edits: [assertionsOff] }, text));
  }
  const dir = mkdtempSync(join(tmpdir(), `raftlab-mutant-${mutant.id}-`));
  trackCopy(dir);
  try {
    for (const folder of copiedFolders) {
      const from = join(root, folder);
      if (existsSync(from)) cpSync(from, join(dir, folder), { recursive: true, filter: (src) => !src.includes('node_modules') });
    }
    for (const file of copiedFiles) cpSync(join(root, file), join(dir, file));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    for (const [file, text] of sources) writeFileSync(join(dir, file), text);
  } catch (e) {
    removeMutantCopy(dir);
    throw e;
  }
  return dir;
}

/** Copies not yet removed: removed on exit too, should the run end abruptly (an exception, process.exit). */
const liveCopies = new Set<string>();
let exitHookInstalled = false;

function trackCopy(dir: string): void {
  liveCopies.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of liveCopies) rmSync(d, { recursive: true, force: true });
  });
}

/** Removes a copy made by makeMutantCopy. */
export function removeMutantCopy(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveCopies.delete(dir);
}

type PoolModule = typeof import('../tester/pool.ts');

/** One mutant being run: its copy, and its tests still to run. */
interface MutantState {
  mutant: Mutant;
  tests: SuiteTest[];
  next: number;
  running: number;
  cells: TestCell[];
  startMs: number;
  copy?: Promise<{ dir: string; pool: PoolModule }>;
  error?: string;
  finished: boolean;
}

/** A lane runs one test at a time, keeping its worker while it stays on the same mutant. */
interface Lane {
  state?: MutantState;
  worker?: TestWorker;
}

/**
 * Runs the mutants and returns the matrix. Mutants are run in catalogue order, P test runs at
 * a time; each lane keeps its worker thread for the tests of one mutant, so the cost of
 * loading the code is paid once per lane and mutant. Temporary copies are removed as soon as
 * a mutant is done (and on failure).
 */
export async function runMutants(options: RunMutantsOptions): Promise<MutantsMatrix> {
  const startMs = performance.now();
  const root = options.root ?? projectRoot;
  const stopAtFirstKill = options.stopAtFirstKill ?? true;
  const runLimitMs = options.runLimitMs ?? defaultRunLimitMs;
  if (!Number.isInteger(options.seeds) || options.seeds < 1) throw new Error(`seeds must be a whole number ≥ 1, got ${options.seeds}`);
  if (!Number.isInteger(options.parallel) || options.parallel < 1) throw new Error(`parallel must be a whole number ≥ 1, got ${options.parallel}`);
  seedPlus(options.baseSeed, 0);

  const mutants = selectMutants(options.mutants ?? catalogue, options.only);
  const neededParts = allParts.filter((p) => mutants.some((m) => m.parts.includes(p)) && (options.parts === undefined || options.parts.includes(p)));
  const suite = await listSuite(root, neededParts);
  const states: MutantState[] = mutants.map((mutant) => ({
    mutant,
    tests: testsOf(mutant, suite, options.parts, options.allTests ?? false),
    next: 0,
    running: 0,
    cells: [],
    startMs: performance.now(),
    finished: false,
  }));
  const tasks = states.reduce((n, s) => n + s.tests.length, 0);
  options.onProgress?.({ type: 'planned', mutants: states.length, tasks });

  const results = new Map<MutantState, MutantResult>();
  let done = 0;

  const finishMutant = async (state: MutantState): Promise<void> => {
    if (state.finished) return;
    state.finished = true;
    const cells = orderCells(state.tests, state.cells);
    const result: MutantResult = {
      mutant: state.mutant,
      killed: cells.some((c) => c.kills > 0),
      cells,
      error: state.error,
      realMs: performance.now() - state.startMs,
    };
    results.set(state, result);
    if (state.copy !== undefined) {
      const copy = await state.copy.catch(() => undefined);
      if (copy !== undefined) removeMutantCopy(copy.dir);
    }
    options.onProgress?.({ type: 'mutant-done', result });
  };

  const prepare = (state: MutantState): Promise<{ dir: string; pool: PoolModule }> => {
    state.copy ??= (async () => {
      state.startMs = performance.now();
      const dir = makeMutantCopy(root, state.mutant, options.keepAssertions ?? false);
      try {
        const pool = (await import(pathToFileURL(join(dir, 'tester', 'pool.ts')).href)) as PoolModule;
        return { dir, pool };
      } catch (e) {
        removeMutantCopy(dir);
        throw e;
      }
    })();
    return state.copy;
  };

  /** The next test for a lane: more of its current mutant if any, else the first mutant with work. */
  const pick = (lane: Lane): { state: MutantState; test: SuiteTest } | undefined => {
    const candidates = lane.state !== undefined ? [lane.state, ...states] : states;
    for (const state of candidates) {
      if (state.error === undefined && state.next < state.tests.length) return { state, test: state.tests[state.next++]! };
    }
    return undefined;
  };

  const runLane = async (lane: Lane): Promise<void> => {
    for (;;) {
      const job = pick(lane);
      if (job === undefined) break;
      const { state, test } = job;
      if (lane.state !== state) {
        await lane.worker?.close();
        lane.worker = undefined;
        lane.state = state;
      }
      state.running++;
      try {
        const copy = await prepare(state);
        lane.worker ??= new copy.pool.TestWorker();
        const cell = await runCell(lane, join(copy.dir, partFiles[test.part]), test, options.baseSeed, options.seeds, stopAtFirstKill, runLimitMs);
        state.cells.push(cell);
        done++;
        options.onProgress?.({ type: 'test-done', mutant: state.mutant.id, cell, done, tasks });
      } catch (e) {
        // The mutant cannot run at all: no more of its tests, and the error is its result.
        state.error ??= (e as Error).message;
        done += state.tests.length - state.next + 1;
        state.next = state.tests.length;
      } finally {
        state.running--;
      }
      if (state.running === 0 && state.next >= state.tests.length) {
        await lane.worker?.close();
        lane.worker = undefined;
        lane.state = undefined;
        await finishMutant(state);
      }
    }
    await lane.worker?.close();
  };

  const lanes: Lane[] = Array.from({ length: Math.min(options.parallel, Math.max(tasks, 1)) }, () => ({}));
  try {
    await Promise.all(lanes.map(runLane));
    // Mutants with no test to run (parts filtered away) still get a row.
    for (const state of states) await finishMutant(state);
  } finally {
    for (const state of states) {
      const copy = await state.copy?.catch(() => undefined);
      if (copy !== undefined) removeMutantCopy(copy.dir);
    }
  }

  const tests: SuiteTest[] = [];
  for (const part of neededParts) for (const name of suite.get(part) ?? []) if (states.some((s) => s.tests.some((t) => t.name === name))) tests.push({ part, name });
  return {
    baseSeed: options.baseSeed,
    seeds: options.seeds,
    stopAtFirstKill,
    tests,
    results: states.map((s) => results.get(s)!),
    realMs: performance.now() - startMs,
  };
}

/** Runs one test of a mutant on up to `seeds` seeds. */
async function runCell(lane: Lane, testFile: string, test: SuiteTest, baseSeed: string, seeds: number, stopAtFirstKill: boolean, runLimitMs: number): Promise<TestCell> {
  const startMs = performance.now();
  const cell: TestCell = { ...test, runs: 0, kills: 0, realMs: 0 };
  const file = pathToFileURL(testFile).href;
  for (let i = 0; i < seeds; i++) {
    const seed = seedPlus(baseSeed, i);
    const outcome = await runLimited(lane, { file, name: test.name, baseSeed: seed, mode: 'virtual' }, runLimitMs);
    cell.runs++;
    if (!outcome.ok) {
      cell.kills++;
      if (cell.killSeed === undefined) {
        cell.killSeed = seed;
        cell.check = outcome.report?.check ?? 'unknown';
        cell.message = firstLine(outcome.report?.message ?? '');
      }
      if (stopAtFirstKill) break;
    }
  }
  cell.realMs = performance.now() - startMs;
  return cell;
}

/**
 * One run, stopped after `limitMs` of real time: the worker is terminated (its run then ends
 * as a failure) and a fresh one takes its place. A mutant that makes a test this slow would
 * fail the lab's time limits, so it counts as a kill.
 */
async function runLimited(lane: Lane, spec: { file: string; name: string; baseSeed: string; mode: 'virtual' }, limitMs: number): Promise<RunOutcome> {
  const worker = lane.worker!;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void worker.close();
  }, limitMs);
  try {
    const outcome = await worker.run(spec);
    if (!timedOut) return outcome;
    const message = `the run took more than ${limitMs / 1000} s of real time (stopped by the mutants runner)`;
    return { ...outcome, ok: false, report: { test: spec.name, seed: spec.baseSeed, mode: 'virtual', check: 'real-time limit', message, replay: '' } };
  } finally {
    clearTimeout(timer);
  }
}

/** Cells in the order of the mutant's tests (lanes finish them out of order). */
function orderCells(tests: SuiteTest[], cells: TestCell[]): TestCell[] {
  return tests.flatMap((t) => cells.filter((c) => c.name === t.name));
}

/** The first line of a failure message, with the next one when the first only introduces it ("...:"). */
function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.length > 1 && lines[0]!.endsWith(':') ? `${lines[0]} ${lines[1]}` : (lines[0] ?? '');
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
