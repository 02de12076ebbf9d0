/**
 * Where the playground finds the student's key/value service: kvraft/'s public face. When a
 * page is bundled without kvraft's files (a handout of the Raft lab only), build.ts puts a
 * module in this one's place that exports `kvBinding` undefined and says why in
 * `kvAbsentReason`; the page then stays a Raft-only page.
 */
import { MakeClerk, StartKVServer } from '../../kvraft/index.ts';
import type { ClientEnd } from '../../labrpc/index.ts';
import type { Persister } from '../../persister/index.ts';

/** The two entry points of kvraft the playground calls; what they return is checked at run time. */
export interface KvBinding {
  StartKVServer(servers: ClientEnd[], me: number, persister: Persister, maxraftstate: number): unknown;
  MakeClerk(servers: ClientEnd[]): unknown;
}

export const kvBinding: KvBinding | undefined = { StartKVServer, MakeClerk };
/** Why there is no kv service ('' when there is one). */
export const kvAbsentReason: string = '';
