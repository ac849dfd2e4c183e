/**
 * The map executor contract: a strategy that decides when each item of a
 * `map` runs. Node executors walk one item's plan; map executors only hand
 * out items, so any node executor combines with any map executor.
 *
 * @module
 */
import pLimit from "npm:p-limit@7.3.0";
import type { Plan } from "../plan.ts";
import type { Runner } from "../runner.ts";
import {
  checkConcurrency,
  type Executor,
  type ExecutorOptions,
} from "./executor.ts";

/**
 * The map executors braid ships: `"sequential"` (one item at a time),
 * `"async"` (items concurrently on the event loop), `"threaded"` (items
 * concurrently, each item's nodes as worker tasks) and `"parallel"` (whole
 * items in chunks across the workers).
 */
export type MapExecutorKind = "sequential" | "async" | "threaded" | "parallel";

/** One map, as a map executor sees it. */
export interface MapJob {
  /** How many items there are. */
  readonly count: number;
  /** Each item's inputs, for executors that run items elsewhere. */
  readonly items: readonly Readonly<Record<string, unknown>>[];
  /** The plan every item runs. */
  readonly plan: Plan;
  /**
   * Runs item `i` here, under the node executor (or `executor`, whose nodes
   * may run elsewhere), and records its outcome; rejects only when the map
   * must stop (the first failure, unless errors are collected).
   */
  runItem(i: number, executor?: Executor): Promise<void>;
  /** Aborts when the map must stop: no item may start after that. */
  readonly signal: AbortSignal;
  /**
   * Present when someone reads each item's events (`stream()`): returns a
   * promise while that reader is far behind, and items should not start
   * until it settles (a reader's backpressure; advisory, executors that
   * start items elsewhere may ignore it).
   */
  readonly ready?: () => Promise<void> | undefined;
  /**
   * Present when whole items may run elsewhere: no adapter needs to see each
   * node, no cache serves them, and the first failure stops the map.
   */
  readonly remote?: RemoteItems;
}

/** What a map executor that runs whole items elsewhere needs. */
export interface RemoteItems {
  /** The runner (its config fills the plan's config seeds). */
  readonly runner: Runner;
  /** The run's id. */
  readonly runId: string;
  /** Overrides every item shares. */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** Records item `i`'s outputs, by the plan's final vars. */
  done(i: number, outputs: Record<string, unknown>): void;
}

/** A strategy that runs every item of a map. */
export interface MapExecutor {
  /** Its kind. */
  readonly kind: MapExecutorKind;
  /** How many items may run at once. */
  readonly concurrency: number;
  /**
   * Runs every item of `job`; resolves when all are done, rejects with the
   * first rejection of `runItem` (after which no item starts).
   */
  runItems(job: MapJob): Promise<void>;
  /** Releases what it holds (workers); the driver's `close()` calls it. */
  close?(): Promise<void>;
}

/** Runs items one at a time, in item order. */
export class SequentialMapExecutor implements MapExecutor {
  /** Always `"sequential"`. */
  readonly kind = "sequential" as const;
  /** Always 1. */
  readonly concurrency = 1;

  /** Runs the items in order. */
  async runItems(job: MapJob): Promise<void> {
    for (let i = 0; i < job.count; i++) {
      if (job.signal.aborted) return;
      await job.runItem(i);
    }
  }
}

/** Runs items concurrently on the event loop, up to `concurrency` at once. */
export class AsyncMapExecutor implements MapExecutor {
  /** Always `"async"`. */
  readonly kind = "async" as const;
  /** How many items may run at once. */
  readonly concurrency: number;

  /** Creates the executor; `concurrency` defaults to unbounded. */
  constructor(options: ExecutorOptions = {}) {
    this.concurrency = checkConcurrency(options.concurrency ?? Infinity);
  }

  /** Starts items as the limit allows; resolves when the last is done. */
  runItems(job: MapJob): Promise<void> {
    return runConcurrently(
      job.count,
      this.concurrency,
      job.signal,
      job.runItem,
      job.ready,
    );
  }
}

/**
 * Runs `runItem(i)` for items 0..count-1, at most `concurrency` at once;
 * resolves when the last is done, rejects with the first rejection. Items
 * not started when `signal` aborts never start; while `ready` returns a
 * promise, none starts before it settles.
 */
export function runConcurrently(
  count: number,
  concurrency: number,
  signal: AbortSignal,
  runItem: (i: number) => Promise<void>,
  ready?: () => Promise<void> | undefined,
): Promise<void> {
  if (concurrency !== Infinity) {
    const limit = pLimit(concurrency);
    const all: Promise<void>[] = new Array(count);
    const item = (i: number) => signal.aborted ? undefined : runItem(i);
    for (let i = 0; i < count; i++) {
      all[i] = limit(() => {
        const wait = ready?.();
        return wait === undefined ? item(i) : wait.then(() => item(i));
      });
    }
    return Promise.all(all).then(() => {});
  }
  // Items start in batches (see startAll), so a counter, not Promise.all,
  // tells when the last one is done.
  return new Promise<void>((resolve, reject) => {
    let left = count;
    if (left === 0) return resolve();
    const start = (i: number) =>
      runItem(i).then(() => {
        if (--left === 0) resolve();
      }, reject);
    startAll(count, start, signal, ready).catch(reject);
  });
}

const BATCH = 64;
const YIELD_TICKS = 8;

// Starts every item without waiting for any to finish, but yields a few
// microtask ticks after each batch: items whose nodes settle at once (cached
// or in-memory work) then finish before the next batch starts, so thousands
// of items never sit half-done on the heap together (which makes the garbage
// collector the bottleneck). Items that wait on I/O keep waiting while the
// next batches start, microseconds later: the map is still unbounded. A
// reader of the items' events that falls far behind (`ready`) holds the
// next batch back until it catches up, so its queue stays bounded.
async function startAll(
  count: number,
  start: (i: number) => unknown,
  signal: AbortSignal,
  ready: (() => Promise<void> | undefined) | undefined,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (signal.aborted) return;
    start(i);
    if ((i + 1) % BATCH === 0) {
      for (let t = 0; t < YIELD_TICKS; t++) await null;
      const wait = ready?.();
      if (wait !== undefined) await wait;
    }
  }
}
