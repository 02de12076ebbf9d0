import { isMainThread, workerData } from 'node:worker_threads';
import type { RunExtras, RunOutcome, SimTestBody } from './runner.ts';
import type { TimeMode } from '../sim/index.ts';

/** True in a test worker thread: tests register their bodies here instead of with vitest. */
export const inTestWorker = !isMainThread && (workerData as { labTestWorker?: boolean } | null)?.labTestWorker === true;

/** Runs a registered body: the runner of the tree the test file belongs to. */
export type BodyRunner = (name: string, body: SimTestBody, baseSeed: string, mode: TimeMode, extras?: RunExtras) => Promise<RunOutcome>;

/** A test body and the runner from the same copy of the project as the test. */
export interface RegisteredTest {
  body: SimTestBody;
  run: BodyRunner;
}

interface RegistryState {
  byFile: Map<string, Map<string, RegisteredTest>>;
  importing: string | undefined;
}

// Shared through a global symbol: a test file from another copy of the project (a handout, a
// mutant) registers through its own copy of this module, and must land in the same registry.
// Each test keeps its own copy's runner, so it runs on its own copy's simulator.
const registryKey = Symbol.for('raftlab.testRegistry');
const state = ((globalThis as Record<symbol, unknown>)[registryKey] ??= { byFile: new Map(), importing: undefined }) as RegistryState;

/** Imports a test file, attributing the tests it registers to it; returns them by name. */
export async function importTestFile(file: string): Promise<Map<string, RegisteredTest>> {
  if (!state.byFile.has(file)) {
    state.byFile.set(file, new Map());
    state.importing = file;
    try {
      await import(file);
    } catch (e) {
      state.byFile.delete(file);
      throw e;
    } finally {
      state.importing = undefined;
    }
  }
  return state.byFile.get(file)!;
}

/** Records a test of the file being imported. */
export function registerInWorker(name: string, test: RegisteredTest): void {
  const file = state.importing;
  if (file === undefined) throw new Error(`test "${name}" was registered outside the import of a test file; register tests at the top level of a *.test.ts file`);
  const tests = state.byFile.get(file)!;
  if (tests.has(name)) throw new Error(`two tests in ${file} are named "${name}"; test names must be unique`);
  tests.set(name, test);
}
