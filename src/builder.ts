/**
 * `Builder`: collects modules, config, adapters and an executor, then builds
 * (and checks) the graph once and returns an {@linkcode AsyncDriver}.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import { AsyncDriver, type DictResult } from "./driver.ts";
import type {
  Executor,
  ExecutorKind,
  ExecutorOptions,
} from "./executors/executor.ts";
import { SequentialExecutor } from "./executors/sequential.ts";
import { ConcurrentExecutor } from "./executors/concurrent.ts";
import { ThreadedExecutor } from "./executors/threaded.ts";
import { WorkerPool } from "./executors/pool.ts";
import {
  type MapExecutor,
  type MapExecutorKind,
  ParallelMapExecutor,
  PerItemMapExecutor,
} from "./executors/map_executors.ts";
import { Graph } from "./graph.ts";
import { type Adapter, Hooks } from "./hooks.ts";
import { CTX } from "./node.ts";
import { collectSpecs, loadModules, type ModuleInput } from "./_load.ts";
import type { Checked, MergeModules, ResultOf } from "./types.ts";

export type { ModuleInput } from "./_load.ts";

interface BuilderState {
  readonly modules: readonly ModuleInput[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly allowOverrides: boolean;
  readonly adapters: readonly Adapter[];
  readonly executor: ExecutorKind;
  readonly executorOptions: ExecutorOptions;
  readonly mapExecutor?: MapExecutorKind;
  readonly mapExecutorOptions?: ExecutorOptions;
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
   * Chooses the node executor: `"sequential"` (the default), `"async"`
   * (concurrent on the event loop, `concurrency` unbounded by default) or
   * `"threaded"` (on a pool of Deno Workers, one per core by default; nodes
   * must be exported from module files). Close the driver to end the workers.
   */
  withExecutor(
    kind: ExecutorKind,
    options: ExecutorOptions = {},
  ): Builder<M, R> {
    if (kind !== "sequential" && kind !== "async" && kind !== "threaded") {
      throw new TypeError(
        `'executor' must be "sequential", "async" or "threaded": received ${kind}`,
      );
    }
    createExecutor(kind, options); // validate options now, not at build()
    return new Builder({
      ...this.#state,
      executor: kind,
      executorOptions: options,
    });
  }

  /**
   * Chooses how `map` runs its items, whatever the node executor:
   * `"sequential"` (one item at a time), `"async"` (concurrently on the event
   * loop, up to `concurrency`), `"threaded"` (each item's nodes as worker
   * tasks) or `"parallel"` (whole items in chunks across the workers; with
   * adapters attached, items run as with `"threaded"` so that hooks see every
   * node). By default items run under the node executor. Worker options
   * configure the pool, shared with a `"threaded"` node executor.
   */
  withMapExecutor(
    kind: MapExecutorKind,
    options: ExecutorOptions = {},
  ): Builder<M, R> {
    if (!MAP_KINDS.includes(kind)) {
      throw new TypeError(
        `'mapExecutor' must be "sequential", "async", "threaded" or "parallel": received ${kind}`,
      );
    }
    createMapExecutor(kind, options, undefined); // validate options now
    return new Builder({
      ...this.#state,
      mapExecutor: kind,
      mapExecutorOptions: options,
    });
  }

  /** Loads the modules, builds and checks the graph, and returns the driver. */
  async build(): Promise<AsyncDriver<M, R>> {
    const state = this.#state;
    const modules = await loadModules(state.modules);
    const context = { config: state.config };
    const specs = collectSpecs(modules, context, state.allowOverrides);
    const graph = Graph.build(specs);
    const hooks = new Hooks(state.adapters);
    if (hooks.has("validateNode") || hooks.has("validateGraph")) {
      await hooks.validate(graph.list(), state.config);
    }
    const executor = createExecutor(state.executor, state.executorOptions);
    const init = { graph, config: state.config, hooks, executor };
    if (state.mapExecutor === undefined) return new AsyncDriver<M, R>(init);
    return new AsyncDriver<M, R>({
      ...init,
      mapExecutor: createMapExecutor(
        state.mapExecutor,
        state.mapExecutorOptions ?? {},
        executor,
      ),
    });
  }
}

const MAP_KINDS: readonly MapExecutorKind[] = [
  "sequential",
  "async",
  "threaded",
  "parallel",
];

// A threaded node executor and a map executor that uses workers share one
// pool (no worker starts before the first task either way).
function createMapExecutor(
  kind: MapExecutorKind,
  options: ExecutorOptions,
  executor: Executor | undefined,
): MapExecutor {
  if (kind === "sequential" || kind === "async") {
    return new PerItemMapExecutor(
      kind === "async"
        ? new ConcurrentExecutor(options)
        : new SequentialExecutor(),
    );
  }
  const pool = executor instanceof ThreadedExecutor
    ? executor.pool
    : new WorkerPool(options);
  return kind === "parallel"
    ? new ParallelMapExecutor(pool)
    : new PerItemMapExecutor(new ThreadedExecutor(pool, options));
}

function createExecutor(
  kind: ExecutorKind,
  options: ExecutorOptions,
): Executor {
  if (kind === "threaded") {
    return new ThreadedExecutor(new WorkerPool(options), options);
  }
  return kind === "async"
    ? new ConcurrentExecutor(options)
    : new SequentialExecutor();
}
