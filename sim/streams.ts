import { Rng } from './rng.ts';

/**
 * The generators of code that runs for no server (the test body and its helpers): one per
 * place in the code that draws, each seeded by the run's seed and that place. A test body that
 * draws "which server to crash" at one line and "which command to start" at another then keeps
 * its crash choices when an edited schedule changes how many commands it starts. The place is
 * the file's name and the line and column of the caller, read from a short stack trace: these
 * draws are few (hundreds per test), so the trace costs little.
 */
export class CallSiteStreams {
  private readonly streams = new Map<string, Rng>();

  /**
   * `perCallSite` false: one stream for all of them, for hosts whose stack traces differ from
   * Node's (a browser bundle), where a place in the code would not have the same name.
   */
  constructor(
    private readonly seed: string,
    private readonly perCallSite = true,
  ) {}

  /** The generator of the code that called `caller`. */
  at(caller: (...args: never[]) => unknown): Rng {
    const site = this.perCallSite ? callSite(caller) : 'any';
    let rng = this.streams.get(site);
    if (rng === undefined) {
      rng = new Rng(`${this.seed}#tester@${site}`);
      this.streams.set(site, rng);
    }
    return rng;
  }

  /** Numbers drawn from all of them, for the trace hash. */
  get draws(): number {
    let total = 0;
    for (const rng of this.streams.values()) total += rng.draws;
    return total;
  }
}

/** "2C.test.ts:124:11": where the function that called `caller` was called from. */
function callSite(caller: (...args: never[]) => unknown): string {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  try {
    Error.captureStackTrace(holder, caller);
  } finally {
    Error.stackTraceLimit = limit;
  }
  // Line 0 is "Error"; the trace starts below `caller`, so line 1 is the code that called it.
  const frame = holder.stack?.split('\n')[1] ?? '';
  const m = /([^/\\( ]+:\d+:\d+)\)?\s*$/.exec(frame);
  return m?.[1] ?? frame.trim();
}
