/**
 * `Builder`: collects modules, config, adapters and an executor, then builds
 * (and checks) the graph once and returns an {@linkcode AsyncDriver}.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import { type AsyncDriver, createDriver, type DictResult } from "./driver.ts";
import type { ExecutorLike, ExecutorOptions } from "./executors/executor.ts";
import type { MapExecutorKind } from "./executors/map_executor.ts";
import { createExecutor, createMapExecutor } from "./executors/registry.ts";
import { type ExecutorsOptions, Router } from "./routing.ts";
import { preloadPrestarted } from "./executors/threaded.ts";
import { Graph } from "./graph.ts";
import { type Adapter, graphView, Hooks } from "./hooks.ts";
import { CTX } from "./node.ts";
import { collectSpecs, loadModules, type ModuleInput } from "./_load.ts";
import type { Checked, MergeModules, ResultOf } from "./types.ts";
import { Cache, type CacheOptions, checkCacheOptions } from "./cache/cache.ts";

export type { ModuleInput } from "./_load.ts";

interface BuilderState {
  readonly modules: readonly ModuleInput[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly allowOverrides: boolean;
  readonly adapters: readonly Adapter[];
  readonly executor: ExecutorLike;
  readonly executorOptions: ExecutorOptions;
  readonly cache?: CacheOptions;
  readonly mapExecutor?: readonly [MapExecutorKind, ExecutorOptions];
  readonly executors?: ExecutorsOptions;
}

/**
 * Builds a driver from modules of plain functions (Hamilton's Builder).
 * Each call returns a new builder; the order of calls does not matter.
 *
 * @typeParam M The merged type of the modules, for typed `execute`.
 * @typeParam R What `execute` returns: the requested values by default.
 *
 * @example
 * ```ts
 * import { Builder } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const features = {
 *   A: () => 35,
 *   B: ({ A }: { A: number }) => A / 3,
 *   C: ({ A, B }: { A: number; B: number }) => A * A * B,
 * };
 * const dr = await new Builder().withModules(features).build();
 * const out = await dr.execute(["C"]);
 * assert.equal(Math.round(out.C), 14292);
 * ```
 */
export class Builder<M = unknown, R = DictResult> {
  readonly #state: BuilderState;

