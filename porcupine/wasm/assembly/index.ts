// The key/value linearizability search compiled to WebAssembly (AssemblyScript source): the
// module's exports. The host (porcupine/kv-fast.ts) reserves room for a history, writes it,
// calls `prepare`, then searches partition after partition.
//
// Build: npm run build:wasm (see porcupine/wasm/build.mjs).
export {
  callsPointer,
  clientsPointer,
  kindsPointer,
  partitionOperations,
  partitions,
  partitionStart,
  prepare,
  reserve,
  reserveUnits,
  returnsPointer,
  stringStartsPointer,
  unitsPointer,
} from './history';
export { limitPagesForTests } from './memory';
export { collideSetHashesForTests, giveUp, resume, search } from './search';
export { statesBuilt } from './states';
export { completeSequence, sequenceLengths, sequenceOf, sequences, sequenceShared, sequenceTails } from './recorder';
