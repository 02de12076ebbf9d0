import { mkdirSync, writeFileSync } from 'node:fs';
import { createColors } from 'picocolors';
import { dirname, relative, resolve } from 'node:path';
import { intFlag, stringFlag, type CommandSpec, type Parsed } from '../args.ts';
import { BufferOut, type CliContext, type Colors } from '../context.ts';
import { exitCode, UsageError } from '../errors.ts';
import { gradeJson, gradescopeJson, labBudgetSpent, loadGradingTable, matchTable, scoreRuns, type GradeResult } from '../grading.ts';
import { outcomeLines } from '../outcome.ts';
import { expandParts, labOf } from '../parts.ts';
import { baseSeedOf, listTests, runJobs, type RunJob } from '../run.ts';
import { plural, StatusLine, table } from '../ui.ts';

const formats = ['text', 'json', 'gradescope'] as const;
type Format = (typeof formats)[number];

export const gradeSpec: CommandSpec = {
  name: 'grade',
  summary: 'run every graded test and score it from cli/grading.json',
  usage: 'lab grade [PART...] [--format text|json|gradescope] [--out FILE] [--real] [--seed S] [-p P] [--check]',
  description: [
    'Runs the tests of the parts (default: all) and gives each its points from cli/grading.json',
    'when it passes (a Gradescope assignment for one part runs e.g. lab grade 2A).',
    "A test scores 0 if it fails, if it takes more than 120 s of the run's clock (simulated time;",
    'real time with --real), or if it ends after its lab (lab2: 2A-2D, lab3: 3A-3B) has used 600 s',
    'in all; the limits are in the table. A test that the table does not list is an error naming it.',
    '--format gradescope writes Gradescope\'s results.json. Exit code 0 only with full marks.',
    '--check only verifies that the table and the test files agree (nothing runs).',
  ],
  options: [
    { name: 'format', type: 'string', value: 'F', help: 'text (default), json, or gradescope (results.json)' },
    { name: 'out', type: 'string', value: 'FILE', help: 'write the result to FILE instead of standard output' },
    { name: 'real', type: 'boolean', help: 'run on real time; the limits are then real seconds' },
    { name: 'seed', type: 'string', value: 'S', help: 'base seed (default: LAB_SEED, else a fresh one, printed)' },
    { name: 'parallel', short: 'p', type: 'string', value: 'P', help: 'run P tests at once (default 1)' },
    { name: 'check', type: 'boolean', help: 'check the grading table against the test files, run nothing' },
    { name: 'no-bail', type: 'boolean', help: 'once a test of a part is stuck in a loop, run the rest of the part anyway (default: they fail at once with its finding)' },
  ],
  examples: ['lab grade', 'lab grade lab2', 'lab grade 2A --format gradescope --out /autograder/results/results.json', 'lab grade --format json -p 2 > grade.json', 'lab grade --check'],
  positionals: { min: 0, max: 64, what: 'parts (default: all)' },
};

