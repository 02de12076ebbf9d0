import { availableParallelism } from 'node:os';
import { catalogue, type Mutant, type MutantPart } from './catalogue.ts';
import { allParts, runMutants, type MutantResult, type MutantsMatrix, type MutantsProgress, type RunMutantsOptions } from './run.ts';

/** `lab mutants` defaults: 3 seeds per test, from base seed 1 (so the matrix is the same run to run). */
export const defaultSeeds = 3;
export const defaultBaseSeed = '1';

export const mutantsUsage = [
  'Usage: lab mutants [--only ID[,ID]] [--seeds K] [--parts 2A,2B] [-p P] [--seed S] [--all-seeds] [--all-tests] [--keep-assertions] [--matrix] [--json] [--list]',
  '',
  'Runs the mutant catalogue (mutants/catalogue.ts): each mutant is a classic Raft or KV bug',
  'injected into a temporary copy of the reference; the tests of its parts run against it, K seeds',
  'each. A mutant is killed when some test fails on some seed. Exit code 1 if a mutant marked',
  'mustKill survives (the suite lost its power to catch that bug), 2 on a usage error.',
  '',
  'Options:',
  '  --only ID[,ID]   run only these mutants (ids from --list)',
  `  --seeds K        seeds per test (default ${defaultSeeds}); run i uses base seed S+i`,
  "  --parts P[,P]    run only the tests of these parts (intersected with each mutant's parts)",
  `  -p P             test runs at once (default: the number of CPUs, ${availableParallelism()} here)`,
  `  --seed S         first base seed (default ${defaultBaseSeed})`,
  '  --all-seeds      run every seed even after a kill, to count kills per seed',
  "  --all-tests      ignore the mutants' test filters: every test of their parts",
  "  --keep-assertions  keep raft.ts's own invariant assertions (off by default: kills must come from the tests)",
  '  --matrix         print the full grid mutant × test (else a summary per mutant)',
  '  --json           print the result as JSON',
  '  --list           list the catalogue and exit',
  '',
  'Examples:',
  '  lab mutants                                   the whole catalogue, 3 seeds',
  '  lab mutants --only vote-twice-per-term --seeds 20 --all-seeds',
  '  lab mutants --parts 2A,2B -p 4 --matrix',
].join('\n');

class UsageProblem extends Error {}

interface CommandArgs {
  options: RunMutantsOptions;
  json: boolean;
  matrix: boolean;
  list: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): CommandArgs {
  const out: CommandArgs = {
    options: { seeds: defaultSeeds, baseSeed: defaultBaseSeed, parallel: availableParallelism() },
    json: false,
    matrix: false,
    list: false,
    help: false,
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('-')) throw new UsageProblem(`${flag} needs a value`);
    return v;
  };
  const count = (text: string, flag: string, max: number): number => {
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new UsageProblem(`${flag} takes a whole number from 1 to ${max}, got "${text}"`);
    return Number(text);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--only':
        out.options.only = take().split(',').filter((s) => s !== '');
        break;
      case '--seeds':
        out.options.seeds = count(take(), '--seeds', 10_000);
        break;
      case '--parts': {
        const parts = take().split(',').map((p) => p.trim().toUpperCase());
        const bad = parts.filter((p) => !allParts.includes(p as MutantPart));
        if (bad.length > 0) throw new UsageProblem(`unknown part ${bad.join(', ')}: the parts are ${allParts.join(' ')}`);
        out.options.parts = parts as MutantPart[];
        break;
      }
      case '-p':
      case '--parallel':
        out.options.parallel = count(take(), flag, 256);
        break;
      case '--seed': {
        const s = take();
        if (!/^\d{1,15}$/.test(s)) throw new UsageProblem(`--seed takes a whole number of at most 15 digits, got "${s}"`);
        out.options.baseSeed = s;
        break;
      }
      case '--all-seeds':
        out.options.stopAtFirstKill = false;
        break;
      case '--keep-assertions':
        out.options.keepAssertions = true;
        break;
      case '--all-tests':
        out.options.allTests = true;
        break;
      case '--matrix':
        out.matrix = true;
        break;
      case '--json':
        out.json = true;
        break;
      case '--list':
        out.list = true;
        break;
      case '-h':
      case '--help':
        out.help = true;
        break;
      default:
        throw new UsageProblem(`unknown argument "${arg}"`);
    }
  }
  if (out.options.only !== undefined) {
    const unknown = out.options.only.filter((id) => !catalogue.some((m) => m.id === id));
    if (unknown.length > 0) throw new UsageProblem(`no mutant ${unknown.join(', ')}; see lab mutants --list`);
  }
  return out;
}

