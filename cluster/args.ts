/** Flag parsing for `lab cluster`, `lab demo` and the node process: small, strict, with messages that say what to type. */

/** A mistake in the command line; the caller prints it with the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  name: string;
  alias?: string;
  type: 'string' | 'number' | 'boolean';
  help: string;
  /** Shown in help, e.g. "N" or "DIR". */
  value?: string;
}

export interface ParsedArgs {
  values: Map<string, string | number | boolean>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const values = new Map<string, string | number | boolean>();
  const positionals: string[] = [];
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(`--${s.name}`, s);
    if (s.alias !== undefined) byName.set(`-${s.alias}`, s);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const spec = byName.get(name);
    if (spec === undefined) {
      throw new UsageError(`unknown flag ${name}; the flags are ${specs.map((s) => `--${s.name}`).join(', ')}`);
    }
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${spec.name} takes no value`);
      values.set(spec.name, true);
      continue;
    }
    const text = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (text === undefined) throw new UsageError(`--${spec.name} needs a value (${spec.value ?? spec.type})`);
    if (spec.type === 'number') {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${spec.name} needs a number, got "${text}"`);
      values.set(spec.name, n);
    } else {
      values.set(spec.name, text);
    }
  }
  return { values, positionals };
}

export function flagHelp(specs: readonly FlagSpec[]): string[] {
  const left = specs.map((s) => `${s.alias === undefined ? '    ' : `-${s.alias}, `}--${s.name}${s.type === 'boolean' ? '' : ` ${s.value ?? s.type.toUpperCase()}`}`);
  const width = Math.max(...left.map((l) => l.length));
  return specs.map((s, i) => `  ${left[i]!.padEnd(width)}  ${s.help}`);
}

export function stringFlag(parsed: ParsedArgs, name: string): string | undefined {
  const v = parsed.values.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function numberFlag(parsed: ParsedArgs, name: string, check?: { min?: number; max?: number; integer?: boolean }): number | undefined {
  const v = parsed.values.get(name);
  if (typeof v !== 'number') return undefined;
  if (check?.integer === true && !Number.isInteger(v)) throw new UsageError(`--${name} must be a whole number, got ${v}`);
  if (check?.min !== undefined && v < check.min) throw new UsageError(`--${name} must be at least ${check.min}, got ${v}`);
  if (check?.max !== undefined && v > check.max) throw new UsageError(`--${name} must be at most ${check.max}, got ${v}`);
  return v;
}

export function booleanFlag(parsed: ParsedArgs, name: string): boolean {
  return parsed.values.get(name) === true;
}

/** "0,1/2" → [[0,1],[2]]; checks every id is a node. */
export function parseGroups(text: string, nodes: number): number[][] {
  const groups = text.split('/').map((g) =>
    g.split(',').map((t) => {
      const id = Number(t.trim());
      if (t.trim() === '' || !Number.isInteger(id) || id < 0 || id >= nodes) {
        throw new UsageError(`"${t}" in "${text}" is not a node id; the nodes are 0..${nodes - 1} (write e.g. 0,1/2)`);
      }
      return id;
    }),
  );
  const seen = new Set<number>();
  for (const g of groups) {
    for (const id of g) {
      if (seen.has(id)) throw new UsageError(`node ${id} is on two sides of "${text}"`);
      seen.add(id);
    }
  }
  return groups;
}
