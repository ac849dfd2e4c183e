/**
 * The executor contract: a strategy that walks a plan. Executors only decide
 * when each node starts; the `Run` calls nodes, hooks and records failures.
 *
 * @module
 */
import type { Run } from "../run.ts";
import type { WorkerPoolOptions } from "./pool.ts";

/** The executors braid ships. */
export type ExecutorKind = "sequential" | "async" | "threaded";

/**
 * Options of an executor. `workers`, `timeoutMs`, `permissions` and `idleMs`
 * configure the worker pool of the `"threaded"` executor and of the
 * `"threaded"` and `"parallel"` map executors.
 */
export interface ExecutorOptions extends WorkerPoolOptions {
  /**
   * How many nodes of one run may run at once (the sequential executor runs
   * one); `map` also runs at most this many items at once, each item bounded
   * the same way.
   *
   * @default {Infinity} for `"async"`, the number of workers for `"threaded"`
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
   * Runs every node of `run.plan` and resolves with `run.values`. Rejects
   * with the first failure as soon as it happens, after which no node starts.
   * Checks `run.signal.aborted` before starting each node (and rejects with
   * the cancellation); the runner, not the executor, listens to the signal.
   */
  execute(run: Run): Promise<unknown[]>;
  /** Releases what it holds (workers); the driver's `close()` calls it. */
  close?(): Promise<void>;
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
 * Resolves as `done` does, or rejects with `cancelled()` as soon as `signal`
 * aborts, so a node that ignores its signal cannot hold a cancelled run open.
 * One listener per run (or per map): executors themselves only poll
 * `signal.aborted` before starting a node, which costs nothing per node.
 */
export function raceAbort<T>(
  signal: AbortSignal | undefined,
  done: Promise<T>,
  cancelled: () => Error,
): Promise<T> {
  if (signal === undefined) return done;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      done.catch(() => {}); // settles later; its outcome no longer matters
      reject(cancelled());
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    done.then(
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
