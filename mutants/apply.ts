import ts from 'typescript';
import type { Mutant } from './catalogue.ts';

/** A mutant that cannot be applied to the current reference: an anchor is missing or ambiguous. */
export class MutantApplyError extends Error {
  constructor(
    readonly mutantId: string,
    readonly file: string,
    readonly anchor: string,
    readonly occurrences: number,
  ) {
    const how = occurrences === 0 ? 'does not occur' : `occurs ${occurrences} times (it must occur exactly once)`;
    super(
      `mutant "${mutantId}": the anchor ${JSON.stringify(anchor)} ${how} in ${file}. ` +
        `The reference changed under the mutant: update its "find" text in mutants/catalogue.ts (make it longer to be unique).`,
    );
    this.name = 'MutantApplyError';
  }
}

/** A mutant whose edits leave its file unparsable: it would be "killed" by a syntax error, not by a test. */
export class MutantSyntaxError extends Error {
  constructor(
    readonly mutantId: string,
    readonly file: string,
    readonly details: string,
  ) {
    super(`mutant "${mutantId}": the mutated ${file} does not parse: ${details}. Fix its "replace" text in mutants/catalogue.ts.`);
    this.name = 'MutantSyntaxError';
  }
}

/** How many times `needle` occurs in `text` (overlapping occurrences counted). */
export function countOccurrences(text: string, needle: string): number {
  if (needle.length === 0) return Number.POSITIVE_INFINITY;
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) count++;
  return count;
}

/**
 * Applies the mutant's edits, in order, to the text of its file. Every anchor must occur
 * exactly once in the text as it stands when its edit is applied; otherwise throws a
 * MutantApplyError that names the mutant and the anchor.
 */
export function applyEdits(mutant: Pick<Mutant, 'id' | 'file' | 'edits'>, text: string): string {
  let out = text;
  for (const edit of mutant.edits) {
    const n = countOccurrences(out, edit.find);
    if (n !== 1) throw new MutantApplyError(mutant.id, mutant.file, edit.find, n === Number.POSITIVE_INFINITY ? 0 : n);
    const at = out.indexOf(edit.find);
    out = out.slice(0, at) + edit.replace + out.slice(at + edit.find.length);
  }
  return out;
}

/** Syntax errors of a TypeScript source text (no type check: that needs the whole project). */
export function syntaxErrors(fileName: string, text: string): string[] {
  const result = ts.transpileModule(text, { fileName, reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
  return (result.diagnostics ?? []).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined || d.start === undefined) return message;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `line ${line + 1}:${character + 1}: ${message}`;
  });
}

/** applyEdits, then a parse of the result: a mutant must be a bug, not a syntax error. */
export function mutateSource(mutant: Pick<Mutant, 'id' | 'file' | 'edits'>, text: string): string {
  const mutated = applyEdits(mutant, text);
  const errors = syntaxErrors(mutant.file, mutated);
  if (errors.length > 0) throw new MutantSyntaxError(mutant.id, mutant.file, errors.join('; '));
  return mutated;
}
