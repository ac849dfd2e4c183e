/**
 * `AsyncDriver`: plans a request and dispatches it to the executor. Built by
 * {@linkcode Builder}; holds no per-run state, so one driver serves any
 * number of concurrent calls.
 *
 * @module
 */
import { fingerprint, planSignature } from "./signature.ts";
import type { ExecutionEvent } from "./events.ts";
import type { Graph, NodeInfo, TagFilter } from "./graph.ts";
import { recordRun, type RunResult } from "./results.ts";
import { type ExecuteOptions, Runner, type RunnerInit } from "./runner.ts";
import { type DotOptions, toDot } from "./dot.ts";
import { renderSvg, type SvgOptions } from "./svg.ts";
import { type ExecutionPlan, exportPlan } from "./export.ts";
import { type MapItemResult, type MapOptions, runMap } from "./map.ts";
import { streamEvents } from "./_stream.ts";
import type { InputsOf, NodeName, Outputs, OverridesOf } from "./types.ts";
import { type AnyFn, isNodeDef, type NodeDef } from "./node.ts";
import type { MapExecutorKind } from "./executors/map_executor.ts";
import { NO_CACHE } from "./cache/cache.ts";
import type { ListResult } from "./result_builders.ts";
import type {
  MaterializationMetadata,
  Materializer,
} from "./io/materializers.ts";
import {
  materialize,
  type MaterializeOptions,
  validateMaterialization,
} from "./io/materialize.ts";
import { NO_RUNS, type RunsView, runsView } from "./runs/runs.ts";
import { type DriverCacheView, withLineage } from "./runs/lineage.ts";
import { reexecute, type ReexecuteOptions } from "./runs/reexecute.ts";
import { storedMap, storedRun, storedStream } from "./runs/_stored.ts";

/**
 * Marks the default result type: `execute` resolves to a plain object of the
 * requested values (Hamilton's DictResult). Never a runtime value.
 */
export interface DictResult {
  /** A brand no real result has. */
  readonly "braid.dictResult": true;
}

/** What `execute` resolves to: the requested values, or a result builder's value. */
export type ExecuteResult<M, R, V extends string> = [R] extends [DictResult]
  ? Outputs<M, V>
  : [R] extends [ListResult] ? Outputs<M, V>[V][]
  : R;

/**
 * What `execute` resolves to when some nodes are requested by their
 * function or definition: their names are not known to the type system,
 * so their values are `unknown`.
 */
export type ExecuteResultWith<M, R, V extends string> = [R] extends [DictResult]
  ? Outputs<M, V> & Record<string, unknown>
  : [R] extends [ListResult] ? unknown[]
  : R;

/** A node as `execute` takes it: a function or `node()` definition given to the builder. */
export type NodeRef = AnyFn | NodeDef;

/**
 * The options of one execution of modules `M`: `inputs` named as the
 * graph's inputs (and typed as the parameters that take them), `overrides`
 * as its nodes, so a misspelt name fails `deno check`. Any names when the
 * modules hide some (positional parameters, `source(...)` bindings).
 */
export type ExecuteOptionsOf<M> =
  & Omit<ExecuteOptions, "inputs" | "overrides">
  & {
    /** Values for the graph's inputs. @default {{}} */
    readonly inputs?: InputsOf<M>;
    /** Values that replace nodes; nothing only they needed runs. @default {{}} */
    readonly overrides?: OverridesOf<M>;
  };

/** The options of `materialize()` on modules `M`. */
export type MaterializeOptionsOf<M, V extends string> =
  & ExecuteOptionsOf<M>
  & {
    /** Nodes to compute and return besides the savers. @default {[]} */
    readonly additionalVars?: readonly V[];
  };

export type { ExecuteOptions } from "./runner.ts";
export type { MapItemResult, MapOptions } from "./map.ts";
export type { SvgOptions } from "./svg.ts";

