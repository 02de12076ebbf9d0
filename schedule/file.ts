/**
 * A schedule file: the edit of one run, written by `lab shrink` and read by `lab replay
 * --schedule FILE`. Plain JSON, so it can be read, diffed and edited by hand:
 *
 *   { "format": "raftlab-schedule", "version": 1, "test": "Test (2C): Figure 8", "seed": "7",
 *     "keep": ["crash S1 #2", "request-drop Raft.AppendEntries S1->S2 t4 #3"] }
 *
 * `keep` lists the faults and message fates the run keeps; every other one is left out.
 */
export interface ScheduleFile {
  format: 'raftlab-schedule';
  version: 1;
  /** The test's full name. */
  test: string;
  /** The base seed. */
  seed: string;
  keep: string[];
  /** Optional words for people (what the shrink found); ignored when read. */
  note?: string[];
}

/** A schedule file that cannot be used, with what to do about it. */
export class ScheduleFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleFileError';
  }
}

/** The text of a schedule file. */
export function formatScheduleFile(file: ScheduleFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Reads the text of a schedule file, checking every field; `where` names it in errors. */
export function parseScheduleFile(text: string, where: string): ScheduleFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ScheduleFileError(`${where} is not JSON (${(e as Error).message}); give the file lab shrink wrote`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ScheduleFileError(`${where} is not a schedule: expected a JSON object with format "raftlab-schedule"`);
  const d = doc as Record<string, unknown>;
  if (d.format !== 'raftlab-schedule') throw new ScheduleFileError(`${where} is not a schedule: its "format" is ${JSON.stringify(d.format)}, expected "raftlab-schedule"`);
  if (d.version !== 1) throw new ScheduleFileError(`${where} has schedule version ${JSON.stringify(d.version)}; this lab reads version 1`);
  if (typeof d.test !== 'string' || d.test === '') throw new ScheduleFileError(`${where}: "test" must be the test's full name`);
  if (typeof d.seed !== 'string' || !/^\d{1,15}$/.test(d.seed)) throw new ScheduleFileError(`${where}: "seed" must be a base seed (a whole number of at most 15 digits, as a string)`);
  if (!Array.isArray(d.keep) || !d.keep.every((k) => typeof k === 'string')) throw new ScheduleFileError(`${where}: "keep" must be a list of fault ids (strings), e.g. ["crash S1 #2"]`);
  return { format: 'raftlab-schedule', version: 1, test: d.test, seed: d.seed, keep: d.keep as string[] };
}
