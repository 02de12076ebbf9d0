import { isMainThread, workerData } from 'node:worker_threads';
import type { SimTestBody } from './runner.ts';

/** True in a test worker thread: tests register their bodies here instead of with vitest. */
export const inTestWorker = !isMainThread && (workerData as { labTestWorker?: boolean } | null)?.labTestWorker === true;

const bodies = new Map<string, SimTestBody>();

/** The bodies registered in this worker, by full test name. */
export function workerRegistry(): Map<string, SimTestBody> {
  return bodies;
}
