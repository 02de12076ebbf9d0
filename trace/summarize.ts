/**
 * Short, bounded summaries of commands for the trace. A command may be a 5000-character
 * string or a deep object; the summary never costs more than its length limit to build, so
 * recording stays cheap whatever students put in their logs.
 */

/** The default length of a summary, in characters. */
export const summaryCharsMax = 40;

/** How deep into nested objects a summary looks before writing "…". */
const depthMax = 3;

/**
 * `value` as at most `max` characters (plus a trailing "…" when cut): strings quoted,
 * objects and arrays in a JSON-like form, byte arrays as their length.
 */
export function summarize(value: unknown, max = summaryCharsMax): string {
  const out: string[] = [];
  const budget = { left: max + 1 };
  write(value, out, budget, 0);
  const text = out.join('');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

interface Budget {
  left: number;
}

/** Appends pieces until the budget runs out; stops walking as soon as it does. */
function write(value: unknown, out: string[], budget: Budget, depth: number): void {
  if (budget.left <= 0) return;
  const piece = (text: string): void => {
    const cut = text.length > budget.left ? text.slice(0, budget.left) : text;
    out.push(cut);
    budget.left -= cut.length;
  };
  switch (typeof value) {
    case 'string':
      // Only the part that can show is quoted (JSON.stringify of a 5000-char string is waste).
      piece(JSON.stringify(value.length > budget.left ? value.slice(0, budget.left) : value));
      return;
    case 'number':
    case 'boolean':
    case 'bigint':
      piece(String(value));
      return;
    case 'undefined':
      piece('undefined');
      return;
    case 'symbol':
      piece(value.toString());
      return;
    case 'function':
      piece('[function]');
      return;
  }
  if (value === null) {
    piece('null');
    return;
  }
  if (value instanceof Uint8Array) {
    piece(`bytes(${value.length})`);
    return;
  }
  if (depth >= depthMax) {
    piece('…');
    return;
  }
  if (Array.isArray(value)) {
    piece('[');
    for (let i = 0; i < value.length && budget.left > 0; i++) {
      if (i > 0) piece(',');
      write(value[i], out, budget, depth + 1);
    }
    piece(']');
    return;
  }
  piece('{');
  let first = true;
  for (const key in value as Record<string, unknown>) {
    if (budget.left <= 0) break;
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (!first) piece(',');
    first = false;
    piece(`${key}:`);
    write((value as Record<string, unknown>)[key], out, budget, depth + 1);
  }
  piece('}');
}
