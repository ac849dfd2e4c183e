/**
 * The sequential executor: one call at a time, in this thread. With it the
 * scheduler walks the plan's serial order, and a sync node is called and
 * stored without a promise.
 *
 * @module
 */
import type { Executor, ExecutorCall } from "./executor.ts";

/**
 * Runs one node at a time, in this thread, in braid's scheduling order.
 *
 * @example
 * ```ts
 * import { Builder, SequentialExecutor } from "@braid/braid";
 * const dr = await new Builder()
 *   .withModules({ a: () => 1 })
 *   .withExecutor(new SequentialExecutor())
 *   .build();
 * console.assert((await dr.execute(["a"])).a === 1);
 * ```
 */
export class SequentialExecutor implements Executor {
  /** Always `"sequential"`. */
  readonly name = "sequential" as const;
  /** Always 1. */
  readonly concurrency = 1;

  /** Runs the call here. */
  run(call: ExecutorCall): unknown {
    return call.execute();
  }
}
