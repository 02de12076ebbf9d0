/**
 * Errors the checker throws for input it cannot judge. A verdict on a valid history is
 * always a `CheckResult`; these mean the history or the model itself is wrong.
 */

/** Base class of every error the checker throws. */
export class PorcupineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The history is malformed: a bad time, an unmatched event, a return before its call. */
export class InvalidHistoryError extends PorcupineError {}

/**
 * One client has two operations in flight at once. The checker refuses such a history
 * rather than silently judging it: a client's operations are sequential by definition, so
 * overlap means the recorder reused a client id (e.g. after giving up on a request). Give each
 * concurrent caller its own `clientId`, and a fresh one after an operation whose outcome is
 * unknown (record that operation with `return: Infinity`).
 */
export class OverlappingOperationsError extends InvalidHistoryError {
  constructor(
    message: string,
    readonly clientId: number,
    /** Index in the history of the operation that started first. */
    readonly firstIndex: number,
    /** Index in the history of the operation that started before the first one returned. */
    readonly secondIndex: number,
  ) {
    super(message);
  }
}

/** The model misbehaved: a partition that loses operations, a `step` that throws. */
export class ModelError extends PorcupineError {}

/** `model.step` threw (or returned something that is not `[ok, newState]`) on one operation. */
export class ModelStepError extends ModelError {
  constructor(
    message: string,
    /** Index of the partition and of the operation within it. */
    readonly partitionIndex: number,
    readonly operationIndex: number,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * The search of one partition needed more memory than the engine would give: too many of
 * its operations overlap for an exhaustive search. A time limit turns this into `Unknown`
 * long before; so does partitioning the history more finely.
 */
export class SearchMemoryError extends PorcupineError {
  constructor(
    /** The partition whose search ran out, and how many operations it has. */
    readonly partitionIndex: number,
    readonly operationCount: number,
  ) {
    super(
      `the search of partition ${partitionIndex} (${operationCount} operations) ran out of memory: too many of its ` +
        `operations overlap for an exhaustive search. Give the check a time limit (checkOperationsTimeout, or ` +
        `checkOperationsVerbose with a timeout above 0: it answers Unknown when the time is up), or partition the ` +
        `history more finely.`,
    );
  }
}

/** A one-line description of any thrown value. */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return `a non-Error value was thrown: ${JSON.stringify(value)}`;
  } catch {
    return `a non-Error value was thrown: ${String(value)}`;
  }
}
