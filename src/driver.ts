/**
 * `AsyncDriver`: plans a request and dispatches it to the executor. Built by
 * {@linkcode Builder}; holds no per-run state, so one driver serves any
 * number of concurrent calls.
 *
 * @module
 */
import pLimit from "p-limit";
import { ConfigError } from "./errors.ts";
import { EventChannel, type ExecutionEvent } from "./events.ts";
import type { Executor } from "./executors/executor.ts";
import type { Graph, NodeInfo, TagFilter } from "./graph.ts";
import { Hooks, type NodeLogEvent } from "./hooks.ts";
import { compilePlan, type Plan } from "./plan.ts";
import { Recorder, type RunResult } from "./results.ts";
import { isThenable, Run } from "./run.ts";
import { type DotOptions, toDot } from "./dot.ts";
import { type ExecutionPlan, exportPlan } from "./export.ts";
import { expandItems, type MapMode } from "./map.ts";
import { CTX } from "./node.ts";
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

/** Options of one execution. */
export interface ExecuteOptions {
  /** Values for the graph's inputs. @default {{}} */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** Values that replace nodes; nothing only they needed runs. @default {{}} */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** Cancels the run with a `CancelledError`. */
  readonly signal?: AbortSignal;
}

/** Options of `map`. */
export interface MapOptions extends ExecuteOptions {
  /** The input(s) whose lists are mapped over; other inputs are broadcast. */
  readonly mapOver: string | readonly string[];
  /** `"zip"` (equal lengths) or `"product"`. @default {"zip"} */
  readonly mapMode?: MapMode;
}

