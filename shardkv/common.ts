// Sharded key/value server.
// Lots of replica groups, each running Raft.
// Shardctrler decides which group serves each shard.
// Shardctrler may change shard assignment from time to time.
//
// You will have to modify these definitions.
// RPC arguments cross the network as plain data: use plain objects,
// strings, numbers and arrays, not class instances.

export const OK = 'OK';
export const ErrNoKey = 'ErrNoKey';
export const ErrWrongGroup = 'ErrWrongGroup';
export const ErrWrongLeader = 'ErrWrongLeader';
// <solution>
/** The other group has not reached the configuration the request is about yet: ask again later. */
export const ErrNotReady = 'ErrNotReady';
// </solution>

export type Err = string;

// Put or Append
export interface PutAppendArgs {
  // You'll have to add definitions here.
  Key: string;
  Value: string;
  Op: 'Put' | 'Append';
  // <solution>
  /** The Clerk that sent it; with SeqNum, names the operation for duplicate detection. */
  ClientId: number;
  SeqNum: number;
  // </solution>
}

export interface PutAppendReply {
  Err: Err;
}

export interface GetArgs {
  Key: string;
  // You'll have to add definitions here.
  // <solution>
  ClientId: number;
  SeqNum: number;
  // </solution>
}

export interface GetReply {
  Err: Err;
  Value: string;
}

// <solution>
/** A group asks the previous owner of some shards for their data, as of configuration ConfigNum. */
export interface PullShardsArgs {
  ConfigNum: number;
  Shards: number[];
}

export interface PullShardsReply {
  Err: Err;
  /** shard -> its key/value pairs. */
  Data: Record<number, Record<string, string>>;
  /** The sender's duplicate table (client -> last SeqNum applied): it travels with the data. */
  LastSeq: Record<number, number>;
}

/** The new owner has installed the shards of ConfigNum: the previous owner may delete them. */
export interface DeleteShardsArgs {
  ConfigNum: number;
  Shards: number[];
}

export interface DeleteShardsReply {
  Err: Err;
}
// </solution>
