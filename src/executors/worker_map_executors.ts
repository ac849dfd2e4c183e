/**
 * The map executors that use workers. `"threaded"`: items run concurrently
 * (up to the pool's size by default), each item's nodes as worker tasks.
 * `"parallel"`: whole items run inside workers, in chunks whose size adapts
 * to how long an item takes, so thousands of tiny items do not pay one
 * message each; when items cannot run elsewhere (adapters see every node, a
 * cache serves them, errors are collected, or the plan has fan-out blocks or
 * nested pipelines),
 * they run as `"threaded"` runs them. Both return what the sequential map
 * returns, in order.
 *
 * @module
 */
import {
  CancelledError,
  InputError,
  NodeExecutionError,
  WorkerError,
} from "../errors.ts";
import { pathTo, type Plan } from "../plan.ts";
import { isThenable } from "../run.ts";
import type { Runner } from "../runner.ts";
import { RemoteFailure, type TaskHandle, type WorkerPool } from "./pool.ts";
import type { ChunkTask, TaskNode } from "./_protocol.ts";
import { runsHere, taskNodesOf, ThreadedExecutor } from "./threaded.ts";
import { checkConcurrency, type ExecutorOptions } from "./executor.ts";
import {
  type MapExecutor,
  type MapJob,
  type RemoteItems,
  runConcurrently,
} from "./map_executor.ts";

/** Items run concurrently; each item's nodes run on the workers. */
export class ThreadedMapExecutor implements MapExecutor {
  /** Always `"threaded"`. */
  readonly kind = "threaded" as const;
  /** How many items may run at once (the pool's size by default). */
  readonly concurrency: number;
  /** Runs each item's nodes. */
  readonly executor: ThreadedExecutor;

  /** Creates the executor on `pool`. */
  constructor(pool: WorkerPool, options: ExecutorOptions = {}) {
    this.executor = ThreadedExecutor.onPool(pool, options);
    this.concurrency = checkConcurrency(options.concurrency ?? pool.size);
  }

  /** Runs the items, each item's nodes on the workers. */
  runItems(job: MapJob): Promise<void> {
    const executor = this.executor;
    return runConcurrently(
      job.count,
      this.concurrency,
      job.signal,
      (i) => job.runItem(i, executor),
    );
  }

  /** Terminates the workers. */
  close(): Promise<void> {
    return this.executor.close();
  }
}

// A chunk should keep a worker busy this long: long enough that messaging
// is a small part of it, short enough that the work balances across workers.
const CHUNK_MS = 20;
const FIRST_CHUNK = 16;

/** Whole items run inside workers, in chunks of adaptive size. */
export class ParallelMapExecutor implements MapExecutor {
  /** Always `"parallel"`. */
  readonly kind = "parallel" as const;
  /** How many chunks run at once: the pool's size. */
  readonly concurrency: number;
  readonly #pool: WorkerPool;
  readonly #threaded: ThreadedMapExecutor;

  /** Creates the executor on `pool`. */
  constructor(pool: WorkerPool, options: ExecutorOptions = {}) {
    this.#pool = pool;
    this.concurrency = pool.size;
    this.#threaded = new ThreadedMapExecutor(pool, options);
  }

