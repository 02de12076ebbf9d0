/** What a failed check saw; every field is optional, but the more is filled the better the report. */
export interface FailureDetails {
  /** What the check expected, in words or values. */
  expected?: string;
  /** What it saw instead. */
  seen?: string;
  /** The log index concerned, if any. */
  index?: number;
  /** The servers concerned, if any. */
  servers?: number[];
}

/**
 * A failed tester check: the graded test fails with this. `check` names the tester step that
 * failed (e.g. "checkOneLeader", "one", "apply"); the message is 6.5840's.
 */
export class TestFailure extends Error {
  constructor(
    readonly check: string,
    message: string,
    readonly details: FailureDetails = {},
  ) {
    super(message);
    this.name = 'TestFailure';
  }
}

/** Fails the running test from inside a tester check. */
export function fail(check: string, message: string, details: FailureDetails = {}): never {
  throw new TestFailure(check, message, details);
}
