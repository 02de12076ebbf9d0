/**
 * trace: the recorder of a traced run and its two views. The tester makes a TraceRecorder,
 * makes it active, attaches it to the network and the logger, and reports faults, Start,
 * apply, snapshots, checker steps and sampled state through `activeRecorder()?.…` (a no-op
 * when tracing is off). The trace is one JSON file; `renderTraceHtml` makes the page and
 * `formatLogs` the terminal view (`lab logs`).
 */
export {
  TraceRecorder,
  activeRecorder,
  setActiveRecorder,
  defaultMaxEvents,
  defaultLogCharsMax,
  type RecorderOptions,
} from './recorder.ts';
export { renderTraceHtml, writeTraceHtml } from './html.ts';
export { formatLogs, topicOf, describe, topics, type Topic, type FormatLogsOptions } from './logs.ts';
export { runLogsCommand, logsUsage } from './logs-cli.ts';
export { parseTrace, readTrace, checkTrace, writeTraceFiles, siblingPaths, TraceFormatError } from './file.ts';
export { summarize, summaryCharsMax } from './summarize.ts';
export {
  traceFormat,
  traceVersion,
  type Trace,
  type TraceEvent,
  type TraceEventKind,
  type TraceMeta,
  type Party,
  type Role,
  type NetKind,
  type RpcFate,
  type RpcStepEvent,
  type FaultEvent,
  type PartitionEvent,
  type NetEvent,
  type StartEvent,
  type ApplyEvent,
  type SnapshotEvent,
  type CheckEvent,
  type StateEvent,
  type LogEvent,
  type FailureEvent,
} from './types.ts';
