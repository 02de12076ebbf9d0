/**
 * `lab logs FILE [--servers 0,2] [--topics vote,fault] [--no-color] [--width N]
 * [--from MS] [--to MS]`: prints a trace (the .json, or the .html page that embeds it) with a
 * column per server. The `lab` command calls runLogsCommand with the words after "logs".
 */
import { readTrace, TraceFormatError } from './file.ts';
import { formatLogs, topics } from './logs.ts';

export const logsUsage = [
  'usage: lab logs FILE [--servers 0,2] [--topics vote,fault] [--no-color] [--width N] [--from MS] [--to MS]',
  '  FILE       a trace written by `lab replay TEST --seed S --trace FILE` (.json or its .html page)',
  '  --servers  only these servers\' columns (comma-separated numbers)',
  `  --topics   only these topics: ${topics.join(', ')}`,
  '  --no-color plain text (also when NO_COLOR is set, or when the output is not a terminal; --color forces colours)',
  '  --width    line width in characters (default: the terminal\'s, or 120)',
  '  --from/--to  only events in this window of virtual time (ms)',
];

class UsageError extends Error {}

interface Parsed {
  file: string;
  servers?: number[];
  topics?: string[];
  color: boolean;
  width?: number;
  fromMs?: number;
  toMs?: number;
}

/**
 * Runs `lab logs` with `argv` (the words after "logs"); writes lines to `out` and problems to
 * `err` (default `out`). Returns the exit code: 0 done, 1 unreadable trace, 2 bad usage.
 */
export function runLogsCommand(argv: string[], out: (line: string) => void, err: (line: string) => void = out, outIsTerminal = process.stdout.isTTY === true): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    for (const line of logsUsage) out(line);
    return 0;
  }
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv, outIsTerminal);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`lab logs: ${e.message}`);
    for (const line of logsUsage) err(line);
    return 2;
  }
  try {
    const trace = readTrace(parsed.file);
    const lines = formatLogs(trace, {
      servers: parsed.servers,
      topics: parsed.topics,
      color: parsed.color,
      width: parsed.width ?? process.stdout.columns ?? 120,
      fromMs: parsed.fromMs,
      toMs: parsed.toMs,
    });
    for (const line of lines) out(line);
    return 0;
  } catch (e) {
    if (e instanceof TraceFormatError) {
      err(`lab logs: ${e.message}`);
      return 1;
    }
    if (e instanceof RangeError) {
      err(`lab logs: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

function parseArgs(argv: string[], outIsTerminal: boolean): Parsed {
  let file: string | undefined;
  // Colours only on a terminal: a pipe or a file gets plain text (--color forces them).
  const parsed: Omit<Parsed, 'file'> = { color: outIsTerminal && (process.env.NO_COLOR === undefined || process.env.NO_COLOR === '') };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const eq = word.indexOf('=');
    const flag = word.startsWith('--') && eq > 0 ? word.slice(0, eq) : word;
    const value = (): string => {
      if (word.startsWith('--') && eq > 0) return word.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--servers':
        parsed.servers = value()
          .split(',')
          .filter((s) => s !== '')
          .map((s) => {
            const n = Number(s.replace(/^S/i, ''));
            if (!Number.isInteger(n) || n < 0) throw new UsageError(`--servers takes server numbers like 0,2; got "${s}"`);
            return n;
          });
        break;
      case '--topics':
        parsed.topics = value()
          .split(',')
          .filter((s) => s !== '');
        break;
      case '--no-color':
        parsed.color = false;
        break;
      case '--color':
        parsed.color = true;
        break;
      case '--width':
        parsed.width = positive(flag, value());
        break;
      case '--from':
        parsed.fromMs = number(flag, value());
        break;
      case '--to':
        parsed.toMs = number(flag, value());
        break;
      default:
        if (word.startsWith('-')) throw new UsageError(`unknown option ${word}`);
        if (file !== undefined) throw new UsageError(`one trace file at a time (got ${file} and ${word})`);
        file = word;
    }
  }
  if (file === undefined) throw new UsageError('which trace? give the file written by --trace');
  return { file, ...parsed };
}

function number(flag: string, text: string): number {
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) throw new UsageError(`${flag} takes a number of milliseconds, got "${text}"`);
  return n;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive whole number, got "${text}"`);
  return n;
}