// The runner `createDriver` hands the constructor, which takes nothing a
// user could give it: drivers are made by Builder.build() and pipelines.
let building: Runner | undefined;
let settingsOf: (() => unknown) | undefined;

/**
 * Makes a driver on a new runner (for Builder and Pipeline); `settings`
 * gives, when first asked, what besides the graph its fingerprint covers.
 */
export function createDriver<M, R>(
  init: RunnerInit,
  settings?: () => unknown,
): AsyncDriver<M, R> {
  building = new Runner(init);
  settingsOf = settings;
  try {
    return new AsyncDriver<M, R>();
  } finally {
    building = undefined;
    settingsOf = undefined;
  }
}

/** Runs a built graph. Create it with `new Builder()...build()`. */
export class AsyncDriver<M = unknown, R = DictResult>
  implements AsyncDisposable {
  readonly #runner: Runner;
  readonly #graph: Graph;
  readonly #settings: (() => unknown) | undefined;
  #fingerprint: string | undefined;
  #runs: RunsView | undefined;
  #cache: DriverCacheView | undefined;

  /**
   * Not for direct use: `Builder.build()` and pipelines create drivers.
   * Throws a TypeError when called otherwise.
   */
  constructor() {
    if (building === undefined) {
      throw new TypeError(
        "AsyncDriver is created by Builder.build() (or a Pipeline), not with new",
      );
    }
    this.#runner = building;
    this.#graph = building.graph;
    this.#settings = settingsOf;
  }

  /**
   * A stable hash of the built graph's node names, edges and code: config
   * that selects other variants changes it, config that only feeds values
   * does not. (SHA-256, hex; made on first read.)
   */
  get planSignature(): string {
    return planSignature(this.#graph);
  }

  /**
   * A stable hash of everything this driver was built from: the config,
   * the plan signature, the execution mode, executors and their options,
   * adapters, cache and retry settings. Equal fingerprints mean
   * interchangeable drivers; `DriverFactory` keys its drivers by it.
   */
  get fingerprint(): string {
    return this.#fingerprint ??= fingerprint(
      this.#settings?.() ?? { config: this.#runner.config },
      this.#graph,
    );
  }

  /**
   * What the cache did: `dr.cache.logs(runId)` tells, per node, hit, miss,
   * recompute, disabled or ignored, with its key and data version; with a
   * run store, `dr.cache.lineage(runId)` gives each stored run's cache
   * lineage (keys, code and data versions, the dependencies' data versions).
   */
  get cache(): DriverCacheView {
    return this.#cache ??= withLineage(
      this.#runner.cache ?? NO_CACHE,
      this.runs,
    );
  }

  /**
   * The runs its run store holds (`withRunStore`): `list`, `get`, `nodes`,
   * `items` and `events`. Without a store, each query rejects saying so.
   *
   * @example
   * ```ts
   * import { Builder, MemoryRunStore } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const dr = await new Builder()
   *   .withModules({ one: () => 1 })
   *   .withRunStore({ store: new MemoryRunStore() })
   *   .build();
   * await dr.execute(["one"]);
   * const [last] = await dr.runs.list({ status: "succeeded" });
   * assert.deepEqual(last?.finalVars, ["one"]);
   * ```
   */
  get runs(): RunsView {
    const log = this.#runner.runLog;
    return log === undefined ? NO_RUNS : this.#runs ??= runsView(log);
  }

  /** The node executor's name (the default one, when nodes are routed). */
  get executor(): string {
    return this.#runner.executor.name;
  }

  /** The map executor's kind. */
  get mapExecutor(): MapExecutorKind {
    return this.#runner.mapExecutor.kind;
  }

  /**
   * Computes `vars` (and only what they need) and returns their values.
   * A var is a node's name, or the function or `node()` definition that
   * defines it (given to the builder; Hamilton's `execute([fn])`), whose
   * value comes back under the node's name.
   *
   * @example
   * ```ts
   * import { Builder } from "@braid/braid";
   * const double = ({ x }: { x: number }) => 2 * x;
   * const dr = await new Builder().withModules({ double }).build();
   * const out = await dr.execute(["double"], { inputs: { x: 4 } });
   * console.assert(out.double === 8);
   * const same = await dr.execute([double], { inputs: { x: 4 } });
   * console.assert(same.double === 8);
   * ```
   */
  execute<const V extends NodeName<M>>(
    vars: readonly V[],
    options?: ExecuteOptionsOf<M>,
  ): Promise<ExecuteResult<M, R, V>>;
  /** Computes `vars`, some given by their function or definition. */
  execute<const V extends NodeName<M>>(
    vars: readonly (V | NodeRef)[],
    options?: ExecuteOptionsOf<M>,
  ): Promise<ExecuteResultWith<M, R, V>>;
  async execute(
    vars: readonly (string | NodeRef)[],
    options: ExecuteOptions = {},
  ): Promise<unknown> {
    const runner = this.#runner;
    const names = this.#names(vars);
    const plan = runner.plan(names, options);
    const log = runner.runLog;
    if (log !== undefined) {
      const result = await storedRun(runner, log, names, options, "execute");
      if (!result.success) throw result.error;
      return await runner.resultOf(
        plan,
        result.runId,
        result.outputs!,
        options.signal,
      );
    }
    const runId = crypto.randomUUID();
    const values = await runner.run(plan, runId, options);
    return await runner.result(plan, runId, values, options.signal);
  }

  /**
   * Like `execute`, but never rejects for a node failure or cancellation:
   * returns every node's status, duration and error.
   */
  run<const V extends NodeName<M>>(
    vars: readonly V[],
    options?: ExecuteOptionsOf<M>,
  ): Promise<RunResult<Outputs<M, V>>>;
  /** Runs `vars`, some given by their function or definition. */
  run<const V extends NodeName<M>>(
    vars: readonly (V | NodeRef)[],
    options?: ExecuteOptionsOf<M>,
  ): Promise<RunResult<Outputs<M, V> & Record<string, unknown>>>;
  async run(
    vars: readonly (string | NodeRef)[],
    options: ExecuteOptions = {},
  ): Promise<RunResult<unknown>> {
    const log = this.#runner.runLog;
    return log === undefined
      ? await recordRun(this.#runner, this.#names(vars), options)
      : await storedRun(this.#runner, log, this.#names(vars), options, "run");
  }

  /**
   * Runs `vars` and yields its events as they happen; with `mapOver`, runs
   * them once per item (as `map` does) and yields item progress too
   * (`"mapItem"` events: item index, done count, total). Stopping the
   * iteration early cancels the run.
   */
  stream<const V extends NodeName<M>>(
    vars: readonly V[],
    options: ExecuteOptions | MapOptions = {},
  ): AsyncGenerator<ExecutionEvent, void, undefined> {
    const log = this.#runner.runLog;
    return log === undefined
      ? streamEvents(this.#runner, vars, options)
      : storedStream(this.#runner, log, vars, options);
  }

  /**
   * Runs `vars` once per item of the mapped input(s) and returns one result per
   * item, in item order. Items run under the driver's executor: one at a
   * time when sequential, concurrently (up to its `concurrency`) when async.
   * The first failure rejects, naming the item and the node; with
   * `onError: "collect"`, every item gives `{ ok, value }` or `{ ok, error }`.
   */
  map<const V extends NodeName<M>>(
    vars: readonly V[],
    options: MapOptions & { readonly onError: "collect" },
  ): Promise<MapItemResult<Outputs<M, V>>[]>;
  /** Runs `vars` once per item; the first failure rejects. */
  map<const V extends NodeName<M>>(
    vars: readonly V[],
    options: MapOptions & { readonly onError?: "raise" },
  ): Promise<Outputs<M, V>[]>;
  async map<const V extends NodeName<M>>(
    vars: readonly V[],
    options: MapOptions,
  ): Promise<unknown[]> {
    const log = this.#runner.runLog;
    return log === undefined
      ? await runMap(this.#runner, vars, options)
      : await storedMap(this.#runner, log, vars, options);
  }

  /**
   * Runs the `select`ed nodes of stored run `runId` again (`"node"`,
   * `"node+"` with what is downstream, `"+node"` with what is upstream);
   * every other node they need, and every requested node not selected,
   * takes the parent run's value from the cache's persistent result store.
   * Selected nodes always run, never served from the cache. Refuses with a
   * `ReexecutionError`, before anything runs, when those values are not
   * persisted (no cache, a memory store, a value not stored) or an input
   * the selected nodes need is not given; the new run records its parent.
   * Never rejects for a node failure (it returns what `run()` returns).
   */
  async reexecute(
    runId: string,
    options: ReexecuteOptions,
  ): Promise<RunResult<Record<string, unknown>>> {
    return await reexecute(this.#runner, runId, options);
  }

  /**
   * Runs the savers among `materializers` (and `additionalVars`), with each
   * loader among them in place of the node it targets, as an override
   * would be (Hamilton's `materialize`). Returns the metadata of every
   * loader and saver that ran (the graph's own too), by node, and the
   * values of `additionalVars`. The driver's graph is unchanged.
   *
   * @example
   * ```ts
   * import { Builder, to } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const path = await Deno.makeTempFile({ suffix: ".json" });
   * const dr = await new Builder()
   *   .withModules({ a: () => [1, 2], total: ({ a }: { a: number[] }) => a[0]! + a[1]! })
   *   .build();
   * const [metadata, values] = await dr.materialize(
   *   [to.json({ id: "save_a", path, dependencies: ["a"] })],
   *   { additionalVars: ["total"] },
   * );
   * assert.equal(metadata.save_a?.path, path);
   * assert.deepEqual(values, { total: 3 });
   * await Deno.remove(path);
   * ```
   */
  async materialize<const V extends NodeName<M> = never>(
    materializers: readonly Materializer[],
    options: MaterializeOptionsOf<M, V> = {},
  ): Promise<[MaterializationMetadata, Outputs<M, V>]> {
    return await materialize(
      this.#runner,
      materializers,
      options as MaterializeOptions,
    ) as [MaterializationMetadata, Outputs<M, V>];
  }

  /**
   * Throws what `materialize(materializers, options)` would throw before
   * running anything (an unknown node, a missing input, a clash of
   * names); runs no node, loader or saver.
   */
  validateMaterialization(
    materializers: readonly Materializer[],
    options: MaterializeOptionsOf<M, NodeName<M>> = {},
  ): void {
    validateMaterialization(
      this.#runner,
      materializers,
      options as MaterializeOptions,
    );
  }

  /** Throws what `execute` would throw before running anything; runs nothing. */
  validateExecution(
    vars: readonly NodeName<M>[],
    options: ExecuteOptionsOf<M> = {},
  ): void {
    this.#runner.plan(vars, options);
  }

  /** The graph's nodes and inputs, optionally filtered by tags (keys ANDed). */
  listAvailableVariables(
    options: { readonly tagFilter?: TagFilter } = {},
  ): NodeInfo[] {
    const config = this.#runner.config;
    return this.#graph.list(options.tagFilter).map((info) =>
      info.kind === "input" && Object.hasOwn(config, info.name)
        ? Object.freeze({ ...info, fromConfig: true })
        : info
    );
  }

  /** `names` and everything they depend on. */
  whatIsUpstreamOf(...names: readonly string[]): NodeInfo[] {
    return this.#infos(this.#graph.upstreamOf(this.#known(names)));
  }

  /** `names` and everything that depends on them. */
  whatIsDownstreamOf(...names: readonly string[]): NodeInfo[] {
    return this.#infos(this.#graph.downstreamOf(this.#known(names)));
  }

  /** The nodes on any path from `from` to `to` (both included); empty if none. */
  whatIsThePathBetween(from: string, to: string): NodeInfo[] {
    this.#known([from, to]);
    return this.#infos(this.#graph.pathBetween(from, to));
  }

  /** The plan `execute(vars, options)` would run, as JSON-ready data. */
  exportExecution(
    vars: readonly NodeName<M>[],
    options: ExecuteOptions = {},
  ): ExecutionPlan {
    const router = this.#runner.router;
    return exportPlan(
      this.#runner.plan(vars, options),
      router === undefined ? undefined : (node) => router.costOf(node),
    );
  }

  /**
   * The graph as Graphviz DOT; inputs the config provides are drawn as notes
   * with their values. Given a `run` (what `run()` returned), each node is
   * coloured by its status and labelled with its duration.
   *
   * @example
   * ```ts
   * import { Builder } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const dr = await new Builder()
   *   .withModules({ double: ({ x }: { x: number }) => 2 * x })
   *   .build();
   * const run = await dr.run(["double"], { inputs: { x: 4 } });
   * assert.match(dr.toDot({ run }), /"double" \[shape=box, label="double\\n.* ms"/);
   * ```
   */
  toDot(options: DotOptions = {}): string {
    if (options.vars !== undefined) this.#known(options.vars);
    return toDot(this.#graph, options, this.#runner.config);
  }

  /**
   * The graph as an SVG picture: `toDot(options)` drawn by Graphviz in
   * WebAssembly (loaded on the first call). Hovering a node shows where it
   * was defined; each node's group carries CSS classes (`braid-node`, and
   * with a `run` `status-succeeded`, `status-failed`, `status-cached`,
   * `status-skipped`, `status-cancelled` or `status-not-run`).
   *
   * @example
   * ```ts
   * import { Builder } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const dr = await new Builder()
   *   .withModules({ double: ({ x }: { x: number }) => 2 * x })
   *   .build();
   * const run = await dr.run(["double"], { inputs: { x: 4 } });
   * const svg = await dr.toSvg({ run });
   * assert.match(svg, /class="node braid&#45;node status&#45;succeeded"/);
   * ```
   */
  async toSvg(options: SvgOptions = {}): Promise<string> {
    return await renderSvg(this.toDot({ tooltips: true, ...options }));
  }

  /**
   * Releases the driver's resources: its workers, and the cache store it
   * opened from a `path`. Safe to call more than once.
   */
  async close(): Promise<void> {
    for (const executor of this.#runner.lanes.executors) {
      await executor.close?.();
    }
    await this.#runner.mapExecutor.close?.();
    await this.#runner.cache?.close();
    await this.#runner.runLog?.close();
  }

  /** Closes the driver (`await using dr = ...`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // The names of `vars`, functions and definitions resolved to the nodes
  // they define; anything else is left for the plan to refuse.
  #names(vars: readonly unknown[]): readonly string[] {
    if (!Array.isArray(vars)) return vars as readonly string[];
    let names: unknown[] | undefined;
    for (let i = 0; i < vars.length; i++) {
      const v = vars[i];
      if (typeof v !== "function" && !isNodeDef(v)) {
        names?.push(v);
        continue;
      }
      names ??= vars.slice(0, i);
      names.push(this.#graph.nameOf(v as object));
    }
    return (names ?? vars) as readonly string[];
  }

  #known(names: readonly string[]): string[] {
    const unknown = names.filter((n) => !this.#graph.has(n));
    if (unknown.length > 0) {
      throw new TypeError(
        `Unknown node${unknown.length > 1 ? "s" : ""} ${
          unknown.map((n) => `"${n}"`).join(", ")
        }; see listAvailableVariables()`,
      );
    }
    return [...names];
  }

  #infos(names: readonly string[]): NodeInfo[] {
    return names.map((n) => this.#graph.info(n)!);
  }
}
