import { Session } from 'node:inspector';
import { SourceMap, type SourceMapPayload } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { loopProbeSymbol, type LoopCounts } from './worker-probe.ts';
import { displayPath, isHarnessPath, type CodeLocation } from './worker-frames.ts';

/**
 * Looks inside a test worker that stopped yielding, with Node's own inspector: the parent
 * thread attaches to the worker (NodeWorker domain), pauses it where it spins, reads its stack,
 * and tells a synchronous loop from a microtask spin by counting, over a short sample, the
 * promise continuations the thread ran (a probe the worker installs, see worker-probe.ts).
 */

/** The kinds of loop that hold a thread. */
export type LoopKind = 'synchronous' | 'microtask spin' | 'timer re-armed at the same instant';

/** What the watchdog found in a stuck thread. */
export interface LoopFinding {
  kind: LoopKind;
  /** Where the code under test spins (the first frame that is not the harness's), if any. */
  where?: CodeLocation;
  /** The stack, innermost first, TypeScript lines. */
  stack: CodeLocation[];
  /** Timers scheduled during the sample: a synchronous loop that schedules them never awaits them. */
  timers: number;
  /** Promise continuations run during the sample. */
  reactions: number;
}

export interface InspectOptions {
  /** The project root, to show paths relative to it. */
  root: string;
  /** Real time between the two pauses. */
  sampleMs?: number;
  /** Give up (undefined) after this long. */
  timeoutMs?: number;
}

interface ProtocolMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

interface CallFrame {
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
  url: string;
}

