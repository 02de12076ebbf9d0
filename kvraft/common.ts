// Definitions shared by the kvraft client (client.ts) and server (server.ts).

export const OK = 'OK';
export const ErrNoKey = 'ErrNoKey';
export const ErrWrongLeader = 'ErrWrongLeader';

export type Err = typeof OK | typeof ErrNoKey | typeof ErrWrongLeader;

// Put or Append
export interface PutAppendArgs {
  Key: string;
  Value: string;
  Op: 'Put' | 'Append';
  // You'll have to add definitions here.
  // RPC arguments cross the network as plain data: use plain
  // objects, strings, numbers and arrays, not class instances.
  // <solution>
  /** The Clerk that sent it; with SeqNum, names the operation for duplicate detection. */
  ClientId: number;
  /** The Clerk's count of operations so far: each operation gets the next number. */
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
