import { readFileSync } from 'node:fs';
import type { CliContext } from '../context.ts';
import { exitCode, UsageError } from '../errors.ts';
import { meanSdSeconds, plural, summaryLine, table } from '../ui.ts';

/** One run as `lab stress --json` writes it. */
interface RunRecord {
  name: string;
  baseSeed: string;
  ok: boolean;
  traceHash: string;
  elapsedMs: number;
  realMs: number;
}

interface FailureRecord {
  name: string;
  baseSeed: string;
  check?: string;
  message?: string;
  replay?: string;
}

/** The parts of a `lab stress --json` document that merging reads. */
interface StressDoc {
  command: 'stress';
  pattern: string;
  baseSeed: string;
  runsPerTest: number;
  mode: 'virtual' | 'real';
  shard: { index: number; count: number } | null;
  tests: { name: string }[];
  failures: FailureRecord[];
  runs: RunRecord[];
}

function readDoc(file: string): StressDoc {
  let doc: Partial<StressDoc>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<StressDoc>;
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}; give the files that lab stress ... --json wrote`);
  }
  if (doc.command !== 'stress' || !Array.isArray(doc.runs) || !Array.isArray(doc.tests)) {
    throw new UsageError(`${file} is not a result of lab stress --json (it has no "command": "stress" and "runs")`);
  }
  return doc as StressDoc;
}

/**
 * `lab stress merge FILE...`: the results of the shards of one stress batch (lab stress … --shard
 * I/N --json) as one: the table of every test, each failing seed with its replay command.
 * Shards of different batches, a run counted twice, or a missing shard are errors or warnings
 * that say which.
 */
export async function mergeCommand(files: string[], ctx: CliContext): Promise<number> {
  if (files.length === 0) throw new UsageError('lab stress merge needs the result files: lab stress merge shard-1.json shard-2.json');
  const docs = files.map((f) => ({ file: f, doc: readDoc(f) }));
  const first = docs[0]!.doc;
  for (const { file, doc } of docs.slice(1)) {
    for (const key of ['pattern', 'baseSeed', 'runsPerTest', 'mode'] as const) {
      if (doc[key] !== first[key]) throw new UsageError(`${file} is from another batch: its ${key} is ${JSON.stringify(doc[key])}, ${docs[0]!.file}'s is ${JSON.stringify(first[key])}`);
    }
  }
  const runs = new Map<string, RunRecord>();
  for (const { file, doc } of docs) {
    for (const r of doc.runs) {
      const key = `${r.name}\u0000${r.baseSeed}`;
      if (runs.has(key)) throw new UsageError(`${file} repeats the run of "${r.name}" with seed ${r.baseSeed}: give each shard's file once`);
      runs.set(key, r);
    }
  }
  const failures = docs.flatMap(({ doc }) => doc.failures);
  const testNames = [...new Set(docs.flatMap(({ doc }) => doc.tests.map((t) => t.name)))];
  const all = [...runs.values()];
  const expected = first.runsPerTest * testNames.length;
  const shards = docs.map(({ doc }) => doc.shard).filter((s) => s !== null);
  const count = shards[0]?.count;
  const missing = count === undefined ? [] : Array.from({ length: count }, (_, i) => i + 1).filter((i) => !shards.some((s) => s.index === i));

  const c = ctx.colors;
  ctx.stdout.write(`lab stress merge: ${plural(files.length, 'file')}, ${first.pattern}, seeds from ${first.baseSeed}, ${plural(all.length, 'run')} of ${expected}\n`);
  if (missing.length > 0) ctx.stdout.write(c.yellow(`missing shard(s) ${missing.map((i) => `${i}/${count}`).join(', ')}: the table covers only the files given\n`));
  const rows = testNames.map((name) => {
    const mine = all.filter((r) => r.name === name);
    const failed = mine.filter((r) => !r.ok).length;
    return [
      name,
      String(mine.length),
      failed > 0 ? c.red(String(failed)) : '0',
      `${((mine.length === 0 ? 0 : failed / mine.length) * 100).toFixed(1)}%`,
      meanSdSeconds(mine.map((r) => r.elapsedMs)),
      meanSdSeconds(mine.map((r) => r.realMs)),
    ];
  });
  const timeLabel = first.mode === 'virtual' ? 'sim time s (mean ± sd)' : 'time s (mean ± sd)';
  ctx.stdout.write(`\n${table(['test', 'runs', 'fail', 'rate', timeLabel, 'real s (mean ± sd)'], rows, ['left', 'right', 'right', 'right', 'right', 'right'])}\n`);
  const sorted = [...failures].sort((a, b) => (BigInt(a.baseSeed) < BigInt(b.baseSeed) ? -1 : BigInt(a.baseSeed) > BigInt(b.baseSeed) ? 1 : a.name.localeCompare(b.name)));
  if (sorted.length > 0) {
    ctx.stdout.write(`\n${c.red(`${sorted.length} failing run(s):`)}\n`);
    for (const f of sorted) {
      const why = f.check === undefined ? '' : `  ${f.check}: ${summaryLine(f.message ?? '')}`;
      ctx.stdout.write(`  seed ${f.baseSeed}  ${f.name}${why}\n    ${f.replay ?? ''}\n`);
    }
  } else {
    ctx.stdout.write(`\n${c.green(`no failures in ${all.length} runs`)}\n`);
  }
  const failed = all.filter((r) => !r.ok).length;
  ctx.stdout.write(`\n${failed === 0 ? c.green('PASS:') : c.red('FAIL:')} ${all.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? exitCode.ok : exitCode.failed;
}
