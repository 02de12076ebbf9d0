/**
 * shardctrler: the configuration service of 6.5840's lab 4A (which group serves which shard),
 * built on Raft. The student files are common.ts, client.ts and server.ts; the tester and
 * shardkv use them through this module.
 */
export { NShards, OK, initialConfig, type Config, type Err, type JoinArgs, type JoinReply, type LeaveArgs, type LeaveReply, type MoveArgs, type MoveReply, type QueryArgs, type QueryReply } from './common.ts';
export { Clerk, MakeClerk, nrand } from './client.ts';
export { ShardCtrler, StartServer, type Op } from './server.ts';
