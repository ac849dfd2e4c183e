/**
 * The runner: what every entry point of the driver shares. It checks a
 * request, compiles (and caches) its plan, seeds the values, calls the
 * graph-level hooks around the executor and collects the outputs.
 *
 * @module
 */
import {
  CancelledError,
  ConfigError,
  HookError,
  InputError,
} from "./errors.ts";
import { type Executor, raceAbort } from "./executors/executor.ts";
import { type FailurePolicy, type Lanes, schedule } from "./scheduler.ts";
import { runBlock } from "./fan_out.ts";
import type { PlanNode } from "./plan.ts";
import type { Router } from "./routing.ts";
import type { MapExecutor } from "./executors/map_executor.ts";
import { defaultMapExecutor } from "./executors/registry.ts";
import type { Graph } from "./graph.ts";
import {
  type Adapter,
  adapterName,
  type Hooks,
  type NodeLogEvent,
  validateRunInputs,
} from "./hooks.ts";
import { CTX } from "./node.ts";
import { compilePlan, type Plan } from "./plan.ts";
import { isThenable, Run } from "./run.ts";
import { type Cache, RECOMPUTE } from "./cache/cache.ts";
import type { RetryPolicy } from "./modifiers/retry.ts";
import type { RunLog } from "./runs/_run_log.ts";
import type { RunTags } from "./events.ts";
import { isDictResult, type ResultBuilder } from "./result_builders.ts";

/** Options of one execution. */
export interface ExecuteOptions {
  /** Values for the graph's inputs. @default {{}} */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** Values that replace nodes; nothing only they needed runs. @default {{}} */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** Cancels the run with a `CancelledError`. */
  readonly signal?: AbortSignal;
  /**
   * What a node failure does: `"stop"` (nothing new starts; the run rejects
   * with that failure) or `"continue"` (every node that does not depend on a
   * failed one still runs; dependents are skipped with reason
   * `"upstream-failed"`; `execute` then rejects with a `RunFailedError`
   * holding every failure).
   *
   * @default {"stop"}
   */
  readonly onFailure?: FailurePolicy | undefined;
  /**
   * The run's tags (Dagster's run tags): every `stream()` event and graph
   * hook event carries them as `tags`, and tracing adapters make them span
   * attributes. Values are strings, numbers or booleans.
   *
   * @default {{}}
   */
  readonly tags?: RunTags | undefined;
}

/** What a runner is made of. */
export interface RunnerInit {
  /** The graph. */
  readonly graph: Graph;
  /** The config. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The adapters' hooks. */
  readonly hooks: Hooks;
  /** The executor (the default one, when nodes are routed). */
  readonly executor: Executor;
  /** Routes nodes among several executors, when there are. */
  readonly router?: Router;
  /** The cache, if any. */
  readonly cache?: Cache | undefined;
  /** The retry policy of nodes without their own. */
  readonly retry?: RetryPolicy | undefined;
  /**
   * How `map` runs items.
   * @default {items run the way the executor runs nodes}
   */
  readonly mapExecutor?: MapExecutor;
  /** The run store every run is recorded into, if any. */
  readonly runLog?: RunLog | undefined;
  /**
   * What `execute` makes of the requested values; wins over an adapter's
   * `buildResult`.
   * @default {the adapter's `buildResult`, else the values by name}
   */
  readonly resultBuilder?: ResultBuilder | undefined;
}

/** How a run is part of something larger: the items of a map share one. */
export interface RunPart {
  /**
   * Whether the run listens to its signal itself (rejecting as soon as it
   * aborts); a map listens once for all its items and passes `false`.
   * @default {true}
   */
  readonly watch?: boolean;
  /** Where its nodes run. @default {the runner's lanes} */
  readonly lanes?: Lanes | undefined;
  /** Told at once when the run stops, before its promise rejects. */
  readonly onStop?: ((error: Error) => void) | undefined;
}
const WHOLE: RunPart = Object.freeze({});

