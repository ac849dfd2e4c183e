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
import { CancelledError, InputError, NodeExecutionError } from "../errors.ts";
import { pathTo, type Plan } from "../plan.ts";
import { isThenable } from "../_thenable.ts";
import type { TaskNode } from "./_protocol.ts";
import { RemoteFailure } from "./_remote_failure.ts";
import { checkConcurrency, type ExecutorOptions } from "./executor.ts";
import {
  type MapExecutor,
  type MapJob,
  type RemoteItems,
  runConcurrently,
} from "./map_executor.ts";
import { type ChunkHandle, type RemoteExecutor, runChunk } from "./remote.ts";
import { runsHere, taskNodesOf } from "./threaded.ts";

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
  async runItems(job: MapJob): Promise<void> {
    const remote = job.remote;
    if (remote === undefined || job.plan.nodes.some(runsHere)) {
      const executor = this.#executor;
      return await runConcurrently(
        job.count,
        this.concurrency,
        job.signal,
        (i) => job.runItem(i, executor),
      );
    }
    const plan = job.plan;
    const nodes = await taskNodesOf(plan) as TaskNode[];
    const base = await baseValues(remote, plan, job.signal);
    const shape = {
      nodes,
      argKeys: plan.nodes.map((n) => n.argKeys),
      argSlots: plan.nodes.map((n) => n.argSlots),
    };
    const names: string[] = [];
    const slots: number[] = [];
    for (const seed of plan.seeds) {
      if (seed.source !== "input") continue;
      names.push(seed.name);
      slots.push(seed.slot);
    }
    const inputSlots = Int32Array.from(slots);
    const running = new Set<ChunkHandle>();
    let failed: unknown;
    const fail = (error: unknown) => {
      if (failed !== undefined) return;
      failed = error;
      for (const handle of running) handle.cancel();
      running.clear();
    };
    const signal = job.signal;
    const onAbort = () => fail(new CancelledError(remote.runId, signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const chunks: Promise<void>[] = [];
      for (let first = 0; first < job.count; first += this.#chunkSize) {
        if (failed !== undefined || signal.aborted) break;
        const count = Math.min(this.#chunkSize, job.count - first);
        const columns = await columnsOf(job.items, names, first, count);
        const handle = await runChunk(this.#executor, plan.nodes[0]!.name, {
          type: "chunk",
          runId: remote.runId,
          ...shape,
          base,
          inputSlots,
          columns,
          count,
          firstItem: first,
          outputSlots: plan.outputSlots,
        });
        if (failed !== undefined) {
          handle.cancel();
          break;
        }
        running.add(handle);
        chunks.push(handle.promise.then((outputs) => {
          running.delete(handle);
          if (failed !== undefined) return;
          const finals = plan.finalVars;
          for (let i = 0; i < count; i++) {
            const out: Record<string, unknown> = {};
            for (let k = 0; k < finals.length; k++) {
              out[finals[k]!] = outputs[k]![i];
            }
            remote.done(first + i, out);
          }
        }, (error) => {
          running.delete(handle);
          fail(itemError(error, plan, remote.runId));
        }));
      }
      await Promise.all(chunks);
    } catch (error) {
      fail(error);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (failed !== undefined) throw failed;
  }

  /** Closes the remote executor's connections (harmless if done already). */
  close(): Promise<void> {
    return this.#executor.close();
  }
}

// What a chunk's failure fails the map with: a node's error names its item.
function itemError(error: unknown, plan: Plan, runId: string): unknown {
  if (!(error instanceof RemoteFailure)) return error;
  const node = plan.nodes[error.node ?? 0]!;
  return new NodeExecutionError(
    node.name,
    runId,
    pathTo(plan, node),
    error.error,
    error.item,
  );
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

// Per input, the values of items first..first+count-1; promises settled.
async function columnsOf(
  items: readonly Readonly<Record<string, unknown>>[],
  names: readonly string[],
  first: number,
  count: number,
): Promise<unknown[][]> {
  const columns: unknown[][] = names.map(() => new Array(count));
  let pending: Promise<unknown>[] | undefined;
  for (let i = 0; i < count; i++) {
    const item = items[first + i]!;
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
