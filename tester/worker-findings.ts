import type { LoopFinding, LoopKind } from './worker-inspect.ts';
import { formatLocation } from './worker-frames.ts';

/**
 * The words of the watchdog's verdicts: one headline that fits a summary line, then what the
 * kind of loop means and what to do about it.
 */

export interface StuckContext {
  limitMs: number;
  virtualMs: number;
  server: string | undefined;
}

/** The first line of a watchdog report: the kind of loop, where it is, and when it was stopped. */
export function loopHeadline(finding: LoopFinding | undefined, context: StuckContext): string {
  const when = `stopped after ${context.limitMs / 1000} s of real time, at ${(context.virtualMs / 1000).toFixed(3)} s of simulated time${context.server === undefined ? '' : `, server ${context.server}`}`;
  if (finding === undefined) return `the test stopped yielding its thread (a loop that never lets the simulator run); ${when}`;
  const place = finding.where !== undefined ? ` at ${formatLocation(finding.where)}` : finding.stack[0] !== undefined ? ` in the harness at ${formatLocation(finding.stack[0])}` : '';
  return `stuck in ${loopPhrase(finding.kind)}${place}; ${when}`;
}

/** "a synchronous loop", "a microtask spin", "a timer re-armed at the same instant". */
export function loopPhrase(kind: LoopKind): string {
  return kind === 'synchronous' ? 'a synchronous loop' : `a ${kind}`;
}

/** What the loop's kind means and how to fix it, then the stack. */
export function describeLoop(finding: LoopFinding): string {
  const lines: string[] = [];
  if (finding.where === undefined && finding.stack.length > 0) {
    lines.push(
      'The loop is in the harness, which calls your code in a loop: your code returns at once without waiting for anything',
      '(as the unimplemented stubs of the skeleton do), so the loop never yields. Implement it: it must wait for the servers\' replies.',
    );
  } else if (finding.kind === 'microtask spin') {
    lines.push(
      `A microtask spin: the loop awaits, but only promises that are already settled (like "await null" or an async function that`,
      `returns at once; ${finding.reactions} continuations ran in a short sample), so no timer and no message can run and simulated`,
      'time never moves. Wait for time or for an event instead: "await sleep(ms)", an RPC, a Channel receive.',
    );
  } else if (finding.timers > 0) {
    lines.push(
      `A synchronous loop that keeps scheduling timers (${finding.timers} in a short sample) but never awaits them: most likely a`,
      'forgotten await, as in "sleep(10)" instead of "await sleep(10)". Nothing else can run until the loop awaits.',
    );
  } else {
    lines.push('A synchronous loop: a while/for loop that never awaits, so nothing else can run (no RPC, no timer).', 'Wait inside the loop: "await sleep(ms)".');
  }
  if (finding.stack.length > 0) lines.push('stack (innermost first):', ...finding.stack.slice(0, 8).map((l) => `  ${formatLocation(l)}`));
  return lines.join('\n');
}
