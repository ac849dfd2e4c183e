/**
 * Expanding `map` inputs into items: zip (lists of equal length, item i takes
 * element i of each) or product (every combination, the first list varying
 * slowest). Inputs not mapped over are broadcast to every item.
 *
 * @module
 */
import pLimit from "p-limit";
import { CancelledError } from "./errors.ts";
import { raceAbort } from "./executors/executor.ts";
import type { Plan } from "./plan.ts";
import { EMPTY, type ExecuteOptions, type Runner } from "./runner.ts";

/** How mapped lists combine into items. */
export type MapMode = "zip" | "product";

/** Each item's inputs: the broadcast inputs plus its mapped values. */
function expandItems(
  inputs: Readonly<Record<string, unknown>>,
  mapOver: string | readonly string[],
  mapMode: MapMode = "zip",
): Record<string, unknown>[] {
  const names = typeof mapOver === "string" ? [mapOver] : [...mapOver];
  if (names.length === 0) {
    throw new TypeError("'mapOver' must name at least one input");
  }
  if (mapMode !== "zip" && mapMode !== "product") {
    throw new TypeError(
      `'mapMode' must be "zip" or "product": received ${mapMode}`,
    );
  }
  const lists = names.map((name) => {
    if (!Object.hasOwn(inputs, name)) {
      throw new TypeError(
        `'mapOver' names "${name}", which is not in 'inputs'`,
      );
    }
    const value = inputs[name];
    if (
      typeof value === "string" || value === null ||
      typeof (value as Iterable<unknown>)?.[Symbol.iterator] !== "function"
    ) {
      throw new TypeError(
        `Input "${name}" is mapped over, so it must be an array or iterable: received ${typeof value}`,
      );
    }
    return Array.isArray(value) ? value : [...value as Iterable<unknown>];
  });
  const broadcast: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    if (!names.includes(key)) broadcast[key] = value;
  }
  return mapMode === "zip"
    ? zip(names, lists, broadcast)
    : product(names, lists, broadcast);
}

function zip(
  names: string[],
  lists: unknown[][],
  broadcast: Record<string, unknown>,
): Record<string, unknown>[] {
  const length = lists[0]!.length;
  for (const list of lists) {
    if (list.length !== length) {
      throw new RangeError(
        `Cannot zip mapped inputs of unequal length: ${
          names.map((n, k) => `"${n}" has ${lists[k]!.length}`).join(", ")
        } (use mapMode "product" for every combination)`,
      );
    }
  }
  const items: Record<string, unknown>[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const item = { ...broadcast };
    for (let k = 0; k < names.length; k++) item[names[k]!] = lists[k]![i];
    items[i] = item;
  }
  return items;
}

function product(
  names: string[],
  lists: unknown[][],
  broadcast: Record<string, unknown>,
): Record<string, unknown>[] {
  let items: Record<string, unknown>[] = [{ ...broadcast }];
  for (let k = 0; k < names.length; k++) {
    const next: Record<string, unknown>[] = [];
    for (const item of items) {
      for (const value of lists[k]!) next.push({ ...item, [names[k]!]: value });
    }
    items = next;
  }
  return items;
}

/** Options of `map`. */
export interface MapOptions extends ExecuteOptions {
  /** The input(s) whose lists are mapped over; other inputs are broadcast. */
  readonly mapOver: string | readonly string[];
  /** `"zip"` (equal lengths) or `"product"`. @default {"zip"} */
  readonly mapMode?: MapMode;
}

/** What runs the items of a map (the `"threaded"` and `"parallel"` map executors). */
export interface ItemRunner {
  /**
   * Runs `plan` once per item (each item's inputs), and resolves with each
   * item's outputs, in item order. The first failure rejects, naming the
   * item, and stops the other items.
   */
  runItems(
    runner: Runner,
    plan: Plan,
    runId: string,
    items: readonly Record<string, unknown>[],
    options: ItemOptions,
  ): Promise<Record<string, unknown>[]>;
}

