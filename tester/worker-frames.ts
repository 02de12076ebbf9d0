/**
 * Where code is: stack frames named by file, line and function, and which of them belong to
 * the harness (simulator, network, tester, Node) rather than to the code under test.
 */

/** One frame of a stuck thread's stack, in the source file (TypeScript lines, 1-based). */
export interface CodeLocation {
  /** The file, relative to the project root when it is inside it. */
  file: string;
  line: number;
  column: number;
  /** The function, or "(anonymous)". */
  functionName: string;
}

/** Folders whose code is the harness's: a loop found there is not the student's own. */
const harnessFolders = ['sim', 'tester', 'labrpc', 'trace', 'persister', 'porcupine', 'cli'];
const harnessPattern = new RegExp(`(^|/)(${harnessFolders.join('|')})/[^/]+\\.[cm]?[jt]s\\b`);

/** True for frames of Node itself, of installed packages, and of the harness's folders. */
export function isHarnessPath(path: string): boolean {
  return path === '' || path.startsWith('node:') || path.includes('/node_modules/') || harnessPattern.test(path) || path.includes('worker-probe');
}

/** "raft/raft.ts:88 in Raft.ticker" */
export function formatLocation(l: CodeLocation): string {
  return `${l.file}:${l.line} in ${l.functionName}`;
}

/** A path for people: relative to the root when inside it, file:// stripped. */
export function displayPath(url: string, root: string): string {
  let path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const prefix = root.endsWith('/') ? root : `${root}/`;
  if (path.startsWith(prefix)) path = path.slice(prefix.length);
  return path;
}

/** The file of a stack-trace line ("f (file:///a/b.ts:3:4)" → "file:///a/b.ts"). */
export function pathOfStackFrame(frame: string): string {
  const m = /\(?((?:file:\/\/|node:|\/)[^()]*?):\d+(?::\d+)?\)?$/.exec(frame);
  return m?.[1] ?? '';
}

/** A stack-trace line in the form reports use ("raft/raft.ts:88 in Raft.ticker"). */
export function stackFrameLocation(frame: string, root: string): CodeLocation | undefined {
  const m = /^(?:async )?(.*?) ?\(?((?:file:\/\/|node:|\/)[^()]*?):(\d+)(?::(\d+))?\)?$/.exec(frame.trim());
  if (m === null) return undefined;
  return { file: displayPath(m[2]!, root), line: Number(m[3]), column: Number(m[4] ?? 0), functionName: m[1] === '' ? '(anonymous)' : m[1]! };
}
