// client code to talk to a sharded key/value service.
//
// the client first talks to the shardctrler to find out
// the assignment of shards (keys) to groups, and then
// talks to the group that holds the key's shard.
import type { ClientEnd } from '../labrpc/index.ts';
import { randomInt, sleep } from '../sim/index.ts';
import { MakeClerk as MakeCtrlerClerk, NShards, initialConfig, type Clerk as CtrlerClerk, type Config } from '../shardctrler/index.ts';
import { OK, ErrNoKey, ErrWrongGroup, type GetArgs, type GetReply, type PutAppendArgs, type PutAppendReply } from './common.ts';

// which shard is a key in?
// please use this function,
// and please do not change it.
export function key2shard(key: string): number {
  let shard = 0;
  if (key.length > 0) shard = key.charCodeAt(0);
  shard %= NShards;
  return shard;
}

// a random number to name a Clerk, so that servers can tell clients apart.
export function nrand(): number {
  return randomInt(Number.MAX_SAFE_INTEGER);
}

export class Clerk {
  sm: CtrlerClerk;
  config: Config;
  make_end: (servername: string) => ClientEnd;
  // You will have to modify this class.
  // <solution>
  private readonly clientId = nrand();
  private seq = 0;
  /** One end per server name: make_end makes a fresh one on every call. */
  private readonly ends = new Map<string, ClientEnd>();
  // </solution>

  // the tester calls MakeClerk.
  //
  // ctrlers[] is needed to call shardctrler.MakeClerk().
  //
  // make_end(servername) turns a server name from a
  // Config.Groups[gid][i] into a ClientEnd on which you can
  // send RPCs.
  constructor(ctrlers: ClientEnd[], make_end: (servername: string) => ClientEnd) {
    this.sm = MakeCtrlerClerk(ctrlers);
    this.config = initialConfig();
    this.make_end = make_end;
  }

  // fetch the current value for a key.
  // returns "" if the key does not exist.
  // keeps trying forever in the face of all other errors.
  // You will have to modify this function.
  async Get(key: string): Promise<string> {
    const args = { Key: key } as GetArgs;
    // <solution>
    args.ClientId = this.clientId;
    args.SeqNum = ++this.seq;
    // </solution>
    for (;;) {
      const shard = key2shard(key);
      const gid = this.config.Shards[shard]!;
      const servers = this.config.Groups[gid];
      if (servers !== undefined) {
        // try each server for the shard.
        for (let si = 0; si < servers.length; si++) {
          const srv = this.endTo(servers[si]!);
          const reply = {} as GetReply;
          const ok = await srv.Call('ShardKV.Get', args, reply);
          if (ok && (reply.Err === OK || reply.Err === ErrNoKey)) return reply.Value;
          if (ok && reply.Err === ErrWrongGroup) break;
          // ... not ok, or ErrWrongLeader
        }
      }
      await sleep(100);
      // ask controller for the latest configuration.
      this.config = await this.sm.Query(-1);
    }
  }

  // shared by Put and Append.
  // You will have to modify this function.
  async PutAppend(key: string, value: string, op: 'Put' | 'Append'): Promise<void> {
    const args = { Key: key, Value: value, Op: op } as PutAppendArgs;
    // <solution>
    args.ClientId = this.clientId;
    args.SeqNum = ++this.seq;
    // </solution>
    for (;;) {
      const shard = key2shard(key);
      const gid = this.config.Shards[shard]!;
      const servers = this.config.Groups[gid];
      if (servers !== undefined) {
        for (let si = 0; si < servers.length; si++) {
          const srv = this.endTo(servers[si]!);
          const reply = {} as PutAppendReply;
          const ok = await srv.Call('ShardKV.PutAppend', args, reply);
          if (ok && reply.Err === OK) return;
          if (ok && reply.Err === ErrWrongGroup) break;
          // ... not ok, or ErrWrongLeader
        }
      }
      await sleep(100);
      // ask controller for the latest configuration.
      this.config = await this.sm.Query(-1);
    }
  }

  async Put(key: string, value: string): Promise<void> {
    await this.PutAppend(key, value, 'Put');
  }

  async Append(key: string, value: string): Promise<void> {
    await this.PutAppend(key, value, 'Append');
  }

  /** An end to the named server. */
  private endTo(servername: string): ClientEnd {
    // <solution>
    let end = this.ends.get(servername);
    if (end === undefined) {
      end = this.make_end(servername);
      this.ends.set(servername, end);
    }
    return end;
    // </solution>
    // <stub>
    //! return this.make_end(servername);
    // </stub>
  }
}

export function MakeClerk(ctrlers: ClientEnd[], make_end: (servername: string) => ClientEnd): Clerk {
  const ck = new Clerk(ctrlers, make_end);
  // You'll have to add code here.
  return ck;
}
