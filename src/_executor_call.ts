// One node's call as the scheduler hands it to an executor that runs calls
// its own way (on a worker, say): what the public ExecutorCall shows, plus
// what braid's own executors reach for (the run and the plan node).
import type { Carry, ExecutorCall } from "./executors/executor.ts";
import type { PlanNode } from "./plan.ts";
import type { Run } from "./run.ts";
import type { Tags } from "./node.ts";
import { wireArguments } from "./_call.ts";

/** One node's call, as an executor sees it. */
export class Call implements ExecutorCall {
  /** The run the call belongs to. */
  readonly run: Run;
  /** The node to call. */
  readonly node: PlanNode;

  /**
   * Set by the executor while the call waits or runs elsewhere: how to
   * withdraw it when the run stops.
   */
  onAbort: ((reason: Error) => void) | undefined;
  #controller: AbortController | undefined;

  /** Wraps `node` of `run`. */
  constructor(run: Run, node: PlanNode) {
    this.run = run;
    this.node = node;
  }

  /** Tells the executor the run stopped. */
  abort(reason: Error): void {
    this.#controller?.abort(reason);
    this.onAbort?.(reason);
  }

  /** The run's id. */
  get runId(): string {
    return this.run.runId;
  }

  /** The node's name. */
  get nodeName(): string {
    return this.node.name;
  }

  /** The node's tags. */
  get tags(): Tags {
    return this.node.tags;
  }

  /** The map item, if any. */
  get item(): number | undefined {
    return this.run.item;
  }

  /** Aborts when the run stops. Made on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      const stopped = this.run.halted();
      if (stopped !== undefined) this.#controller.abort(stopped);
    }
    return this.#controller.signal;
  }

  /** Runs the call: here, or through `carry`. */
  execute(carry?: Carry): unknown {
    if (carry === undefined) return this.run.invoke(this.node);
    return this.run.invoke(this.node, (node, values, run) =>
      carry({
        args: wireArguments(node, values),
        log: (message, data) => run.log(node, message, data),
      }));
  }
}
