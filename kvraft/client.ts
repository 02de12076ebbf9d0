import type { ClientEnd } from '../labrpc/index.ts';
import { randomInt } from '../sim/index.ts';
// <solution>
import { sleep } from '../sim/index.ts';
// </solution>
import { OK, ErrNoKey, ErrWrongLeader, type Err, type GetArgs, type GetReply, type PutAppendArgs, type PutAppendReply } from './common.ts';

export class Clerk {
  servers: ClientEnd[];
  // You will have to modify this class.
  // <solution>
  /** Names this Clerk in the servers' duplicate table. */
  private readonly clientId = nrand();
  /** Number of the last operation sent; the next one gets seq + 1. */
  private seq = 0;
  /** The server that answered last time: likely still the leader. */
  private leader = 0;
  // </solution>

  constructor(servers: ClientEnd[]) {
    this.servers = servers;
  }

  // fetch the current value for a key.
  // returns "" if the key does not exist.
  // keeps trying forever in the face of all other errors.
  //
  // you can send an RPC with code like this:
  //   const reply = {} as GetReply;
  //   const ok = await this.servers[i].Call('KVServer.Get', args, reply);
  //
  // the types of args and reply (including whether they are plain
  // objects) must match the declared types of the RPC handler
  // function's arguments. and reply must be passed as an object.
  async Get(key: string): Promise<string> {
    // You will have to modify this function.
    // <solution>
    const args: GetArgs = { Key: key, ClientId: this.clientId, SeqNum: ++this.seq };
    const reply = await this.call<GetReply>('KVServer.Get', args);
    return reply.Err === ErrNoKey ? '' : reply.Value;
    // </solution>
    // <stub>
    //! return '';
    // </stub>
  }

  // shared by Put and Append.
  //
  // you can send an RPC with code like this:
  //   const reply = {} as PutAppendReply;
  //   const ok = await this.servers[i].Call('KVServer.PutAppend', args, reply);
  //
  // the types of args and reply (including whether they are plain
  // objects) must match the declared types of the RPC handler
  // function's arguments. and reply must be passed as an object.
  async PutAppend(key: string, value: string, op: 'Put' | 'Append'): Promise<void> {
    // You will have to modify this function.
    // <solution>
    const args: PutAppendArgs = { Key: key, Value: value, Op: op, ClientId: this.clientId, SeqNum: ++this.seq };
    await this.call<PutAppendReply>('KVServer.PutAppend', args);
    // </solution>
  }

  async Put(key: string, value: string): Promise<void> {
    await this.PutAppend(key, value, 'Put');
  }

  async Append(key: string, value: string): Promise<void> {
    await this.PutAppend(key, value, 'Append');
  }

  // <solution>
  /**
   * Sends one operation until a server that is the leader answers it: first to the last
   * server that did, then round the others. After a whole round without an answer there may
   * be no leader yet (an election takes a few hundred ms), so it pauses before the next round
   * rather than flooding the servers. The same args go every time: the servers apply a
   * Put/Append once however often it arrives.
   */
  private async call<R extends { Err: Err }>(svcMeth: string, args: GetArgs | PutAppendArgs): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      const server = this.leader;
      const reply = {} as R;
      const ok = await this.servers[server]!.Call(svcMeth, args, reply);
      if (ok && (reply.Err === OK || reply.Err === ErrNoKey)) return reply;
      // Lost on the way, ErrWrongLeader, or no verdict in time: try the next server.
      this.leader = (server + 1) % this.servers.length;
      if (attempt % this.servers.length === 0) await sleep(roundPauseMs);
    }
  }
  // </solution>
}

// <solution>
/** Pause after asking every server once in vain (about half an election timeout). */
const roundPauseMs = 50;
// </solution>

// a random number to name a Clerk, so that servers can tell clients apart.
export function nrand(): number {
  return randomInt(Number.MAX_SAFE_INTEGER);
}

export function MakeClerk(servers: ClientEnd[]): Clerk {
  const ck = new Clerk(servers);
  // You'll have to add code here.
  return ck;
}