/** An empty, shared record for absent inputs and overrides. */
export const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
/** The tags of a run given none. */
export const NO_TAGS: RunTags = Object.freeze({});
const PLAN_CACHE_SIZE = 256;

/** Plans and runs requests on one graph; holds no per-run state. */
export class Runner {
  /** The graph. */
  readonly graph: Graph;
  /** The config. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The adapters' hooks. */
  readonly hooks: Hooks;
  /** The executor (the default one, when nodes are routed). */
  readonly executor: Executor;
  /** Where each node runs. */
  readonly lanes: Lanes;
  /** Routes nodes among several executors, when there are. */
  readonly router: Router | undefined;
  /** The cache, if any. */
  readonly cache: Cache | undefined;
  /** How `map` runs items. */
  /** The retry policy of nodes without their own. */
  readonly retry: RetryPolicy | undefined;
  readonly mapExecutor: MapExecutor;
  /** The run store every run is recorded into, if any. */
  readonly runLog: RunLog | undefined;
  readonly #resultBuilder: ResultBuilder | Adapter | undefined;
  readonly #plans = new Map<string, Plan>();

  /** Creates a runner. */
  constructor(init: RunnerInit) {
    this.graph = init.graph;
    this.config = init.config;
    this.hooks = init.hooks;
    this.executor = init.executor;
    this.router = init.router;
    this.lanes = init.router?.lanes ?? { executors: [init.executor] };
    this.cache = init.cache;
    this.retry = init.retry;
    this.mapExecutor = init.mapExecutor ?? defaultMapExecutor(init.executor);
    this.runLog = init.runLog;
    this.#resultBuilder = init.resultBuilder ?? this.hooks.resultBuilder;
  }

  /** Checks a request and returns its plan, compiled once per shape. */
  plan(vars: readonly string[], options: ExecuteOptions): Plan {
    if (!Array.isArray(vars) || vars.some((v) => typeof v !== "string")) {
      throw new TypeError(
        `'vars' must be an array of node names: received ${vars}`,
      );
    }
    const inputNames = Object.keys(options.inputs ?? EMPTY);
    const overrideNames = Object.keys(options.overrides ?? EMPTY);
    for (const name of inputNames) {
      if (Object.hasOwn(this.config, name)) {
        throw new ConfigError(
          `Input "${name}" is also a config key; inputs and config must be disjoint (rename one)`,
        );
      }
    }
    const onFailure = options.onFailure;
    if (
      onFailure !== undefined && onFailure !== "stop" &&
      onFailure !== "continue"
    ) {
      throw new TypeError(
        `'onFailure' must be "stop" or "continue": received ${onFailure}`,
      );
    }
    if (options.tags !== undefined) checkTags(options.tags);
    if (inputNames.includes(CTX) || overrideNames.includes(CTX)) {
      throw new TypeError(
        `"${CTX}" is reserved for the run context and cannot be an input`,
      );
    }
    const key = `${vars.join("\0")}\u0001${inputNames.sort().join("\0")}\u0001${
      overrideNames.sort().join("\0")
    }`;
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      plan = compilePlan(this.graph, {
        finalVars: vars,
        inputs: new Set(inputNames),
        overrides: new Set(overrideNames),
        config: this.config,
      });
      if (this.#plans.size >= PLAN_CACHE_SIZE) this.#plans.clear();
      this.#plans.set(key, plan);
    }
    return plan;
  }

