/**
 * cluster: the student's Raft and kvraft for real. A TCP transport behind labrpc's ClientEnd,
 * a Persister on disk, node processes with an HTTP key/value API, the `lab cluster` and
 * `lab demo` commands, and a Jepsen-style crash test. See docs/cluster.md.
 */
export { runClusterCommand, clusterUsage, statusTable } from './command.ts';
export { runDemoCommand, demoUsage } from './demo.ts';
export { Transport, LinkSwitch, listen, parseAddress, formatAddress, type Address, type Dispatcher, type EarlySendPolicy, type OutputGate, type TransportOptions, type TransportStats, type Listener } from './transport.ts';
export { CommitClamp } from './commit-clamp.ts';
export { FrameDecoder, FrameError, defaultMaxFrameBytes, preamble } from './frame.ts';
export { DiskPersister, DamagedStateError, DataDirError, type Durability, type DiskPersisterOptions } from './disk-persister.ts';
export { startNode, RunningNode, type NodeOptions } from './kvnode.ts';
export { createHttpApi, defaultHttpLimits, defaultOpTimeoutMs, type HttpLimits } from './http-api.ts';
export { KvHttpClient, fetchStatus, httpCall, type KvResult } from './http-client.ts';
export {
  ClusterError,
  startCluster,
  stopCluster,
  killNode,
  restartNode,
  partitionCluster,
  healCluster,
  inspectCluster,
  readState,
  addresses,
  processAlive,
  type ClusterState,
} from './supervisor.ts';
export { runCrashTest, type CrashTestOptions, type CrashTestReport } from './crash-test.ts';
export { findFreePorts } from './ports.ts';
