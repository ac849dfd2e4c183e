/**
 * Expanding `map` inputs into items: zip (lists of equal length, item i takes
 * element i of each) or product (every combination, the first list varying
 * slowest). Inputs not mapped over are broadcast to every item. Then
 * running them: items go to the runner's map executor, and each item's
 * nodes to its node executor.
 *
 * @module
 */
import { CancelledError } from "./errors.ts";
import { describeValue } from "./_describe.ts";
import { raceAbort } from "./executors/executor.ts";
import type { BeforeMapEvent, Hooks } from "./hooks.ts";
import type { Plan } from "./plan.ts";
import { runItemJob } from "./items.ts";
import { EMPTY, type ExecuteOptions, NO_TAGS, type Runner } from "./runner.ts";

/** How mapped lists combine into items. */
export type MapMode = "zip" | "product";

/** Each item's inputs: the broadcast inputs plus its mapped values. */
export function expandItems(
  inputs: Readonly<Record<string, unknown>>,
  mapOver: string | readonly string[],
  mapMode: MapMode = "zip",
): Record<string, unknown>[] {
  const names = mapOverNames(mapOver);
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

// The names `mapOver` gives, checked: from JavaScript callers it may be
// anything.
function mapOverNames(mapOver: unknown): string[] {
  const names = typeof mapOver === "string"
    ? [mapOver]
    : Array.isArray(mapOver)
    ? [...mapOver]
    : undefined;
  if (names === undefined || names.some((n) => typeof n !== "string")) {
    throw new TypeError(
      `'mapOver' must be an input name or a list of input names: received ${
        describeValue(mapOver)
      }`,
    );
  }
  if (names.length === 0) {
    throw new TypeError("'mapOver' must name at least one input");
  }
  return names;
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

/** What to do when an item fails. */
export type MapErrorMode = "raise" | "collect";

/** One item's outcome when a map collects errors. */
export type MapItemResult<O = Record<string, unknown>> =
  | { readonly ok: true; readonly value: O }
  | { readonly ok: false; readonly error: unknown };

/** Options of `map`. */
export interface MapOptions extends ExecuteOptions {
  /** The input(s) whose lists are mapped over; other inputs are broadcast. */
  readonly mapOver: string | readonly string[];
  /** `"zip"` (equal lengths) or `"product"`. @default {"zip"} */
  readonly mapMode?: MapMode;
  /**
   * `"raise"`: the first failure rejects the map (naming the item and the
   * node) and stops the other items; `"collect"`: every item gives
   * `{ ok, value }` or `{ ok, error }` and the map finishes.
   *
   * @default {"raise"}
   */
  readonly onError?: MapErrorMode;
}

/** What braid itself passes to a map: the hooks and run id to use. */
export interface MapScope {
  /** The hooks (a recorder's, a parent run's). @default {the runner's} */
  readonly hooks?: Hooks;
  /** The run id. @default {a new one} */
  readonly runId?: string;
  /** A reader's backpressure on starting items (see `MapJob.ready`). */
  readonly ready?: () => Promise<void> | undefined;
}

/**
 * Runs `vars` once per item, handing items to the runner's map executor.
 * Resolves with each item's outputs (or, collecting errors, its
 * `MapItemResult`), in item order.
 */
export async function runMap(
  runner: Runner,
  vars: readonly string[],
  options: MapOptions,
  scope: MapScope = {},
): Promise<unknown[]> {
  const onError = options.onError ?? "raise";
  if (onError !== "raise" && onError !== "collect") {
    throw new TypeError(
      `'onError' must be "raise" or "collect": received ${onError}`,
    );
  }
  const items = expandItems(
    options.inputs ?? EMPTY,
    options.mapOver,
    options.mapMode,
  );
  const results: unknown[] = new Array(items.length);
  // Without items, the request as given is still checked.
  const plan = runner.plan(
    vars,
    items.length === 0 ? options : { ...options, inputs: items[0]! },
  );
  const runId = scope.runId ?? crypto.randomUUID();
  const hooks = scope.hooks ?? runner.hooks;
  const event: BeforeMapEvent = {
    runId,
    items: items.length,
    mapMode: options.mapMode ?? "zip",
    tags: options.tags ?? NO_TAGS,
  };
  // Like the graph hooks: a failing beforeMap fails the map before any item,
  // and afterMap sees every map that started, whatever its outcome.
  if (hooks.has("beforeMap")) await hooks.call("beforeMap", event);
  const started = performance.now();
  let outcome: { readonly success: boolean; readonly error?: unknown } = {
    success: true,
  };
  try {
    if (items.length > 0) {
      await runItems(
        runner,
        options,
        scope,
        hooks,
        runId,
        plan,
        items,
        results,
      );
    }
  } catch (error) {
    outcome = { success: false, error };
  }
  if (hooks.has("afterMap")) {
    await hooks.call("afterMap", {
      ...event,
      ...outcome,
      durationMs: performance.now() - started,
    });
  }
  if (!outcome.success) throw outcome.error;
  return results;
}

// Hands the items to the item loop; fills `results` in item order.
async function runItems(
  runner: Runner,
  options: MapOptions,
  scope: MapScope,
  hooks: Hooks,
  runId: string,
  plan: Plan,
  items: readonly Record<string, unknown>[],
  results: unknown[],
): Promise<void> {
  const collect = (options.onError ?? "raise") === "collect";
  const overrides = options.overrides ?? EMPTY;
  const onFailure = options.onFailure;
  const tags = options.tags;
  const done = runItemJob({
    runner,
    plan,
    runId,
    count: items.length,
    hooks,
    parent: options.signal,
    collect,
    ready: scope.ready,
    run: (i, part, signal) =>
      runner.run(
        plan,
        runId,
        { inputs: items[i]!, overrides, signal, onFailure, tags },
        hooks,
        part,
        i,
      ),
    done(i, values) {
      const value = runner.outputs(plan, values);
      results[i] = collect ? { ok: true, value } : value;
    },
    failed(i, error) {
      results[i] = { ok: false, error };
    },
    // Whole items may run elsewhere only when nothing here must see their
    // nodes (adapters, the cache) or their single outcomes.
    ...(collect || hooks.adapters.length > 0 || runner.cache !== undefined
      ? {}
      : {
        remote: {
          items: () => items,
          overrides,
          done: (i: number, outputs: Record<string, unknown>) =>
            void (results[i] = outputs),
        },
      }),
  });
  // Only the caller's signal is raced: the loop's own stop follows a
  // failure, and rejects with it.
  await raceAbort(
    options.signal,
    done,
    () => new CancelledError(runId, options.signal?.reason),
  );
}
