import type { MessageVerdict } from '../labrpc/index.ts';

/**
 * Targeted faults, beyond 6.5840: a test decides the fate of single messages between servers
 * (lose it, hold it back), to make on purpose the unlucky schedules that random faults rarely
 * produce. Used by the 2X tests through `cfg.setFaults(rule)`.
 */

/** One message between two servers, as a fault rule sees it. */
export interface FaultMessage {
  /** The RPC, e.g. "Raft.RequestVote". */
  svcMeth: string;
  /** The server that sends this message (the caller for a request, the callee for a reply). */
  from: number;
  /** The server it is on its way to. */
  to: number;
  direction: 'request' | 'reply';
  /** The message's top-level fields, decoded on demand; undefined if it is not a plain object. */
  fields(): Record<string, unknown> | undefined;
}

/** Decides a message's fate: 'drop', { delayMs }, or 'deliver' / undefined for the usual. */
export type FaultRule = (message: FaultMessage) => MessageVerdict | undefined;

/** A request's or reply's top-level fields, or undefined if it is not an object. */
export function fieldsOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

/** Whether the message is a vote request or its reply (any RPC whose name mentions votes). */
export function isVote(message: FaultMessage): boolean {
  return /vote/i.test(message.svcMeth);
}

/** Whether the message runs between servers a and b, in either direction. */
export function between(message: FaultMessage, a: number, b: number): boolean {
  return (message.from === a && message.to === b) || (message.from === b && message.to === a);
}

/** Whether the message comes from or goes to server s. */
export function touches(message: FaultMessage, s: number): boolean {
  return message.from === s || message.to === s;
}