  /**
   * Seeds the slots and runs the plan (inside the graph hooks, if any);
   * resolves with the slots. With `watch`, rejects as soon as the signal
   * aborts; a map watches once for all its items and passes `false`.
   */
  run(
    plan: Plan,
    runId: string,
    options: ExecuteOptions,
    hooks: Hooks = this.hooks,
    part: RunPart = WHOLE,
    item?: number,
  ): Promise<unknown[]> {
    const watch = part.watch ?? true;
    const values: unknown[] = new Array(plan.size);
    const inputs = options.inputs ?? EMPTY;
    const overrides = options.overrides ?? EMPTY;
    let pending: Promise<unknown>[] | undefined;
    for (const seed of plan.seeds) {
      const source = seed.source === "input"
        ? inputs
        : seed.source === "override"
        ? overrides
        : this.config;
      const value = source[seed.name];
      values[seed.slot] = value;
      if (isThenable(value)) {
        // Hamilton accepts awaitable inputs: settle them before anything runs.
        (pending ??= []).push(
          Promise.resolve(value).then(
            (v) => (values[seed.slot] = v),
            (error) => {
              throw new InputError(seed.name, error, item);
            },
          ),
        );
      }
    }
    const checksInputs = hooks.has("validateInputs");
    if (pending === undefined && !checksInputs) {
      return this.#execute(plan, runId, options, hooks, values, part, item);
    }
    let settled: Promise<unknown> = pending === undefined
      ? Promise.resolve()
      : Promise.all(pending);
    // Adapters may reject the run's inputs before any node runs.
    if (checksInputs) {
      settled = settled.then(() =>
        validateRunInputs(hooks, this.graph, plan, values, runId, item)
      );
    }
    const inputsReady = watch
      ? raceAbort(
        options.signal,
        settled,
        () => new CancelledError(runId, options.signal?.reason),
      )
      : settled;
    return inputsReady.then(() =>
      this.#execute(plan, runId, options, hooks, values, part, item)
    );
  }

