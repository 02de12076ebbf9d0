/**
 * Where the tester's own lines (the "Test (2A): ..." and "... Passed" lines, warnings) go.
 * In a worker they are collected and sent back with the result, so the test runner shows them
 * with the right test; in-process they are printed at once.
 */
let collector: string[] | undefined;

/** Prints one tester line. */
export function print(line: string): void {
  if (collector !== undefined) collector.push(line);
  else process.stdout.write(`${line}\n`);
}

/** Starts collecting lines instead of printing them; returns the array they go into. */
export function collectOutput(): string[] {
  collector = [];
  return collector;
}

/** Stops collecting; lines print at once again. */
export function stopCollecting(): void {
  collector = undefined;
}
