/**
 * `node:fs` for porcupine in the browser: the page uses its checker, whose module also holds
 * the visualization that writes an HTML file. Only that import resolves here (build.ts); a
 * call says where files cannot be written.
 */
export function writeFileSync(path: string): never {
  throw new Error(`cannot write ${path}: there are no files in the browser playground`);
}

export default { writeFileSync };
