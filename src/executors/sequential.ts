/**
 * The sequential executor: one node at a time, in topological-generation
 * order, deterministic. A sync node is called and stored without a promise.
 *
 * @module
 */
import { isThenable, type Run } from "../run.ts";
import type { Executor } from "./executor.ts";

/** Runs nodes one at a time, in topological-generation order. */
export class SequentialExecutor implements Executor {
  /** Always `"sequential"`. */
  readonly kind = "sequential" as const;
  /** Always 1. */
  readonly concurrency = 1;

  /** Runs every node of `run.plan` in order. */
  async execute(run: Run): Promise<unknown[]> {
    const nodes = run.plan.nodes;
    const values = run.values;
    const signal = run.signal;
    for (let i = 0; i < nodes.length; i++) {
      if (run.stopped !== undefined) throw run.stopped;
      if (signal?.aborted) throw run.cancellation();
      const node = nodes[i]!;
      let value: unknown;
      try {
        value = run.invoke(node);
        if (isThenable(value)) value = await value;
      } catch (error) {
        if (run.stopped !== undefined) throw run.stopped;
        throw run.fail(node, error);
      }
      values[i] = value;
    }
    if (run.stopped !== undefined) throw run.stopped; // e.g. a failed onLog hook
    return values;
  }
}
