// The "parallel" map's loop, whatever carries its chunks (worker threads,
// worker processes, remote workers): whole items run elsewhere, a chunk of
// them per message, inputs and outputs by column, so thousands of tiny items
// cost a few messages. It hands out chunks while a carrier has room, sizes
// them (fixed, or from how long items took so far), records each chunk's
// outputs, and on the first failure or a cancellation withdraws every chunk
// out and starts none.
import {
  CancelledError,
  InputError,
  NodeExecutionError,
  WorkerError,
} from "../errors.ts";
import { pathTo, type Plan } from "../plan.ts";
import { isThenable } from "../_thenable.ts";
import type { ChunkTask, TaskNode } from "./_protocol.ts";
import { RemoteFailure } from "./_remote_failure.ts";
import {
  type MapJob,
  type RemoteItems,
  runConcurrently,
} from "./map_executor.ts";
import { runsHere, taskNodesOf } from "./threaded.ts";
import type { Executor } from "./executor.ts";

/** A chunk as the loop makes it: its carrier numbers and times it. */
export type Chunk = Omit<ChunkTask, "id" | "timed" | "at">;

/** A chunk out with its carrier. */
export interface SentChunk {
  /**
   * The outputs by column, or the failure: a `RemoteFailure` for a node's
   * error (naming the item and the node), else an error of the carrier's.
   */
  readonly promise: Promise<unknown[][]>;
  /** Withdraws the chunk (its nodes' `ctx.signal` aborts if it runs). */
  cancel(reason: Error): void;
  /**
   * Where the chunk is, when its carrier can tell without a message: the
   * item (from the chunk's first) and the node (its position in the plan)
   * it is at, -1 before it starts. A carrier's failure (a timeout, a worker
   * that ended) then names that node and item.
   */
  readonly at?: Int32Array;
}

/** What carries chunks of a map's items to where they run. */
export interface ChunkCarrier {
  /** How many chunks may be out at once. */
  readonly slots: number;
  /**
   * Items per chunk; undefined to size each chunk from how long items took
   * so far (about `CHUNK_MS` of work each).
   */
  readonly chunkSize: number | undefined;
  /**
   * Sends `chunk` (`label` names it in messages). `failed` is called as soon
   * as the chunk fails, even before its promise settles, so the other
   * chunks are withdrawn at once.
   */
  send(
    chunk: Chunk,
    label: string,
    failed: (error: unknown) => void,
  ): SentChunk | Promise<SentChunk>;
}

// An adaptive chunk should keep its worker busy this long: long enough that
// messaging is a small part of it, short enough that work balances.
const CHUNK_MS = 20;
const FIRST_CHUNK = 16;

/**
 * Runs every item of `job` in chunks through the carrier `carrierFor`
 * makes, when whole items may run elsewhere; otherwise (adapters see every
 * node, a cache serves them, errors are collected, or the plan has nodes
 * that run here) each item runs as an ordinary run, `concurrency` at once,
 * its nodes on `executor`. Resolves once every item is done, rejects with
 * the first failure.
 */
export async function runInChunks(
  job: MapJob,
  executor: Executor,
  concurrency: number,
  carrierFor: () => ChunkCarrier | Promise<ChunkCarrier>,
): Promise<void> {
  const remote = job.remote;
  if (remote === undefined || job.plan.nodes.some(runsHere)) {
    return await runConcurrently(
      job.count,
      concurrency,
      job.signal,
      (i) => job.runItem(i, executor),
    );
  }
  const plan = job.plan;
  const carrier = await carrierFor();
  // Every node has a descriptor: callers send no plan with nodes that run here.
  const nodes = await taskNodesOf(plan) as TaskNode[];
  const base = await baseValues(remote, plan, job.signal);
  await new ChunkedMap(carrier, plan, remote, nodes, base, job).run();
}