export async function gradeCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const format = (stringFlag(parsed, 'format') ?? 'text') as Format;
  if (!formats.includes(format)) throw new UsageError(`--format takes ${formats.join(', ')}; got "${format}"`);
  const outFile = stringFlag(parsed, 'out');
  const seedFlag = stringFlag(parsed, 'seed');
  const baseSeed = baseSeedOf(seedFlag);
  const mode = parsed.values.real === true ? 'real' : 'virtual';
  const parallel = intFlag(parsed, 'parallel', 1, 1, 64);
  const tableFile = relative(process.cwd(), ctx.gradingFile) || ctx.gradingFile;
  const gradingTable = loadGradingTable(ctx.gradingFile);

  const parts = expandParts(ctx.parts, parsed.positionals.length === 0 ? ['all'] : parsed.positionals);
  const status = new StatusLine(ctx.stderr);
  status.set('listing the tests of every part');
  const tests = await listTests(ctx.parts, parts).finally(() => status.stop());
  const { entries, errors } = matchTable(gradingTable, tests, parts, tableFile);
  if (errors.length > 0) throw new UsageError(`the grading table does not match the tests:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  if (parsed.values.check === true) {
    const points = entries.reduce((a, e) => a + e.maxPoints, 0);
    ctx.stdout.write(`grading table ${tableFile} matches the tests: ${plural(entries.length, 'test')} in ${plural(parts.length, 'part')}, ${plural(points, 'point')}\n`);
    return exitCode.ok;
  }

  // Text to standard output carries the running commentary too; any other form keeps it on stderr.
  const say = format === 'text' && outFile === undefined ? ctx.stdout : ctx.stderr;
  const clock = mode === 'virtual' ? 'simulated time' : 'real time';
  say.write(`lab grade: ${plural(entries.length, 'test')} in ${plural(parts.length, 'part')}, base seed ${baseSeed}, ${mode} time, ${parallel} at a time\n`);
  const startMs = ctx.clockMs();
  const labUsedMs = new Map<string, number>();
  const lab = (part: string): string => labOf(ctx.parts, part);
  const jobs: RunJob[] = entries.map((e) => ({ test: e.test, baseSeed, mode }));
  let done = 0;
  const results = await runJobs(jobs, {
    parallel,
    bail: parsed.values['no-bail'] !== true,
    inOrder: true,
    skip: (job) => labBudgetSpent(gradingTable, lab(job.test.part), labUsedMs.get(lab(job.test.part)) ?? 0),
    onStart: (job) => status.set(`[${done}/${jobs.length}] ${job.test.name}`),
    onDone: (result) => {
      done++;
      const l = lab(result.job.test.part);
      labUsedMs.set(l, (labUsedMs.get(l) ?? 0) + result.outcome.elapsedMs);
      status.print(say, outcomeLines(result, ctx.colors).join('\n'));
    },
  }).finally(() => status.stop());

  const graded = scoreRuns(gradingTable, entries, results, lab, clock);
  const grade: GradeResult = {
    score: graded.reduce((a, t) => a + t.score, 0),
    maxScore: graded.reduce((a, t) => a + t.maxScore, 0),
    mode,
    baseSeed,
    executionTimeS: (ctx.clockMs() - startMs) / 1000,
    tests: graded,
  };

  const colors = outFile === undefined ? ctx.colors : createColors(false);
  const text =
    format === 'text' ? gradeText(grade, colors) : `${JSON.stringify(format === 'json' ? gradeJson(grade) : gradescopeJson(grade), null, 2)}\n`;
  if (outFile !== undefined) {
    mkdirSync(dirname(resolve(outFile)), { recursive: true });
    writeFileSync(outFile, text);
    say.write(`score ${grade.score}/${grade.maxScore}; ${format} result written to ${outFile}\n`);
  } else {
    ctx.stdout.write(text);
  }
  return grade.score === grade.maxScore ? exitCode.ok : exitCode.failed;
}

/** The grade as people read it: a row per test, a subtotal per part, the total. */
export function gradeText(g: GradeResult, c: Colors): string {
  const rows = g.tests.map((t) => [t.part, t.name, `${t.score}/${t.maxScore}`, t.status === 'passed' ? c.green('ok') : c.red(t.reason)]);
  const parts = [...new Set(g.tests.map((t) => t.part))].map((p) => {
    const mine = g.tests.filter((t) => t.part === p);
    return `${p} ${mine.reduce((a, t) => a + t.score, 0)}/${mine.reduce((a, t) => a + t.maxScore, 0)}`;
  });
  const out = new BufferOut();
  out.write(`\n${table(['part', 'test', 'points', 'result'], rows, ['left', 'left', 'right', 'left'])}\n\n`);
  out.write(`by part: ${parts.join('   ')}\n`);
  out.write(`Score: ${g.score}/${g.maxScore}  (base seed ${g.baseSeed}, ${g.mode} time, ${g.executionTimeS.toFixed(1)} s)\n`);
  return out.text;
}
