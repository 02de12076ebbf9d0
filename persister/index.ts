/** persister: where Raft keeps its state and the service its snapshot across crashes. */
export { Persister, PersisterUsageError, encode, decode, type PersisterLike } from './persister.ts';