/** What every item of a map shares. */
export interface ItemOptions {
  /** Values that replace nodes, for every item. */
  readonly overrides?: Readonly<Record<string, unknown>> | undefined;
  /** Cancels the map. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `vars` once per item, with `itemRunner`, or under the runner's
 * executor: one item at a time when it is sequential, concurrently up to its
 * `concurrency` otherwise. The first failure rejects (naming the item) and
 * stops the other items.
 */
export async function runMap(
  runner: Runner,
  vars: readonly string[],
  options: MapOptions,
  itemRunner?: ItemRunner,
): Promise<Record<string, unknown>[]> {
  const items = expandItems(
    options.inputs ?? EMPTY,
    options.mapOver,
    options.mapMode,
  );
  if (items.length === 0) {
    runner.plan(vars, options); // still reject a bad request
    return [];
  }
  const plan = runner.plan(vars, { ...options, inputs: items[0]! });
  const runId = crypto.randomUUID();
  const shared = { overrides: options.overrides, signal: options.signal };
  return await (itemRunner ?? inThread).runItems(
    runner,
    plan,
    runId,
    items,
    shared,
  );
}

/** Runs items under the runner's own executor, in this thread. */
export const inThread: ItemRunner = { runItems };

async function runItems(
  runner: Runner,
  plan: Plan,
  runId: string,
  items: readonly Record<string, unknown>[],
  options: ItemOptions,
): Promise<Record<string, unknown>[]> {
  const results: Record<string, unknown>[] = new Array(items.length);
  // One controller for the whole map: the first failure (or the caller's
  // signal) stops every item from starting new nodes. Items poll it; only the
  // map as a whole listens, so a map costs one listener, not one per item.
  const stop = new AbortController();
  const signal = options.signal === undefined
    ? stop.signal
    : AbortSignal.any([options.signal, stop.signal]);
  const overrides = options.overrides ?? EMPTY;
  const hooks = runner.hooks;
  // The first failure stops the other items at once, before a limiter can
  // hand out another one.
  const failed = (error: unknown) => {
    stop.abort(error);
    throw error;
  };
  const runItem = (i: number): Promise<void> =>
    runner.run(
      plan,
      runId,
      { inputs: items[i]!, overrides, signal },
      hooks,
      i,
      false,
    )
      .then(
        (values) => void (results[i] = runner.outputs(plan, values)),
        failed,
      );
  const concurrency = runner.executor.concurrency;
  let all: Promise<unknown>;
  if (concurrency === 1) {
    all = (async () => {
      for (let i = 0; i < items.length; i++) await runItem(i);
    })();
  } else if (concurrency === Infinity) {
    // Items start in batches (see startAll), so a counter, not Promise.all,
    // tells when the last one is done.
    all = new Promise<void>((resolve, reject) => {
      let left = items.length;
      const start = (i: number) =>
        runItem(i).then(() => {
          if (--left === 0) resolve();
        }, reject);
      startAll(items.length, start, signal).catch(reject);
    });
  } else {
    const limit = pLimit(concurrency);
    all = Promise.all(
      items.map((_, i) => limit(() => signal.aborted ? undefined : runItem(i))),
    );
  }
  try {
    await raceAbort(
      options.signal, // only the caller's: our own stop follows a failure
      all,
      () => new CancelledError(runId, options.signal?.reason),
    );
  } catch (error) {
    stop.abort(error);
    throw error;
  }
  return results;
}

const BATCH = 64;
const YIELD_TICKS = 8;

// Starts every item without waiting for any to finish, but yields a few
// microtask ticks after each batch: items whose nodes settle at once (cached
// or in-memory work) then finish before the next batch starts, so thousands
// of items never sit half-done on the heap together (which makes the garbage
// collector the bottleneck). Items that wait on I/O keep waiting while the
// next batches start, microseconds later: the map is still unbounded.
async function startAll(
  count: number,
  start: (i: number) => unknown,
  signal: AbortSignal,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (signal.aborted) return;
    start(i);
    if ((i + 1) % BATCH === 0) {
      for (let t = 0; t < YIELD_TICKS; t++) await null;
    }
  }
}
