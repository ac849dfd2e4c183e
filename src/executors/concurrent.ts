/**
 * The async executor: a node starts as soon as its own inputs are ready, not
 * when its generation is done. With a concurrency limit, ready nodes wait in
 * a priority queue, longest remaining path first. Sync nodes complete inline
 * in a loop (never by recursion), so a 100,000-node chain cannot overflow.
 *
 * @module
 */
import { isThenable, type Run } from "../run.ts";
import type { PlanNode } from "../plan.ts";
import { type Heap, readyQueue } from "./_heap.ts";
import {
  checkConcurrency,
  type Executor,
  type ExecutorOptions,
} from "./executor.ts";

/** Runs nodes concurrently on the event loop. */
export class ConcurrentExecutor implements Executor {
  /** Always `"async"`. */
  readonly kind = "async" as const;
  /** How many nodes may run at once. */
  readonly concurrency: number;

  /** Creates the executor; `concurrency` defaults to unbounded. */
  constructor(options: ExecutorOptions = {}) {
    this.concurrency = checkConcurrency(options.concurrency ?? Infinity);
  }

  /** Runs every node of `run.plan` as soon as its inputs are ready. */
  execute(run: Run): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      new Schedule(run, this.concurrency, resolve, reject).pump();
    });
  }
}

// A started node whose promise is yet to be awaited.
interface Pending {
  readonly node: PlanNode;
  readonly promise: PromiseLike<unknown>;
}

// The bookkeeping of one run: remaining dependency counts, the ready queue,
// how many nodes are in flight. Lives exactly as long as the run.
class Schedule {
  readonly #run: Run;
  readonly #nodes: readonly PlanNode[];
  readonly #limit: number;
  readonly #remaining: number[];
  // Unbounded: every ready node starts at once, so a plain stack will do;
  // bounded: a heap, longest remaining path first.
  readonly #stack: number[] | undefined;
  readonly #heap: Heap<number> | undefined;
  readonly #resolve: (values: unknown[]) => void;
  readonly #reject: (error: Error) => void;
  #running = 0;
  #done = 0;
  #settled = false;

  constructor(
    run: Run,
    limit: number,
    resolve: (values: unknown[]) => void,
    reject: (error: Error) => void,
  ) {
    const plan = run.plan;
    this.#run = run;
    this.#nodes = plan.nodes;
    this.#limit = limit;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#remaining = plan.dependencyCounts.slice();
    if (limit === Infinity) {
      this.#stack = plan.roots.slice();
    } else {
      this.#heap = readyQueue(this.#nodes);
      for (const root of plan.roots) this.#heap.push(root);
    }
  }

  // Starts ready nodes until the limit is reached or none is ready; sync
  // results release their dependents into the same loop.
  pump(): void {
    this.#launch(false);
  }

  // pump()'s loop. With `keep`, the first node that returns a promise is
  // handed back for the caller to await, rather than given an awaiting
  // strand of its own: a chain of async nodes then runs on one strand, with
  // no new async frame per node.
  #launch(keep: boolean): Pending | undefined {
    const run = this.#run;
    const signal = run.signal;
    const stack = this.#stack;
    const heap = this.#heap;
    let kept: Pending | undefined;
    while (!this.#settled) {
      if (run.stopped !== undefined) {
        this.#finish(run.stopped);
        return undefined;
      }
      if (signal?.aborted) {
        this.#finish(run.cancellation());
        return undefined;
      }
      if (this.#running >= this.#limit) break;
      const next = stack !== undefined ? stack.pop() : heap!.pop();
      if (next === undefined) break;
      const node = this.#nodes[next]!;
      let value: unknown;
      try {
        value = run.invoke(node);
      } catch (error) {
        this.#finish(run.fail(node, error));
        return undefined;
      }
      if (isThenable(value)) {
        this.#running++;
        if (keep && kept === undefined) kept = { node, promise: value };
        else void this.#strand(node, value);
      } else {
        this.#complete(node, value);
      }
    }
    if (this.#done === this.#nodes.length) this.#finish(run.stopped);
    return this.#settled ? undefined : kept;
  }

  // Awaits a node's promise, completes it, and goes on with a node it
  // releases, if one returns a promise. (Awaiting is cheaper than then()
  // with two closures.)
  async #strand(node: PlanNode, promise: PromiseLike<unknown>): Promise<void> {
    for (;;) {
      let value: unknown;
      try {
        value = await promise;
      } catch (error) {
        this.#running--;
        this.#finish(this.#run.fail(node, error));
        return;
      }
      this.#running--;
      if (this.#settled) return;
      this.#complete(node, value);
      const next = this.#launch(true);
      if (next === undefined) return;
      node = next.node;
      promise = next.promise;
    }
  }

  #complete(node: PlanNode, value: unknown): void {
    this.#run.values[node.index] = value;
    this.#done++;
    const dependents = node.dependents;
    for (let k = 0; k < dependents.length; k++) {
      const d = dependents[k]!;
      if (--this.#remaining[d]! === 0) {
        if (this.#stack !== undefined) this.#stack.push(d);
        else this.#heap!.push(d);
      }
    }
  }

  #finish(error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    if (error === undefined) this.#resolve(this.#run.values);
    else this.#reject(error);
  }
}