// The slot values every item shares: overrides and config.
async function baseValues(
  remote: RemoteItems,
  plan: Plan,
  signal: AbortSignal,
): Promise<unknown[]> {
  const base: unknown[] = new Array(plan.size);
  for (const seed of plan.seeds) {
    if (seed.source === "input") continue;
    const source = seed.source === "override"
      ? remote.overrides
      : remote.runner.config;
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

class ChunkedMap {
  readonly #carrier: ChunkCarrier;
  readonly #plan: Plan;
  readonly #remote: RemoteItems;
  readonly #runId: string;
  // What every chunk of this map sends alike, made once.
  readonly #shape: Pick<Chunk, "nodes" | "argKeys" | "argSlots">;
  readonly #base: readonly unknown[];
  readonly #items: readonly Readonly<Record<string, unknown>>[];
  readonly #signal: AbortSignal;
  readonly #inputNames: string[] = [];
  readonly #inputSlots: Int32Array;
  readonly #out = new Set<SentChunk>();
  #next = 0;
  #size: number;
  #done = 0;
  #failed = false;
  readonly #settled = Promise.withResolvers<void>();

  constructor(
    carrier: ChunkCarrier,
    plan: Plan,
    remote: RemoteItems,
    nodes: readonly TaskNode[],
    base: readonly unknown[],
    job: Pick<MapJob, "items" | "signal">,
  ) {
    this.#carrier = carrier;
    this.#plan = plan;
    this.#remote = remote;
    this.#runId = remote.runId;
    this.#shape = {
      nodes,
      argKeys: plan.nodes.map((n) => n.argKeys),
      argSlots: plan.nodes.map((n) => n.argSlots),
    };
    this.#base = base;
    this.#items = job.items;
    this.#signal = job.signal;
    const slots: number[] = [];
    for (const seed of plan.seeds) {
      if (seed.source !== "input") continue;
      this.#inputNames.push(seed.name);
      slots.push(seed.slot);
    }
    this.#inputSlots = Int32Array.from(slots);
    this.#size = carrier.chunkSize ?? Math.max(
      1,
      Math.min(
        FIRST_CHUNK,
        Math.ceil(job.items.length / (4 * Math.min(carrier.slots, 64))),
      ),
    );
  }

  // Resolves once every item's outputs went to `remote.done`.
  run(): Promise<void> {
    const signal = this.#signal;
    const onAbort = () =>
      this.#fail(new CancelledError(this.#runId, signal.reason));
    if (this.#items.length === 0) this.#settled.resolve();
    else if (signal.aborted) onAbort();
    else {
      signal.addEventListener("abort", onAbort, { once: true });
      // Each send takes its chunk before it first awaits.
      const slots = this.#carrier.slots;
      for (let s = 0; s < slots && this.#hasMore(); s++) void this.#send();
    }
    return this.#settled.promise.finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  }

  #hasMore(): boolean {
    return this.#next < this.#items.length && !this.#failed;
  }

  // Sends the next chunk, records its outputs, and goes on with the next.
  async #send(): Promise<void> {
    while (this.#hasMore()) {
      const first = this.#next;
      const count = Math.min(this.#size, this.#items.length - first);
      this.#next += count;
      const label = `map items ${first} to ${first + count - 1}`;
      let sent: SentChunk | undefined;
      let outputs: unknown[][];
      const start = performance.now();
      try {
        const columns = await this.#columns(first, count);
        if (this.#failed) return;
        sent = await this.#carrier.send(
          {
            type: "chunk",
            runId: this.#runId,
            ...this.#shape,
            base: this.#base,
            inputSlots: this.#inputSlots,
            columns,
            count,
            firstItem: first,
            outputSlots: this.#plan.outputSlots,
          },
          label,
          (error) => this.#fail(this.#error(error, first, sent?.at)),
        );
        if (this.#failed) {
          sent.cancel(new CancelledError(this.#runId));
          return;
        }
        this.#out.add(sent);
        outputs = await sent.promise;
      } catch (error) {
        return this.#fail(this.#error(error, first, sent?.at));
      } finally {
        if (sent !== undefined) this.#out.delete(sent);
      }
      if (this.#failed) return;
      this.#record(first, count, outputs);
      if (this.#done === this.#items.length) return this.#settled.resolve();
      this.#adapt((performance.now() - start) / count);
    }
  }

  #record(first: number, count: number, outputs: unknown[][]): void {
    const names = this.#plan.finalVars;
    const remote = this.#remote;
    for (let i = 0; i < count; i++) {
      const out: Record<string, unknown> = {};
      for (let k = 0; k < names.length; k++) out[names[k]!] = outputs[k]![i];
      remote.done(first + i, out);
    }
    this.#done += count;
  }

  // An adaptive next chunk keeps a worker busy about CHUNK_MS, and never
  // takes more than its share of what is left, so the last chunks balance.
  #adapt(msPerItem: number): void {
    if (this.#carrier.chunkSize !== undefined) return;
    const left = this.#items.length - this.#next;
    const share = Math.max(1, Math.ceil(left / this.#carrier.slots));
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

  // What a chunk's failure fails the map with: a node's error, or the
  // carrier's failure inside a node it can tell, names the node and item.
  #error(error: unknown, first: number, at: Int32Array | undefined): unknown {
    const plan = this.#plan;
    if (
      error instanceof WorkerError && at !== undefined &&
      Atomics.load(at, 1) >= 0
    ) {
      const node = plan.nodes[Atomics.load(at, 1)]!;
      return new NodeExecutionError(
        node.name,
        this.#runId,
        pathTo(plan, node),
        error,
        first + Atomics.load(at, 0),
      );
    }
    if (!(error instanceof RemoteFailure)) return error;
    const node = plan.nodes[error.node ?? 0]!;
    return new NodeExecutionError(
      node.name,
      this.#runId,
      pathTo(plan, node),
      error.error,
      error.item,
    );
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    const reason = error instanceof Error
      ? error
      : new CancelledError(this.#runId, error);
    for (const sent of this.#out) sent.cancel(reason);
    this.#out.clear();
    this.#settled.reject(error);
  }
}
