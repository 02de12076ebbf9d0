// The mutant runner: classic Raft/KV bugs injected into the reference, and the suite's verdict on each.
export { catalogue, findMutant, type Mutant, type MutantEdit, type MutantFile, type MutantPart } from './catalogue.ts';
export { applyEdits, mutateSource, countOccurrences, syntaxErrors, MutantApplyError, MutantSyntaxError } from './apply.ts';
export {
  runMutants,
  makeMutantCopy,
  removeMutantCopy,
  listSuite,
  seedPlus,
  projectRoot,
  partFiles,
  type RunMutantsOptions,
  type MutantsMatrix,
  type MutantResult,
  type TestCell,
  type SuiteTest,
  type MutantsProgress,
} from './run.ts';
export { runMutantsCommand, mutantsUsage, formatSummary, formatMatrix, listCatalogue, defaultSeeds, defaultBaseSeed } from './command.ts';
