import { TestFailure } from './failure.ts';
import { describeThrown, SimulationError } from '../sim/index.ts';

/** Everything needed to explain a failed run and to replay it. */
export interface FailureReport {
  test: string;
  seed: string;
  mode: 'virtual' | 'real';
  /** The tester check that failed, or the kind of simulator failure. */
  check: string;
  message: string;
  expected?: string;
  seen?: string;
  index?: number;
  servers?: number[];
  /** When it failed, in ms of the run's clock. */
  atMs?: number;
  stack?: string;
  replay: string;
  /** The command that cuts the run down to the faults that make it fail (virtual time only). */
  shrink?: string;
  /** The trace page of this run, when it was traced. */
  trace?: string;
}

/** The command that reruns exactly this test with this seed. */
export function replayCommand(testName: string, baseSeed: string, mode: 'virtual' | 'real'): string {
  const time = mode === 'real' ? ' --real' : '';
  return `npx lab replay ${JSON.stringify(testName)} --seed ${baseSeed}${time}`;
}

/** The command that shrinks this failing run (lab shrink). */
export function shrinkCommand(testName: string, baseSeed: string): string {
  return `npx lab shrink ${JSON.stringify(testName)} --seed ${baseSeed}`;
}

/** Builds the report of a failure from whatever was thrown. */
export function buildReport(testName: string, baseSeed: string, mode: 'virtual' | 'real', thrown: unknown, atMs?: number): FailureReport {
  const base = { test: testName, seed: baseSeed, mode, atMs, replay: replayCommand(testName, baseSeed, mode), shrink: mode === 'virtual' ? shrinkCommand(testName, baseSeed) : undefined };
  if (thrown instanceof TestFailure) {
    return { ...base, check: thrown.check, message: thrown.message, ...thrown.details, stack: thrown.stack };
  }
  if (thrown instanceof SimulationError) {
    return { ...base, check: thrown.name, message: thrown.message };
  }
  const message = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : describeThrown(thrown);
  return { ...base, check: 'exception', message, stack: thrown instanceof Error ? thrown.stack : undefined };
}

/** The report as people read it. */
export function formatReport(r: FailureReport): string {
  const lines = [`FAIL ${r.test}`, `  check:    ${r.check}`, `  message:  ${indent(r.message)}`];
  if (r.expected !== undefined) lines.push(`  expected: ${r.expected}`);
  if (r.seen !== undefined) lines.push(`  seen:     ${r.seen}`);
  if (r.index !== undefined) lines.push(`  index:    ${r.index}`);
  if (r.servers !== undefined) lines.push(`  servers:  ${r.servers.join(', ')}`);
  if (r.atMs !== undefined) lines.push(`  at:       ${(r.atMs / 1000).toFixed(3)} s (${r.mode} time)`);
  lines.push(`  seed:     ${r.seed} (${r.mode} time)`);
  lines.push(`  replay:   ${r.replay}`);
  if (r.shrink !== undefined) lines.push(`  shrink:   ${r.shrink}   (the few faults that make it fail)`);
  if (r.trace !== undefined) lines.push(`  trace:    ${r.trace}`);
  return lines.join('\n');
}

function indent(text: string): string {
  return text.split('\n').join('\n            ');
}

/** The error a vitest test throws on failure: its message is the whole report. */
export class LabTestError extends Error {
  constructor(readonly report: FailureReport) {
    super(formatReport(report));
    this.name = 'LabTestError';
    // The report says where; a stack into the tester would only hide it.
    this.stack = this.message;
  }
}