  #execute(
    plan: Plan,
    runId: string,
    options: ExecuteOptions,
    hooks: Hooks,
    values: unknown[],
    part: RunPart,
    item: number | undefined,
  ): Promise<unknown[]> {
    const lanes = part.lanes ?? this.lanes;
    // Pending async onLog hooks; only runs whose adapters may log
    // asynchronously keep a list.
    const logging = hooks.has("onLog");
    const logs: Promise<void>[] | undefined = logging && hooks.asyncLogs
      ? []
      : undefined;
    const run: Run = new Run({
      runId,
      plan,
      values,
      signal: options.signal,
      hooks,
      // ctx.log is sync: a throwing onLog hook stops the run instead.
      onLog: logging
        ? (event: NodeLogEvent) => {
          const pending = hooks.notify(
            "onLog",
            event,
            (error) => run.stop(error),
          );
          if (pending !== undefined) logs?.push(...pending);
        }
        : undefined,
      item,
      cache: this.cache?.session(
        plan,
        runId,
        values,
        item,
        (options as { [RECOMPUTE]?: ReadonlySet<string> })[RECOMPUTE],
      ),
      runner: this,
      onFailure: options.onFailure,
      onStop: part.onStop,
    });
    // A map's items skip graph hooks that ignore them.
    let done = (item === undefined ? hooks.perGraph : hooks.perItemGraph)
      ? this.#withGraphHooks(run, hooks, options, lanes)
      : schedule(run, lanes);
    if (logs !== undefined) {
      // An async onLog hook may fail after the last node: the run waits
      // for them, and fails with the first hook error.
      done = done.then(async (values) => {
        await Promise.all(logs);
        if (run.stopped !== undefined) throw run.stopped;
        return values;
      });
    }
    // One listener per run: a cancellation stops the run at once, and the
    // scheduler withdraws what is in flight.
    return part.watch ?? true
      ? raceAbort(run.signal, done, () => run.cancellation()!)
      : done;
  }

  // The run inside beforeGraphExecution and afterGraphExecution; sync
  // hooks cost no promise of their own (a map runs this once per item).
  #withGraphHooks(
    run: Run,
    hooks: Hooks,
    options: ExecuteOptions,
    lanes: Lanes,
  ): Promise<unknown[]> {
    const event = {
      runId: run.runId,
      finalVars: run.plan.finalVars,
      inputs: options.inputs ?? EMPTY,
      overrides: options.overrides ?? EMPTY,
      tags: options.tags ?? NO_TAGS,
      ...(run.item === undefined ? {} : { item: run.item }),
    };
    let before: Promise<void> | undefined;
    try {
      before = hooks.dispatch("beforeGraphExecution", event);
    } catch (error) {
      return Promise.reject(error);
    }
    const scheduled = before === undefined
      ? schedule(run, lanes)
      : before.then(() => schedule(run, lanes));
    return scheduled.then(
      () => {
        const after = hooks.dispatch("afterGraphExecution", {
          ...event,
          success: true,
          results: this.outputs(run.plan, run.values),
        });
        return after === undefined ? run.values : after.then(() => run.values);
      },
      (error) => {
        const after = hooks.dispatch("afterGraphExecution", {
          ...event,
          success: false,
          error,
        });
        if (after === undefined) throw error;
        return after.then(() => {
          throw error;
        });
      },
    );
  }

  /** Runs `run` on `lanes` (the runner's by default). */
  schedule(run: Run, lanes: Lanes = this.lanes): Promise<unknown[]> {
    return schedule(run, lanes);
  }

  /** Runs the items of block node `node` of `run`. */
  runBlock(node: PlanNode, run: Run): Promise<unknown[][]> {
    return runBlock(node, run.values, run);
  }

  /** The requested values by name. */
  outputs(plan: Plan, values: readonly unknown[]): Record<string, unknown> {
    const outputs: Record<string, unknown> = {};
    const slots = plan.outputSlots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      // An optional input requested but not provided has no slot.
      if (slot >= 0) outputs[plan.finalVars[i]!] = values[slot];
    }
    return outputs;
  }

  /** What `execute` returns: the outputs, or the result builder's value. */
  async result(
    plan: Plan,
    runId: string,
    values: readonly unknown[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    return await this.resultOf(
      plan,
      runId,
      this.outputs(plan, values),
      signal,
    );
  }

  /** What `execute` returns, from the requested values by name. */
  async resultOf(
    plan: Plan,
    runId: string,
    outputs: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const builder = this.#resultBuilder;
    if (builder === undefined || isDictResult(builder)) {
      // An object with a `then` method is taken for a promise: awaiting
      // it would call the value and wait, forever if it never calls back.
      if (typeof outputs.then === "function") {
        throw new TypeError(
          `The requested value "then" is a function, so the result object would be taken for a promise: rename the node (named()), or request it through run(), whose outputs are not awaited`,
        );
      }
      return outputs;
    }
    let built: unknown;
    try {
      built = builder.buildResult!({
        runId,
        finalVars: plan.finalVars,
        outputs,
      });
    } catch (error) {
      throw new HookError(
        "buildResult",
        adapterName(builder as Adapter),
        error,
      );
    }
    if (!isThenable(built)) return built;
    // Inside the run's abort race and the hook timeout, as the run was.
    const pending = Promise.resolve(
      this.hooks.timed(built, "buildResult", builder),
    ).catch((error) => {
      throw error instanceof HookError
        ? error
        : new HookError("buildResult", adapterName(builder), error);
    });
    return await raceAbort(
      signal,
      pending,
      () => new CancelledError(runId, signal!.reason),
    );
  }
}

// Run tags are scalars, so any tracing or log backend takes them as they are.
function checkTags(tags: unknown): void {
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) {
    throw new TypeError(
      `'tags' must be an object of strings, numbers and booleans: received ${tags}`,
    );
  }
  for (const [key, value] of Object.entries(tags)) {
    const type = typeof value;
    if (type !== "string" && type !== "number" && type !== "boolean") {
      throw new TypeError(
        `'tags' must be an object of strings, numbers and booleans: tag "${key}" is ${
          Array.isArray(value) ? "an array" : type
        }`,
      );
    }
  }
}
