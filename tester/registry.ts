import { isMainThread, workerData } from 'node:worker_threads';
import type { SimTestBody } from './runner.ts';

/** True in a test worker thread: tests register their bodies here instead of with vitest. */
export const inTestWorker = !isMainThread && (workerData as { labTestWorker?: boolean } | null)?.labTestWorker === true;

/** Bodies by test file (file:// URL), then by full test name, in registration order. */
const byFile = new Map<string, Map<string, SimTestBody>>();
let importing: string | undefined;

/** Imports a test file, attributing the tests it registers to it; returns them by name. */
export async function importTestFile(file: string): Promise<Map<string, SimTestBody>> {
  if (!byFile.has(file)) {
    const bodies = new Map<string, SimTestBody>();
    byFile.set(file, bodies);
    importing = file;
    try {
      await import(file);
    } catch (e) {
      byFile.delete(file);
      throw e;
    } finally {
      importing = undefined;
    }
  }
  return byFile.get(file)!;
}

/** Records a test body of the file being imported. */
export function registerInWorker(name: string, body: SimTestBody): void {
  if (importing === undefined) throw new Error(`test "${name}" was registered outside the import of a test file; register tests at the top level of a *.test.ts file`);
  const bodies = byFile.get(importing)!;
  if (bodies.has(name)) throw new Error(`two tests in ${importing} are named "${name}"; test names must be unique`);
  bodies.set(name, body);
}
