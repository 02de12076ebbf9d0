/**
 * playground: the student's own Raft, animated in the browser on the same simulator as the
 * tests. `servePlayground` backs `lab playground`; `buildOnce` its `--build DIR`; `Session`
 * runs the same run in Node (for tests and trace hashes).
 */
export { servePlayground, type PlaygroundServer, type ServeOptions } from './server.ts';
export { buildOnce, formatMessage, projectRoot, type BuildResult, type BuiltFile, type BundleOptions } from './build.ts';
export { Session, checkConfig, runLimitMs, immediateHost, type SessionHost, type SessionOutcome } from './engine/session.ts';
export { scenes, findScene, type Scene } from './engine/scenes.ts';
export { probeKv } from './engine/kv-probe.ts';
export type { KvBinding } from './engine/kv-source.ts';
export type { MakeRaft, RaftLike } from './engine/cluster.ts';
export type { Action, ActionBody, Frame, KvProbe, RunConfig } from './engine/protocol.ts';
