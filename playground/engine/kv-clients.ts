/**
 * The Clerks of a kv scene and the history they make. A call goes to the first idle Clerk
 * (a new one if all are busy), so that each Clerk has at most one call in progress, as
 * porcupine's clients must. Every call is stamped on the run's clock when it is made and when
 * it returns; after each return porcupine judges the history so far: the calls that returned,
 * and the writes still in progress (they may take effect at any time after they were made).
 */
import { now } from '../../sim/index.ts';
import { checkOperationsVerbose, describeFailure, kvModel, type KvInput, type KvOutput, type Operation } from '../../porcupine/index.ts';
import type { PlaygroundCluster } from './cluster.ts';
import { checkClerk, type ClerkLike } from './kv-server.ts';
import type { KvBinding } from './kv-source.ts';
import { clerkEndpoint, type ClerkView, type KvOpName, type KvVerdict } from './protocol.ts';

/** More Clerks than this at once: the page says all are busy. */
export const clerksMax = 6;
/** Real time porcupine may take per check; after it the verdict is Unknown. */
const checkTimeoutMs = 1000;

type KvOperation = Operation<KvInput, KvOutput>;

/** A call in progress or done: the page's scenes wait on `done`. */
export interface KvCall {
  clerk: number;
  text: string;
  done: boolean;
  /** What Get returned ('' for Put and Append); undefined until done. */
  value: string | undefined;
}

interface ClerkSlot {
  id: number;
  clerk: ClerkLike;
  busy: { text: string; sinceMs: number } | undefined;
  last: string | undefined;
}

/** A key or value as shown: quoted, long ones cut. */
export function quote(s: string): string {
  const shown = s.length > 16 ? `${s.slice(0, 15)}…` : s;
  return JSON.stringify(shown);
}

export class KvClients {
  private readonly clerks: ClerkSlot[] = [];
  private readonly returned: KvOperation[] = [];
  /** Writes in progress, by Clerk. */
  private readonly inProgress = new Map<number, KvOperation>();
  private lastStampNs = -1;
  verdict: KvVerdict = { result: 'empty', operations: 0, text: 'no calls yet' };

  constructor(
    private readonly cluster: PlaygroundCluster,
    private readonly binding: KvBinding,
    /** Told of what went wrong (a Clerk that throws, a history that is not linearizable). */
    private readonly fail: (text: string) => void,
  ) {}

  /** How many RPCs Clerk `clerk` has sent. */
  rpcsSentBy(clerk: number): number {
    return this.cluster.callsFrom(clerkEndpoint(clerk));
  }

  /**
   * Makes a call with Clerk `clerk` if given and idle, else with the first idle one (a new
   * one if all are busy); undefined if no Clerk is free.
   */
  call(op: KvOpName, key: string, value: string, clerk?: number): KvCall | undefined {
    const slot = clerk !== undefined ? this.slot(clerk) : this.clerks.find((c) => c.busy === undefined) ?? this.slot(this.clerks.length);
    if (slot === undefined || slot.busy !== undefined) return undefined;
    const text = op === 'Get' ? `Get ${quote(key)}` : `${op} ${quote(key)} ${quote(value)}`;
    const call: KvCall = { clerk: slot.id, text, done: false, value: undefined };
    slot.busy = { text, sinceMs: now() };
    const input: KvInput = op === 'Get' ? { op: 'get', key } : { op: op === 'Put' ? 'put' : 'append', key, value };
    const operation: KvOperation = { clientId: slot.id, input, call: this.stamp(), output: { value: '' }, return: Number.POSITIVE_INFINITY };
    if (op !== 'Get') this.inProgress.set(slot.id, operation);
    let started: Promise<unknown>;
    try {
      started = Promise.resolve(op === 'Get' ? slot.clerk.Get(key) : op === 'Put' ? slot.clerk.Put(key, value) : slot.clerk.Append(key, value));
    } catch (e) {
      started = Promise.reject(e);
    }
    void started.then(
      (result) => {
        let got = '';
        if (op === 'Get') {
          if (typeof result === 'string') got = result;
          else {
            got = String(result);
            this.fail(`C${slot.id}: Clerk.Get(${quote(key)}) returned ${got} (${typeof result}); it must return a string ('' for a missing key)`);
          }
        }
        this.finish(slot, call, { ...operation, output: { value: got }, return: this.stamp() }, op === 'Get' ? `${text} → ${quote(got)}` : `${text} → done`);
      },
      (e: unknown) => {
        // A write that threw may still have taken effect: it stays in the history, unfinished.
        this.fail(`C${slot.id}: Clerk.${op} threw: ${e instanceof Error ? e.message : String(e)}`);
        this.finish(slot, call, op === 'Get' ? undefined : operation, `${text} → threw`);
      },
    );
    return call;
  }

  views(): ClerkView[] {
    return this.clerks.map((c) => ({ id: c.id, busy: c.busy, last: c.last }));
  }

  private slot(id: number): ClerkSlot | undefined {
    if (id < this.clerks.length) return this.clerks[id];
    if (id !== this.clerks.length || id >= clerksMax) return undefined;
    const slot: ClerkSlot = { id, clerk: checkClerk(this.binding.MakeClerk(this.cluster.clerkEnds(id))), busy: undefined, last: undefined };
    this.clerks.push(slot);
    return slot;
  }

  /** The run's clock in ns, strictly increasing: two events at one instant still happen in order. */
  private stamp(): number {
    this.lastStampNs = Math.max(Math.round(now() * 1e6), this.lastStampNs + 1);
    return this.lastStampNs;
  }

  private finish(slot: ClerkSlot, call: KvCall, operation: KvOperation | undefined, text: string): void {
    slot.busy = undefined;
    slot.last = text;
    call.done = true;
    call.value = operation?.output.value;
    this.inProgress.delete(slot.id);
    if (operation !== undefined) this.returned.push(operation);
    this.judge();
  }

  /** porcupine on the history so far; a history that stops being linearizable is reported once. */
  private judge(): void {
    const history = [...this.returned, ...this.inProgress.values()];
    if (history.length === 0) return;
    const { result, info } = checkOperationsVerbose(kvModel, history, checkTimeoutMs);
    const before = this.verdict.result;
    const n = history.length;
    if (result === 'Ok') this.verdict = { result, operations: n, text: `linearizable: ${n} operation${n === 1 ? '' : 's'}` };
    else if (result === 'Unknown') this.verdict = { result, operations: n, text: `porcupine gave up after ${checkTimeoutMs / 1000} s on ${n} operations` };
    else {
      const why = describeFailure(kvModel, info) ?? 'not linearizable';
      this.verdict = { result, operations: n, text: why };
      if (before !== 'Illegal') this.fail(`the key/value history is not linearizable (porcupine): ${why}`);
    }
  }
}
