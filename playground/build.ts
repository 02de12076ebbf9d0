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

function options(bundle: BundleOptions = {}): esbuild.BuildOptions {
  return {
    absWorkingDir: projectRoot,
    entryPoints: { page: join(here, 'browser', 'page.ts'), worker: join(here, 'browser', 'worker.ts') },
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

function collect(result: esbuild.BuildResult, started: number): BuildResult {
  const files: BuiltFile[] = (result.outputFiles ?? []).map((f) => ({ path: relative(join(projectRoot, 'out'), f.path), contents: f.contents }));
  files.push({ path: 'index.html', contents: readFileSync(join(here, 'browser', 'index.html')) });
  const inputs = Object.keys(result.metafile?.inputs ?? {}).filter((p) => !p.includes('node_modules')).map((p) => resolve(projectRoot, p));
  return { files, errors: result.errors.map(formatMessage), inputs, ms: performance.now() - started };
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
  rebuild(): Promise<BuildResult>;
  dispose(): Promise<void>;
}

export async function makeBuilder(bundle: BundleOptions = {}): Promise<Builder> {
  const context = await esbuild.context(options(bundle));
  return {
    async rebuild() {
      const started = performance.now();
      try {
        return collect(await context.rebuild(), started);
      } catch (e) {
        return failed(e, started);
      }
    },
    dispose: () => context.dispose(),
  };
}
