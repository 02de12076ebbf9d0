/**
 * The terminal view of a trace: one line per event, the virtual time at the left and a
 * column per server, each event printed in the column of the server where it happened (in
 * the manner of the "dslogs" script many 6.5840 students use), coloured by topic. Text starts
 * at its column and may run on to the right (each event has its own line); it wraps at the
 * line's end. Events that belong to no server (checker steps, the failure, network switches)
 * start at the left.
 */
import type { Party, RpcStepEvent, Trace, TraceEvent } from './types.ts';

/** What a line is about; filters and colours go by topic. */
export const topics = ['rpc', 'vote', 'append', 'snapshot', 'apply', 'start', 'fault', 'check', 'log'] as const;
export type Topic = (typeof topics)[number];

export interface FormatLogsOptions {
  /** Only these servers get columns (and their events printed); default all. */
  servers?: number[];
  /** Only events of these topics; default all. */
  topics?: string[];
  /** ANSI colours; default true. */
  color?: boolean;
  /** Total line width in characters; default 120. */
  width?: number;
  /** Only events at or after this time (ms). */
  fromMs?: number;
  /** Only events at or before this time (ms). */
  toMs?: number;
}

/** Columns narrower than this wrap every word; wider is not enforced. */
const columnCharsMin = 14;

const ansi: Record<Topic | 'failure' | 'dim' | 'bold', string> = {
  rpc: '37',
  vote: '35',
  append: '36',
  snapshot: '34',
  apply: '32',
  start: '33',
  fault: '91',
  check: '92',
  log: '90',
  failure: '1;97;41',
  dim: '2',
  bold: '1',
};

/** The topic of an event. */
export function topicOf(event: TraceEvent): Topic {
  switch (event.k) {
    case 'rpc':
      return rpcTopic(event.method);
    case 'state':
      return 'vote';
    case 'crash':
    case 'restart':
    case 'connect':
    case 'disconnect':
    case 'partition':
    case 'net':
      return 'fault';
    case 'start':
      return 'start';
    case 'apply':
      return 'apply';
    case 'snapshot':
      return 'snapshot';
    case 'check':
    case 'failure':
      return 'check';
    case 'log':
      return 'log';
  }
}

function rpcTopic(method: string): Topic {
  const name = shortMethod(method);
  if (name === 'RequestVote') return 'vote';
  if (name === 'AppendEntries') return 'append';
  if (name === 'InstallSnapshot') return 'snapshot';
  return 'rpc';
}

/** Columns are narrow: the three Raft RPCs go by their usual initials (the header says so). */
const abbreviations: Record<string, string> = { AppendEntries: 'AE', RequestVote: 'RV', InstallSnapshot: 'IS' };
export const abbreviationLegend = 'AE AppendEntries · RV RequestVote · IS InstallSnapshot · ✗ lost · ✓ reply arrived';

function abbreviate(method: string): string {
  const name = shortMethod(method);
  return abbreviations[name] ?? name;
}

function shortMethod(method: string): string {
  const dot = method.lastIndexOf('.');
  return dot < 0 ? method : method.slice(dot + 1);
}

function partyName(p: Party | undefined): string {
  if (p === undefined) return '?';
  return typeof p === 'number' ? `S${p}` : p;
}

/**
 * The trace as terminal lines. Throws a RangeError naming the valid topics if `topics` holds
 * an unknown one.
 */
export function formatLogs(trace: Trace, options: FormatLogsOptions = {}): string[] {
  const color = options.color ?? true;
  const width = Math.max(40, options.width ?? 120);
  const wanted = topicFilter(options.topics);
  const columns = columnParties(trace, options.servers);
  const columnOf = new Map<string, number>(columns.map((p, i) => [key(p), i]));
  const events = trace.events.filter((e) => (options.fromMs === undefined || e.t >= options.fromMs) && (options.toMs === undefined || e.t <= options.toMs));

  const fractional = events.some((e) => e.t % 1 !== 0);
  const stamp = (t: number): string => (fractional ? t.toFixed(3) : t.toFixed(0));
  const stampWidth = Math.max(4, ...events.map((e) => stamp(e.t).length)) + 1;
  const columnWidth = Math.max(columnCharsMin, Math.floor((width - stampWidth) / Math.max(1, columns.length)));
  const paint = (code: string, text: string): string => (color ? `\x1b[${code}m${text}\x1b[0m` : text);

  const lines: string[] = [];
  const title = [trace.meta.test ?? 'trace', trace.meta.seed !== undefined ? `seed ${String(trace.meta.seed)}` : undefined, `${trace.events.length} events`].filter((x) => x !== undefined).join(' · ');
  lines.push(paint(ansi.bold, title) + paint(ansi.dim, `   (${abbreviationLegend})`));
  if (trace.droppedEvents > 0) lines.push(paint(ansi.fault, `(the ${trace.droppedEvents} oldest events were dropped: the recorder keeps the last ${trace.maxEvents})`));
  lines.push(' '.repeat(stampWidth) + columns.map((p) => partyName(p).padEnd(columnWidth)).join('').trimEnd());
  lines.push(paint(ansi.dim, '-'.repeat(Math.min(width, stampWidth + columnWidth * columns.length))));

  for (const event of events) {
    const topic = topicOf(event);
    if (wanted !== undefined && !wanted.has(topic)) continue;
    const where = placeOf(event);
    let column: number | undefined;
    if (where !== undefined) {
      column = columnOf.get(key(where));
      // An event of a server without a column (filtered out) is not printed.
      if (column === undefined) continue;
    }
    const text = describe(event);
    const code = event.k === 'failure' ? ansi.failure : event.k === 'check' && !event.ok ? ansi.fault : ansi[topic];
    const indent = column === undefined ? 0 : column * columnWidth;
    // Each event has its own line, so text may run on into the columns to its right; it
    // wraps only at the line's end (never narrower than its own column).
    const room = Math.max(columnWidth - 1, width - stampWidth - indent);
    const pieces = wrap(text, Math.max(8, room));
    pieces.forEach((piece, i) => {
      const left = i === 0 ? stamp(event.t).padStart(stampWidth - 1) + ' ' : ' '.repeat(stampWidth);
      lines.push(paint(ansi.dim, left) + ' '.repeat(indent) + paint(code, piece));
    });
  }
  return lines;
}

