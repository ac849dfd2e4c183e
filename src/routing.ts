/**
 * Routing: which executor runs each task, when a driver has several
 * (Hamilton's `with_execution_manager`). On every run, per task: the node's
 * `executor` tag wins; otherwise `route(task)`; otherwise the default
 * executor (the first one named).
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import type {
  Executor,
  ExecutorLike,
  ExecutorOptions,
} from "./executors/executor.ts";
import { createExecutor } from "./executors/registry.ts";
import type { Graph } from "./graph.ts";
import { type NodeMetrics, planMetrics } from "./metrics.ts";
import type { Tags } from "./node.ts";
import type { Plan, PlanNode } from "./plan.ts";
import type { Lanes } from "./scheduler.ts";
import type { Run } from "./run.ts";

/** What a routing function is told about a task. */
export interface RouteTask {
  /** The node's name. */
  readonly name: string;
  /** The node's tags. */
  readonly tags: Tags;
  /** The node's plan metrics, as `exportExecution()` shows them. */
  readonly metrics: NodeMetrics;
  /**
   * The numeric `cost` tag if present, else the node's mean duration in ms
   * over this driver's earlier runs, else undefined. Nodes are timed only
   * while the route reads this for untagged nodes (and on runs before the
   * route is first called), so a route that never does costs no clock reads.
   */
  readonly cost: number | undefined;
}

/** Picks the name of the executor that runs a task. */
export type Route = (task: RouteTask) => string;

/** Several named executors, and how tasks are routed among them. */
export interface ExecutorsOptions {
  /** The executors by name: instances, or built-in executors' names. */
  readonly executors: Readonly<Record<string, ExecutorLike>>;
  /** Picks an executor per task (after the node's `executor` tag). */
  readonly route?: Route;
  /** The executor of tasks nobody routed. @default {the first key} */
  readonly default?: string;
}

/** Options of {@linkcode routeByCost}. */
export interface RouteByCostOptions {
  /** Tasks whose cost is above this go to `above`. */
  readonly threshold: number;
  /** The executor of costly tasks. */
  readonly above: string;
  /** The executor of the others, and of tasks of unknown cost. */
  readonly below: string;
}

/**
 * The common policy: tasks whose cost is above `threshold` go to `above`,
 * the others (and tasks of unknown cost) to `below`.
 *
 * @example
 * ```ts
 * import { routeByCost } from "@braid/braid";
 * const route = routeByCost({ threshold: 100, above: "heavy", below: "local" });
 * console.assert(
 *   route({ name: "fit", tags: {}, cost: 250, metrics: undefined! }) === "heavy",
 * );
 * ```
 */
export function routeByCost(options: RouteByCostOptions): Route {
  const { threshold, above, below } = options;
  if (typeof threshold !== "number" || Number.isNaN(threshold)) {
    throw new TypeError(
      `'threshold' must be a number: received ${threshold}`,
    );
  }
  return (task) =>
    task.cost !== undefined && task.cost > threshold ? above : below;
}

// Per node name: how often it ran, and its mean duration (a moving mean
// that weighs recent runs more once it has seen enough of them).
const WINDOW = 20;
class Durations {
  readonly #runs = new Map<string, { runs: number; meanMs: number }>();
  record(name: string, ms: number): void {
    const entry = this.#runs.get(name);
    if (entry === undefined) this.#runs.set(name, { runs: 1, meanMs: ms });
    else {
      entry.runs++;
      entry.meanMs += (ms - entry.meanMs) / Math.min(entry.runs, WINDOW);
    }
  }
  meanMs(name: string): number | undefined {
    return this.#runs.get(name)?.meanMs;
  }
}

/** The executors of a driver, and which runs each task. */
export class Router {
  /** The executors by name, in the order given. */
  readonly names: readonly string[];
  /** What the scheduler uses. */
  readonly lanes: Lanes;
  readonly #route: Route | undefined;
  readonly #default: number;
  readonly #durations = new Durations();
  readonly #metrics = new WeakMap<Plan, readonly NodeMetrics[]>();
  // Whether the route has read a cost only measured durations give:
  // undefined until it first runs (until then, runs are measured).
  #needsDurations: boolean | undefined;

