/**
 * The threaded executor: nodes run on a pool of Deno Workers, as soon as
 * their inputs are ready (the async executor's schedule), at most one per
 * worker. A worker imports the node's module and calls its export; values
 * cross by structured clone, large buffers by transfer where safe.
 *
 * @module
 */
import { WorkerError } from "../errors.ts";
import type { Plan, PlanNode } from "../plan.ts";
import type { Run } from "../run.ts";
import { Schedule } from "./concurrent.ts";
import {
  checkConcurrency,
  type Executor,
  type ExecutorOptions,
} from "./executor.ts";
import { type Origin, originOf } from "./_origin.ts";
import { RemoteFailure, type TaskHandle, type WorkerPool } from "./pool.ts";

/** Runs each node on a worker of a pool. */
export class ThreadedExecutor implements Executor {
  /** Always `"threaded"`. */
  readonly kind = "threaded" as const;
  /** How many nodes of one run may run at once (the pool's size by default). */
  readonly concurrency: number;
  /** The workers. */
  readonly pool: WorkerPool;
  readonly #origins = new WeakMap<Plan, Promise<Origin[]>>();

  /** Creates the executor on `pool`. */
  constructor(pool: WorkerPool, options: ExecutorOptions = {}) {
    this.pool = pool;
    this.concurrency = checkConcurrency(options.concurrency ?? pool.size);
  }

  /** Runs every node of `run.plan` on the pool. */
  async execute(run: Run): Promise<unknown[]> {
    let origins: Origin[];
    try {
      origins = await this.#originsOf(run.plan);
    } catch (error) {
      run.stop(error as Error);
      throw error;
    }
    const halted = run.halted();
    if (halted !== undefined) throw halted;
    const tasks = new Set<TaskHandle>();
    const signal = run.signal;
    // Cancellation terminates the workers busy with this run at once: a
    // CPU-bound node cannot be interrupted any other way.
    const onAbort = () => {
      const error = run.cancellation()!;
      for (const task of tasks) task.cancel(error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await new Promise<unknown[]>((resolve, reject) => {
        new Schedule(
          run,
          this.concurrency,
          resolve,
          reject,
          (node, values) => this.#call(run, node, values, origins, tasks),
        ).pump();
      });
    } finally {
      signal?.removeEventListener("abort", onAbort);
      // A failed run leaves siblings running: their values are not needed.
      if (tasks.size > 0) {
        const error = run.stopped ??
          new WorkerError(`Run ${run.runId} ended`);
        for (const task of tasks) task.cancel(error);
      }
    }
  }

  /** Terminates the pool's workers. */
  close(): Promise<void> {
    return this.pool.close();
  }

  #originsOf(plan: Plan): Promise<Origin[]> {
    let origins = this.#origins.get(plan);
    if (origins === undefined) {
      origins = Promise.all(plan.nodes.map((n) => originOf(n.spec)));
      this.#origins.set(plan, origins);
    }
    return origins;
  }

  #call(
    run: Run,
    node: PlanNode,
    values: unknown[],
    origins: readonly Origin[],
    tasks: Set<TaskHandle>,
  ): Promise<unknown> {
    const origin = origins[node.index]!;
    const transfer: ArrayBuffer[] = [];
    const args = argumentsFor(run.plan, node, values, transfer);
    const handle = this.pool.run({
      type: "call",
      node: taskNode(node, origin),
      args,
      runId: run.runId,
      item: run.item,
    }, {
      label: `node "${node.name}"`,
      nodeName: node.name,
      transfer,
      onLog: (log) => run.context(node).log(log.message, log.data),
    });
    tasks.add(handle);
    return handle.promise.then(
      (value) => {
        tasks.delete(handle);
        return value;
      },
      (error) => {
        tasks.delete(handle);
        throw error instanceof RemoteFailure ? error.error : error;
      },
    );
  }
}

/** What a worker needs to find and call `node`. */
export function taskNode(node: PlanNode, origin: Origin) {
  return {
    url: origin.url,
    exportName: origin.exportName,
    nodeName: node.name,
    callStyle: node.callStyle,
    ctxIndex: node.ctxIndex,
    tags: node.tags,
  };
}

/** Buffers smaller than this are copied: a transfer costs more. */
export const TRANSFER_BYTES = 64 * 1024;

// A node's arguments, positional or by name. A large buffer goes by
// transfer (it is detached here) only when nothing else can read it: it is
// another node's value, this node is its only consumer, and it was not
// requested as an output.
function argumentsFor(
  plan: Plan,
  node: PlanNode,
  values: readonly unknown[],
  transfer: ArrayBuffer[],
): unknown[] | Record<string, unknown> {
  const slots = node.argSlots;
  const keys = node.argKeys;
  const positional = node.callStyle === "positional";
  const args: unknown[] | Record<string, unknown> = positional
    ? new Array(slots.length)
    : {};
  for (let k = 0; k < slots.length; k++) {
    const s = slots[k]!;
    if (s < 0) {
      if (positional) (args as unknown[])[k] = undefined;
      continue;
    }
    const value = values[s];
    if (positional) (args as unknown[])[k] = value;
    else (args as Record<string, unknown>)[keys[k]!] = value;
    const buffer = value instanceof ArrayBuffer
      ? value
      : ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer
      ? value.buffer
      : undefined;
    if (
      buffer !== undefined && buffer.byteLength >= TRANSFER_BYTES &&
      s < plan.nodes.length && plan.nodes[s]!.dependents.length === 1 &&
      !plan.outputSlots.includes(s) && !transfer.includes(buffer)
    ) {
      transfer.push(buffer);
    }
  }
  return args;
}
