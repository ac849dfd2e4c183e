/**
 * `Engine`: the runtime half of HyperNodes' split (a `Pipeline` is the pure
 * definition). It chooses how nodes run, how map items run, the concurrency
 * limit, the lifecycle adapters and (with several executors) how nodes are
 * routed among them, and turns a graph into the same `Runner` the `Builder`
 * front door uses.
 *
 * @module
 */
import { type ExecutionMode, type ModeOptions, modePreset } from "./modes.ts";
import { checkRetryPolicy, type RetryPolicy } from "./modifiers/retry.ts";
import {
  checkConcurrency,
  type Executor,
  type ExecutorLike,
  type ExecutorOptions,
} from "./executors/executor.ts";
import type { MapExecutor, MapExecutorKind } from "./executors/map_executor.ts";
import type { WorkerPoolOptions } from "./executors/pool.ts";
import { createExecutor, createMapExecutor } from "./executors/registry.ts";
import type { Graph } from "./graph.ts";
import { type Adapter, Hooks } from "./hooks.ts";
import { type Route, Router } from "./routing.ts";
import { EMPTY, type RunnerInit } from "./runner.ts";
import { Cache, type CacheOptions, checkCacheOptions } from "./cache/cache.ts";
import {
  checkRunStoreOptions,
  RunLog,
  type RunStoreOptions,
} from "./runs/_run_log.ts";
import type { ResultBuilder } from "./result_builders.ts";

export type { MapExecutorKind } from "./executors/map_executor.ts";

/**
 * Options of {@linkcode Engine}. `workers`, `timeoutMs`, `permissions` and
 * `idleMs` configure the worker pool of the `"threaded"` and `"parallel"`
 * executors (one pool, shared by the node and map executors).
 */
export interface EngineOptions<
  B extends ResultBuilder = ResultBuilder,
> extends WorkerPoolOptions {
  /**
   * How the nodes of one run (or one map item) run: an executor instance,
   * or `"sequential"` (one at a time, in order), `"async"` (each as soon as
   * its inputs are ready) or `"threaded"` (on a pool of Deno Workers).
   *
   * @default {"sequential"}
   */
  readonly nodeExecutor?: ExecutorLike;
  /**
   * Several node executors by name (instances, or built-in executors'
   * names), as `Builder.withExecutors` takes them: per task, on every run, a
   * node's `executor` tag wins, else `route(task)`, else `default`. Replaces
   * `nodeExecutor` (giving both is a TypeError).
   *
   * @default {one executor, `nodeExecutor`}
   */
  readonly executors?: Readonly<Record<string, ExecutorLike>>;
  /**
   * With `executors`: picks an executor per task (after the node's
   * `executor` tag); it gets `{ name, tags, metrics, cost }`, see
   * {@linkcode routeByCost}. A name that is none of `executors` fails the
   * run with a `ConfigError`.
   *
   * @default {every task not tagged goes to `default`}
   */
  readonly route?: Route;
  /**
   * With `executors`: the executor of tasks neither tagged nor routed.
   *
   * @default {the first key of `executors`}
   */
  readonly default?: string;
  /**
   * How the items of a `map` run: `"sequential"` (one at a time),
   * `"async"` (concurrently on the event loop), `"threaded"` (each item's
   * nodes on workers) or `"parallel"` (whole items in chunks on workers).
   *
   * @default {"sequential"}
   */
  readonly mapExecutor?: MapExecutorKind;
  /**
   * How many nodes of one run, and how many map items, may run at once
   * (for the executors that run more than one).
   *
   * @default {Infinity}
   */
  readonly concurrency?: number;
  /** Lifecycle adapters, called in the order given. @default {[]} */
  readonly adapters?: readonly Adapter[];
  /**
   * Caches node results, as `Builder.withCache` does (nested pipelines
   * included). @default {no cache}
   */
  readonly cache?: CacheOptions;
  /**
   * The retry policy of nodes without a `retry(...)` of their own, as
   * `Builder.withRetry` sets it. @default {no retries}
   */
  readonly retry?: RetryPolicy;
  /**
   * Fails a hook whose promise has not settled after this many ms, as
   * `Builder.withHookTimeout` does. @default {Infinity}
   */
  readonly hookTimeoutMs?: number;
  /**
   * An execution mode's executors, routing and map executor (see
   * `Builder.withMode`); `nodeExecutor`, `executors` and `mapExecutor`
   * given here win over it. @default {none}
   */
  readonly mode?: ExecutionMode;
  /** Options of `mode`. */
  readonly modeOptions?: ModeOptions;
  /**
   * Records every run of its pipelines in a run store, as
   * `Builder.withRunStore` does (opened on the first run). @default {no store}
   */
  readonly runStore?: RunStoreOptions;
  /**
   * What `Pipeline.run` returns: `dictResult()`, `listResult()`,
   * `arrowTableResult()` or any object with `buildResult(event)`; wins over
   * an adapter's `buildResult`. @default {dictResult()}
   */
  readonly resultBuilder?: B;
}

