/**
 * Bundles the playground for the browser with esbuild: the page, and the worker that holds the
 * student's raft/raft.ts with the simulator, labrpc and the persister. Node's modules the
 * simulator and labrpc import get their browser counterparts (browser/shims/); any other
 * `node:` import is a compile error that names the file and line that made it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
/** The project root (the folder above playground/). */
export const projectRoot = resolve(here, '..');
const shimDir = join(here, 'browser', 'shims');
const porcupineDir = join(projectRoot, 'porcupine') + sep;

/** Node modules with a browser counterpart. */
const shims: Record<string, string> = {
  'node:v8': join(shimDir, 'v8.ts'),
  'node:util': join(shimDir, 'util.ts'),
  'node:crypto': join(shimDir, 'crypto.ts'),
  'node:module': join(shimDir, 'module.ts'),
};

const nodeModulesPlugin: esbuild.Plugin = {
  name: 'node-modules-for-the-browser',
  setup(build) {
    build.onResolve({ filter: /^(node:)?(v8|util|crypto|module|fs|path|os|worker_threads|child_process|net|http|timers|timers\/promises)$/ }, (args) => {
      const name = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      // porcupine's checker runs in the page; its visualization (which writes files) does not.
      if (name === 'node:fs' && args.importer.startsWith(porcupineDir)) return { path: join(shimDir, 'fs.ts') };
      const shim = shims[name];
      if (shim !== undefined) return { path: shim };
      return {
        errors: [{ text: `"${args.path}" is a Node-only module and cannot run in the browser playground. Student code may use sim (sleep, now, randomInt, Channel), labrpc and the persister only.` }],
      };
    });
  },
};

/** One bundled file. */
export interface BuiltFile {
  path: string;
  contents: Uint8Array;
}

/** The outcome of one build: files, or errors as "file:line:column: message" with the line shown. */
export interface BuildResult {
  files: BuiltFile[];
  errors: string[];
  /** The project files the bundle read (for watching). */
  inputs: string[];
  ms: number;
}

export function formatMessage(m: esbuild.Message): string {
  if (m.location === null) return m.text;
  const loc = m.location;
  const where = `${loc.file}:${loc.line}:${loc.column + 1}`;
  return `${where}: error: ${m.text}\n    ${loc.lineText}\n    ${' '.repeat(loc.column)}^`;
}

/** Bundle options: other files in place of the student's (tests, fixtures). */
export interface BundleOptions {
  /** A file in place of raft/raft.ts. */
  raftFile?: string;
  /**
   * A module in place of kvraft/index.ts (exporting StartKVServer and MakeClerk); one that does
   * not exist bundles the page without a key/value service, as a handout without kvraft.
   */
  kvraftFile?: string;
}

/** The files without which there is no key/value service to bundle. */
const kvraftFiles = ['kvraft/index.ts', 'kvraft/server.ts', 'kvraft/client.ts'];

/**
 * The page's kv service (engine/kv-source.ts) comes from kvraft/, or `kvraftFile`; when that is
 * missing, a module saying so takes kv-source's place and the page stays a Raft-only page.
 */
function kvPlugin(kvraftFile: string | undefined): esbuild.Plugin {
  const source = join(here, 'engine', 'kv-source.ts');
  const target = kvraftFile === undefined ? undefined : resolve(projectRoot, kvraftFile);
  return {
    name: 'kvraft-files',
    setup(build) {
      build.onLoad({ filter: /kv-source\.ts$/ }, (args) => {
        if (args.path !== source) return undefined;
        const missing = target !== undefined ? (existsSync(target) ? [] : [relative(projectRoot, target)]) : kvraftFiles.filter((f) => !existsSync(join(projectRoot, f)));
        if (missing.length === 0) return undefined;
        const reason = `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in this folder`;
        return { contents: `export const kvBinding = undefined;\nexport const kvAbsentReason = ${JSON.stringify(reason)};\n`, loader: 'ts' };
      });
      if (target === undefined) return;
      build.onResolve({ filter: /kvraft\/index\.ts$/ }, (args) => (args.importer === source ? { path: target } : undefined));
    },
  };
}

/** Imports of raft/raft.ts go to `raftFile`, except from that file itself (it may wrap the real one). */
function raftPlugin(raftFile: string): esbuild.Plugin {
  const target = resolve(projectRoot, raftFile);
  return {
    name: 'raft-file',
    setup(build) {
      build.onResolve({ filter: /raft\/raft\.ts$/ }, (args) => {
        if (args.importer === target) return undefined;
        return { path: target };
      });
    },
  };
}

