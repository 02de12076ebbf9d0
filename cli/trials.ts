import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TestWorker } from '../tester/pool.ts';
import type { RunOutcome } from '../tester/runner.ts';
import type { ScheduleRequest } from '../schedule/index.ts';
import { UsageError } from './errors.ts';
import type { PlannedTest, TimeMode } from './run.ts';

/** Runs one test with one seed again and again, each time with a schedule edit. */
export interface TrialRunner {
  run(schedule: ScheduleRequest, tracePath?: string): Promise<RunOutcome>;
  close(): Promise<void>;
  /** What a replay command must add to run the same code (` --mutant ID`, or ''). */
  readonly replayFlags: string;
}

/** Options of the staff-only mutant copies (see docs/mutants.md). */
interface MutantsModule {
  findMutant(id: string): { id: string };
  makeMutantCopy(root: string, mutant: { id: string }): string;
  removeMutantCopy(dir: string): void;
  projectRoot: string;
}

/**
 * A runner of `test` with base seed `baseSeed` in one reused worker thread: of this project, or,
 * with `mutantId`, of a temporary copy of it with that mutant of the catalogue applied.
 */
export async function openTrialRunner(test: PlannedTest, baseSeed: string, mode: TimeMode, mutantId?: string): Promise<TrialRunner> {
  if (mutantId === undefined) {
    const worker = new TestWorker();
    const file = pathToFileURL(test.file).href;
    return {
      run: (schedule, tracePath) => worker.run({ file, name: test.name, baseSeed, mode, tracePath, schedule }),
      close: () => worker.close(),
      replayFlags: '',
    };
  }
  const mutants = await loadMutants();
  let mutant: { id: string };
  try {
    mutant = mutants.findMutant(mutantId);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const dir = mutants.makeMutantCopy(mutants.projectRoot, mutant);
  const pool = (await import(pathToFileURL(join(dir, 'tester', 'pool.ts')).href)) as typeof import('../tester/pool.ts');
  const worker = new pool.TestWorker();
  const file = pathToFileURL(join(dir, relative(mutants.projectRoot, test.file))).href;
  return {
    run: (schedule, tracePath) => worker.run({ file, name: test.name, baseSeed, mode, tracePath, schedule }),
    close: async () => {
      await worker.close();
      mutants.removeMutantCopy(dir);
    },
    replayFlags: ` --mutant ${mutant.id}`,
  };
}

/** mutants/ is staff-only (a handout leaves it out), so it is loaded by a computed path. */
async function loadMutants(): Promise<MutantsModule> {
  const modulePath = '../mutants/index.ts';
  try {
    return (await import(modulePath)) as MutantsModule;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new UsageError('--mutant is for instructors: the mutant catalogue (mutants/) is not part of this copy');
  }
}