/**
 * `lab mutants`: runs the catalogue and prints the result. Resolves to the exit code: 0 when
 * every mustKill mutant was killed, 1 when one survived (or could not run), 2 on a usage error.
 * The result goes to `out`, progress (a line per mutant) to `progress`, stderr by default.
 */
export async function runMutantsCommand(argv: string[], out: (line: string) => void, progress: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<number> {
  let args: CommandArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageProblem)) throw e;
    out(`lab mutants: ${e.message}`);
    out('');
    out(mutantsUsage);
    return 2;
  }
  if (args.help) {
    out(mutantsUsage);
    return 0;
  }
  if (args.list) {
    for (const line of listCatalogue(catalogue)) out(line);
    return 0;
  }

  const startMs = performance.now();
  const matrix = await runMutants({
    ...args.options,
    onProgress: (event: MutantsProgress) => {
      if (event.type === 'planned') progress(`lab mutants: ${event.mutants} mutants, ${event.tasks} mutant × test cells, up to ${args.options.seeds} seed(s) each, ${args.options.parallel} at a time`);
      if (event.type === 'mutant-done') {
        const secs = ((performance.now() - startMs) / 1000).toFixed(0);
        progress(`  ${verdict(event.result).padEnd(9)} ${event.result.mutant.id}  (${(event.result.realMs / 1000).toFixed(1)} s; ${secs} s elapsed)`);
      }
    },
  });
  const failing = mustKillFailures(matrix);
  if (args.json) {
    out(JSON.stringify(toJson(matrix, failing), null, 2));
  } else {
    for (const line of args.matrix ? formatMatrix(matrix) : formatSummary(matrix)) out(line);
    out('');
    for (const line of formatFooter(matrix, failing)) out(line);
  }
  return failing.length === 0 ? 0 : 1;
}

/** The mustKill mutants that survived or could not run. */
export function mustKillFailures(matrix: MutantsMatrix): MutantResult[] {
  return matrix.results.filter((r) => r.mutant.mustKill && (!r.killed || r.error !== undefined));
}

function verdict(r: MutantResult): string {
  if (r.error !== undefined) return 'ERROR';
  if (r.cells.length === 0) return 'NOT RUN';
  return r.killed ? 'killed' : r.mutant.mustKill ? 'SURVIVED!' : 'survived';
}

/** The short name of a test for tables: "2B backup" style, from "Test (2B): leader backs up …". */
export function shortTestName(name: string): string {
  return name.replace(/^Test \((\w+)\): /, '$1 ').replace(/^Test: (.*) \((\w+)\)$/, '$2 $1');
}

const maxKillersShown = 4;

/** One line per mutant: its verdict, and each test that killed it with kills/runs and the first killing seed. */
export function formatSummary(matrix: MutantsMatrix): string[] {
  const idWidth = Math.max(6, ...matrix.results.map((r) => r.mutant.id.length));
  const lines = [`${'mutant'.padEnd(idWidth)}  bug     parts        verdict    killed by (kills/runs, first killing seed: check)`];
  for (const r of matrix.results) {
    const bug = r.mutant.bug.join(',').padEnd(6);
    const parts = r.mutant.parts.join(',').padEnd(11);
    const head = `${r.mutant.id.padEnd(idWidth)}  ${bug}  ${parts}  ${verdict(r).padEnd(9)}`;
    if (r.error !== undefined) {
      lines.push(`${head}  ${r.error}`);
      continue;
    }
    const killers = r.cells.filter((c) => c.kills > 0);
    if (killers.length === 0) {
      const runs = r.cells.reduce((n, c) => n + c.runs, 0);
      lines.push(`${head}  none (${r.cells.length} tests, ${runs} runs)`);
      if (r.mutant.survives !== undefined) lines.push(`${' '.repeat(head.length)}  why: ${r.mutant.survives}`);
      continue;
    }
    // The first few killers, then a count: --matrix shows them all.
    const shown = killers.length > maxKillersShown + 1 ? killers.slice(0, maxKillersShown) : killers;
    shown.forEach((c, i) => {
      const text = `${shortTestName(c.name)} ${c.kills}/${c.runs} (seed ${c.killSeed}: ${c.check})`;
      lines.push(i === 0 ? `${head}  ${text}` : `${' '.repeat(head.length)}  ${text}`);
    });
    if (shown.length < killers.length) lines.push(`${' '.repeat(head.length)}  and ${killers.length - shown.length} more tests (see --matrix)`);
  }
  return lines;
}

