/**
 * `AsyncDriver`: plans a request and dispatches it to the executor. Built by
 * {@linkcode Builder}; holds no per-run state, so one driver serves any
 * number of concurrent calls.
 *
 * @module
 */
import { EventChannel, type ExecutionEvent } from "./events.ts";
import type { Executor } from "./executors/executor.ts";
import type { Graph, NodeInfo, TagFilter } from "./graph.ts";
import { recordRun, type RunResult } from "./results.ts";
import { type ExecuteOptions, Runner, type RunnerInit } from "./runner.ts";
import { type DotOptions, toDot } from "./dot.ts";
import { type ExecutionPlan, exportPlan } from "./export.ts";
import { type MapOptions, runMap } from "./map.ts";
import type {
  MapExecutor,
  MapExecutorKind,
} from "./executors/map_executors.ts";
import type { NodeName, Outputs } from "./types.ts";

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
  : R;

export type { ExecuteOptions } from "./runner.ts";
export type { MapOptions } from "./map.ts";

/** What a driver is made of. */
export interface DriverInit extends RunnerInit {
  /** Runs the items of `map`; by default they run under the node executor. */
  readonly mapExecutor?: MapExecutor;
}

/** Runs a built graph. Create it with `new Builder()...build()`. */
export class AsyncDriver<M = unknown, R = DictResult>
  implements AsyncDisposable {
  readonly #runner: Runner;
  readonly #graph: Graph;
  readonly #mapExecutor: MapExecutor | undefined;

  /** Use {@linkcode Builder} instead. */
  constructor(init: DriverInit) {
    this.#runner = new Runner(init);
    this.#graph = init.graph;
    this.#mapExecutor = init.mapExecutor;
  }

  /** The map executor's kind, when one was chosen. */
  get mapExecutor(): MapExecutorKind | undefined {
    return this.#mapExecutor?.kind;
  }

  /** The executor's kind. */
  get executor(): Executor["kind"] {
    return this.#runner.executor.kind;
  }

  /**
   * Computes `vars` (and only what they need) and returns their values.
   *
   * @example
   * ```ts
   * import { Builder } from "@braid/braid";
   * const dr = await new Builder()
   *   .withModules({ double: ({ x }: { x: number }) => 2 * x })
   *   .build();
   * const { double } = await dr.execute(["double"], { inputs: { x: 4 } });
   * console.assert(double === 8);
   * ```
   */
  async execute<const V extends NodeName<M>>(
    vars: readonly V[],
    options: ExecuteOptions = {},
  ): Promise<ExecuteResult<M, R, V>> {
    const runner = this.#runner;
    const plan = runner.plan(vars, options);
    const runId = crypto.randomUUID();
    const values = await runner.run(plan, runId, options);
    return await runner.result(plan, runId, values) as ExecuteResult<M, R, V>;
  }

  /**
   * Like `execute`, but never rejects for a node failure or cancellation:
   * returns every node's status, duration and error.
   */
  async run<const V extends NodeName<M>>(
    vars: readonly V[],
    options: ExecuteOptions = {},
  ): Promise<RunResult<Outputs<M, V>>> {
    return await recordRun(this.#runner, vars, options) as RunResult<
      Outputs<M, V>
    >;
  }

  /**
   * Runs `vars` and yields its events as they happen. Stopping the iteration
   * early cancels the run.
   */
  async *stream<const V extends NodeName<M>>(
    vars: readonly V[],
    options: ExecuteOptions = {},
  ): AsyncGenerator<ExecutionEvent, void, undefined> {
    this.#runner.plan(vars, options); // throw request errors before the first event
    const channel = new EventChannel<ExecutionEvent>();
    const stop = new AbortController();
    const signal = options.signal === undefined
      ? stop.signal
      : AbortSignal.any([options.signal, stop.signal]);
    const done = recordRun(
      this.#runner,
      vars,
      { ...options, signal },
      (e) => channel.push(e),
    )
      .finally(() => channel.close());
    try {
      yield* channel;
    } finally {
      stop.abort();
      await done;
    }
  }

  /**
   * Runs `vars` once per item of the mapped input(s) and returns one result per
   * item, in item order. Items run under the driver's map executor if one
   * was chosen, else under its node executor: one at a time when
   * sequential, concurrently (up to its `concurrency`) otherwise.
   * The first failure rejects, naming the item.
   */
  async map<const V extends NodeName<M>>(
    vars: readonly V[],
    options: MapOptions,
  ): Promise<Outputs<M, V>[]> {
    return await runMap(
      this.#runner,
      vars,
      options,
      this.#mapExecutor,
    ) as Outputs<M, V>[];
  }

  /** Throws what `execute` would throw before running anything; runs nothing. */
  validateExecution(
    vars: readonly NodeName<M>[],
    options: ExecuteOptions = {},
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
    return exportPlan(this.#runner.plan(vars, options));
  }

  /** The graph as Graphviz DOT. */
  toDot(options: DotOptions = {}): string {
    if (options.vars !== undefined) this.#known(options.vars);
    return toDot(this.#graph, options);
  }

  /**
   * Releases the driver's resources (terminates its workers). Safe to call
   * more than once.
   */
  async close(): Promise<void> {
    await this.#runner.executor.close?.();
    await this.#mapExecutor?.close();
  }

  /** Closes the driver (`await using dr = ...`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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
