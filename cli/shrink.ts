import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { formatReport, type FailureReport } from '../tester/report.ts';
import type { RunOutcome } from '../tester/runner.ts';
import { formatScheduleFile, searchSchedule, secondsText, tellChoices, type RecordedChoice, type SearchBudget, type SearchUnit } from '../schedule/index.ts';
import type { CliContext } from './context.ts';
import { exitCode } from './errors.ts';
import type { PlannedTest } from './run.ts';
import { openTrialRunner } from './trials.ts';
import { firstLine, StatusLine } from './ui.ts';

/** The default budget: the two minutes a shrink should take on a small machine. */
export const defaultShrinkBudget: SearchBudget = { realMs: 120_000 };

/** Candidates stop at 1.5 times the original failure's simulated time, plus 5 s. */
const candidateTimeFactor = 1.5;
const candidateTimeSlackMs = 5_000;

/** Kept faults listed on the terminal; the schedule file has them all. */
const keptShownMax = 60;

/** What to shrink, and how. */
export interface ShrinkOptions {
  test: PlannedTest;
  baseSeed: string;
  budget: SearchBudget;
  /** Where the schedule file of the shrunken run goes. */
  schedulePath: string;
  /** Record the shrunken run's trace here (and its page beside it). */
  tracePath?: string;
  /** Run a mutant of the catalogue instead of this project's code (staff only). */
  mutantId?: string;
}

/** The numbers `lab shrink` ends with. */
export interface ShrinkSummary {
  faultsBefore: number;
  faultsAfter: number;
  messagesBefore: number;
  messagesAfter: number;
  runs: number;
  seconds: number;
  sameCheck: boolean;
  complete: boolean;
}

/**
 * The kind of failure a shrunken run must keep: the check that failed and the shape of its
 * message (numbers left out: a shrunken run may fail at another index, in another term, on
 * other servers, and that is still the same bug).
 */
export function failureKind(report: FailureReport | undefined): string {
  if (report === undefined) return 'no report';
  const [first = '', second = ''] = report.message.split('\n');
  // "uncaught exception at ... in server 2:" only introduces what was thrown: compare that.
  const core = first.trimEnd().endsWith(':') && second.trim() !== '' ? second : first;
  // The first words say what went wrong; what follows lists values ("wanted: x 0 yx 1 y...")
  // whose length differs from run to run.
  const words = core.trim().split(/\s+/).slice(0, kindWords).join(' ');
  return `${report.check}: ${words.replace(/\d+(\.\d+)?/g, '#')}`;
}

/** How many words of a failure message name its kind. */
const kindWords = 8;

/** The first line of a message, and the next one when the first only introduces it ("uncaught exception at ...:"). */
function headline(message: string): string {
  const [first = '', second = ''] = message.split('\n');
  return firstLine(first.trimEnd().endsWith(':') ? `${first.trim()} ${second.trim()}` : first, 200);
}

/**
 * Replays a failing run, checks that it fails the same way again, searches for the smallest
 * schedule that still fails the same way, and prints the story of the shrunken run. Returns
 * the exit code: 0 when a shrunken run failing the same way was found, 1 otherwise.
 */