  /**
   * Checks `options` and creates (or takes) the executors; those given by
   * name get `executorOptions`.
   */
  constructor(
    options: ExecutorsOptions,
    executorOptions: ExecutorOptions = {},
  ) {
    if (
      typeof options !== "object" || options === null ||
      typeof options.executors !== "object" || options.executors === null
    ) {
      throw new TypeError(
        `'executors' must be an object of named executors: received ${options?.executors}`,
      );
    }
    const names = Object.keys(options.executors);
    if (names.length === 0) {
      throw new TypeError("'executors' must name at least one executor");
    }
    if (options.route !== undefined && typeof options.route !== "function") {
      throw new TypeError(
        `'route' must be a function: received ${options.route}`,
      );
    }
    const fallback = options.default ?? names[0]!;
    const defaultIndex = names.indexOf(fallback);
    if (defaultIndex < 0) {
      throw new ConfigError(
        `The default executor "${fallback}" is not one of ${list(names)}`,
      );
    }
    const executors = names.map((name) =>
      createExecutor(
        options.executors[name]!,
        executorOptions,
        `executors.${name}`,
      )
    );
    this.names = Object.freeze(names);
    this.#route = options.route;
    this.#default = defaultIndex;
    const route = this.#route;
    const record = (node: PlanNode, ms: number) =>
      this.#durations.record(node.name, ms);
    const measuring = () => this.#needsDurations !== false;
    const laneOf = (node: PlanNode, run: Run) => this.#laneOf(node, run);
    // One executor and no route: every node takes it, at no cost per node.
    // Durations feed `task.cost`, and timing a node costs two clock reads:
    // they are measured only while a route may read them (the scheduler
    // reads `measured` once per run, so it is a getter).
    this.lanes = route === undefined
      ? executors.length === 1 ? { executors } : { executors, laneOf, names }
      : {
        executors,
        laneOf,
        names,
        get measured() {
          return measuring() ? record : undefined;
        },
      };
  }

  /** The default executor. */
  get defaultExecutor(): Executor {
    return this.lanes.executors[this.#default]!;
  }

  /**
   * Checks every node's `executor` tag names an executor: a ConfigError
   * names the executor and the node, at build time.
   */
  check(graph: Graph): void {
    for (const spec of graph.specs.values()) {
      const tagged = spec.tags.executor;
      if (tagged !== undefined && !this.names.includes(String(tagged))) {
        throw unknownTag(spec.name, tagged, this.names);
      }
    }
  }

  /**
   * Counts `durationMs` as a past run of node `name`, for `task.cost`: what
   * a run store recorded of earlier runs of the same graph.
   */
  recordDuration(name: string, durationMs: number): void {
    this.#durations.record(name, durationMs);
  }

  /** A node's cost: its numeric `cost` tag, else its measured mean, else undefined. */
  costOf(node: PlanNode): number | undefined {
    const tagged = node.tags.cost;
    return typeof tagged === "number" ? tagged : this.#durations.meanMs(
      node.name,
    );
  }

  #laneOf(node: PlanNode, run: Run): number {
    const tagged = node.tags.executor;
    if (tagged !== undefined) {
      const lane = this.names.indexOf(String(tagged));
      // A nested pipeline's nodes reach here unchecked by check().
      if (lane < 0) throw unknownTag(node.name, tagged, this.names);
      return lane;
    }
    const route = this.#route;
    // Blocks and members run no user code: they stay on the default.
    if (route === undefined || node.kind !== "task") return this.#default;
    const name = route(new Task(this, node, run.plan));
    this.#needsDurations ??= false;
    const lane = this.names.indexOf(name);
    if (lane < 0) {
      throw new ConfigError(
        `route() sent node "${node.name}" to executor "${name}", which is not one of ${
          list(this.names)
        }`,
      );
    }
    return lane;
  }

  /** A routed task's cost (see {@linkcode RouteTask.cost}). */
  taskCost(node: PlanNode): number | undefined {
    const tagged = node.tags.cost;
    if (typeof tagged === "number") return tagged;
    this.#needsDurations = true;
    return this.#durations.meanMs(node.name);
  }

  /** The plan metrics of `plan`'s nodes, made on first use. */
  metricsOf(plan: Plan): readonly NodeMetrics[] {
    let metrics = this.#metrics.get(plan);
    if (metrics === undefined) {
      metrics = planMetrics(plan, (node) => this.costOf(node));
      this.#metrics.set(plan, metrics);
    }
    return metrics;
  }
}

// What route() gets: one object per call; cost and metrics are read on
// demand (most policies never look at the metrics).
class Task implements RouteTask {
  readonly name: string;
  readonly tags: Tags;
  readonly #router: Router;
  readonly #node: PlanNode;
  readonly #plan: Plan;
  constructor(router: Router, node: PlanNode, plan: Plan) {
    this.name = node.name;
    this.tags = node.tags;
    this.#router = router;
    this.#node = node;
    this.#plan = plan;
  }
  get cost(): number | undefined {
    return this.#router.taskCost(this.#node);
  }
  get metrics(): NodeMetrics {
    return this.#router.metricsOf(this.#plan)[this.#node.index]!;
  }
}

const list = (names: readonly string[]) =>
  names.map((n) => `"${n}"`).join(", ");

const unknownTag = (
  node: string,
  executor: unknown,
  names: readonly string[],
) =>
  new ConfigError(
    `Node "${node}" is tagged with executor "${executor}", which is not one of ${
      list(names)
    }`,
  );
