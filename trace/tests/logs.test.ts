import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLogs, renderTraceHtml, runLogsCommand, traceFormat, traceVersion, type Trace, type TraceEvent } from '../index.ts';

const events: TraceEvent[] = [
  { t: 0, k: 'state', s: 0, term: 1, role: 'leader' },
  { t: 1, k: 'rpc', id: 1, fate: 'sent', method: 'Raft.AppendEntries', s: 0, to: 2, bytes: 40 },
  { t: 2, k: 'rpc', id: 1, fate: 'delivered', method: 'Raft.AppendEntries', s: 0, to: 2 },
  { t: 2, k: 'log', s: 2, ns: 'raft:S2', text: 'append ok' },
  { t: 3, k: 'rpc', id: 1, fate: 'replied', method: 'Raft.AppendEntries', s: 0, to: 2, bytes: 20 },
  { t: 4, k: 'rpc', id: 2, fate: 'sent', method: 'Raft.RequestVote', s: 1, to: 0, bytes: 30 },
  { t: 5, k: 'rpc', id: 2, fate: 'request-dropped', method: 'Raft.RequestVote', s: 1, to: 0 },
  { t: 6, k: 'crash', s: 1 },
  { t: 7, k: 'start', s: 0, index: 1, term: 1, cmd: '"x"' },
  { t: 8, k: 'apply', s: 2, index: 1, cmd: '"x"' },
  { t: 9, k: 'check', name: 'checkOneLeader', ok: true, detail: 'leader S0' },
  { t: 10, k: 'failure', check: 'checkLogs', message: 'apply error: commit index=1 server=2 "x" != server=0 "y"' },
];

const trace: Trace = { format: traceFormat, version: traceVersion, meta: { test: 'TestLogs', seed: '3', servers: 3 }, maxEvents: 1000, droppedEvents: 0, events };

/** Where the text of a line starts, after the timestamp. */
function column(line: string, stampWidth: number, columnWidth: number): number {
  const body = line.slice(stampWidth);
  const indent = body.length - body.trimStart().length;
  return indent / columnWidth;
}

