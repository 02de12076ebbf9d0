/**
 * The handout transform of one source file. The reference solution lives in the student files
 * between marker lines (each alone on its line, any indentation):
 *
 *   solution block: from a "// <solution>" line to a "// </solution>" line, both included,
 *                   is removed from the handout;
 *   stub block:     "// <stub>" … "// </stub>": the two marker lines are dropped and each line
 *                   between loses its "//! " prefix (a bare "//!" becomes an empty line), so
 *                   code that is a comment in the staff copy becomes code in the handout.
 *
 * Blocks do not nest, and every block is closed; anything else is a MarkerError that names the
 * file and line.
 */

export class MarkerError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'MarkerError';
  }
}

export interface TransformResult {
  text: string;
  /** Solution blocks removed. */
  solutions: number;
  /** Stub blocks opened. */
  stubs: number;
}

type Marker = 'solution' | 'stub';

const markerLine = /^\s*\/\/ <(\/?)(solution|stub)>\s*$/;
/** A line that looks like it meant to be a marker but is not exactly one ("//<solution>", "// <solution> 2A"). */
const nearMarker = /^\s*\/\/\s*<\/?\s*(solution|stub)\s*>/;
const stubCode = /^(\s*)\/\/!(?: (.*))?$/;

/** Applies the markers of one file; throws a MarkerError on the first misuse. */
export function transformSource(text: string, file: string): TransformResult {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  let open: { kind: Marker; line: number } | undefined;
  let solutions = 0;
  let stubs = 0;
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    const m = markerLine.exec(line);
    if (m === null) {
      if (nearMarker.test(line)) throw new MarkerError(file, lineNo, `malformed marker "${line.trim()}": write "// <solution>", "// </solution>", "// <stub>" or "// </stub>" alone on the line`);
      if (open?.kind === 'solution') return;
      if (open?.kind === 'stub') {
        const s = stubCode.exec(line);
        out.push(s === null ? line : s[2] === undefined ? '' : `${s[1]}${s[2]}`);
        return;
      }
      out.push(line);
      return;
    }
    const closing = m[1] === '/';
    const kind = m[2] as Marker;
    if (!closing) {
      if (open !== undefined) throw new MarkerError(file, lineNo, `"// <${kind}>" inside the ${open.kind} block opened at line ${open.line}: blocks do not nest; close it first with "// </${open.kind}>"`);
      open = { kind, line: lineNo };
      return;
    }
    if (open === undefined) throw new MarkerError(file, lineNo, `"// </${kind}>" closes no block: there is no "// <${kind}>" before it`);
    if (open.kind !== kind) throw new MarkerError(file, lineNo, `"// </${kind}>" closes the ${open.kind} block opened at line ${open.line}: write "// </${open.kind}>"`);
    if (kind === 'solution') solutions++;
    else stubs++;
    open = undefined;
  });
  if (open !== undefined) throw new MarkerError(file, open.line, `"// <${open.kind}>" is never closed: add "// </${open.kind}>" after the block`);
  return { text: out.join(eol), solutions, stubs };
}

/**
 * The paths a handout leaves out, from cli/handout-exclude.txt: one pattern a line; "#" starts a
 * comment line; "dir/" is a folder; "*" matches within a name and "**" across folders; any
 * other line is a path (or a folder, without the slash).
 */
export function parseExcludes(text: string): (path: string) => boolean {
  const tests = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((pattern): ((path: string) => boolean) => {
      const p = pattern.replace(/^\/+/, '');
      if (p.includes('*')) {
        const re = new RegExp(`^${p.split('**').map((part) => part.split('*').map(escapeRegExp).join('[^/]*')).join('.*')}(/.*)?$`);
        return (path) => re.test(path);
      }
      if (p.endsWith('/')) return (path) => path.startsWith(p);
      return (path) => path === p || path.startsWith(`${p}/`);
    });
  return (path) => tests.some((t) => t(path));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