// What a pipeline needs from its engine; kept off the public surface.
interface EngineParts {
  readonly executor: Executor;
  readonly router: Router | undefined;
  readonly mapExecutor: MapExecutor;
  readonly hooks: Hooks;
  readonly cacheOptions: CacheOptions | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly resultBuilder: ResultBuilder | undefined;
  // The cache, opened on the first run (opening loads the hasher).
  opening?: Promise<Cache | undefined> | undefined;
  cache?: Cache | undefined;
  readonly runStoreOptions: RunStoreOptions | undefined;
  // The run store, opened on the first run.
  openingLog?: Promise<RunLog> | undefined;
  runLog?: RunLog | undefined;
}
const PARTS = new WeakMap<Engine, EngineParts>();

/**
 * How a pipeline runs: node executor, map executor, concurrency and
 * adapters. Immutable; one engine serves any number of pipelines and runs.
 *
 * @example
 * ```ts
 * import { Engine, named, node, Pipeline } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const engine = new Engine({ nodeExecutor: "async", mapExecutor: "async" });
 * const pipeline = new Pipeline({
 *   nodes: [node(({ x }: { x: number }) => x * 2, named("doubled"))],
 *   engine,
 * });
 * const out = await pipeline.map({ inputs: { x: [1, 2, 3] }, mapOver: "x" });
 * assert.deepEqual(out.map((o) => o.doubled), [2, 4, 6]);
 * ```
 */
export class Engine<B extends ResultBuilder = ResultBuilder> {
  /** The node executor's name (the default one's, with `executors`). */
  readonly nodeExecutor: string;
  /** The map executor's name. */
  readonly mapExecutor: MapExecutorKind;
  /** How many nodes (and map items) may run at once. */
  readonly concurrency: number;
  /** The adapters, in order. */
  readonly adapters: readonly Adapter[];
  /** What `Pipeline.run` makes of the outputs, when given. */
  readonly resultBuilder: B | undefined;

  /**
   * Creates an engine; throws a TypeError for an unknown executor name, or
   * for `executors` given with `nodeExecutor`.
   */
  constructor(given: EngineOptions<B> = {}) {
    if (typeof given !== "object" || given === null) {
      throw new TypeError(`'options' must be an object: received ${given}`);
    }
    const options: EngineOptions = withModePreset(given);
    const {
      nodeExecutor = "sequential",
      mapExecutor = "sequential",
      concurrency = Infinity,
      adapters = [],
    } = options;
    if (!Array.isArray(adapters)) {
      throw new TypeError(`'adapters' must be an array: received ${adapters}`);
    }
    for (const a of adapters) {
      if (typeof a !== "object" || a === null) {
        throw new TypeError(`'adapters' must be objects: received ${a}`);
      }
    }
    checkConcurrency(concurrency);
    const executorOptions: ExecutorOptions = {
      concurrency,
      ...pick(options, [
        "workers",
        "timeoutMs",
        "permissions",
        "idleMs",
        "prestart",
      ]),
    };
    const router = routerOf(options, executorOptions);
    const executor = router?.defaultExecutor ??
      createExecutor(nodeExecutor, executorOptions, "nodeExecutor");
    const parts: EngineParts = {
      executor,
      router,
      mapExecutor: createMapExecutor(mapExecutor, executorOptions, executor),
      hooks: new Hooks(adapters, {
        timeoutMs: options.hookTimeoutMs ?? Infinity,
      }),
      cacheOptions: options.cache === undefined
        ? undefined
        : checkCacheOptions(options.cache),
      retry: options.retry === undefined
        ? undefined
        : checkRetryPolicy(options.retry),
      runStoreOptions: options.runStore === undefined
        ? undefined
        : checkRunStoreOptions(options.runStore),
      resultBuilder: checkResultBuilder(options.resultBuilder),
    };
    this.resultBuilder = given.resultBuilder;
    this.nodeExecutor = executor.name;
    this.mapExecutor = mapExecutor;
    this.concurrency = concurrency;
    this.adapters = Object.freeze([...adapters]);
    PARTS.set(this, parts);
    Object.freeze(this);
  }