/** How the builder hands over what it built. */
export interface DriverInit {
  /** The graph. */
  readonly graph: Graph;
  /** The config. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The adapters' hooks. */
  readonly hooks: Hooks;
  /** The executor. */
  readonly executor: Executor;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const PLAN_CACHE_SIZE = 256;

/** Runs a built graph. Create it with `new Builder()...build()`. */
export class AsyncDriver<M = unknown, R = DictResult>
  implements AsyncDisposable {
  readonly #graph: Graph;
  readonly #config: Readonly<Record<string, unknown>>;
  readonly #hooks: Hooks;
  readonly #executor: Executor;
  readonly #plans = new Map<string, Plan>();

  /** Use {@linkcode Builder} instead. */
  constructor(init: DriverInit) {
    this.#graph = init.graph;
    this.#config = init.config;
    this.#hooks = init.hooks;
    this.#executor = init.executor;
  }

  /** The executor's kind. */
  get executor(): Executor["kind"] {
    return this.#executor.kind;
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
    const plan = this.#plan(vars, options);
    const runId = crypto.randomUUID();
    const values = await this.#runPlan(plan, runId, options, this.#hooks);
    return await this.#result(plan, runId, values) as ExecuteResult<M, R, V>;
  }

  /**
   * Like `execute`, but never rejects for a node failure or cancellation:
   * returns every node's status, duration and error.
   */
  async run<const V extends NodeName<M>>(
    vars: readonly V[],
    options: ExecuteOptions = {},
  ): Promise<RunResult<Outputs<M, V>>> {
    return await this.#recorded(vars, options, undefined) as RunResult<
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
    this.#plan(vars, options); // throw request errors before the first event
    const channel = new EventChannel<ExecutionEvent>();
    const stop = new AbortController();
    const signal = options.signal === undefined
      ? stop.signal
      : AbortSignal.any([options.signal, stop.signal]);
    const done = this.#recorded(
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
   * item, in item order. Items run under the driver's executor: one at a
   * time when sequential, concurrently (up to its `concurrency`) when async.
   * The first failure rejects, naming the item.
   */
  async map<const V extends NodeName<M>>(
    vars: readonly V[],
    options: MapOptions,
  ): Promise<Outputs<M, V>[]> {
    const items = expandItems(
      options.inputs ?? EMPTY,
      options.mapOver,
      options.mapMode,
    );
    const results: unknown[] = new Array(items.length);
    if (items.length === 0) {
      this.#plan(vars, options);
      return results as Outputs<M, V>[];
    }
    const plan = this.#plan(vars, { ...options, inputs: items[0]! });
    const runId = crypto.randomUUID();
    const stop = new AbortController();
    const signal = options.signal === undefined
      ? stop.signal
      : AbortSignal.any([options.signal, stop.signal]);
    const runItem = async (i: number) => {
      const itemOptions = {
        inputs: items[i]!,
        overrides: options.overrides ?? EMPTY,
        signal,
      };
      const values = await this.#runPlan(
        plan,
        runId,
        itemOptions,
        this.#hooks,
        i,
      );
      results[i] = this.#outputs(plan, values);
    };
    const concurrency = this.#executor.concurrency;
    try {
      if (concurrency === 1) {
        for (let i = 0; i < items.length; i++) await runItem(i);
      } else if (concurrency === Infinity) {
        await Promise.all(items.map((_, i) => runItem(i)));
      } else {
        const limit = pLimit(concurrency);
        await Promise.all(
          items.map((_, i) =>
            limit(() => signal.aborted ? undefined : runItem(i))
          ),
        );
      }
    } catch (error) {
      stop.abort(error); // the other items stop starting nodes
      throw error;
    }
    return results as Outputs<M, V>[];
  }

  /** Throws what `execute` would throw before running anything; runs nothing. */
  validateExecution(
    vars: readonly NodeName<M>[],
    options: ExecuteOptions = {},
  ): void {
    this.#plan(vars, options);
  }

  /** The graph's nodes and inputs, optionally filtered by tags (keys ANDed). */
  listAvailableVariables(
    options: { readonly tagFilter?: TagFilter } = {},
  ): NodeInfo[] {
    return this.#graph.list(options.tagFilter);
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
    return exportPlan(this.#plan(vars, options));
  }

  /** The graph as Graphviz DOT. */
  toDot(options: DotOptions = {}): string {
    if (options.vars !== undefined) this.#known(options.vars);
    return toDot(this.#graph, options);
  }

  /** Releases the driver's resources. Safe to call more than once. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Closes the driver (`await using dr = ...`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #plan(vars: readonly string[], options: ExecuteOptions): Plan {
    if (!Array.isArray(vars) || vars.some((v) => typeof v !== "string")) {
      throw new TypeError(
        `'vars' must be an array of node names: received ${vars}`,
      );
    }
    const inputs = options.inputs ?? EMPTY;
    const overrides = options.overrides ?? EMPTY;
    const inputNames = Object.keys(inputs);
    for (const name of inputNames) {
      if (Object.hasOwn(this.#config, name)) {
        throw new ConfigError(
          `Input "${name}" is also a config key; inputs and config must be disjoint (rename one)`,
        );
      }
    }
    if (inputNames.includes(CTX) || Object.hasOwn(overrides, CTX)) {
      throw new TypeError(
        `"${CTX}" is reserved for the run context and cannot be an input`,
      );
    }
    const overrideNames = Object.keys(overrides);
    const key = `${vars.join("\0")}\u0001${inputNames.sort().join("\0")}\u0001${
      overrideNames.sort().join("\0")
    }`;
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      plan = compilePlan(this.#graph, {
        finalVars: vars,
        inputs: new Set(inputNames),
        overrides: new Set(overrideNames),
        config: this.#config,
      });
      if (this.#plans.size >= PLAN_CACHE_SIZE) this.#plans.clear();
      this.#plans.set(key, plan);
    }
    return plan;
  }

  // Seeds the slots, runs the graph hooks around the executor, returns the slots.
  async #runPlan(
    plan: Plan,
    runId: string,
    options: ExecuteOptions,
    hooks: Hooks,
    item?: number,
  ): Promise<unknown[]> {
    const values: unknown[] = new Array(plan.size);
    const inputs = options.inputs ?? EMPTY;
    const overrides = options.overrides ?? EMPTY;
    for (const seed of plan.seeds) {
      const source = seed.source === "input"
        ? inputs
        : seed.source === "override"
        ? overrides
        : this.#config;
      let value = source[seed.name];
      if (isThenable(value)) value = await value; // Hamilton accepts awaitable inputs
      values[seed.slot] = value;
    }
    const run: Run = new Run({
      runId,
      plan,
      values,
      signal: options.signal,
      hooks,
      // ctx.log is sync: a throwing onLog hook stops the run instead.
      onLog: hooks.has("onLog")
        ? (event: NodeLogEvent) =>
          void hooks.call("onLog", event).catch((e) => run.stop(e))
        : undefined,
      item,
    });
    if (!hooks.perGraph) {
      await this.#executor.execute(run);
      return values;
    }
    const event = {
      runId,
      finalVars: plan.finalVars,
      inputs,
      overrides,
      ...(item === undefined ? {} : { item }),
    };
    await hooks.call("beforeGraphExecution", event);
    try {
      await this.#executor.execute(run);
    } catch (error) {
      await hooks.call("afterGraphExecution", {
        ...event,
        success: false,
        error,
      });
      throw error;
    }
    await hooks.call("afterGraphExecution", { ...event, success: true });
    return values;
  }

  #outputs(plan: Plan, values: readonly unknown[]): Record<string, unknown> {
    const outputs: Record<string, unknown> = {};
    const slots = plan.outputSlots;
    for (let i = 0; i < slots.length; i++) {
      outputs[plan.finalVars[i]!] = values[slots[i]!];
    }
    return outputs;
  }

  async #result(
    plan: Plan,
    runId: string,
    values: readonly unknown[],
  ): Promise<unknown> {
    const outputs = this.#outputs(plan, values);
    const builder = this.#hooks.resultBuilder;
    if (builder === undefined) return outputs;
    return await builder.buildResult!({
      runId,
      finalVars: plan.finalVars,
      outputs,
    });
  }

  async #recorded(
    vars: readonly string[],
    options: ExecuteOptions,
    emit: ((event: ExecutionEvent) => void) | undefined,
  ): Promise<RunResult> {
    const plan = this.#plan(vars, options);
    const runId = crypto.randomUUID();
    const recorder = new Recorder(emit);
    const hooks = new Hooks([...this.#hooks.adapters, recorder]);
    const start = performance.now();
    recorder.emit({
      type: "runStarted",
      runId,
      timestamp: Date.now(),
      finalVars: plan.finalVars,
    });
    let outputs: Record<string, unknown> | undefined;
    let error: unknown;
    try {
      outputs = this.#outputs(
        plan,
        await this.#runPlan(plan, runId, options, hooks),
      );
    } catch (thrown) {
      error = thrown;
    }
    const nodes = recorder.results(plan, runId);
    const durationMs = performance.now() - start;
    const success = error === undefined;
    recorder.emit({
      type: "runFinished",
      runId,
      timestamp: Date.now(),
      success,
      durationMs,
      ...(success ? {} : { error }),
    });
    return success
      ? { runId, success, outputs, nodes, durationMs }
      : { runId, success, outputs: undefined, error, nodes, durationMs };
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
