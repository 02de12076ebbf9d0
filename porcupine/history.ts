/**
 * Turning what the user hands in into checked partitions of operations: validation of times
 * and of per-client order, event histories to operations, and partitioning.
 */
import { InvalidHistoryError, ModelError, OverlappingOperationsError, describeThrown } from './errors.ts';
import { operationForHumans } from './model.ts';
import type { Event, FullModel, Operation } from './types.ts';

/**
 * Throws `InvalidHistoryError` unless every operation has a finite `call`, a `return` that
 * is not earlier (it may be `Infinity`), and its client has no other operation in flight.
 *
 * Operations of one client that touch (`a.return === b.call`) are accepted: on a coarse or
 * virtual clock that is how back-to-back calls look. Like porcupine, the checker treats
 * equal times as concurrent (calls sort before returns), which can only make it more lenient.
 */
export function validateOperations<S, I, O>(
  model: FullModel<S, I, O>,
  history: readonly Operation<I, O>[],
): void {
  // Per client, the operation with the latest call so far. Recorded histories list each
  // client's operations in call order, so one pass finds any overlap; a client whose
  // operations come out of order gets the full sort below.
  const latest = new Map<number, number>();
  let unordered: Set<number> | undefined;
  let overlap: [number, number] | undefined;
  for (let index = 0; index < history.length; index++) {
    const operation = history[index];
    if (operation === null || typeof operation !== 'object') {
      throw new InvalidHistoryError(
        `history[${index}] is ${String(operation)}, not an operation; ` +
          `every entry needs { clientId, input, call, output, return }.`,
      );
    }
    checkTimes(model, operation, index);
    const clientId = operation.clientId;
    if (typeof clientId !== 'number' || Number.isNaN(clientId)) {
      throw new InvalidHistoryError(
        `history[${index}] (${operationForHumans(model, operation)}) has clientId ` +
          `${String(clientId)}; it must be a number.`,
      );
    }
    const previousIndex = latest.get(clientId);
    if (previousIndex === undefined) {
      latest.set(clientId, index);
      continue;
    }
    const previous = history[previousIndex]!;
    if (operation.call > previous.call || (operation.call === previous.call && operation.return >= previous.return)) {
      if (overlap === undefined && operation.call < previous.return) overlap = [previousIndex, index];
      latest.set(clientId, index);
    } else {
      (unordered ??= new Set()).add(clientId);
    }
  }
  if (unordered !== undefined) {
    const byClient = new Map<number, number[]>();
    for (let index = 0; index < history.length; index++) {
      const clientId = history[index]!.clientId;
      if (!unordered.has(clientId)) continue;
      const indices = byClient.get(clientId);
      if (indices === undefined) byClient.set(clientId, [index]);
      else indices.push(index);
    }
    for (const [clientId, indices] of byClient) checkClientSequential(model, history, clientId, indices);
  }
  if (overlap !== undefined) checkClientSequential(model, history, history[overlap[0]]!.clientId, overlap);
}

function checkTimes<S, I, O>(model: FullModel<S, I, O>, operation: Operation<I, O>, index: number): void {
  const { call, return: ret } = operation;
  if (typeof call !== 'number' || !Number.isFinite(call)) {
    throw new InvalidHistoryError(
      `history[${index}] (${operationForHumans(model, operation)}) has call time ${String(call)}; ` +
        `it must be a finite number.`,
    );
  }
  if (typeof ret !== 'number' || Number.isNaN(ret)) {
    throw new InvalidHistoryError(
      `history[${index}] (${operationForHumans(model, operation)}) has return time ${String(ret)}; ` +
        `it must be a number (Infinity for an operation that never returned).`,
    );
  }
  if (ret < call) {
    throw new InvalidHistoryError(
      `history[${index}] (${operationForHumans(model, operation)}) returns before it is called ` +
        `(return ${ret} < call ${call}); stamp both times from the same monotonic clock.`,
    );
  }
}

function checkClientSequential<S, I, O>(
  model: FullModel<S, I, O>,
  history: readonly Operation<I, O>[],
  clientId: number,
  indices: number[],
): void {
  indices.sort((a, b) => history[a].call - history[b].call || history[a].return - history[b].return || a - b);
  for (let k = 1; k < indices.length; k++) {
    const first = history[indices[k - 1]];
    const second = history[indices[k]];
    if (second.call < first.return) {
      throw new OverlappingOperationsError(
        `client ${clientId} has two operations in flight at once: ` +
          `history[${indices[k - 1]}] ${operationForHumans(model, first)} and ` +
          `history[${indices[k]}] ${operationForHumans(model, second)}. ` +
          `A client's operations must be sequential: give each concurrent caller its own clientId, ` +
          `and a fresh one after an operation whose outcome is unknown.`,
        clientId,
        indices[k - 1],
        indices[k],
      );
    }
  }
}

/** An event history as operations, plus where each event id went. */
export interface ConvertedEvents<I, O> {
  /** Operations in the order of their call events; times are event positions. */
  readonly operations: Operation<I, O>[];
  /** Event id → index in `operations`. */
  readonly indexById: Map<number, number>;
}

/**
 * Converts events to operations whose `call` and `return` are the events' positions, which
 * keeps exactly the real-time order the events express. Throws `InvalidHistoryError` on an
 * unmatched, repeated or misattributed event.
 */
