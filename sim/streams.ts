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
  /** The same generators in an array: `draws` is read at every simulated event. */
  private readonly all: Rng[] = [];
  /**
   * The place's name by its position in the running code: naming a place takes a formatted
   * stack trace, which goes through the source maps and costs tens of microseconds, while the
   * raw position is cheap. A loop that draws thousands of times names its place once.
   */
  private readonly siteByPosition = new Map<string, string>();

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
    const site = this.perCallSite ? this.siteOf(caller) : 'any';
    let rng = this.streams.get(site);
    if (rng === undefined) {
      rng = new Rng(`${this.seed}#tester@${site}`);
      this.streams.set(site, rng);
      this.all.push(rng);
    }
    return rng;
  }

  private siteOf(caller: (...args: never[]) => unknown): string {
    const position = rawPosition(caller);
    if (position === undefined) return callSite(caller);
    let site = this.siteByPosition.get(position);
    if (site === undefined) {
      site = callSite(caller);
      this.siteByPosition.set(position, site);
    }
    return site;
  }

  /** Numbers drawn from all of them, for the trace hash. */
  get draws(): number {
    let total = 0;
    for (let i = 0; i < this.all.length; i++) total += this.all[i]!.draws;
    return total;
  }
}

/**
 * Where the function that called `caller` was called from, in the code as it runs (no source
 * map): a key for callSite's answer, which is the same for the same position. Undefined if the
 * engine gives no structured frame (then callSite is asked every time).
 */
function rawPosition(caller: (...args: never[]) => unknown): string | undefined {
  const holder: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = 1;
  // A user-set prepareStackTrace gets the raw frames; Node then skips its source-map formatting.
  Error.prepareStackTrace = (_error, frames) => frames;
  try {
    Error.captureStackTrace(holder, caller);
    const frames = holder.stack;
    const frame = Array.isArray(frames) ? (frames[0] as NodeJS.CallSite | undefined) : undefined;
    if (frame === undefined) return undefined;
    return `${frame.getScriptNameOrSourceURL() ?? frame.getFileName() ?? '?'}:${frame.getLineNumber() ?? 0}:${frame.getColumnNumber() ?? 0}`;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
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
