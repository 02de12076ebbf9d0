/**
 * shardkv: the sharded key/value service of 6.5840's lab 4B: replica groups on Raft, shards
 * assigned by the shardctrler and moved between groups as the configuration changes. The
 * student files are common.ts, client.ts and server.ts.
 */
export { OK, ErrNoKey, ErrWrongGroup, ErrWrongLeader, type Err, type GetArgs, type GetReply, type PutAppendArgs, type PutAppendReply } from './common.ts';
export { Clerk, MakeClerk, key2shard, nrand } from './client.ts';
export { ShardKV, StartServer, type Op } from './server.ts';
