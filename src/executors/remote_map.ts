/**
 * The `"parallel"` map executor on a remote executor: whole map items run
 * on the remote workers, in chunks of `chunkSize` items per job (the items
 * through the whole plan, inputs and outputs by column), so a map of
 * thousands of tiny items pays for a few jobs, not one job per node call.
 * When items cannot run elsewhere (adapters see every node, a cache serves
 * them, errors are collected, or the plan has nodes that run here), items
 * run concurrently as ordinary runs, their nodes sent to the remote
 * executor one call at a time.
 *
 * @module
 */
import { checkConcurrency, type ExecutorOptions } from "./executor.ts";
import type { MapExecutor, MapJob } from "./map_executor.ts";
import { type RemoteExecutor, runChunk } from "./remote.ts";
import {
  type Chunk,
  type ChunkCarrier,
  runInChunks,
  type SentChunk,
} from "./_chunked_map.ts";

/** Items of a map per chunk, unless the remote executor sets `chunkSize` above 1. */
const DEFAULT_CHUNK = 1000;

/** Whole map items on the remote workers, in chunks. */
export class RemoteMapExecutor implements MapExecutor {
  /** Always `"parallel"`. */
  readonly kind = "parallel" as const;
  /** How many items (each a run of its own) may run at once when not in chunks. */
  readonly concurrency: number;
  readonly #executor: RemoteExecutor;
  readonly #chunkSize: number;

  /** Creates the map executor on `executor`'s workers. */
  constructor(executor: RemoteExecutor, options: ExecutorOptions = {}) {
    this.#executor = executor;
    this.concurrency = checkConcurrency(
      options.concurrency ?? executor.concurrency,
    );
    this.#chunkSize = executor.chunkSize > 1
      ? executor.chunkSize
      : DEFAULT_CHUNK;
  }

  /** Runs the items in chunks on the workers (or as ordinary runs). */
  runItems(job: MapJob): Promise<void> {
    return runInChunks(
      job,
      this.#executor,
      this.concurrency,
      () =>
        new RemoteChunks(
          this.#executor,
          this.#chunkSize,
          job.plan.nodes[0]!.name,
        ),
    );
  }

  /** Closes the remote executor's connections (harmless if done already). */
  close(): Promise<void> {
    return this.#executor.close();
  }
}

// Chunks as jobs on the remote executor's queue, all of them at once: the
// workers take them as they can.
class RemoteChunks implements ChunkCarrier {
  readonly slots = Infinity;
  readonly chunkSize: number;
  readonly #executor: RemoteExecutor;
  readonly #name: string;

  constructor(executor: RemoteExecutor, chunkSize: number, name: string) {
    this.#executor = executor;
    this.chunkSize = chunkSize;
    this.#name = name;
  }

  async send(chunk: Chunk): Promise<SentChunk> {
    const handle = await runChunk(this.#executor, this.#name, chunk);
    return { promise: handle.promise, cancel: () => handle.cancel() };
  }
}
