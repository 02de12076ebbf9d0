import { UsageError } from './errors.ts';

/**
 * The one place where `--trace FILE` is honoured. Tracing (trace/) is not wired into the test
 * worker yet: when RunSpec gains a trace option, pass it through here, from `lab replay` and
 * from `lab stress` (which then keeps the trace of each failing run beside its report).
 */
export function checkTraceRequest(file: string | undefined): void {
  if (file === undefined) return;
  throw new UsageError(`tracing is not available yet: --trace ${file} cannot be honoured; rerun without --trace`);
}
