/** The browser's `node:util`: printf-style `format` and a one-line `inspect`, as debug logs use them. */

/** A short, one-line rendering of any value. */
export function inspect(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength})`;
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v)) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Node's util.format for %s %d %i %f %j %o %O %%; extra arguments are appended with spaces. */
export function format(message: unknown, ...args: unknown[]): string {
  if (typeof message !== 'string') return [message, ...args].map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ');
  let i = 0;
  const text = message.replace(/%[sdifjoO%]/g, (spec) => {
    if (spec === '%%') return '%';
    if (i >= args.length) return spec;
    const a = args[i++];
    switch (spec) {
      case '%s':
        return typeof a === 'string' ? a : typeof a === 'object' && a !== null ? inspect(a) : String(a);
      case '%d':
      case '%i':
        return typeof a === 'bigint' ? `${a}n` : String(spec === '%i' ? Math.trunc(Number(a)) : Number(a));
      case '%f':
        return String(Number(a));
      default:
        return inspect(a);
    }
  });
  const rest = args.slice(i).map((a) => (typeof a === 'string' ? a : inspect(a)));
  return rest.length > 0 ? `${text} ${rest.join(' ')}` : text;
}

export default { format, inspect };
