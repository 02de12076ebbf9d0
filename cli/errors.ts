/** A problem with how the command was called or configured (exit code 2), as opposed to failed tests (1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of every command: 0 all good, 1 a test failed (or lost points), 2 a usage or configuration error. */
export const exitCode = { ok: 0, failed: 1, usage: 2 } as const;
