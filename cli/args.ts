import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

/** One flag of a command, as parsed and as shown in its help. */
export interface OptionSpec {
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  /** The placeholder of its value in help (`S`, `N`, `FILE`). */
  value?: string;
  help: string;
}

/** A command: how it is called, what it does, and examples that were actually run. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  description: string[];
  options: OptionSpec[];
  examples: string[];
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number; what: string };
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

const helpOption: OptionSpec = { name: 'help', short: 'h', type: 'boolean', help: 'show this help' };

/** Parses a command's arguments; an unknown or malformed flag is a UsageError that lists the flags. */
export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  const all = [...spec.options, helpOption];
  const options = Object.fromEntries(all.map((o) => [o.name, o.short === undefined ? { type: o.type } : { type: o.type, short: o.short }]));
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (e) {
    const err = e as { code?: string; message: string };
    const flags = all.map(flagText).join(', ');
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(err.message)?.[1] ?? err.message;
      throw new UsageError(`unknown flag ${flag} for lab ${spec.name}; its flags are ${flags} (see lab ${spec.name} --help)`);
    }
    throw new UsageError(`${err.message.split('.')[0]} (lab ${spec.name}); its flags are ${flags}`);
  }
  if (parsed.values.help === true) return parsed;
  const n = parsed.positionals.length;
  if (n < spec.positionals.min) throw new UsageError(`${spec.name} needs ${spec.positionals.what}; usage: ${spec.usage}`);
  if (n > spec.positionals.max) throw new UsageError(`${spec.name} takes ${spec.positionals.what}, but got also: ${parsed.positionals.slice(spec.positionals.max).join(' ')}; usage: ${spec.usage}`);
  return parsed;
}

function flagText(o: OptionSpec): string {
  const value = o.value === undefined ? '' : ` ${o.value}`;
  return o.short === undefined ? `--${o.name}${value}` : `-${o.short}/--${o.name}${value}`;
}

/** A whole number flag within bounds, or its default. */
export function intFlag(parsed: Parsed, name: string, fallback: number, min: number, max: number): number {
  const raw = parsed.values[name];
  if (raw === undefined) return fallback;
  const text = String(raw);
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, got "${text}"`);
  return Number(text);
}

/** A string flag, or undefined. */
export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const raw = parsed.values[name];
  return typeof raw === 'string' ? raw : undefined;
}

/** The help text of a command. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`lab ${spec.name} — ${spec.summary}`, '', `Usage: ${spec.usage}`, '', ...spec.description];
  const options = [...spec.options, helpOption];
  lines.push('', 'Options:');
  const width = Math.max(...options.map((o) => flagText(o).length));
  for (const o of options) lines.push(`  ${flagText(o).padEnd(width)}  ${o.help}`);
  if (spec.examples.length > 0) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}
