/**
 * Reading and writing trace files. A trace is stored as JSON (`run.trace.json`) and shown as
 * a page (`run.trace.html`) that embeds the same JSON, so either file can be read back.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { traceFormat, traceVersion, type Trace } from './types.ts';
import { renderTraceHtml } from './html.ts';
import type { TraceRecorder } from './recorder.ts';

/** A file that is not a trace (or a trace of another version); the message says what to do. */
export class TraceFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFormatError';
  }
}

/** The id of the script element that holds the trace inside the page. */
export const embeddedDataId = 'trace-data';

/** Parses a trace from the text of a trace JSON file or of a trace page. */
export function parseTrace(text: string, source = 'the input'): Trace {
  const trimmed = text.trimStart();
  let json = trimmed;
  if (trimmed.startsWith('<')) {
    const open = `<script id="${embeddedDataId}" type="application/json">`;
    const start = trimmed.indexOf(open);
    const end = start < 0 ? -1 : trimmed.indexOf('</script>', start);
    if (start < 0 || end < 0) throw new TraceFormatError(`${source} is an HTML page without embedded trace data; give the .json trace or a page made by renderTraceHtml`);
    json = trimmed.slice(start + open.length, end);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new TraceFormatError(`${source} is not JSON (${e instanceof Error ? e.message : String(e)}); give a file written by --trace`);
  }
  return checkTrace(value, source);
}

/** Checks the envelope (not each event: a trace may hold a million). */
export function checkTrace(value: unknown, source = 'the input'): Trace {
  if (value === null || typeof value !== 'object') throw new TraceFormatError(`${source} is not a trace object; give a file written by --trace`);
  const v = value as Partial<Trace>;
  if (v.format !== traceFormat) throw new TraceFormatError(`${source} is not a raftlab trace (format is ${JSON.stringify(v.format)}, expected "${traceFormat}")`);
  if (v.version !== traceVersion) throw new TraceFormatError(`${source} is a version ${String(v.version)} trace; this lab reads version ${traceVersion}. Record it again with this version of the lab.`);
  if (!Array.isArray(v.events)) throw new TraceFormatError(`${source} has no events array`);
  return { format: traceFormat, version: traceVersion, meta: v.meta ?? {}, maxEvents: v.maxEvents ?? v.events.length, droppedEvents: v.droppedEvents ?? 0, events: v.events };
}

/** Reads a trace from a .json trace or a trace page. */
export function readTrace(path: string): Trace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TraceFormatError(`cannot read trace ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseTrace(text, path);
}

/** The page next to a JSON trace and the JSON next to a page: "x.json" ↔ "x.html". */
export function siblingPaths(path: string): { json: string; html: string } {
  const base = path.replace(/\.(json|html?)$/i, '');
  return { json: `${base}.json`, html: `${base}.html` };
}

/**
 * Writes both the JSON trace and its page for `path` (what `lab replay --trace FILE` does):
 * "run.json" gives run.json and run.html; "run.html" the same; "run" gives run.json and run.html.
 */
export function writeTraceFiles(source: Trace | TraceRecorder, path: string): { json: string; html: string } {
  const trace = 'toJSON' in source ? source.toJSON() : source;
  const paths = siblingPaths(path);
  mkdirSync(dirname(paths.json), { recursive: true });
  writeFileSync(paths.json, JSON.stringify(trace), 'utf8');
  writeFileSync(paths.html, renderTraceHtml(trace), 'utf8');
  return paths;
}
