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
import type { WorkerPool } from "./pool.ts";
import { ThreadedExecutor } from "./threaded.ts";
import { checkConcurrency, type ExecutorOptions } from "./executor.ts";
import {
  type MapExecutor,
  type MapJob,
  runConcurrently,
} from "./map_executor.ts";
import {
  type Chunk,
  type ChunkCarrier,
  runInChunks,
  type SentChunk,
} from "./_chunked_map.ts";

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
  runItems(job: MapJob): Promise<void> {
    const threaded = this.#threaded;
    return runInChunks(
      job,
      threaded.executor,
      threaded.concurrency,
      () => new WorkerChunks(this.#pool),
    );
  }

  /** Terminates the workers. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

// Chunks on worker threads, one per worker at a time. A chunk shares a
// slot of memory with its worker, which writes where it is before each
// node: a chunk that times out or ends its worker names its node and item.
class WorkerChunks implements ChunkCarrier {
  readonly slots: number;
  readonly chunkSize = undefined;
  readonly #pool: WorkerPool;

  constructor(pool: WorkerPool) {
    this.#pool = pool;
    this.slots = pool.size;
  }

  send(
    chunk: Chunk,
    label: string,
    failed: (error: unknown) => void,
  ): SentChunk {
    const at = new Int32Array(new SharedArrayBuffer(8)).fill(-1);
    const handle = this.#pool.run({ ...chunk, at }, {
      label,
      onFailure: failed,
    });
    return {
      promise: handle.promise as Promise<unknown[][]>,
      cancel: (reason) => handle.cancel(reason),
      at,
    };
  }
}