/** Pauses the worker through the inspector and reads what it is doing; undefined if it cannot. */
export async function inspectStuckWorker(worker: Worker, options: InspectOptions): Promise<LoopFinding | undefined> {
  const client = new WorkerInspector(worker);
  const timeoutMs = options.timeoutMs ?? 4000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([client.inspect(options), timeout]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/** Steps into the code under test from a pause in Node's own code (see pauseInCode). */
const maxStepsIntoCode = 5;

class WorkerInspector {
  private readonly session = new Session();
  private sessionId: string | undefined;
  private attached: ((id: string) => void) | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: Record<string, unknown>): void; reject(e: Error): void }>();
  private readonly scripts = new Map<string, { url: string; sourceMapURL: string }>();
  private readonly maps = new Map<string, SourceMap | null>();
  private pausedWaiter: ((frames: CallFrame[]) => void) | undefined;

  constructor(private readonly worker: Worker) {}

  async inspect(options: InspectOptions): Promise<LoopFinding> {
    const dbg = (s: string) => process.env.LAB_INSPECT_DEBUG && process.stderr.write(`inspect: ${s}\n`);
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (m: { params: { sessionId: string; workerInfo: { workerId: string; title: string } } }) => {
      // The inspector numbers workers its own way; their title carries the thread id.
      if (m.params.workerInfo.title === `[worker ${this.worker.threadId}]`) this.attached?.(m.params.sessionId);
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (m: { params: { sessionId: string; message: string } }) => {
      if (m.params.sessionId === this.sessionId) this.onWorkerMessage(JSON.parse(m.params.message) as ProtocolMessage);
    });
    const attached = new Promise<string>((resolve) => {
      this.attached = resolve;
    });
    dbg('enable');
    await this.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    dbg('enabled');
    this.sessionId = await attached;
    dbg('attached');

    await this.send('Debugger.enable');
    dbg('debugger');
    const first = await this.pauseInCode();
    dbg('paused');
    await this.send('Runtime.evaluate', { expression: probeCall('start'), returnByValue: true });
    await this.send('Debugger.resume');
    await new Promise((r) => setTimeout(r, options.sampleMs ?? 300));
    const second = await this.pause();
    dbg('paused 2');
    const read = await this.send('Runtime.evaluate', { expression: probeCall('read'), returnByValue: true });
    const value = (read.result as { value?: unknown } | undefined)?.value;
    const counts: LoopCounts = typeof value === 'string' ? (JSON.parse(value) as LoopCounts) : { reactions: 0, timers: 0 };
    // A paused thread cannot be terminated: let it spin again, for the watchdog to end it.
    await this.send('Debugger.resume');
    dbg('resumed');
    // The first pause is where the loop runs; the second may land in the probe's own hook.
    const stack = (first.length > 0 ? first : second).map((f) => this.locate(f, options.root)).filter((l) => !l.file.includes('worker-probe'));
    const where = stack.find((l) => !isHarnessPath(l.file) && !l.file.startsWith('node:'));
    return {
      kind: counts.reactions > 0 ? 'microtask spin' : 'synchronous',
      where,
      stack,
      timers: counts.timers,
      reactions: counts.reactions,
    };
  }

  close(): void {
    try {
      this.session.disconnect();
    } catch {
      // already closed
    }
  }

  private post(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.session.post(method, params, (error, result) => (error ? reject(error) : resolve((result ?? {}) as Record<string, unknown>)));
    });
  }

  /** A protocol command to the worker's own inspector, through the parent's session. */
  private send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post('NodeWorker.sendMessageToWorker', { sessionId: this.sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
    });
  }

  /**
   * Pauses the thread and, if it stopped in Node's own code, steps on into the code that runs
   * next (a few steps at most). The simulator fires its events from Node's immediate loop, which
   * drains the microtask queue from JavaScript: a microtask spin is often caught there, one
   * step before the spinning function.
   */
  private async pauseInCode(): Promise<CallFrame[]> {
    let frames = await this.pause();
    for (let step = 0; step < maxStepsIntoCode && frames.length > 0 && frames.every((f) => this.inNode(f)); step++) {
      const paused = new Promise<CallFrame[]>((resolve) => {
        this.pausedWaiter = resolve;
      });
      await this.send('Debugger.stepInto');
      frames = await paused;
    }
    return frames;
  }

  private inNode(frame: CallFrame): boolean {
    return (this.scripts.get(frame.location.scriptId)?.url ?? frame.url).startsWith('node:');
  }

  private pause(): Promise<CallFrame[]> {
    const paused = new Promise<CallFrame[]>((resolve) => {
      this.pausedWaiter = resolve;
    });
    return this.send('Debugger.pause').then(() => paused);
  }

  private onWorkerMessage(m: ProtocolMessage): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result ?? {});
      return;
    }
    if (m.method === 'Debugger.scriptParsed') {
      const p = m.params as { scriptId: string; url: string; sourceMapURL?: string };
      this.scripts.set(p.scriptId, { url: p.url, sourceMapURL: p.sourceMapURL ?? '' });
    } else if (m.method === 'Debugger.paused') {
      const waiter = this.pausedWaiter;
      this.pausedWaiter = undefined;
      waiter?.((m.params as { callFrames: CallFrame[] }).callFrames);
    }
  }

  /** The frame in the TypeScript source, through the script's inline source map when it has one. */
  private locate(frame: CallFrame, root: string): CodeLocation {
    const script = this.scripts.get(frame.location.scriptId);
    const url = script?.url ?? frame.url;
    const functionName = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const map = script === undefined ? null : this.sourceMap(frame.location.scriptId, script.sourceMapURL);
    const entry = map?.findEntry(frame.location.lineNumber, frame.location.columnNumber) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
      const source = entry.originalSource.startsWith('file://') || entry.originalSource.startsWith('/') ? entry.originalSource : url;
      return { file: displayPath(source, root), line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1, functionName };
    }
    return { file: displayPath(url, root), line: frame.location.lineNumber + 1, column: frame.location.columnNumber + 1, functionName };
  }

  private sourceMap(scriptId: string, sourceMapURL: string): SourceMap | null {
    if (this.maps.has(scriptId)) return this.maps.get(scriptId)!;
    let map: SourceMap | null = null;
    const inline = /^data:application\/json[^,]*;base64,(.*)$/.exec(sourceMapURL);
    if (inline !== null) {
      try {
        map = new SourceMap(JSON.parse(Buffer.from(inline[1]!, 'base64').toString('utf8')) as SourceMapPayload);
      } catch {
        map = null;
      }
    }
    this.maps.set(scriptId, map);
    return map;
  }
}

function probeCall(method: 'start' | 'read'): string {
  return `(() => { const p = globalThis[Symbol.for(${JSON.stringify(loopProbeSymbol)})]; return p === undefined ? '{"reactions":0,"timers":0}' : p.${method}(); })()`;
}
