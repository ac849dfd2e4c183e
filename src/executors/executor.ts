/**
 * The executor contract: where and how a ready node's call is carried out.
 * Executors own no scheduling loop: braid's one scheduler decides which
 * ready node starts next and when (dependencies, order, concurrency limit,
 * failure policy, cancellation) and hands each call to the executor the
 * node is routed to.
 *
 * @module
 */
import type { Tags } from "../node.ts";
import type { WorkerPoolOptions } from "./pool.ts";

/** The executors braid ships, by the names that stand for them. */
export type ExecutorKind = "sequential" | "async" | "threaded" | "process";

/** An executor, or the name of a built-in one. */
export type ExecutorLike = ExecutorKind | Executor;

/**
 * Options of an executor given by name. `workers`, `timeoutMs`,
 * `permissions`, `idleMs` and `prestart` configure the worker pool of the
 * `"threaded"` executor and of the `"threaded"` and `"parallel"` map
 * executors; `processes`, `timeoutMs`, `heapLimitMb` and `permissions`
 * the `"process"` executor (see `ProcessExecutorOptions`).
 */
export interface ExecutorOptions extends WorkerPoolOptions {
  /**
   * How many processes the `"process"` executor runs at once.
   *
   * @default {navigator.hardwareConcurrency}
   */
  readonly processes?: number;
  /**
   * The V8 heap limit in MB of each process of the `"process"` executor.
   *
   * @default {V8's own limit}
   */
  readonly heapLimitMb?: number;
  /**
   * How many nodes of one run may run at once (the sequential executor runs
   * one); `map` also runs at most this many items at once, each item bounded
   * the same way.
   *
   * @default {Infinity} for `"async"`, the number of workers for `"threaded"`
   */
  readonly concurrency?: number;
}

/**
 * One ready node's call, as the scheduler hands it to an executor. The
 * executor decides where it runs and calls `execute` exactly once, when the
 * call really starts there: node hooks and the cache run inside `execute`, so
 * they see the real start (after a wait for a worker, say), not the moment
 * the node became ready.
 */
export interface ExecutorCall {
  /** The run's id. */
  readonly runId: string;
  /** The node's name. */
  readonly nodeName: string;
  /** The node's tags. */
  readonly tags: Tags;
  /** The map item index, when the run is one item of a map. */
  readonly item: number | undefined;
  /**
   * Aborts when the run stops (a failure elsewhere, or a cancellation): a
   * call still waiting for a place to run should be withdrawn, and one
   * running elsewhere may be told to stop.
   */
  readonly signal: AbortSignal;
  /**
   * Carries out the call: the node's hooks, the cache, then the node's
   * function. Without `carry`, the function runs here, in this thread;
   * with it, `carry` receives the arguments and resolves with the value
   * computed wherever it sends them. Returns the value, or a promise of it.
   */
  execute(carry?: Carry): unknown;
}

/** Runs a node's function elsewhere: given its arguments, resolves with its value. */
export type Carry = (request: CarriedCall) => unknown;

/** What a {@linkcode Carry} receives. */
export interface CarriedCall {
  /**
   * The node's arguments, without `ctx`: a list for a node with positional
   * parameters, else an object by input name.
   */
  readonly args: unknown[] | Readonly<Record<string, unknown>>;
  /** Emits a `ctx.log` message on the node's behalf. */
  log(message: string, data?: unknown): void;
}

/**
 * Where and how ready nodes' calls are carried out. Implement it to run
 * nodes somewhere new; braid's scheduler keeps at most `concurrency` of a
 * run's calls in flight on it and gives it each call with `run`.
 *
 * @example A custom executor that runs calls here and counts them
 * ```ts
 * import { Builder, type Executor, type ExecutorCall } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * class Counting implements Executor {
 *   readonly name = "counting";
 *   readonly concurrency = 4;
 *   calls = 0;
 *   run(call: ExecutorCall): unknown {
 *     this.calls++;
 *     return call.execute();
 *   }
 * }
 * const executor = new Counting();
 * const dr = await new Builder()
 *   .withModules({ a: () => 1, b: ({ a }: { a: number }) => a + 1 })
 *   .withExecutor(executor)
 *   .build();
 * assert.deepEqual(await dr.execute(["b"]), { b: 2 });
 * assert.equal(executor.calls, 2);
 * ```
 */
export interface Executor {
  /** A name for messages, `exportExecution()` and routing errors. */
  readonly name: string;
  /**
   * How many calls of one run may be in flight on it at once: a positive
   * integer or `Infinity`.
   */
  readonly concurrency: number;
  /**
   * Carries out `call` (by calling `call.execute`, here or with a
   * {@linkcode Carry}); returns its value or a promise of it. A throw or
   * rejection is the node's failure.
   */
  run(call: ExecutorCall): unknown;
  /** Gets ready ahead of the first call (starts workers, say). */
  warm?(): Promise<void>;
  /** Releases what it holds (workers, connections); the driver's `close()` calls it. */
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

/** Checks that `executor` implements the contract, in std style. */
export function checkExecutor(executor: Executor, label = "executor"): void {
  if (typeof executor !== "object" || executor === null) {
    throw new TypeError(
      `'${label}' must be an executor or an executor's name: received ${executor}`,
    );
  }
  if (typeof executor.run !== "function") {
    throw new TypeError(
      `'${label}' must have a run(call) method: received ${
        executor.name ?? executor
      }`,
    );
  }
  if (typeof executor.name !== "string" || executor.name === "") {
    throw new TypeError(
      `'${label}.name' must be a non-empty string: received ${executor.name}`,
    );
  }
  checkConcurrency(executor.concurrency);
}

/**
 * Resolves as `done` does, or rejects with `cancelled()` as soon as `signal`
 * aborts, so a node that ignores its signal cannot hold a cancelled run open.
 * One listener per run (or per map): the scheduler itself only polls
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
