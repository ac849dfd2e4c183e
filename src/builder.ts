/**
 * `Builder`: collects modules, config, adapters and an executor, then builds
 * (and checks) the graph once and returns an {@linkcode AsyncDriver}.
 *
 * @module
 */
import { fingerprint, planSignature } from "./signature.ts";
import { type ExecutionMode, type ModeOptions, modePreset } from "./modes.ts";
import { checkRetryPolicy, type RetryPolicy } from "./modifiers/retry.ts";
import { CancelledError, ConfigError } from "./errors.ts";
import { delayOption } from "./_delay.ts";
import { raceAbort } from "./executors/executor.ts";
import { type AsyncDriver, createDriver, type DictResult } from "./driver.ts";
import type { ExecutorLike, ExecutorOptions } from "./executors/executor.ts";
import type { MapExecutorKind } from "./executors/map_executor.ts";
import { createExecutor, createMapExecutor } from "./executors/registry.ts";
import { type ExecutorsOptions, Router } from "./routing.ts";
import { preloadPrestarted } from "./executors/threaded.ts";
import { Graph } from "./graph.ts";
import { type Adapter, graphView, Hooks } from "./hooks.ts";
import { CTX } from "./node.ts";
import {
  collectSpecs,
  loadModules,
  type ModuleInput,
  resolveAgainstCaller,
} from "./_load.ts";
import type { Checked, MergeModules, ResultOf } from "./types.ts";
import type { ResultBuilder, ResultTypeOf } from "./result_builders.ts";
import type { Materializer, SaverNodes } from "./io/materializers.ts";
import { withMaterializers } from "./io/materialize.ts";
import { Cache, type CacheOptions, checkCacheOptions } from "./cache/cache.ts";
import {
  checkRunStoreOptions,
  RunLog,
  type RunStoreOptions,
} from "./runs/_run_log.ts";
import { seedRouteCosts } from "./runs/_route_costs.ts";

export type { ModuleInput } from "./_load.ts";

