/**
 * The async executor: calls run in this thread, concurrently on the event
 * loop: a node starts as soon as its own inputs are ready (and the limit
 * allows), not when its generation is done.
 *
 * @module
 */
import {
  checkConcurrency,
  type Executor,
  type ExecutorCall,
} from "./executor.ts";

/** Options of the async executor. */
export interface AsyncExecutorOptions {
  /**
   * How many nodes of one run may run at once.
   *
   * @default {Infinity}
   */
  readonly concurrency?: number;
}

/**
 * Runs nodes concurrently on the event loop, in this thread.
 *
 * @example
 * ```ts
 * import { AsyncExecutor, Builder } from "@braid/braid";
 * const dr = await new Builder()
 *   .withModules({ a: async () => 1 })
 *   .withExecutor(new AsyncExecutor({ concurrency: 8 }))
 *   .build();
 * console.assert((await dr.execute(["a"])).a === 1);
 * ```
 */
export class AsyncExecutor implements Executor {
  /** Always `"async"`. */
  readonly name = "async" as const;
  /** How many nodes of one run may run at once. */
  readonly concurrency: number;

  /** Creates the executor; `concurrency` defaults to unbounded. */
  constructor(options: AsyncExecutorOptions = {}) {
    this.concurrency = checkConcurrency(options.concurrency ?? Infinity);
  }

  /** Runs the call here. */
  run(call: ExecutorCall): unknown {
    return call.execute();
  }
}