  /** Runs the items in chunks (or as the threaded map executor does). */
  async runItems(job: MapJob): Promise<void> {
    const remote = job.remote;
    if (
      remote === undefined || job.plan.nodes.some(runsHere)
    ) {
      return await this.#threaded.runItems(job);
    }
    const plan = job.plan;
    // No node runs here (checked above): every one has its descriptor.
    const nodes = await taskNodesOf(plan) as TaskNode[];
    const base = await baseValues(remote, plan, job.signal);
    await new Chunks(this.#pool, plan, remote, nodes, base, job).run();
  }

  /** Terminates the workers. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

// The slot values every item shares: overrides and config.
async function baseValues(
  remote: RemoteItems,
  plan: Plan,
  signal: AbortSignal,
): Promise<unknown[]> {
  const base: unknown[] = new Array(plan.size);
  const overrides = remote.overrides;
  const runner: Runner = remote.runner;
  for (const seed of plan.seeds) {
    if (seed.source === "input") continue;
    const source = seed.source === "override" ? overrides : runner.config;
    let value = source[seed.name];
    if (isThenable(value)) {
      try {
        value = await value;
      } catch (error) {
        throw new InputError(seed.name, error);
      }
    }
    base[seed.slot] = value;
  }
  if (signal.aborted) throw signal.reason;
  return base;
}

// One parallel map: hands out chunks of items to the pool, one chunk per
// worker at a time, and sizes each chunk from how long items took so far.
class Chunks {
  readonly #pool: WorkerPool;
  readonly #plan: Plan;
  readonly #remote: RemoteItems;
  readonly #runId: string;
  // What every chunk of this map sends alike, made once.
  readonly #shape: Pick<ChunkTask, "nodes" | "argKeys" | "argSlots">;
  readonly #base: readonly unknown[];
  readonly #items: readonly Record<string, unknown>[];
  readonly #signal: AbortSignal | undefined;
  readonly #inputNames: string[] = [];
  readonly #inputSlots: Int32Array;
  readonly #running = new Set<TaskHandle>();
  #next = 0;
  #size: number;
  #done = 0;
  #failed = false;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;

  constructor(
    pool: WorkerPool,
    plan: Plan,
    remote: RemoteItems,
    nodes: readonly TaskNode[],
    base: readonly unknown[],
    job: Pick<MapJob, "items" | "signal">,
  ) {
    this.#pool = pool;
    this.#plan = plan;
    this.#remote = remote;
    this.#runId = remote.runId;
    this.#shape = {
      nodes,
      argKeys: plan.nodes.map((n) => n.argKeys),
      argSlots: plan.nodes.map((n) => n.argSlots),
    };
    this.#base = base;
    const items = this.#items = job.items;
    this.#signal = job.signal;
    const slots: number[] = [];
    for (const seed of plan.seeds) {
      if (seed.source !== "input") continue;
      this.#inputNames.push(seed.name);
      slots.push(seed.slot);
    }
    this.#inputSlots = Int32Array.from(slots);
    this.#size = Math.max(
      1,
      Math.min(FIRST_CHUNK, Math.ceil(items.length / (4 * pool.size))),
    );
  }

  // Resolves once every item's outputs went to `remote.done`.
  run(): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const signal = this.#signal;
    const onAbort = () =>
      this.#fail(new CancelledError(this.#runId, signal?.reason));
    if (signal?.aborted) onAbort();
    else {
      signal?.addEventListener("abort", onAbort, { once: true });
      for (let w = 0; w < this.#pool.size && !this.#failed; w++) {
        void this.#send();
      }
    }
    return promise.finally(() => signal?.removeEventListener("abort", onAbort));
  }

  async #send(): Promise<void> {
    const first = this.#next;
    if (first >= this.#items.length || this.#failed) return;
    const count = Math.min(this.#size, this.#items.length - first);
    this.#next += count;
    let columns: unknown[][];
    try {
      columns = await this.#columns(first, count);
    } catch (error) {
      return this.#fail(error);
    }
    if (this.#failed) return;
    const plan = this.#plan;
    const start = performance.now();
    // Where the chunk is, read if its worker never answers.
    const at = new Int32Array(new SharedArrayBuffer(8)).fill(-1);
    const handle = this.#pool.run({
      type: "chunk",
      runId: this.#runId,
      ...this.#shape,
      base: this.#base,
      inputSlots: this.#inputSlots,
      columns,
      count,
      firstItem: first,
      outputSlots: plan.outputSlots,
      at,
    }, {
      label: `map items ${first} to ${first + count - 1}`,
      // A chunk that fails withdraws the others at once, before its worker
      // (or another) takes a chunk still queued in the pool.
      onFailure: (error) => this.#fail(this.#error(error, first, at)),
    });
    this.#running.add(handle);
    let outputs: unknown[][];
    try {
      outputs = await handle.promise as unknown[][];
    } catch (error) {
      this.#running.delete(handle);
      return this.#fail(this.#error(error, first, at));
    } finally {
      this.#running.delete(handle);
    }
    if (this.#failed) return;
    const names = plan.finalVars;
    const remote = this.#remote;
    for (let i = 0; i < count; i++) {
      const out: Record<string, unknown> = {};
      for (let k = 0; k < names.length; k++) out[names[k]!] = outputs[k]![i];
      remote.done(first + i, out);
    }
    this.#done += count;
    if (this.#done === this.#items.length) return this.#resolve();
    this.#adapt((performance.now() - start) / count);
    return this.#send();
  }

  // The next chunk keeps a worker busy about CHUNK_MS, and never takes more
  // than its share of what is left, so the last chunks balance.
  #adapt(msPerItem: number): void {
    const left = this.#items.length - this.#next;
    const share = Math.max(1, Math.ceil(left / this.#pool.size));
    const wanted = Math.round(CHUNK_MS / Math.max(msPerItem, 1e-6));
    this.#size = Math.max(1, Math.min(wanted, share));
  }

  // Per input, the values of items first..first+count-1; promises settled.
  async #columns(first: number, count: number): Promise<unknown[][]> {
    const names = this.#inputNames;
    const columns: unknown[][] = names.map(() => new Array(count));
    let pending: Promise<unknown>[] | undefined;
    for (let i = 0; i < count; i++) {
      const item = this.#items[first + i]!;
      for (let k = 0; k < names.length; k++) {
        const values = columns[k]!;
        const value = item[names[k]!];
        values[i] = value;
        if (isThenable(value)) {
          (pending ??= []).push(
            Promise.resolve(value).then(
              (v) => (values[i] = v),
              (error) => {
                throw new InputError(names[k]!, error, first + i);
              },
            ),
          );
        }
      }
    }
    if (pending !== undefined) await Promise.all(pending);
    return columns;
  }

  #error(error: unknown, first: number, at: Int32Array): unknown {
    if (error instanceof WorkerError && Atomics.load(at, 1) >= 0) {
      // The worker timed out or ended inside a node: name it and the item.
      const node = this.#plan.nodes[Atomics.load(at, 1)]!;
      return new NodeExecutionError(
        node.name,
        this.#runId,
        pathTo(this.#plan, node),
        error,
        first + Atomics.load(at, 0),
      );
    }
    if (!(error instanceof RemoteFailure)) return error;
    const node = this.#plan.nodes[error.node ?? 0]!;
    return new NodeExecutionError(
      node.name,
      this.#runId,
      pathTo(this.#plan, node),
      error.error,
      error.item,
    );
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    for (const handle of this.#running) handle.cancel(error as Error);
    this.#running.clear();
    this.#reject(error);
  }
}