describe('formatLogs', () => {
  const width = 140;
  const lines = formatLogs(trace, { color: false, width });
  const body = lines.slice(3);
  const stampWidth = 5; // at least 4 characters of time, and a space
  const columnWidth = Math.floor((width - stampWidth) / 3);

  it('prints a header with a column per server', () => {
    expect(lines[0]).toMatch(/^TestLogs · seed 3 · 12 events   \(AE AppendEntries · RV RequestVote/);
    expect(lines[1]).toBe(`${' '.repeat(stampWidth)}${'S0'.padEnd(columnWidth)}${'S1'.padEnd(columnWidth)}S2`);
  });

  it('puts each event in the column of the server where it happened, time at the left', () => {
    const find = (text: string): string => {
      const line = body.find((l) => l.includes(text));
      if (line === undefined) throw new Error(`no line with ${text}:\n${body.join('\n')}`);
      return line;
    };
    expect(find('→S2 AE #1').startsWith('   1 ')).toBe(true);
    expect(column(find('→S2 AE #1'), stampWidth, columnWidth)).toBe(0);
    expect(column(find('←S0 AE #1'), stampWidth, columnWidth)).toBe(2);
    expect(column(find('append ok'), stampWidth, columnWidth)).toBe(2);
    expect(column(find('✓ AE #1 ←S2'), stampWidth, columnWidth)).toBe(0);
    expect(column(find('✗ RV #2 →S0 dropped'), stampWidth, columnWidth)).toBe(1);
    expect(column(find('CRASH'), stampWidth, columnWidth)).toBe(1);
    expect(column(find('apply #1 "x"'), stampWidth, columnWidth)).toBe(2);
    // Tester steps run across the columns from the left.
    expect(column(find('check checkOneLeader ✓ leader S0'), stampWidth, columnWidth)).toBe(0);
    expect(find('FAILED checkLogs').startsWith('  10 FAILED')).toBe(true);
  });

  it('lets text run on to the right and wraps it at the end of the line, under its column', () => {
    const narrow = formatLogs(trace, { color: false, width: 60 }).slice(3);
    for (const line of narrow) expect(line.length).toBeLessThanOrEqual(60);
    const failed = narrow.findIndex((l) => l.includes('FAILED checkLogs'));
    expect(narrow[failed + 1]).toMatch(/^ {5}\S/);
    // S2's column starts at 5 + 2 * 18 = 41; its 19-character line runs past 60 and wraps.
    const wrapped = formatLogs({ ...trace, events: [{ t: 1, k: 'log', s: 2, ns: 'raft:S2', text: 'twenty-five characters!!!' }] }, { color: false, width: 60 }).slice(3);
    expect(wrapped).toEqual(['   1 ' + ' '.repeat(36) + 'twenty-five', ' '.repeat(41) + 'characters!!!']);
  });

  it('filters by server: only their columns and events', () => {
    const only = formatLogs(trace, { color: false, width, servers: [0, 2] });
    expect(only[1]).toMatch(/^ +S0 +S2$/);
    expect(only.some((l) => l.includes('CRASH'))).toBe(false);
    expect(only.slice(3).some((l) => l.includes('RV'))).toBe(false);
    expect(only.some((l) => l.includes('append ok'))).toBe(true);
  });

  it('filters by topic', () => {
    const faults = formatLogs(trace, { color: false, width, topics: ['fault', 'check'] }).slice(3);
    expect(faults.map((l) => l.trim().replace(/^\d+ +/, '').split(' ')[0])).toEqual(['CRASH', 'check', 'FAILED']);
    const votes = formatLogs(trace, { color: false, width, topics: ['vote'] }).slice(3);
    expect(votes.every((l) => /leader T1|RV #2/.test(l))).toBe(true);
    expect(votes).toHaveLength(3);
    expect(() => formatLogs(trace, { topics: ['votes'] })).toThrow(/unknown topic "votes"; topics are rpc, vote/);
  });

  it('colours by topic, or not at all', () => {
    const colored = formatLogs(trace, { width });
    expect(colored.find((l) => l.includes('CRASH'))).toContain('\x1b[91mCRASH');
    expect(colored.find((l) => l.includes('apply #1'))).toContain('\x1b[32mapply #1');
    expect(lines.join('\n')).not.toContain('\x1b[');
  });

  it('says when the oldest events were dropped', () => {
    const out = formatLogs({ ...trace, droppedEvents: 5 }, { color: false });
    expect(out[1]).toContain('the 5 oldest events were dropped');
  });
});

describe('lab logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-logs-'));
  const json = join(dir, 't.json');
  const html = join(dir, 't.html');
  writeFileSync(json, JSON.stringify(trace));
  writeFileSync(html, renderTraceHtml(trace));

  function run(argv: string[]): { code: number; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const code = runLogsCommand(argv, (l) => out.push(l), (l) => err.push(l));
    return { code, out, err };
  }

  it('prints a trace file, JSON or page, with filters', () => {
    const a = run([json, '--no-color', '--width', '100']);
    expect(a.code).toBe(0);
    expect(a.out).toEqual(formatLogs(trace, { color: false, width: 100 }));
    const b = run([html, '--servers', '0,2', '--topics=append', '--no-color', '--width=100']);
    expect(b.code).toBe(0);
    expect(b.out).toEqual(formatLogs(trace, { color: false, width: 100, servers: [0, 2], topics: ['append'] }));
    const c = run([json, '--from', '6', '--to', '8', '--no-color']);
    expect(c.out.slice(3).map((l) => l.trim().split(/ +/)[0])).toEqual(['6', '7', '8']);
  });

  it('explains bad usage and unreadable files', () => {
    expect(run([]).code).toBe(2);
    expect(run([]).err[0]).toMatch(/which trace\?/);
    expect(run([json, '--topics', 'nope']).code).toBe(2);
    expect(run([json, '--servers', 'a']).err[0]).toMatch(/--servers takes server numbers/);
    expect(run([json, '--bogus']).err[0]).toMatch(/unknown option --bogus/);
    const missing = run([join(dir, 'missing.json')]);
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toMatch(/cannot read trace/);
    expect(run(['--help']).out[0]).toMatch(/^usage: lab logs FILE/);
  });
});
