/**
 * The `"parallel"` map executor on a process executor: whole map items run
 * in its worker processes, in chunks sized to about 20 ms of work each (the
 * items through the whole plan, inputs and outputs by column), so a map of
 * thousands of tiny items pays for a few round trips, not one per node
 * call, and a chunk stuck in a loop or out of memory is killed with its
 * process. When items cannot run elsewhere (adapters see every node, a
 * cache serves them, errors are collected, or the plan has nodes that run
 * here), items run concurrently as ordinary runs, their nodes sent to the
 * processes one call at a time.
 *
 * @module
 */
import { checkConcurrency, type ExecutorOptions } from "./executor.ts";
import type { MapExecutor, MapJob } from "./map_executor.ts";
import { type ProcessExecutor, processPoolOf } from "./process.ts";
import type { CallHandle, ProcessPool } from "./_process_pool.ts";
import { taskNodesOf } from "./threaded.ts";
import {
  type Chunk,
  type ChunkCarrier,
  runInChunks,
  type SentChunk,
} from "./_chunked_map.ts";

/** Whole map items in the worker processes, in chunks. */
export class ProcessMapExecutor implements MapExecutor {
  /** Always `"parallel"`. */
  readonly kind = "parallel" as const;
  /** How many items (each a run of its own) may run at once when not in chunks. */
  readonly concurrency: number;
  readonly #executor: ProcessExecutor;

  /** Creates the map executor on `executor`'s processes. */
  constructor(executor: ProcessExecutor, options: ExecutorOptions = {}) {
    this.#executor = executor;
    this.concurrency = checkConcurrency(
      options.concurrency ?? executor.concurrency,
    );
  }

  /** Runs the items in chunks in the processes (or as ordinary runs). */
  runItems(job: MapJob): Promise<void> {
    return runInChunks(job, this.#executor, this.concurrency, async () => {
      const pool = processPoolOf(this.#executor);
      // Processes may read the modules of the nodes they import.
      const nodes = await taskNodesOf(job.plan);
      pool.allowRead(nodes.flatMap((n) => n === undefined ? [] : n.url));
      return new ProcessChunks(pool);
    });
  }

  /** Kills the processes (harmless if done already). */
  close(): Promise<void> {
    return this.#executor.close();
  }
}

// Chunks on worker processes, one per process at a time: a chunk waits for
// a free process, and cancelling it withdraws the wait or cancels the chunk
// (its process is killed unless it stops at once).
class ProcessChunks implements ChunkCarrier {
  readonly slots: number;
  readonly chunkSize = undefined;
  readonly #pool: ProcessPool;

  constructor(pool: ProcessPool) {
    this.#pool = pool;
    this.slots = pool.size;
  }

  send(chunk: Chunk, label: string): SentChunk {
    const result = Promise.withResolvers<unknown[][]>();
    const request = this.#pool.acquire();
    let handle: CallHandle | undefined;
    let cancelled = false;
    request.promise.then((lease) => {
      if (cancelled) return lease.release();
      handle = lease.runChunk(chunk, {
        nodeName: chunk.nodes[0]!.exportName,
        subject: label,
      });
      handle.promise.then(
        (outputs) => result.resolve(outputs as unknown[][]),
        result.reject,
      );
    }, result.reject);
    return {
      promise: result.promise,
      cancel: (reason) => {
        if (cancelled) return;
        cancelled = true;
        if (handle === undefined) {
          request.cancel();
          result.reject(reason);
        } else handle.cancel(reason);
      },
    };
  }
}
