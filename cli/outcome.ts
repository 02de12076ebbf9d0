import { formatReport } from '../tester/report.ts';
import type { RunOutcome } from '../tester/runner.ts';
import type { Colors } from './context.ts';
import type { JobResult } from './run.ts';
import { firstLine, summaryLine, seconds, table } from './ui.ts';

/**
 * The lines a finished test prints: the tester's own ("Test (2A): …" and "  ... Passed --"),
 * then, go-test style, a FAIL line if it failed, or a PASS line if the tester printed nothing.
 */
export function outcomeLines(result: JobResult, c: Colors): string[] {
  const { outcome } = result;
  const lines = [...outcome.output];
  if (result.skipped !== undefined) lines.push(c.yellow(`--- SKIP: ${outcome.name} (${result.skipped})`));
  else if (!outcome.ok) {
    const why = outcome.report === undefined ? 'no report' : `${outcome.report.check}: ${summaryLine(outcome.report.message)}`;
    lines.push(c.red(`--- FAIL: ${outcome.name} (${seconds(outcome.elapsedMs)} s) ${why}`));
  } else if (outcome.output.length === 0) lines.push(c.green(`--- PASS: ${outcome.name} (${seconds(outcome.elapsedMs)} s)`));
  return lines;
}

/** The summary table of a batch of single runs: one row per test. */
export function summaryTable(results: JobResult[], c: Colors): string {
  const rows = results.map(({ outcome, skipped }) => {
    const s = outcome.stats;
    const result = skipped !== undefined ? c.yellow('skip') : outcome.ok ? c.green('ok') : c.red('FAIL');
    return [
      outcome.name,
      result,
      skipped !== undefined ? '-' : (s?.timeS ?? outcome.elapsedMs / 1000).toFixed(1),
      skipped !== undefined ? '-' : (outcome.realMs / 1000).toFixed(2),
      s === undefined ? '-' : String(s.rpcs),
      s?.bytes === undefined ? '-' : String(s.bytes),
      s === undefined ? '-' : String(s.cmds),
    ];
  });
  return table(['test', 'result', 'time s', 'real s', 'rpcs', 'bytes', 'cmds'], rows, ['left', 'left', 'right', 'right', 'right', 'right', 'right']);
}

/** The failure reports of the failed runs, separated by blank lines. */
export function failureReports(outcomes: RunOutcome[]): string {
  return outcomes
    .filter((o) => !o.ok && o.report !== undefined)
    .map((o) => formatReport(o.report!))
    .join('\n\n');
}

/** An outcome as the JSON forms print it (the part added, nothing dropped). */
export function outcomeJson(result: JobResult): Record<string, unknown> {
  const o = result.outcome;
  return {
    part: result.job.test.part,
    name: o.name,
    ok: o.ok,
    ...(result.skipped !== undefined ? { skipped: result.skipped } : {}),
    baseSeed: o.baseSeed,
    mode: o.mode,
    elapsedMs: o.elapsedMs,
    realMs: Math.round(o.realMs),
    stats: o.stats ?? null,
    traceHash: o.traceHash,
    output: o.output,
    report: o.report ?? null,
  };
}
