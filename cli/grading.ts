import { readFileSync } from 'node:fs';
import { formatReport } from '../tester/report.ts';
import { UsageError } from './errors.ts';
import type { JobResult, PlannedTest } from './run.ts';
import { firstLine, summaryLine } from './ui.ts';

/** cli/grading.json: points per test title, by part, and the time limits of grading. */
export interface GradingTable {
  limits: { testSeconds: number; labSeconds: number };
  parts: Record<string, Record<string, number>>;
}

/** Reads and checks the grading table; a malformed one is a UsageError that says what to fix. */
export function loadGradingTable(file: string): GradingTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read the grading table ${file}: ${(e as Error).message}`);
  }
  const t = json as Partial<GradingTable>;
  const bad = (what: string): never => {
    throw new UsageError(`grading table ${file}: ${what}`);
  };
  if (typeof t !== 'object' || t === null) bad('must be a JSON object');
  const limits = t.limits ?? { testSeconds: 120, labSeconds: 600 };
  for (const key of ['testSeconds', 'labSeconds'] as const) {
    if (typeof limits[key] !== 'number' || !(limits[key] > 0)) bad(`limits.${key} must be a positive number of seconds`);
  }
  if (typeof t.parts !== 'object' || t.parts === null) bad('needs "parts": { "2A": { "initial election": 5, … }, … }');
  for (const [part, tests] of Object.entries(t.parts!)) {
    for (const [title, points] of Object.entries(tests)) {
      if (typeof points !== 'number' || !Number.isFinite(points) || points < 0) bad(`parts.${part}["${title}"] must be a number of points ≥ 0`);
    }
  }
  return { limits, parts: t.parts! };
}

/**
 * The comparable form of a test title: without "Test (2A): ", "Test: ", "2A: ", a trailing
 * " (2A)" or " ...", in lower case with single spaces. Both the table's titles and the
 * registered names go through it, so either spelling works in the table.
 */
export function normalizeTitle(part: string, title: string): string {
  const esc = part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return title
    .trim()
    .replace(/^Test\s*(\([^)]*\))?\s*:\s*/i, '')
    .replace(new RegExp(`^${esc}\\s*:\\s*`, 'i'), '')
    .replace(/\s*(\.\.\.|…)\s*$/, '')
    .replace(new RegExp(`\\s*\\(${esc}\\)\\s*$`, 'i'), '')
    .replace(/\s*(\.\.\.|…)\s*$/, '')
    .replace(/\s+/g, ' ')
    .toLowerCase();
}

/** A registered test with its points. */
export interface GradedEntry {
  test: PlannedTest;
  title: string;
  maxPoints: number;
}

/**
 * Pairs every registered test of the parts with its table entry. Errors (one per problem):
 * a test with no points, a title with no test, a part with no section.
 */
export function matchTable(table: GradingTable, tests: PlannedTest[], parts: string[], tableFile: string): { entries: GradedEntry[]; errors: string[] } {
  const errors: string[] = [];
  const entries: GradedEntry[] = [];
  for (const part of parts) {
    const section = table.parts[part];
    const mine = tests.filter((t) => t.part === part);
    if (section === undefined) {
      errors.push(`part ${part} has no section in ${tableFile}; add "${part}": { ${mine.map((t) => `"${normalizeTitle(part, t.name)}": 5`).join(', ')} }`);
      continue;
    }
    const titles = Object.keys(section);
    const used = new Set<string>();
    for (const test of mine) {
      const key = normalizeTitle(part, test.name);
      const title = titles.find((t) => normalizeTitle(part, t) === key);
      if (title === undefined) {
        errors.push(`test "${test.name}" (part ${part}) has no points in ${tableFile}: add "${key}": <points> under "${part}"`);
        continue;
      }
      used.add(title);
      entries.push({ test, title, maxPoints: section[title]! });
    }
    for (const title of titles) {
      if (!used.has(title)) errors.push(`${tableFile} gives points to "${title}" under "${part}", but no test of part ${part} has that title`);
    }
  }
  return { entries, errors };
}

export type GradeStatus = 'passed' | 'failed';

/** The grade of one test. */
export interface GradedTest {
  part: string;
  lab: string;
  name: string;
  title: string;
  score: number;
  maxScore: number;
  status: GradeStatus;
  /** Why points were lost (empty when passed). */
  reason: string;
  /** The run's clock, in ms (simulated, or real with --real). */
  clockMs: number;
  result: JobResult;
}

/**
 * Scores the runs: full points for a pass within the per-test limit, else 0 with the reason.
 * Each lab's tests share a budget (labSeconds of the run's clock, in table order): the test
 * that crosses it and those after it score 0, as 6.5840's grading fails a `go test` that takes
 * more than 600 s.
 */
export function scoreRuns(table: GradingTable, entries: GradedEntry[], results: JobResult[], labOf: (part: string) => string, clock: string): GradedTest[] {
  const usedMs = new Map<string, number>();
  const testLimitMs = table.limits.testSeconds * 1000;
  const labLimitMs = table.limits.labSeconds * 1000;
  return entries.map((entry, i) => {
    const result = results[i]!;
    const { outcome } = result;
    const lab = labOf(entry.test.part);
    const before = usedMs.get(lab) ?? 0;
    const after = before + outcome.elapsedMs;
    usedMs.set(lab, after);
    let reason = '';
    if (result.skipped !== undefined) reason = result.skipped;
    else if (outcome.elapsedMs > testLimitMs) reason = `took ${(outcome.elapsedMs / 1000).toFixed(1)} s of ${clock}, over the ${table.limits.testSeconds} s limit per test`;
    else if (after > labLimitMs) reason = `the ${lab} tests had taken ${(after / 1000).toFixed(1)} s of ${clock} when it ended, over the ${table.limits.labSeconds} s limit per lab`;
    else if (!outcome.ok) reason = outcome.report === undefined ? 'failed' : `${outcome.report.check}: ${summaryLine(outcome.report.message)}`;
    const passed = reason === '';
    return {
      part: entry.test.part,
      lab,
      name: entry.test.name,
      title: entry.title,
      score: passed ? entry.maxPoints : 0,
      maxScore: entry.maxPoints,
      status: passed ? 'passed' : 'failed',
      reason,
      clockMs: outcome.elapsedMs,
      result,
    };
  });
}

/** Why the next test of a lab would not be run: its budget is already spent. */
export function labBudgetSpent(table: GradingTable, lab: string, usedMs: number): string | undefined {
  if (usedMs <= table.limits.labSeconds * 1000) return undefined;
  return `not run: the ${lab} tests had already taken ${(usedMs / 1000).toFixed(1)} s, over the ${table.limits.labSeconds} s limit per lab`;
}

/** The whole grade in every form it is printed in. */
export interface GradeResult {
  score: number;
  maxScore: number;
  mode: 'virtual' | 'real';
  baseSeed: string;
  executionTimeS: number;
  tests: GradedTest[];
}

export function gradeJson(g: GradeResult): Record<string, unknown> {
  const parts: Record<string, { score: number; maxScore: number }> = {};
  for (const t of g.tests) {
    const p = (parts[t.part] ??= { score: 0, maxScore: 0 });
    p.score += t.score;
    p.maxScore += t.maxScore;
  }
  return {
    command: 'grade',
    score: g.score,
    maxScore: g.maxScore,
    mode: g.mode,
    baseSeed: g.baseSeed,
    executionTimeS: round1(g.executionTimeS),
    parts,
    tests: g.tests.map((t) => ({ part: t.part, name: t.name, title: t.title, score: t.score, maxScore: t.maxScore, status: t.status, reason: t.reason, clockMs: t.clockMs, replay: t.result.outcome.report?.replay ?? null })),
  };
}

/** Gradescope's results.json (https://gradescope-autograders.readthedocs.io, "Output format"). */
export function gradescopeJson(g: GradeResult): Record<string, unknown> {
  return {
    score: g.score,
    execution_time: Math.round(g.executionTimeS),
    output: `base seed ${g.baseSeed}, ${g.mode} time: ${g.score}/${g.maxScore} points`,
    tests: g.tests.map((t) => {
      const o = t.result.outcome;
      const sections = [o.output.join('\n')];
      if (t.reason !== '') sections.push(`0 points: ${t.reason}`);
      if (!o.ok && o.report !== undefined) sections.push(formatReport(o.report));
      return { name: displayName(t), score: t.score, max_score: t.maxScore, output: sections.filter((x) => x !== '').join('\n\n'), status: t.status };
    }),
  };
}

/** A test's name with its part, unless the name already says it ("Test (2A): …"). */
export function displayName(t: { part: string; name: string }): string {
  return t.name.includes(t.part) ? t.name : `${t.part}: ${t.name}`;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