  /**
   * Releases the engine's resources (the workers of every executor, its
   * cache store). Safe to call twice.
   */
  async close(): Promise<void> {
    const parts = PARTS.get(this)!;
    for (const executor of parts.router?.lanes.executors ?? [parts.executor]) {
      await executor.close?.();
    }
    await parts.mapExecutor.close?.();
    const cache = await parts.opening;
    parts.opening = parts.cache = undefined;
    await cache?.close();
    const log = await parts.openingLog;
    parts.openingLog = parts.runLog = undefined;
    await log?.close();
  }

  /** Closes the engine (`await using engine = ...`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// `options` with what its mode sets, where nothing was chosen by hand.
function withModePreset(options: EngineOptions): EngineOptions {
  if (options.mode === undefined) return options;
  const preset = modePreset(options.mode, options.modeOptions);
  const chosen = options.nodeExecutor !== undefined ||
    options.executors !== undefined;
  return {
    ...options,
    ...(chosen ? {} : preset.executors !== undefined
      ? {
        executors: preset.executors.executors,
        ...(preset.executors.route && { route: preset.executors.route }),
      }
      : { nodeExecutor: preset.executor! }),
    mapExecutor: options.mapExecutor ?? preset.mapExecutor,
  };
}

// The router of an engine with several executors, checked.
function routerOf(
  options: EngineOptions,
  executorOptions: ExecutorOptions,
): Router | undefined {
  const { executors, route } = options;
  if (executors === undefined) {
    if (route !== undefined || options.default !== undefined) {
      throw new TypeError(
        "'route' and 'default' need 'executors': give the executors to route among",
      );
    }
    return undefined;
  }
  if (options.nodeExecutor !== undefined) {
    throw new TypeError(
      "'nodeExecutor' and 'executors' cannot both be given: name the node executor in 'executors' (the first, or 'default')",
    );
  }
  return new Router({
    executors,
    ...(route === undefined ? {} : { route }),
    ...(options.default === undefined ? {} : { default: options.default }),
  }, executorOptions);
}

function checkResultBuilder(
  builder: ResultBuilder | undefined,
): ResultBuilder | undefined {
  if (
    builder !== undefined &&
    (typeof builder !== "object" || builder === null ||
      typeof builder.buildResult !== "function")
  ) {
    throw new TypeError(
      `'resultBuilder' must have a buildResult(event) method: received ${builder}`,
    );
  }
  return builder;
}

// The options of `keys` that are set.
function pick<T extends object, K extends keyof T>(
  options: T,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked;
}

/** The engine of a pipeline given none: sequential nodes and items. */
export const DEFAULT_ENGINE: Engine = new Engine();

/** Opens `engine`'s cache, if it has one and it is not open yet. */
export async function openEngine(engine: Engine): Promise<void> {
  const parts = PARTS.get(engine)!;
  if (parts.runStoreOptions !== undefined) {
    parts.runLog = await (parts.openingLog ??= RunLog.open(
      parts.runStoreOptions,
    ));
  }
  if (parts.cacheOptions === undefined) return;
  parts.cache = await (parts.opening ??= Cache.open(parts.cacheOptions));
}

/**
 * Checks that every `executor` tag of `graph`'s nodes names one of
 * `engine`'s executors (a ConfigError naming the node and the executor);
 * an engine with one executor lets tags be.
 */
export function checkEngine(engine: Engine, graph: Graph): void {
  PARTS.get(engine)!.router?.check(graph);
}

/**
 * What a runner for `graph` with `engine`'s executors, adapters and (once
 * opened, see {@linkcode openEngine}) cache is made of.
 */
export function runnerInit(engine: Engine, graph: Graph): RunnerInit {
  const parts = PARTS.get(engine)!;
  return {
    graph,
    config: EMPTY,
    hooks: parts.hooks,
    executor: parts.executor,
    ...(parts.router === undefined ? {} : { router: parts.router }),
    mapExecutor: parts.mapExecutor,
    cache: parts.cache,
    retry: parts.retry,
    runLog: parts.runLog,
    resultBuilder: parts.resultBuilder,
  };
}
