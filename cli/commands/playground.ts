import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { intFlag, stringFlag, type CommandSpec, type Parsed } from '../args.ts';
import type { CliContext } from '../context.ts';
import { exitCode, UsageError } from '../errors.ts';

export const playgroundSpec: CommandSpec = {
  name: 'playground',
  summary: 'watch your own Raft in the browser: elections, replication, partitions, step by step',
  usage: 'lab playground [--port N] [--no-open] [--build DIR]',
  description: [
    'Bundles your raft/raft.ts with the simulator and labrpc for the browser, serves the page on',
    'localhost and opens it. The page animates your servers and their RPCs, runs guided scenes',
    '(leader election, log replication, network partition) and marks what your Raft gets wrong.',
    'Saving a file rebuilds it: the page runs the new code from the same seed to the same moment,',
    'or shows the compile error with its file and line. Stop it with Ctrl-C.',
    'With --build DIR it writes a static copy instead, for any static file server.',
  ],
  options: [
    { name: 'port', type: 'string', value: 'N', help: 'port on localhost (default 5840; 0 for any free port)' },
    { name: 'no-open', type: 'boolean', help: 'do not open a browser (print the address only)' },
    { name: 'build', type: 'string', value: 'DIR', help: 'write the page into DIR and exit, instead of serving it' },
  ],
  examples: ['lab playground', 'lab playground --port 8080 --no-open', 'lab playground --build /tmp/playground'],
  positionals: { min: 0, max: 0, what: 'no arguments' },
};

const defaultPort = 5840;

export async function playgroundCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const playground = await import('../../playground/index.ts');
  const buildDir = stringFlag(parsed, 'build');
  if (buildDir !== undefined) {
    if (buildDir === '') throw new UsageError('--build needs a folder: lab playground --build DIR');
    const result = await playground.buildOnce();
    if (result.errors.length > 0) {
      ctx.stderr.write(`lab playground: your code does not compile:\n\n${result.errors.join('\n\n')}\n`);
      return exitCode.failed;
    }
    const dir = resolve(buildDir);
    for (const f of result.files) {
      const path = join(dir, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.contents);
    }
    ctx.stdout.write(`wrote the playground to ${dir} (${result.files.map((f) => f.path).join(', ')})\n`);
    ctx.stdout.write(`serve it with any static file server, e.g.  python3 -m http.server -d ${dir} 8000  then open http://localhost:8000/\n`);
    return exitCode.ok;
  }

  const port = parsed.values.port === undefined ? defaultPort : intFlag(parsed, 'port', defaultPort, 0, 65535);
  await serveUntilStopped(port, parsed.values['no-open'] !== true, '', new Map(), ctx);
  return exitCode.ok;
}

/** Where `lab replay --playground` records the trace when no --trace is given. */
export function playgroundTracePath(ctx: CliContext, baseSeed: string): string {
  const dir = join(ctx.root, '.lab', 'playground');
  mkdirSync(dir, { recursive: true });
  return join(dir, `replay-${baseSeed}.json`);
}

/** `lab replay … --playground`: serves the page with the recorded run, opened at its failure (or its end). */
export async function showInPlayground(traceFile: string, open: boolean, ctx: CliContext): Promise<void> {
  const text = readFileSync(traceFile, 'utf8');
  const trace = JSON.parse(text) as { events: { t: number; k: string }[] };
  const failure = trace.events.find((e) => e.k === 'failure');
  const atMs = failure?.t ?? trace.events.at(-1)?.t ?? 0;
  const query = `?trace=trace.json&t=${atMs}`;
  ctx.stdout.write(`\nthe run in the playground, at ${failure === undefined ? 'its end' : 'the failure'} (${(atMs / 1000).toFixed(3)} s):\n`);
  await serveUntilStopped(0, open, query, new Map([['trace.json', new TextEncoder().encode(text)]]), ctx);
}

async function serveUntilStopped(port: number, open: boolean, query: string, files: Map<string, Uint8Array>, ctx: CliContext): Promise<void> {
  const playground = await import('../../playground/index.ts');
  const server = await playground.servePlayground({
    port,
    files,
    onBuild: (result, version) => {
      if (result.errors.length > 0) ctx.stderr.write(`lab playground: compile error (the page shows it):\n${result.errors.join('\n\n')}\n`);
      else if (version > 1) ctx.stdout.write(`rebuilt in ${result.ms.toFixed(0)} ms; the page runs the new code\n`);
    },
  }).catch((e: unknown) => {
    throw new UsageError((e as Error).message);
  });
  const first = server.state();
  const url = `${server.url}${query}`;
  ctx.stdout.write(`raftlab playground: ${url}  (built in ${first.lastBuildMs.toFixed(0)} ms${first.errors.length > 0 ? ', with compile errors' : ''}; Ctrl-C stops it)\n`);
  if (open) openBrowser(url, ctx);
  await new Promise<void>((resolveStop) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}

/** Opens `url` in the desktop's browser; says so if there is none. */
function openBrowser(url: string, ctx: CliContext): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', () => ctx.stdout.write(`(no browser could be opened here: open ${url} yourself)\n`));
  child.unref();
}