interface BuilderState {
  readonly modules: readonly ModuleInput[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly allowOverrides: boolean;
  readonly adapters: readonly Adapter[];
  readonly executor: ExecutorLike;
  readonly executorOptions: ExecutorOptions;
  readonly cache?: CacheOptions;
  readonly retry?: RetryPolicy;
  readonly hookTimeoutMs?: number;
  readonly mapExecutor?: readonly [MapExecutorKind, ExecutorOptions];
  readonly executors?: ExecutorsOptions;
  /** Set by `withExecutor`: a mode's executors do not replace it. */
  readonly executorChosen?: boolean;
  readonly mode?: readonly [ExecutionMode, ModeOptions];
  readonly runStore?: RunStoreOptions;
  /** Loaders and savers to add to the graph (`withMaterializers`). */
  readonly materializers?: readonly Materializer[];
  /** Set by `withResultBuilder`, cleared by a later adapter's `buildResult`. */
  readonly resultBuilder?: ResultBuilder | undefined;
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
   * specifiers (URLs, or paths: a relative path resolves against the module
   * that calls `withModules`, as `import` would).
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
      modules: [
        ...this.#state.modules,
        ...modules.map((m) => resolveAgainstCaller(m, this.withModules)),
      ],
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
    // A later adapter's buildResult replaces a result builder given
    // before (later calls win, as the types say).
    const builds = adapters.some((a) => typeof a.buildResult === "function");
    return new Builder({
      ...this.#state,
      adapters: [...this.#state.adapters, ...adapters],
      ...(builds ? { resultBuilder: undefined } : {}),
    });
  }

  /**
   * Adds loaders and savers to the graph: each `from.<format>(...)` loader
   * replaces the node it targets, each `to.<format>(...)` saver is a node
   * requested by its id (`execute(["save_orders"])`).
   *
   * @example
   * ```ts
   * import { Builder, to } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const path = await Deno.makeTempFile({ suffix: ".json" });
   * const dr = await new Builder()
   *   .withModules({ totals: () => ({ eu: 3, us: 4 }) })
   *   .withMaterializers(
   *     to.json({ id: "save_totals", path, dependencies: ["totals"] }),
   *   )
   *   .build();
   * const out = await dr.execute(["save_totals"]);
   * assert.equal(out.save_totals.path, path);
   * assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { eu: 3, us: 4 });
   * await Deno.remove(path);
   * ```
   */
  withMaterializers<const T extends readonly Materializer[]>(
    ...materializers: T
  ): Builder<M & SaverNodes<T>, R> {
    return new Builder({
      ...this.#state,
      materializers: [...this.#state.materializers ?? [], ...materializers],
    });
  }

  /**
   * Sets what `execute()` returns: `dictResult()` (the default, values by
   * name), `listResult()` (values in request order), `arrowTableResult()`
   * (an Arrow Table) or any object with a `buildResult(event)` method; the
   * static type of `execute()` follows. Whichever of this and an adapter's
   * `buildResult` is given last wins.
   *
   * @example
   * ```ts
   * import { Builder, listResult } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const dr = await new Builder()
   *   .withModules({ a: () => 1, b: () => "two" })
   *   .withResultBuilder(listResult())
   *   .build();
   * const values: (number | string)[] = await dr.execute(["a", "b"]);
   * assert.deepEqual(values, [1, "two"]);
   * ```
   */
  withResultBuilder<const B extends ResultBuilder>(
    builder: B,
  ): Builder<M, ResultTypeOf<B>> {
    if (
      typeof builder !== "object" || builder === null ||
      typeof builder.buildResult !== "function"
    ) {
      throw new TypeError(
        `'builder' must have a buildResult(event) method: received ${builder}`,
      );
    }
    return new Builder({ ...this.#state, resultBuilder: builder });
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
      executorChosen: true,
    });
  }

  /**
   * Picks executors, routing and map executor by an execution mode:
   * `"deterministic-serial"` (one node at a time, items one at a time),
   * `"plan-parallel"` (the event loop, and costly tasks on `heavy`, by
   * default threads) or `"plan-parallel-remote"` (also scans and the
   * costliest tasks on `remote`). What `withExecutor`, `withExecutors` or
   * `withMapExecutor` choose wins over the mode, whatever the order of the
   * calls. See `src/modes.ts` for the table.
   *
   * @example
   * ```ts
   * import { Builder } from "@braid/braid";
   * const dr = await new Builder()
   *   .withModules({ a: () => 1 })
   *   .withMode("deterministic-serial")
   *   .build();
   * console.assert(dr.executor === "sequential");
   * ```
   */
  withMode(mode: ExecutionMode, options: ModeOptions = {}): Builder<M, R> {
    modePreset(mode, options); // validate now
    return new Builder({ ...this.#state, mode: [mode, options] });
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
   * Records every run (`execute`, `run`, `stream`, `map`) in a run store:
   * `path`, a SQLite file opened as a {@linkcode SqliteRunStore} (and
   * closed with the driver), or `store`, one of your own (`MemoryRunStore`).
   * Query it with `dr.runs`. A store that fails never fails a run: it is
   * reported to `onWarning` (and as a `"warning"` stream event).
   *
   * @example
   * ```ts
   * import { Builder, MemoryRunStore } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const store = new MemoryRunStore();
   * const dr = await new Builder()
   *   .withModules({ double: ({ x }: { x: number }) => 2 * x })
   *   .withRunStore({ store })
   *   .build();
   * const { runId } = await dr.run(["double"], { inputs: { x: 1 } });
   * const run = await dr.runs.get(runId);
   * assert.deepEqual(run?.inputs.map((i) => i.name), ["x"]);
   * ```
   */
  withRunStore(options: RunStoreOptions): Builder<M, R> {
    return new Builder({
      ...this.#state,
      runStore: checkRunStoreOptions(options),
    });
  }

  /**
   * Retries every node without a `retry(...)` of its own by `policy`: a
   * failed node starts again, up to `attempts` starts in all, after
   * `backoffMs`, while `retryOn(error)` says so. Applied by the scheduler on
   * every executor.
   *
   * @example
   * ```ts
   * import { Builder } from "@braid/braid";
   * let calls = 0;
   * const dr = await new Builder()
   *   .withModules({ flaky: () => (++calls < 2 ? Promise.reject(new Error("once")) : calls) })
   *   .withRetry({ attempts: 2 })
   *   .build();
   * const result = await dr.run(["flaky"]);
   * console.assert(result.nodes[0]?.attempts === 2);
   * ```
   */
  withRetry(policy: RetryPolicy): Builder<M, R> {
    return new Builder({ ...this.#state, retry: checkRetryPolicy(policy) });
  }

  /**
   * Fails a hook whose promise has not settled after `ms` with a
   * `HookError` naming the hook and the timeout, and so the run (or the
   * build) it was called for, instead of waiting forever. Every hook but
   * `executeNode`, whose time includes the node's own. `Infinity`: none.
   *
   * @example
   * ```ts
   * import { Builder, HookError } from "@braid/braid";
   * const dr = await new Builder()
   *   .withModules({ a: () => 1 })
   *   .withAdapters({ afterNodeExecution: () => new Promise<void>(() => {}) })
   *   .withHookTimeout(50)
   *   .build();
   * await dr.execute(["a"]).catch((e) => console.assert(e instanceof HookError));
   * ```
   */
  withHookTimeout(ms: number): Builder<M, R> {
    delayOption("hookTimeoutMs", ms, true); // checked now
    return new Builder({ ...this.#state, hookTimeoutMs: ms });
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
   * The fingerprint the driver this builder builds will have (see
   * `AsyncDriver.fingerprint`), without building it: loads the modules and
   * the graph, no cache or executor, no hook. `DriverFactory` keys drivers
   * by it.
   */
  async fingerprint(): Promise<string> {
    const { graph } = await this.#load();
    return fingerprint(settingsOf(this.#state), graph);
  }

  // The modules loaded and their graph built.
  async #load(): Promise<{
    readonly modules: Awaited<ReturnType<typeof loadModules>>;
    readonly graph: Graph;
  }> {
    const state = this.#state;
    const modules = await loadModules(state.modules);
    const context = { config: state.config };
    const specs = withMaterializers(
      collectSpecs(modules, context, state.allowOverrides),
      state.materializers ?? [],
    );
    return { modules, graph: Graph.build(specs, state.config) };
  }

  /**
   * Loads the modules, builds and checks the graph, and returns the driver.
   * Adapters hear of it: `beforeAnything` first, `afterGraphBuild` once the
   * graph is built, then `validateNode` and `validateGraph`.
   */
  async build(options: BuildOptions = {}): Promise<AsyncDriver<M, R>> {
    const state = this.#state;
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(
        `'signal' must be an AbortSignal: received ${signal}`,
      );
    }
    // Each step of the build gives way to a cancellation at once.
    const step = <T>(pending: Promise<T>): Promise<T> =>
      raceAbort(signal, pending, () => buildCancelled(signal!));
    if (signal?.aborted) throw buildCancelled(signal);
    const hooks = new Hooks(state.adapters, {
      timeoutMs: state.hookTimeoutMs ?? Infinity,
    });
    if (hooks.has("beforeAnything")) {
      await step(hooks.call("beforeAnything", { config: state.config }));
    }
    const { modules, graph } = await step(this.#load());
    if (hooks.has("afterGraphBuild")) {
      await step(hooks.call("afterGraphBuild", {
        graph: graphView(graph),
        modules: modules.map((m) => m.label),
        config: state.config,
      }));
    }
    if (hooks.has("validateNode") || hooks.has("validateGraph")) {
      await step(hooks.validate(graph.list(), state.config));
    }
    const cache = state.cache === undefined
      ? undefined
      : await Cache.open(state.cache);
    if (signal?.aborted) {
      await cache?.close();
      throw buildCancelled(signal);
    }
    const runLog = state.runStore === undefined
      ? undefined
      : await RunLog.open(state.runStore);
    // What the mode sets, where nothing was chosen by hand.
    const preset = state.mode === undefined
      ? undefined
      : modePreset(...state.mode);
    const executors = state.executors ??
      (state.executorChosen ? undefined : preset?.executors);
    const router = executors === undefined ? undefined : new Router(executors);
    router?.check(graph);
    if (router !== undefined && runLog !== undefined) {
      await seedRouteCosts(router, runLog, planSignature(graph));
    }
    const executor = router?.defaultExecutor ??
      createExecutor(
        state.executorChosen
          ? state.executor
          : preset?.executor ?? state.executor,
        state.executorOptions,
      );
    const mapExecutor = state.mapExecutor ??
      (preset === undefined ? undefined : [preset.mapExecutor, {}] as const);
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
      runLog,
      ...(state.retry === undefined ? {} : { retry: state.retry }),
      resultBuilder: state.resultBuilder,
      ...(mapExecutor === undefined ? {} : {
        mapExecutor: createMapExecutor(
          mapExecutor[0],
          mapExecutor[1],
          executor,
        ),
      }),
    }, () => settingsOf(state));
  }
}

/** Options of {@linkcode Builder.build}. */
export interface BuildOptions {
  /**
   * Cancels the build: it rejects with a `CancelledError` at once, also
   * while a hook (`validateNode`, `validateGraph`, ...) is still pending.
   */
  readonly signal?: AbortSignal;
}

function buildCancelled(signal: AbortSignal): CancelledError {
  return new CancelledError("build", signal.reason, "The build");
}

// What besides the graph makes drivers built from `state` differ, in a
// form `canonical` writes stably: executor instances and adapters by kind
// and code, not by the data they hold.
function settingsOf(state: BuilderState): unknown {
  return {
    config: state.config,
    allowOverrides: state.allowOverrides,
    adapters: state.adapters.map(describeAdapter),
    executor: describeExecutor(state.executor),
    executorOptions: state.executorOptions,
    executorChosen: state.executorChosen === true,
    executors: state.executors && {
      ...state.executors,
      executors: Object.fromEntries(
        Object.entries(state.executors.executors).map((
          [name, e],
        ) => [name, describeExecutor(e)]),
      ),
    },
    mapExecutor: state.mapExecutor,
    mode: state.mode && [state.mode[0], {
      ...state.mode[1],
      heavy: describeExecutor(state.mode[1].heavy),
      remote: describeExecutor(state.mode[1].remote),
    }],
    cache: state.cache && {
      ...state.cache,
      store: state.cache.store?.constructor.name,
    },
    retry: state.retry,
    runStore: state.runStore && {
      ...state.runStore,
      store: state.runStore.store?.constructor.name,
    },
    hookTimeoutMs: state.hookTimeoutMs,
    ...(state.resultBuilder === undefined ? {} : {
      resultBuilder: state.resultBuilder.name ??
        state.resultBuilder.constructor.name,
    }),
  };
}

function describeExecutor(executor: ExecutorLike | undefined): unknown {
  return typeof executor === "object" && executor !== null
    ? `${executor.constructor.name}:${executor.name}:${executor.concurrency}`
    : executor;
}

// An adapter by its class and its hooks' code.
function describeAdapter(adapter: Adapter): unknown {
  const hooks: Record<string, unknown> = {};
  for (let o: object | null = adapter; o !== null && o !== Object.prototype;) {
    for (const key of Object.getOwnPropertyNames(o)) {
      const value = (o as Record<string, unknown>)[key];
      if (typeof value === "function" && key !== "constructor") {
        hooks[key] ??= value;
      }
    }
    o = Object.getPrototypeOf(o);
  }
  return { kind: adapter.constructor?.name, hooks };
}
