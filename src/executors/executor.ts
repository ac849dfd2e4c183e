/**
 * The executor contract: a strategy that walks a plan. Executors only decide
 * when each node starts; the `Run` calls nodes, hooks and records failures.
 *
 * @module
 */
import type { Run } from "../run.ts";

/** The executors braid ships. */
export type ExecutorKind = "sequential" | "async";

/** Options of an executor. */
export interface ExecutorOptions {
  /**
   * How many nodes (and map items) may run at once. Only the async executor
   * runs more than one.
   *
   * @default {Infinity}
   */
  readonly concurrency?: number;
}

/** A strategy that runs every node of a run's plan. */
export interface Executor {
  /** Its kind. */
  readonly kind: ExecutorKind;
  /** How many nodes (and map items) may run at once. */
  readonly concurrency: number;
  /**
   * Runs every node of `run.plan`; resolves when all have run, rejects with
   * the first failure (or the cancellation) as soon as it happens, after which
   * no node starts.
   */
  execute(run: Run): Promise<void>;
}

/** Checks a `concurrency` option in std style. */
export function checkConcurrency(concurrency: number): number {
  if (
    concurrency !== Infinity &&
    (!Number.isInteger(concurrency) || concurrency < 1)
  ) {
    throw new RangeError(
      `'concurrency' must be a positive integer: received ${concurrency}`,
    );
  }
  return concurrency;
}

/**
 * Resolves with `promise`, or rejects as soon as `run`'s signal aborts, so a
 * node that ignores its signal cannot hold a cancelled run open.
 */
export function raceAbort<T>(run: Run, promise: PromiseLike<T>): Promise<T> {
  const signal = run.signal;
  if (signal === undefined) return Promise.resolve(promise);
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(run.cancellation());
    const onAbort = () => reject(run.cancellation());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
