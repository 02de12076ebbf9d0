import createDebug from 'debug';
import { format } from 'node:util';
import { currentRuntime } from './runtime.ts';

/** A namespaced logger, like 6.5840's DPrintf: off unless DEBUG names its namespace. */
export interface Logger {
  (message: string, ...args: unknown[]): void;
  readonly namespace: string;
  /** True when DEBUG enables this namespace (then build expensive messages). */
  readonly enabled: boolean;
}

/** Receives every log line, printed or not, with its virtual time (the trace recorder). */
export type LogSink = (namespace: string, text: string, timeMs: number) => void;

let sink: LogSink | undefined;

/** Installs (or removes, with undefined) the receiver of every log line. */
export function setLogSink(next: LogSink | undefined): void {
  sink = next;
}

/**
 * Makes a logger for `namespace` (e.g. "raft:S2"). Lines are printed to stderr with the
 * run's time when the DEBUG environment variable enables the namespace (`DEBUG=raft:*`), and
 * always reach the trace recorder when one is on. Namespace matching is the `debug` package's.
 */
export function debug(namespace: string): Logger {
  const matcher = createDebug(namespace);
  const log = (message: string, ...args: unknown[]): void => {
    const printing = matcher.enabled;
    if (!printing && sink === undefined) return;
    const text = args.length > 0 ? format(message, ...args) : message;
    const timeMs = currentRuntime().nowMs();
    sink?.(namespace, text, timeMs);
    if (printing) process.stderr.write(`${timeMs.toFixed(1).padStart(9)}ms ${namespace.padEnd(9)} ${text}\n`);
  };
  Object.defineProperty(log, 'namespace', { value: namespace });
  Object.defineProperty(log, 'enabled', { get: () => matcher.enabled });
  return log as Logger;
}
