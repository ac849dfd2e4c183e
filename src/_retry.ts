// Retries: a node whose policy allows it is started again when it fails,
// after its backoff, until an attempt succeeds or the attempts run out (the
// last failure is the node's). The scheduler calls nodes through here only
// when they have a policy, so other nodes pay nothing.
import { isThenable } from "./_thenable.ts";
import { CancelledError, HookError } from "./errors.ts";
import type { RetryPolicy } from "./modifiers/retry.ts";
import type { Plan, PlanNode } from "./plan.ts";
import type { Run } from "./run.ts";

// Whether any node of a plan has a policy of its own, found once per plan.
const planRetries = new WeakMap<Plan, boolean>();

/** Whether any node of `run` may be retried: if not, none is looked at. */
export function mayRetry(run: Run): boolean {
  if (run.runner?.retry !== undefined) return true;
  let found = planRetries.get(run.plan);
  if (found === undefined) {
    found = run.plan.nodes.some((node) => node.spec.retry !== undefined);
    planRetries.set(run.plan, found);
  }
  return found;
}

/** The policy that applies to `node` in `run`, if any. */
export function retryPolicyOf(
  run: Run,
  node: PlanNode,
): RetryPolicy | undefined {
  if (node.kind !== "task") return undefined;
  const policy = node.spec.retry ?? run.runner?.retry;
  return policy !== undefined && policy.attempts > 1 ? policy : undefined;
}

/**
 * Calls `call` (one attempt at `node`) and, while it fails and `policy`
 * allows, again after the backoff: the first success's value, or the last
 * failure; a promise as soon as any attempt returned one or failed.
 */
export function withRetries(
  run: Run,
  node: PlanNode,
  policy: RetryPolicy,
  call: () => unknown,
): unknown {
  let value: unknown;
  try {
    value = call();
  } catch (error) {
    return again(run, node, policy, call, error);
  }
  return isThenable(value)
    ? Promise.resolve(value).catch((error) =>
      again(run, node, policy, call, error)
    )
    : value;
}

// After a failed attempt: the next one, or the failure.
async function again(
  run: Run,
  node: PlanNode,
  policy: RetryPolicy,
  call: () => unknown,
  error: unknown,
): Promise<unknown> {
  for (;;) {
    const attempt = run.attemptOf(node);
    if (!worthAnother(run, policy, attempt, error)) throw error;
    await backoff(run, policy, attempt);
    run.nextAttempt(node);
    try {
      return await call();
    } catch (failure) {
      error = failure;
    }
  }
}

function worthAnother(
  run: Run,
  policy: RetryPolicy,
  attempt: number,
  error: unknown,
): boolean {
  if (attempt >= policy.attempts || run.halted() !== undefined) return false;
  if (error instanceof HookError || error instanceof CancelledError) {
    return false;
  }
  if (policy.retryOn === undefined) return true;
  try {
    return policy.retryOn(error) === true;
  } catch {
    return false; // a check that fails is a no
  }
}

// Waits the policy's backoff after attempt `attempt`; rejects at once with
// the run's failure or cancellation if it stops meanwhile.
function backoff(
  run: Run,
  policy: RetryPolicy,
  attempt: number,
): Promise<void> {
  const { backoffMs = 0 } = policy;
  const ms = typeof backoffMs === "function" ? backoffMs(attempt) : backoffMs;
  if (!(ms > 0)) return Promise.resolve();
  const signal = run.stopSignal;
  return new Promise<void>((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(run.halted() ?? signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, Math.min(ms, 2 ** 31 - 1));
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
}
