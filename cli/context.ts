import { fileURLToPath } from 'node:url';
import { createColors } from 'picocolors';
import { defaultPartMap, loadPartMapFile, type PartMap } from './parts.ts';

/** Where a command writes: a stream, or a buffer in tests. */
export interface Out {
  write(text: string): void;
  /** A terminal: live status lines and colours are allowed. */
  readonly isTTY: boolean;
  /** The terminal's width, if known. */
  readonly columns?: number;
}

/** The colour functions of picocolors (identity functions when colours are off). */
export type Colors = ReturnType<typeof createColors>;

/**
 * Everything a command depends on beyond its arguments, so tests can run the commands
 * in-process with another part map and buffers for output.
 */
export interface CliContext {
  stdout: Out;
  stderr: Out;
  /** The project root: test files, the grading table and `git ls-files` are relative to it. */
  root: string;
  parts: PartMap;
  /** The grading table (points per test). */
  gradingFile: string;
  /** Staff-only files that `lab handout` leaves out. */
  handoutExcludeFile: string;
  /** The student README template. */
  handoutReadmeFile: string;
  colors: Colors;
  /** Real time in ms (for durations and folder names). */
  clockMs(): number;
}

/** The project root of the `lab` command: the folder above cli/. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** The context of a real run: process streams, the repository's parts (or LAB_PARTS_FILE's). */
export function defaultContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const colorOn = process.stdout.isTTY === true && env.NO_COLOR === undefined && env.FORCE_COLOR !== '0';
  const partsFile = env.LAB_PARTS_FILE;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    root: projectRoot,
    parts: partsFile !== undefined && partsFile !== '' ? loadPartMapFile(partsFile) : defaultPartMap(projectRoot),
    gradingFile: env.LAB_GRADING_FILE !== undefined && env.LAB_GRADING_FILE !== '' ? env.LAB_GRADING_FILE : `${projectRoot}/cli/grading.json`,
    handoutExcludeFile: `${projectRoot}/cli/handout-exclude.txt`,
    handoutReadmeFile: `${projectRoot}/cli/handout-README.md`,
    colors: createColors(colorOn),
    clockMs: () => Date.now(),
  };
}

/** An Out that keeps what is written (for tests and for --out files). */
export class BufferOut implements Out {
  text = '';
  constructor(readonly isTTY = false) {}
  write(text: string): void {
    this.text += text;
  }
}