  /** Starts an empty builder. */
  constructor(state?: BuilderState) {
    this.#state = state ?? {
      modules: [],
      config: {},
      allowOverrides: false,
      adapters: [],
      executor: "sequential",
      executorOptions: {},
    };
  }

  /**
   * Adds modules of nodes: namespaces (`import * as f`), plain objects, or
   * specifiers (URLs; relative paths resolve against the working directory).
   */
  withModules<const A extends readonly ModuleInput[]>(
    ...modules: A
  ): Checked<M & MergeModules<A>, Builder<M & MergeModules<A>, R>> {
    for (const m of modules) {
      if (
        typeof m !== "string" && !(m instanceof URL) &&
        (typeof m !== "object" || m === null)
      ) {
        throw new TypeError(
          `'modules' must be namespaces, objects or specifiers: received ${m}`,
        );
      }
    }
    return new Builder({
      ...this.#state,
      modules: [...this.#state.modules, ...modules],
    }) as Checked<M & MergeModules<A>, Builder<M & MergeModules<A>, R>>;
  }

  /** Adds config: decides which nodes exist, and serves as inputs. Later keys win. */
  withConfig(config: Readonly<Record<string, unknown>>): Builder<M, R> {
    if (typeof config !== "object" || config === null) {
      throw new TypeError(`'config' must be an object: received ${config}`);
    }
    if (Object.hasOwn(config, CTX)) {
      throw new ConfigError(
        `Config key "${CTX}" is reserved for the run context; rename it`,
      );
    }
    return new Builder({
      ...this.#state,
      config: { ...this.#state.config, ...config },
    });
  }

  /** Lets a later module replace an earlier module's node of the same name. */
  allowModuleOverrides(): Builder<M, R> {
    return new Builder({ ...this.#state, allowOverrides: true });
  }

  /** Adds lifecycle adapters (and at most one result builder). */
  withAdapters<const A extends readonly Adapter[]>(
    ...adapters: A
  ): Builder<M, ResultOf<A, R>> {
    for (const a of adapters) {
      if (typeof a !== "object" || a === null) {
        throw new TypeError(`'adapters' must be objects: received ${a}`);
      }
    }
    return new Builder({
      ...this.#state,
      adapters: [...this.#state.adapters, ...adapters],
    });
  }

  /**
   * Chooses the node executor: an {@linkcode Executor} instance (such as
   * `new ThreadedExecutor({ workers: 4 })`, or one of your own), or the name
   * of a built-in one with its options: `"sequential"` (the default),
   * `"async"` (concurrent on the event loop, `concurrency` unbounded by
   * default) or `"threaded"` (each node on a pool of Deno Workers; `workers`,
   * `timeoutMs`, `permissions`, `idleMs` and `prestart` configure the pool).
   * A name makes a new executor for each driver built; an instance is used
   * as it is, and the driver's `close()` closes it.
   */
  withExecutor(
    executor: ExecutorLike,
    options: ExecutorOptions = {},
  ): Builder<M, R> {
    // Validate now, not at build() (no worker starts); a name's executor
    // is made per build.
    if (typeof executor === "string") {
      createExecutor(executor, { ...options, prestart: false });
    } else createExecutor(executor);
    return new Builder({
      ...this.#state,
      executor,
      executorOptions: options,
    });
  }

  /**
   * Runs nodes on several executors (Hamilton's `with_execution_manager`).
   * On every run, per task: a node's `executor` tag wins; otherwise
   * `route(task)` picks (it gets `{ name, tags, metrics, cost }`; see
   * {@linkcode routeByCost}); otherwise `default`, the first key unless
   * given. A tag naming no executor is a `ConfigError` at `build()`; a route
   * that names none fails the run with a `ConfigError`. Replaces
   * `withExecutor`.
   *
   * @example
   * ```ts
   * import { Builder, routeByCost, tag, node } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const dr = await new Builder()
   *   .withModules({
   *     small: node(() => 1, tag({ cost: 1 })),
   *     big: node(() => 2, tag({ cost: 500 })),
   *   })
   *   .withExecutors({
   *     executors: { local: "sequential", heavy: "async" },
   *     route: routeByCost({ threshold: 100, above: "heavy", below: "local" }),
   *   })
   *   .build();
   * assert.deepEqual(await dr.execute(["small", "big"]), { small: 1, big: 2 });
   * ```
   */
  withExecutors(options: ExecutorsOptions): Builder<M, R> {
    new Router(options); // validate now, not at build()
    return new Builder({ ...this.#state, executors: options });
  }

  /**
   * Caches node results (Hamilton's `with_cache`): a node whose code and
   * input data versions match a stored result is not run. `path` is the
   * directory of the default `SqliteCacheStore` (`.braid_cache`); `store`
   * picks another store. `recompute`, `disable`, `ignore` and
   * `defaultBehavior` set behaviours and win over `cache({ behavior })`.
   * Called once per builder: a second call is a TypeError.
   *
   * @example
   * ```ts
   * import { Builder, MemoryCacheStore } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * let runs = 0;
   * const dr = await new Builder()
   *   .withModules({ model: ({ n }: { n: number }) => (runs++, n * 2) })
   *   .withCache({ store: new MemoryCacheStore() })
   *   .build();
   * const { runId } = await dr.run(["model"], { inputs: { n: 2 } });
   * await dr.execute(["model"], { inputs: { n: 2 } });
   * assert.equal(runs, 1);
   * assert.equal(dr.cache.logs(runId)[0]?.outcome, "miss");
   * ```
   */
  withCache(options: CacheOptions = {}): Builder<M, R> {
    if (this.#state.cache !== undefined) {
      // Which call's options should win is anyone's guess (Hamilton
      // refuses a second with_cache too).
      throw new TypeError(
        "'withCache' was already called on this builder; give every cache option in one call",
      );
    }
    return new Builder({ ...this.#state, cache: checkCacheOptions(options) });
  }

  /**
   * Chooses how `map` (and fan-out blocks) run items, whatever runs each
   * item's nodes: `"sequential"` (one at a time), `"async"` (concurrently,
   * up to `concurrency`), `"threaded"` (concurrently, each item's nodes on
   * workers) or `"parallel"` (whole items in chunks inside workers; items
   * run as with `"threaded"` when adapters, a cache or `onError: "collect"`
   * must see them). A worker pool is shared with a `"threaded"` node
   * executor. By default items run the way the executor runs nodes.
   */
  withMapExecutor(
    kind: MapExecutorKind,
    options: ExecutorOptions = {},
  ): Builder<M, R> {
    createMapExecutor(kind, { ...options, prestart: false }); // validate now
    return new Builder({ ...this.#state, mapExecutor: [kind, options] });
  }

  /**
   * Loads the modules, builds and checks the graph, and returns the driver.
   * Adapters hear of it: `beforeAnything` first, `afterGraphBuild` once the
   * graph is built, then `validateNode` and `validateGraph`.
   */
  async build(): Promise<AsyncDriver<M, R>> {
    const state = this.#state;
    const hooks = new Hooks(state.adapters);
    if (hooks.has("beforeAnything")) {
      await hooks.call("beforeAnything", { config: state.config });
    }
    const modules = await loadModules(state.modules);
    const context = { config: state.config };
    const specs = collectSpecs(modules, context, state.allowOverrides);
    const graph = Graph.build(specs, state.config);
    if (hooks.has("afterGraphBuild")) {
      await hooks.call("afterGraphBuild", {
        graph: graphView(graph),
        modules: modules.map((m) => m.label),
        config: state.config,
      });
    }
    if (hooks.has("validateNode") || hooks.has("validateGraph")) {
      await hooks.validate(graph.list(), state.config);
    }
    const cache = state.cache === undefined
      ? undefined
      : await Cache.open(state.cache);
    const router = state.executors === undefined
      ? undefined
      : new Router(state.executors);
    router?.check(graph);
    const executor = router?.defaultExecutor ??
      createExecutor(state.executor, state.executorOptions);
    // A prestarted executor pays start-up before the first run: its workers
    // import the nodes' modules now, and `warm()` waits for that. (Not
    // awaited here: a worker stuck importing must not hang build().)
    preloadPrestarted(
      router?.lanes.executors ?? [executor],
      graph.specs.values(),
    ).catch(() => {}); // a module that fails to import fails its nodes' calls
    return createDriver<M, R>({
      graph,
      config: state.config,
      hooks,
      executor,
      ...(router === undefined ? {} : { router }),
      cache,
      ...(state.mapExecutor === undefined ? {} : {
        mapExecutor: createMapExecutor(
          state.mapExecutor[0],
          state.mapExecutor[1],
          executor,
        ),
      }),
    });
  }
}