function topicFilter(list: string[] | undefined): Set<Topic> | undefined {
  if (list === undefined) return undefined;
  const known = new Set<string>(topics);
  for (const t of list) {
    if (!known.has(t)) throw new RangeError(`unknown topic "${t}"; topics are ${topics.join(', ')}`);
  }
  return new Set(list as Topic[]);
}

function key(p: Party): string {
  return `${typeof p}:${String(p)}`;
}

/** The columns: servers by number (the meta's count, and any seen), then other parties by name. */
function columnParties(trace: Trace, servers: number[] | undefined): Party[] {
  const seen = new Map<string, Party>();
  const note = (p: Party | undefined): void => {
    if (p !== undefined) seen.set(key(p), p);
  };
  if (typeof trace.meta.servers === 'number') for (let i = 0; i < trace.meta.servers; i++) note(i);
  for (const e of trace.events) {
    if ('s' in e) note(e.s);
    if (e.k === 'rpc') note(e.to);
  }
  let parties = [...seen.values()].sort((a, b) => {
    if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
    return typeof a === 'number' ? a - (b as number) : String(a).localeCompare(String(b));
  });
  if (servers !== undefined) {
    const keep = new Set(servers);
    parties = parties.filter((p) => typeof p === 'number' && keep.has(p));
    for (const s of servers) if (!parties.includes(s)) parties.push(s);
    parties.sort((a, b) => (a as number) - (b as number));
  }
  return parties;
}

/** The party in whose column an event goes: where the step happens (undefined: across the columns). */
function placeOf(event: TraceEvent): Party | undefined {
  switch (event.k) {
    case 'rpc':
      return rpcPlace(event);
    case 'check':
    case 'failure':
    case 'net':
    case 'partition':
      return undefined;
    default:
      return event.s;
  }
}

function rpcPlace(e: RpcStepEvent): Party | undefined {
  switch (e.fate) {
    case 'sent':
    case 'request-dropped':
    case 'unreachable':
    case 'replied':
      return e.s;
    case 'delivered':
    case 'server-dead':
    case 'reply-dropped':
    case 'reply-delayed':
      return e.to;
  }
}

/** One event in a few words. */
export function describe(event: TraceEvent): string {
  switch (event.k) {
    case 'rpc': {
      const m = `${abbreviate(event.method)} #${event.id}`;
      const to = partyName(event.to);
      const from = partyName(event.s);
      switch (event.fate) {
        case 'sent':
          return `→${to} ${m}`;
        case 'delivered':
          return `←${from} ${m}`;
        case 'request-dropped':
          return `✗ ${m} →${to} dropped`;
        case 'unreachable':
          return `✗ ${m} →${to} unreachable`;
        case 'server-dead':
          return `✗ ${m} ←${from} cut off`;
        case 'reply-dropped':
          return `✗ ${m} reply →${from} dropped`;
        case 'reply-delayed':
          return `… ${m} reply →${from} +${event.delayMs ?? '?'}ms`;
        case 'replied':
          return `✓ ${m} ←${to}`;
      }
      return m;
    }
    case 'state':
      return `${event.role} T${event.term}`;
    case 'crash':
      return 'CRASH';
    case 'restart':
      return 'RESTART';
    case 'connect':
      return 'CONNECT';
    case 'disconnect':
      return 'DISCONNECT';
    case 'partition':
      return `partition ${event.groups.map((g) => `[${g.map((s) => `S${s}`).join(' ')}]`).join(' ')}`;
    case 'net':
      return `network ${event.what} ${event.on ? 'on' : 'off'}`;
    case 'start':
      return `Start #${event.index} T${event.term} ${event.cmd}`;
    case 'apply':
      return event.snap === true ? `apply snapshot ≤#${event.index}` : `apply #${event.index} ${event.cmd}`;
    case 'snapshot':
      return `Snapshot(${event.index})`;
    case 'check':
      return `check ${event.name} ${event.ok ? '✓' : '✗'}${event.detail !== undefined ? ` ${event.detail}` : ''}`;
    case 'failure':
      return `FAILED ${event.check}: ${event.message}`;
    case 'log':
      return event.s === undefined ? `${event.ns} ${event.text}` : event.text;
  }
}

/** Splits text into pieces of at most `room` characters, at spaces where it can. */
function wrap(text: string, room: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let rest = paragraph;
    while (rest.length > room) {
      let cut = rest.lastIndexOf(' ', room);
      if (cut < room / 2) cut = room;
      out.push(rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut).trimStart();
    }
    out.push(rest);
  }
  return out;
}
