/**
 * porcupine: a linearizability checker after Anish Athalye's porcupine, the key/value model
 * of 6.5840's kvraft tests, and an HTML visualization of the result.
 *
 *   const { result, info } = checkOperationsVerbose(kvModel, history, 1000);
 *   if (result === 'Illegal') visualizePath(kvModel, info, 'history.html');
 */
export type {
  CallEvent,
  CheckResult,
  Event,
  FullModel,
  LinearizationInfo,
  Model,
  Operation,
  PartitionLinearization,
  ReturnEvent,
  VerboseResult,
} from './types.ts';
export {
  checkEvents,
  checkEventsTimeout,
  checkEventsVerbose,
  checkOperations,
  checkOperationsTimeout,
  checkOperationsVerbose,
} from './checker.ts';
export {
  InvalidHistoryError,
  ModelError,
  ModelStepError,
  OverlappingOperationsError,
  PorcupineError,
  SearchMemoryError,
} from './errors.ts';
export { fillDefaults, noPartition, shallowEqual } from './model.ts';
export { kv, kvModel, kvOpFromNumber, type KvInput, type KvOp, type KvOutput } from './kv.ts';
export { describeFailure } from './explain.ts';
export { visualize, visualizePath, type Annotation, type VisualizeOptions } from './visualize.ts';
export { makeLinearizableKvHistory, type SyntheticKvOptions } from './synthetic.ts';
export { warmUpCheckerThreads, stopCheckerThreads } from './parallel.ts';
