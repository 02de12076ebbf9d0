/**
 * `lab playground`'s server: serves the bundled page on localhost, watches the files the bundle
 * was made of, rebuilds when one is saved, and tells the page over an event stream (the page
 * then runs the new code from the same seed to the same instant, or shows the compile errors).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeBuilder, type BuildResult, type BuiltFile, type BundleOptions } from './build.ts';

const types: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

/** Saves that come this close together make one rebuild. */
const debounceMs = 25;

export interface PlaygroundServer {
  url: string;
  port: number;
  /** The current build's version (1 for the first) and errors. */
  state(): { version: number; errors: string[]; lastBuildMs: number };
  close(): Promise<void>;
}

export interface ServeOptions extends BundleOptions {
  port: number;
  host?: string;
  /** More files to serve beside the page (e.g. trace.json of a recorded run). */
  files?: Map<string, Uint8Array>;
  /** Told of every rebuild (for the command's output). */
  onBuild?: (result: BuildResult, version: number) => void;
}

/** Starts the server; rejects with a clear message if the port is taken. */
export async function servePlayground(options: ServeOptions): Promise<PlaygroundServer> {
  const builder = await makeBuilder(options);
  let files = new Map<string, BuiltFile>();
  let version = 0;
  let errors: string[] = [];
  let lastBuildMs = 0;
  const clients = new Set<ServerResponse>();
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let building: Promise<void> | undefined;
  let again = false;
  /** Files saved since the last build began. */
  let changed = new Set<string>();

  const announce = (res: ServerResponse): void => {
    res.write(`event: build\ndata: ${JSON.stringify({ version, errors })}\n\n`);
  };

  const rebuild = async (): Promise<void> => {
    const saved = [...changed];
    changed = new Set();
    const result = await builder.rebuild(saved);
    lastBuildMs = result.ms;
    errors = result.errors;
    if (errors.length === 0) {
      files = new Map(result.files.map((f) => [f.path, f]));
      version++;
      watchInputs(result.inputs);
    }
    options.onBuild?.(result, version);
    for (const res of clients) announce(res);
  };

  /** Rebuilds soon; `path` is the file saved (none: a build that was waiting for the last one). */
  const schedule = (path?: string): void => {
    if (path !== undefined) changed.add(path);
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (building !== undefined) {
        again = true;
        return;
      }
      building = rebuild().finally(() => {
        building = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
    }, debounceMs);
  };

  // Folders, not files: editors often save by writing a new file and renaming it over the old.
  const watchInputs = (inputs: string[]): void => {
    for (const dir of new Set(inputs.map((p) => dirname(p)))) {
      if (watchers.has(dir)) continue;
      try {
        const w = watch(dir, (_event, name) => {
          if (name !== null && /\.(ts|html)$/.test(name)) schedule(join(dir, name));
        });
        watchers.set(dir, w);
      } catch {
        // A folder that vanished: the next build says what is missing.
      }
    }
  };

  await rebuild();

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname).replace(/^\/+/, '') || 'index.html';
    if (path === 'events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      clients.add(res);
      announce(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    const extra = options.files?.get(path);
    const file = files.get(path) ?? (extra === undefined ? undefined : { path, contents: extra });
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': types[path.split('.').pop() ?? ''] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(file.contents);
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === 'EADDRINUSE' ? `port ${options.port} is already in use: pass another one with --port N (or --port 0 for any free port)` : e.message));
    });
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;

  return {
    url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${port}/`,
    port,
    state: () => ({ version, errors, lastBuildMs }),
    async close() {
      if (timer !== undefined) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      for (const res of clients) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await building;
      await builder.dispose();
    },
  };
}