export async function shrinkFailingRun(options: ShrinkOptions, ctx: CliContext): Promise<{ code: number; summary?: ShrinkSummary }> {
  const { test, baseSeed } = options;
  const out = ctx.stdout;
  const c = ctx.colors;
  const status = new StatusLine(ctx.stderr);
  const startMs = ctx.clockMs();
  let runs = 0;
  const runner = await openTrialRunner(test, baseSeed, 'virtual', options.mutantId);
  const trial = async (keep: readonly string[] | undefined, tracePath?: string, stopAtMs?: number): Promise<RunOutcome> => {
    runs++;
    return runner.run({ keep, record: true, mark: tracePath !== undefined, stopAtMs }, tracePath);
  };
  const replay = `npx lab replay ${JSON.stringify(test.name)} --seed ${baseSeed}${runner.replayFlags}`;
  try {
    out.write(`lab shrink ${JSON.stringify(test.name)} --seed ${baseSeed}${runner.replayFlags}\n`);
    status.set('replaying the run');
    const original = await trial(undefined).finally(() => status.stop());
    if (original.ok) {
      out.write(`${c.green('the test passes')} with seed ${baseSeed}: there is no failure to shrink (nothing searched).\n`);
      return { code: exitCode.failed };
    }
    const kind = failureKind(original.report);
    const units = unitsOf(original);
    const before = countUnits(original.schedule?.choices ?? []);
    out.write(`original: fails ${kind.split(':')[0]} at ${secondsText(original.elapsedMs)}: ${headline(original.report?.message ?? '')}\n`);
    out.write(`  ${before.faults} faults (${byKind(original.schedule?.choices ?? [], 'fault')}), ${before.messages} message fates (${byKind(original.schedule?.choices ?? [], 'message')})\n`);

    status.set('replaying it through its recorded schedule');
    const again = await trial(units.map((u) => u.id)).finally(() => status.stop());
    if (again.ok || failureKind(again.report) !== kind) {
      out.write(`${c.red('not deterministic')}: replayed through its own schedule, the run ${again.ok ? 'passes' : 'fails differently'}. Nothing searched.\n`);
      out.write(`\nfirst run:\n${reportText(original)}\n\nreplay:\n${reportText(again)}\n`);
      return { code: exitCode.failed };
    }
    if (again.traceHash !== original.traceHash) {
      out.write(c.yellow(`note: the replay fails the same way but its trace hash differs (${original.traceHash} then ${again.traceHash}); something outside the schedule varies\n`));
    }

    // A candidate that has not failed the same way well past the original failure is stopped
    // there (a time-limit failure: not the same): passing runs need not play to their end.
    const stopAtMs = Math.ceil(original.elapsedMs * candidateTimeFactor + candidateTimeSlackMs);
    const budgetWords = [options.budget.runs === undefined ? '' : `${options.budget.runs} runs`, options.budget.realMs === undefined ? '' : `${options.budget.realMs / 1000} s`].filter((w) => w !== '').join(' or ');
    out.write(`searching for a smaller schedule that still fails ${kind.split(':')[0]} (budget ${budgetWords})\n`);
    const result = await searchSchedule(
      units,
      async (keep) => {
        const o = await trial(keep, undefined, stopAtMs);
        const sameFailure = !o.ok && failureKind(o.report) === kind;
        return { sameFailure, happened: (o.schedule?.choices ?? []).filter((ch) => ch.unit !== 'repair').map((ch) => ch.id) };
      },
      options.budget,
      (p) => {
        const line = `run ${p.runs}: ${p.phase}, tried ${p.tried} → ${p.kept ? 'same failure' : 'no'}; best ${p.best} of ${units.length} (${((ctx.clockMs() - startMs) / 1000).toFixed(0)} s)`;
        if (status.live) status.set(`shrink ${line}`);
        else ctx.stderr.write(`shrink ${line}\n`);
      },
    ).finally(() => status.stop());

    status.set('running the shrunken schedule once more');
    const final = await trial(result.keep, options.tracePath).finally(() => status.stop());
    const sameCheck = !final.ok && failureKind(final.report) === kind;
    const after = countUnits(final.schedule?.choices ?? []);
    const seconds = (ctx.clockMs() - startMs) / 1000;
    const keptIds = (final.schedule?.choices ?? []).filter((ch) => ch.unit !== 'repair').map((ch) => ch.id);
    const told = tellChoices(final.schedule?.choices ?? []);
    writeFileSync(
      options.schedulePath,
      formatScheduleFile({ format: 'raftlab-schedule', version: 1, test: test.name, seed: baseSeed, keep: keptIds, note: told.map((t) => `${secondsText(t.atMs)}  ${t.text}`) }),
    );

    out.write(`\n${result.complete ? 'search done' : c.yellow('budget spent: the best schedule found so far')}: ${result.runs} runs, ${seconds.toFixed(1)} s\n`);
    out.write(`shrunken: ${after.faults} of ${before.faults} faults, ${after.messages} of ${before.messages} message fates\n`);
    out.write(`\nkept, in order (simulated time):\n`);
    if (told.length === 0) out.write('  nothing: the test fails this way with no fault and every message delivered at once\n');
    for (const t of told.slice(0, keptShownMax)) out.write(`  ${secondsText(t.atMs).padStart(10)}  ${t.text}\n`);
    if (told.length > keptShownMax) out.write(`  … and ${told.length - keptShownMax} more (every one is in the schedule file)\n`);
    out.write(`\nthe shrunken run ${sameCheck ? 'fails the same way' : c.red('does NOT fail the same way')}: ${final.ok ? 'it passes' : `${final.report?.check}: ${headline(final.report?.message ?? '')} at ${secondsText(final.elapsedMs)}`}\n`);
    out.write(`schedule: ${displayPath(options.schedulePath)}\n`);
    out.write(`replay:   ${replay} --schedule ${displayPath(options.schedulePath)}\n`);
    if (final.trace !== undefined) out.write(`trace:    ${final.trace.json}\npage:     ${final.trace.html}  (kept faults are "kept fault" marks on the tester lane)\n`);
    const summary: ShrinkSummary = { faultsBefore: before.faults, faultsAfter: after.faults, messagesBefore: before.messages, messagesAfter: after.messages, runs, seconds, sameCheck, complete: result.complete };
    out.write(
      `\nshrink_faults_before=${summary.faultsBefore}\nshrink_faults_after=${summary.faultsAfter}\nshrink_messages_before=${summary.messagesBefore}\nshrink_messages_after=${summary.messagesAfter}\nshrink_runs=${summary.runs}\nshrink_seconds=${summary.seconds.toFixed(1)}\nshrink_same_check=${sameCheck ? 'yes' : 'no'}\n`,
    );
    return { code: sameCheck ? exitCode.ok : exitCode.failed, summary };
  } finally {
    await runner.close();
  }
}

/** The faults and message fates of a recorded run, in run order, as search units. */
function unitsOf(outcome: RunOutcome): SearchUnit[] {
  return (outcome.schedule?.choices ?? []).filter((ch) => ch.unit !== 'repair').map((ch) => ({ id: ch.id, category: ch.kind }));
}

function countUnits(choices: readonly RecordedChoice[]): { faults: number; messages: number } {
  return { faults: choices.filter((ch) => ch.unit === 'fault').length, messages: choices.filter((ch) => ch.unit === 'message').length };
}

/** "crash 12, disconnect 4" */
function byKind(choices: readonly RecordedChoice[], unit: 'fault' | 'message'): string {
  const counts = new Map<string, number>();
  for (const ch of choices) if (ch.unit === unit) counts.set(ch.kind, (counts.get(ch.kind) ?? 0) + 1);
  return counts.size === 0 ? 'none' : [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

function reportText(outcome: RunOutcome): string {
  if (outcome.ok) return '  (passed)';
  return outcome.report === undefined ? '  (failed without a report)' : formatReport(outcome.report);
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}
