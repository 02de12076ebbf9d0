// Shardctrler clerk.
import type { ClientEnd } from '../labrpc/index.ts';
import { randomInt, sleep } from '../sim/index.ts';
import type { Config, JoinArgs, JoinReply, LeaveArgs, LeaveReply, MoveArgs, MoveReply, QueryArgs, QueryReply } from './common.ts';

export class Clerk {
  servers: ClientEnd[];
  // Your data here.
  // <solution>
  /** Names this Clerk in the controllers' duplicate table. */
  private readonly clientId = nrand();
  /** Number of the last request sent; the next one gets seq + 1. */
  private seq = 0;
  // </solution>

  constructor(servers: ClientEnd[]) {
    this.servers = servers;
  }

  async Query(num: number): Promise<Config> {
    const args = { Num: num } as QueryArgs;
    // Your code here.
    // <solution>
    args.ClientId = this.clientId;
    args.SeqNum = ++this.seq;
    // </solution>
    for (;;) {
      // try each known server.
      for (const srv of this.servers) {
        const reply = {} as QueryReply;
        const ok = await srv.Call('ShardCtrler.Query', args, reply);
        if (ok && !reply.WrongLeader) return reply.Config;
      }
      await sleep(100);
    }
  }

  async Join(servers: Record<number, string[]>): Promise<void> {
    const args = { Servers: servers } as JoinArgs;
    // Your code here.
    // <solution>
    args.ClientId = this.clientId;
    args.SeqNum = ++this.seq;
    // </solution>
    for (;;) {
      // try each known server.
      for (const srv of this.servers) {
        const reply = {} as JoinReply;
        const ok = await srv.Call('ShardCtrler.Join', args, reply);
        if (ok && !reply.WrongLeader) return;
      }
      await sleep(100);
    }
  }

  async Leave(gids: number[]): Promise<void> {
    const args = { GIDs: gids } as LeaveArgs;
    // Your code here.
    // <solution>
    args.ClientId = this.clientId;
    args.SeqNum = ++this.seq;
    // </solution>
    for (;;) {
      // try each known server.
      for (const srv of this.servers) {
        const reply = {} as LeaveReply;
        const ok = await srv.Call('ShardCtrler.Leave', args, reply);
        if (ok && !reply.WrongLeader) return;
      }
      await sleep(100);
    }
  }

  async Move(shard: number, gid: number): Promise<void> {
    const args = { Shard: shard, GID: gid } as MoveArgs;
    // Your code here.
    // <solution>
    args.ClientId = this.clientId;
    args.SeqNum = ++this.seq;
    // </solution>
    for (;;) {
      // try each known server.
      for (const srv of this.servers) {
        const reply = {} as MoveReply;
        const ok = await srv.Call('ShardCtrler.Move', args, reply);
        if (ok && !reply.WrongLeader) return;
      }
      await sleep(100);
    }
  }
}

// a random number to name a Clerk, so that servers can tell clients apart.
export function nrand(): number {
  return randomInt(Number.MAX_SAFE_INTEGER);
}

export function MakeClerk(servers: ClientEnd[]): Clerk {
  const ck = new Clerk(servers);
  // Your code here.
  return ck;
}
