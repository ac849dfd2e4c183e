// Finding the hook error behind a failure: observability adapters report
// a failing hook on its own (as a log line, a span event), once.
import { HookError } from "../errors.ts";

/**
 * The hook error that failed a run: the error itself, or one it wraps (a
 * node's failure, a nested run's, one of several collected).
 */
export function hookErrorIn(
  error: unknown,
  depth = 0,
): HookError | undefined {
  if (error instanceof HookError) return error;
  if (!(error instanceof Error) || depth > 8) return undefined;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = hookErrorIn(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return hookErrorIn(error.cause, depth + 1);
}
