/**
 * `retry({ attempts, backoffMs, retryOn })`: how often a failing node is
 * tried again before its failure counts. The scheduler applies it on every
 * executor; `Builder.withRetry(policy)` sets it for nodes without their own.
 *
 * @module
 */
import type { Modifier, NodeSpec } from "../node.ts";

/** When and how often a node that failed is started again. */
export interface RetryPolicy {
  /** How many times the node may start in all, the first included (at least 1). */
  readonly attempts: number;
  /**
   * How long to wait before the next attempt, in milliseconds, or a
   * function of the attempt that just failed (1 for the first).
   * @default {0}
   */
  readonly backoffMs?: number | ((attempt: number) => number);
  /**
   * Whether `error` is worth another attempt. By default every error is,
   * except a hook's failure and a cancellation (those end the run).
   */
  readonly retryOn?: (error: unknown) => boolean;
}

/** The most attempts a policy may ask for. */
export const MAX_ATTEMPTS = 1000;

/** Checks a retry policy given by a caller; returns it frozen. */
export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (typeof policy !== "object" || policy === null) {
    throw new TypeError(
      `A retry policy must be an object { attempts, backoffMs?, retryOn? }: received ${policy}`,
    );
  }
  const { attempts, backoffMs, retryOn } = policy;
  if (
    !Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS
  ) {
    throw new RangeError(
      `'attempts' must be an integer from 1 to ${MAX_ATTEMPTS}: received ${attempts}`,
    );
  }
  if (
    backoffMs !== undefined && typeof backoffMs !== "function" &&
    !(typeof backoffMs === "number" && backoffMs >= 0 &&
      backoffMs <= 2 ** 31 - 1)
  ) {
    throw new RangeError(
      `'backoffMs' must be a number of milliseconds from 0 to 2^31-1, or a function of the attempt: received ${backoffMs}`,
    );
  }
  if (retryOn !== undefined && typeof retryOn !== "function") {
    throw new TypeError(
      `'retryOn' must be a function of the error: received ${retryOn}`,
    );
  }
  return Object.freeze({ ...policy });
}

/**
 * Starts the node again when it fails, up to `attempts` starts in all,
 * waiting `backoffMs` between them. Each attempt fires the node's hooks and
 * events with its `attempt` number; `run()` reports the node's `attempts`.
 *
 * @example
 * ```ts
 * import { Builder, node, retry } from "@braid/braid";
 * let calls = 0;
 * const flaky = node(() => {
 *   if (++calls < 3) throw new Error("try again");
 *   return calls;
 * }, retry({ attempts: 3 }));
 * const dr = await new Builder().withModules({ flaky }).build();
 * console.assert((await dr.execute(["flaky"])).flaky === 3);
 * ```
 */
export function retry(policy: RetryPolicy): Modifier {
  const checked = checkRetryPolicy(policy);
  return Object.freeze({
    kind: "retry",
    phase: "decorate" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      return [{ ...spec, retry: checked }];
    },
  });
}
