/**
 * kvraft: the fault-tolerant key/value service of 6.5840's lab 3, built on Raft. The student
 * files are common.ts, client.ts and server.ts; the tester and the real cluster use them
 * through this module.
 */
export { OK, ErrNoKey, ErrWrongLeader, type Err, type GetArgs, type GetReply, type PutAppendArgs, type PutAppendReply } from './common.ts';
export { Clerk, MakeClerk, nrand } from './client.ts';
export { KVServer, StartKVServer, type Op } from './server.ts';
