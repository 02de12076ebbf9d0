/**
 * tester: the harness the graded Raft tests use. A port of 6.5840's config.go (Config), the
 * labTest() registration that runs a test on the simulator, and the failure and output helpers.
 */
export { labTest, type LabPart, type LabTestOptions } from './labtest.ts';
export { Config, makeConfig, SnapShotInterval, randString, randInt, fmtV, type Applier, type MakeRaft, type ConfigOptions, type RaftHandle } from './config.ts';
export { RaftElectionTimeout, MAXLOGSIZE } from './constants.ts';
export { fail, TestFailure, type FailureDetails } from './failure.ts';
export { between, isVote, touches, type FaultMessage, type FaultRule } from './faults.ts';
export { SafetyMonitor, properties, type MonitoredCluster } from './safety.ts';
export { print } from './output.ts';
export { registerSimTest } from './simtest.ts';
export type { PassedStats } from './runner.ts';
export { makeKvConfig, KvConfig } from './kvconfig.ts';
export { kvTest, GenericTest, GenericTestSpeed } from './kvtest.ts';
