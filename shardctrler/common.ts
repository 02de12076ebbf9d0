// Shard controller: assigns shards to replication groups.
//
// RPC interface:
// Join(servers) -- add a set of groups (gid -> server-list mapping).
// Leave(gids) -- delete a set of groups.
// Move(shard, gid) -- hand off one shard from current owner to gid.
// Query(num) -> fetch Config # num, or latest config if num==-1.
//
// A Config (configuration) describes a set of replica groups, and the
// replica group responsible for each shard. Configs are numbered. Config
// #0 is the initial configuration, with no groups and all shards
// assigned to group 0 (the invalid group).
//
// You will need to add fields to the RPC argument interfaces.
// RPC arguments cross the network as plain data: use plain objects,
// strings, numbers and arrays, not class instances.

// The number of shards.
export const NShards = 10;

// A configuration -- an assignment of shards to groups.
// Please don't change this.
export interface Config {
  Num: number; // config number
  Shards: number[]; // shard -> gid (NShards entries)
  Groups: Record<number, string[]>; // gid -> servers[]
}

export const OK = 'OK';

export type Err = string;

export interface JoinArgs {
  Servers: Record<number, string[]>; // new GID -> servers mappings
  // <solution>
  /** The Clerk that sent it; with SeqNum, names the request for duplicate detection. */
  ClientId: number;
  SeqNum: number;
  // </solution>
}

export interface JoinReply {
  WrongLeader: boolean;
  Err: Err;
}

export interface LeaveArgs {
  GIDs: number[];
  // <solution>
  ClientId: number;
  SeqNum: number;
  // </solution>
}

export interface LeaveReply {
  WrongLeader: boolean;
  Err: Err;
}

export interface MoveArgs {
  Shard: number;
  GID: number;
  // <solution>
  ClientId: number;
  SeqNum: number;
  // </solution>
}

export interface MoveReply {
  WrongLeader: boolean;
  Err: Err;
}

export interface QueryArgs {
  Num: number; // desired config number
  // <solution>
  ClientId: number;
  SeqNum: number;
  // </solution>
}

export interface QueryReply {
  WrongLeader: boolean;
  Err: Err;
  Config: Config;
}

/** Config #0: no groups, every shard assigned to the invalid group 0. */
export function initialConfig(): Config {
  return { Num: 0, Shards: new Array<number>(NShards).fill(0), Groups: {} };
}