export function eventsToOperations<I, O>(events: readonly Event<I, O>[]): ConvertedEvents<I, O> {
  interface Pending {
    clientId: number;
    input: I;
    call: number;
    output?: O;
    return?: number;
  }
  const pendingById = new Map<number, Pending>();
  const order: number[] = [];
  for (let position = 0; position < events.length; position++) {
    const event = events[position];
    if (event === null || typeof event !== 'object') {
      throw new InvalidHistoryError(`events[${position}] is ${String(event)}, not an event.`);
    }
    const known = pendingById.get(event.id);
    if (event.kind === 'call') {
      if (known !== undefined) {
        throw new InvalidHistoryError(
          `events[${position}] calls operation id ${event.id} again (first call at events[${known.call}]); ` +
            `every operation needs its own id.`,
        );
      }
      pendingById.set(event.id, { clientId: event.clientId, input: event.value, call: position });
      order.push(event.id);
    } else if (event.kind === 'return') {
      if (known === undefined) {
        throw new InvalidHistoryError(
          `events[${position}] returns operation id ${event.id}, which was never called before it; ` +
            `a return event must come after its call event.`,
        );
      }
      if (known.return !== undefined) {
        throw new InvalidHistoryError(
          `events[${position}] returns operation id ${event.id} a second time ` +
            `(first return at events[${known.return}]).`,
        );
      }
      if (event.clientId !== known.clientId) {
        throw new InvalidHistoryError(
          `events[${position}] returns operation id ${event.id} for client ${event.clientId}, ` +
            `but client ${known.clientId} called it (events[${known.call}]).`,
        );
      }
      known.output = event.value;
      known.return = position;
    } else {
      throw new InvalidHistoryError(
        `events[${position}] has kind ${quoteKind(event)}; it must be 'call' or 'return'.`,
      );
    }
  }
  const operations: Operation<I, O>[] = [];
  const indexById = new Map<number, number>();
  for (const id of order) {
    const pending = pendingById.get(id)!;
    if (pending.return === undefined) {
      throw new InvalidHistoryError(
        `operation id ${id} (client ${pending.clientId}) is called at events[${pending.call}] but never returns; ` +
          `add its return event, or drop the call (a write with an unknown outcome can be checked ` +
          `as an Operation with return: Infinity).`,
      );
    }
    indexById.set(id, operations.length);
    operations.push({
      clientId: pending.clientId,
      input: pending.input,
      call: pending.call,
      output: pending.output as O,
      return: pending.return,
    });
  }
  return { operations, indexById };
}

function quoteKind(event: { kind?: unknown }): string {
  return JSON.stringify(String(event.kind));
}

/** `model.partition(history)`, checked to keep every operation. */
export function partitionOperations<S, I, O>(
  model: FullModel<S, I, O>,
  history: readonly Operation<I, O>[],
): Operation<I, O>[][] {
  let parts: Operation<I, O>[][];
  try {
    parts = model.partition(history);
  } catch (error) {
    throw new ModelError(`model.partition threw: ${describeThrown(error)}`, { cause: error });
  }
  if (!Array.isArray(parts)) {
    throw new ModelError(`model.partition must return an array of arrays of operations, got ${typeof parts}.`);
  }
  let total = 0;
  for (const part of parts) total += part.length;
  if (total !== history.length) {
    throw new ModelError(
      `model.partition returned ${total} operations in all for a history of ${history.length}; ` +
        `it must put every operation in exactly one part.`,
    );
  }
  return parts;
}

/** `model.partitionEvent(events)` mapped onto the converted operations, checked the same way. */
export function partitionEventOperations<S, I, O>(
  model: FullModel<S, I, O>,
  events: readonly Event<I, O>[],
  converted: ConvertedEvents<I, O>,
): Operation<I, O>[][] {
  if (model.partitionEvent === undefined) return partitionOperations(model, converted.operations);
  let parts: Event<I, O>[][];
  try {
    parts = model.partitionEvent(events);
  } catch (error) {
    throw new ModelError(`model.partitionEvent threw: ${describeThrown(error)}`, { cause: error });
  }
  const partOf = new Int32Array(converted.operations.length).fill(-1);
  const result: Operation<I, O>[][] = [];
  for (let partIndex = 0; partIndex < parts.length; partIndex++) {
    const operations: Operation<I, O>[] = [];
    for (const event of parts[partIndex]) {
      const index = converted.indexById.get(event.id);
      if (index === undefined) {
        throw new ModelError(`model.partitionEvent returned an event with unknown id ${event.id}.`);
      }
      if (partOf[index] === partIndex) continue; // its other event
      if (partOf[index] !== -1) {
        throw new ModelError(
          `model.partitionEvent put operation id ${event.id} in parts ${partOf[index]} and ${partIndex}; ` +
            `both events of an operation must go to the same part.`,
        );
      }
      partOf[index] = partIndex;
      operations.push(converted.operations[index]);
    }
    result.push(operations);
  }
  const lost = partOf.indexOf(-1);
  if (lost !== -1) {
    throw new ModelError(
      `model.partitionEvent left out operation events[${converted.operations[lost].call}]; ` +
        `it must put every event in a part.`,
    );
  }
  return result;
}
