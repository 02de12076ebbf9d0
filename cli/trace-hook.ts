import { resolve } from 'node:path';
import { UsageError } from './errors.ts';

/**
 * Where `--trace FILE` goes: the trace is written to FILE as JSON (FILE.json if it has no
 * extension) and its timeline page beside it as .html. Returns the path for the run request.
 */
export function traceRequestPath(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (file.trim() === '') throw new UsageError('--trace needs a file name, e.g. --trace run.json');
  return resolve(file);
}