/**
 * The grid: a row per mutant, a column per test (numbered, with a legend below). A cell is
 * kills/runs, "." for a test run without a kill, blank for a test not run on that mutant.
 */
export function formatMatrix(matrix: MutantsMatrix): string[] {
  const idWidth = Math.max(6, ...matrix.results.map((r) => r.mutant.id.length));
  const codes = matrix.tests.map((t, i) => `${t.part}.${i + 1 - matrix.tests.findIndex((u) => u.part === t.part)}`);
  const width = Math.max(5, ...codes.map((c) => c.length));
  const lines = [`${'mutant'.padEnd(idWidth)}  ${codes.map((c) => c.padStart(width)).join(' ')}  verdict`];
  for (const r of matrix.results) {
    const cells = matrix.tests.map((t) => {
      const cell = r.cells.find((c) => c.name === t.name);
      const text = cell === undefined ? '' : cell.kills > 0 ? `${cell.kills}/${cell.runs}` : '.';
      return text.padStart(width);
    });
    lines.push(`${r.mutant.id.padEnd(idWidth)}  ${cells.join(' ')}  ${verdict(r)}${r.error !== undefined ? `: ${r.error}` : ''}`);
  }
  lines.push('', 'tests:');
  matrix.tests.forEach((t, i) => lines.push(`  ${codes[i]!.padEnd(width)}  ${t.name}`));
  lines.push('', `cells: kills/runs; "." run on every seed without a kill; blank: not run.${matrix.stopAtFirstKill ? ' A test stops at its first kill (--all-seeds counts every seed).' : ''}`);
  return lines;
}

function formatFooter(matrix: MutantsMatrix, failing: MutantResult[]): string[] {
  const killed = matrix.results.filter((r) => r.killed && r.error === undefined).length;
  const lines = [
    `${killed} of ${matrix.results.length} mutants killed; ${matrix.seeds} seed(s) per test from base seed ${matrix.baseSeed}; ${(matrix.realMs / 1000).toFixed(1)} s`,
  ];
  const survivors = matrix.results.filter((r) => !r.killed && r.error === undefined && r.cells.length > 0);
  if (survivors.length > 0) lines.push(`survivors: ${survivors.map((r) => r.mutant.id + (r.mutant.mustKill ? ' (mustKill!)' : '')).join(', ')}`);
  if (failing.length > 0) {
    lines.push(`FAIL: ${failing.length} mustKill mutant(s) not killed: ${failing.map((r) => r.mutant.id).join(', ')}`);
    lines.push(`  replay one: lab mutants --only ${failing[0]!.mutant.id} --seeds 20 --all-seeds`);
  } else {
    lines.push('PASS: every mustKill mutant was killed');
  }
  return lines;
}

function toJson(matrix: MutantsMatrix, failing: MutantResult[]): unknown {
  return {
    command: 'mutants',
    ok: failing.length === 0,
    baseSeed: matrix.baseSeed,
    seeds: matrix.seeds,
    stopAtFirstKill: matrix.stopAtFirstKill,
    realMs: Math.round(matrix.realMs),
    tests: matrix.tests,
    mutants: matrix.results.map((r) => ({
      id: r.mutant.id,
      title: r.mutant.title,
      bug: r.mutant.bug,
      file: r.mutant.file,
      parts: r.mutant.parts,
      mustKill: r.mutant.mustKill,
      survives: r.mutant.survives ?? null,
      note: r.mutant.note ?? null,
      killed: r.killed,
      error: r.error ?? null,
      realMs: Math.round(r.realMs),
      cells: r.cells.map((c) => ({ part: c.part, name: c.name, runs: c.runs, kills: c.kills, killSeed: c.killSeed ?? null, check: c.check ?? null, message: c.message ?? null, realMs: Math.round(c.realMs) })),
    })),
    mustKillFailures: failing.map((r) => r.mutant.id),
  };
}

/** The catalogue, one line per mutant. */
export function listCatalogue(mutants: readonly Mutant[]): string[] {
  const idWidth = Math.max(...mutants.map((m) => m.id.length));
  return mutants.map((m) => `${m.id.padEnd(idWidth)}  bug ${m.bug.join(',').padEnd(5)} ${m.file.padEnd(16)} ${m.parts.join(',').padEnd(11)} ${m.mustKill ? 'mustKill' : '        '}  ${m.title}`);
}
