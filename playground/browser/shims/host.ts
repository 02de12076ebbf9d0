/**
 * What a Web Worker lacks of Node's globals, for the simulator, labrpc and the student's code:
 * `process` (env, stderr, the two error events), `Buffer` (only its prototype is looked at) and
 * `setImmediate` (a MessageChannel task: it runs after every pending promise continuation, as
 * Node's does). The bundler evaluates this file before any other module.
 */

type Listener = (value: unknown) => void;

/** Where stderr lines go: the playground's worker forwards them to the page. */
export const stderrLines: { sink: (text: string) => void } = { sink: (text) => console.warn(text) };

const listeners = new Map<Listener, (event: Event) => void>();

const processShim = {
  env: {} as Record<string, string | undefined>,
  platform: 'browser',
  versions: {} as Record<string, string>,
  stderr: { write: (text: string): boolean => (stderrLines.sink(String(text)), true) },
  stdout: { write: (text: string): boolean => (console.log(String(text)), true) },
  on(name: string, listener: Listener): void {
    const wrapped = (event: Event): void => {
      event.preventDefault();
      if (name === 'unhandledRejection') listener((event as PromiseRejectionEvent).reason);
      else listener((event as ErrorEvent).error ?? new Error((event as ErrorEvent).message));
    };
    listeners.set(listener, wrapped);
    globalThis.addEventListener(name === 'unhandledRejection' ? 'unhandledrejection' : 'error', wrapped);
  },
  off(name: string, listener: Listener): void {
    const wrapped = listeners.get(listener);
    if (wrapped === undefined) return;
    listeners.delete(listener);
    globalThis.removeEventListener(name === 'unhandledRejection' ? 'unhandledrejection' : 'error', wrapped);
  },
};

class BufferShim extends Uint8Array {}

const queue: (() => void)[] = [];
const channel = new MessageChannel();
channel.port1.onmessage = () => {
  const task = queue.shift();
  task?.();
};

function setImmediateShim(callback: (...args: unknown[]) => void, ...args: unknown[]): number {
  queue.push(() => callback(...args));
  channel.port2.postMessage(0);
  return 0;
}

const g = globalThis as Record<string, unknown>;
g.process ??= processShim;
g.Buffer ??= BufferShim;
g.setImmediate ??= setImmediateShim;
g.clearImmediate ??= () => undefined;

export { processShim as process, BufferShim as Buffer };