/** The two bundles: the page (no student code) and the worker (the student's code and the simulator). */
const entries = { page: join(here, 'browser', 'page.ts'), worker: join(here, 'browser', 'worker.ts') };

function options(bundle: BundleOptions = {}, entryPoints: Record<string, string> = entries): esbuild.BuildOptions {
  return {
    absWorkingDir: projectRoot,
    entryPoints,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    outdir: 'out',
    write: false,
    sourcemap: 'linked',
    inject: [join(shimDir, 'host.ts')],
    define: { 'import.meta.url': '"file:///raftlab/playground/"' },
    plugins: [nodeModulesPlugin, kvPlugin(bundle.kvraftFile), ...(bundle.raftFile === undefined ? [] : [raftPlugin(bundle.raftFile)])],
    metafile: true,
    logLevel: 'silent',
  };
}

function outputs(result: esbuild.BuildResult): BuiltFile[] {
  return (result.outputFiles ?? []).map((f) => ({ path: relative(join(projectRoot, 'out'), f.path), contents: f.contents }));
}

/** The project files a build read. */
function inputsOf(result: esbuild.BuildResult): string[] {
  return Object.keys(result.metafile?.inputs ?? {}).filter((p) => !p.includes('node_modules')).map((p) => resolve(projectRoot, p));
}

function collect(result: esbuild.BuildResult, started: number): BuildResult {
  const files = outputs(result);
  files.push({ path: 'index.html', contents: readFileSync(join(here, 'browser', 'index.html')) });
  return { files, errors: result.errors.map(formatMessage), inputs: inputsOf(result), ms: performance.now() - started };
}

function failed(e: unknown, started: number): BuildResult {
  const errors = (e as { errors?: esbuild.Message[] }).errors;
  return { files: [], errors: errors !== undefined && errors.length > 0 ? errors.map(formatMessage) : [String(e)], inputs: [], ms: performance.now() - started };
}

/** Builds the playground once. */
export async function buildOnce(bundle: BundleOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  try {
    return collect(await esbuild.build(options(bundle)), started);
  } catch (e) {
    return failed(e, started);
  }
}

/** An incremental builder: each rebuild reuses the last one's work. */
export interface Builder {
  /**
   * Builds again. With the files saved since the last build, the page's bundle is rebuilt only
   * if one of them is among its inputs (a save of the student's code rebuilds the worker alone).
   */
  rebuild(changed?: readonly string[]): Promise<BuildResult>;
  dispose(): Promise<void>;
}

/** One bundle kept warm: its esbuild context, its last good output and what it read. */
interface WarmBundle {
  context: esbuild.BuildContext;
  files: BuiltFile[];
  inputs: Set<string>;
  built: boolean;
}

/**
 * Two esbuild contexts, kept warm between saves: the page's and the worker's. A save of the
 * student's code (which only the worker holds) rebuilds the worker's bundle alone.
 */
export async function makeBuilder(bundle: BundleOptions = {}): Promise<Builder> {
  const warm: WarmBundle[] = await Promise.all(
    Object.entries(entries).map(async ([name, path]) => ({ context: await esbuild.context(options(bundle, { [name]: path })), files: [], inputs: new Set<string>(), built: false })),
  );
  return {
    async rebuild(changed) {
      const started = performance.now();
      const stale = warm.filter((b) => !b.built || changed === undefined || changed.some((p) => b.inputs.has(p)));
      const results = await Promise.all(
        stale.map(async (b) => {
          try {
            const result = await b.context.rebuild();
            if (result.errors.length > 0) throw Object.assign(new Error('build failed'), { errors: result.errors });
            b.files = outputs(result);
            b.inputs = new Set(inputsOf(result));
            b.built = true;
            return { errors: [] };
          } catch (e) {
            // The last good files stay; the next rebuild of this bundle tries again.
            b.built = false;
            return { errors: failed(e, started).errors };
          }
        }),
      );
      const errors = results.flatMap((r) => r.errors);
      if (errors.length > 0) return { files: [], errors, inputs: [], ms: performance.now() - started };
      const files = warm.flatMap((b) => b.files);
      files.push({ path: 'index.html', contents: readFileSync(join(here, 'browser', 'index.html')) });
      return { files, errors: [], inputs: [...new Set(warm.flatMap((b) => [...b.inputs]))], ms: performance.now() - started };
    },
    dispose: async () => {
      await Promise.all(warm.map((b) => b.context.dispose()));
    },
  };
}
