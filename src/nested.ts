/**
 * Nested pipelines: `pipeline.asNode(...)` makes a pipeline one node of
 * another. The node runs the inner pipeline (once, or once per item with
 * `mapOver`) on the calling run's executors, forwarding its node hooks
 * (`nodeCached` included), log messages, maps (`beforeMap`/`afterMap`) and
 * item progress to the caller's adapters under `"<node>.<inner node>"`
 * names, and its cancellation to the inner run.
 * Graph-level hooks are not forwarded: the nested pipeline is one node of
 * the outer graph, and its own engine's adapters (if it has one) see it
 * whole.
 *
 * @module
 */
import {
  DEFAULT_ENGINE,
  type Engine,
  openEngine,
  runnerInit,
} from "./engine.ts";
import { InvalidNodeError } from "./errors.ts";
import type { Graph } from "./graph.ts";
import {
  type Adapter,
  adapterName,
  type AfterNodeExecutionEvent,
  type BeforeNodeExecutionEvent,
  Hooks,
  IGNORES_INPUTS,
  SYNC_LOGS,
} from "./hooks.ts";
import { type MapMode, runMap } from "./map.ts";
import { extractFields } from "./modifiers/extract.ts";
import { named } from "./modifiers/named.ts";
import {
  type AnyFn,
  type FieldMap,
  generatedNode,
  inputs,
  type NodeDef,
} from "./node.ts";
import type { RunContext } from "./run.ts";
import { EMPTY, type ExecuteOptions, Runner } from "./runner.ts";
import type { RunScope } from "./_scope.ts";

/** Options of `Pipeline.asNode`. */
export interface AsNodeOptions {
  /**
   * The node's name in the outer pipeline.
   * @default {the pipeline's `name`}
   */
  readonly name?: string;
  /**
   * Outer input(s) to map over: the inner pipeline runs once per item and
   * each exposed output is the list of per-item values, in item order.
   */
  readonly mapOver?: string | readonly string[];
  /** How mapped lists combine. @default {"zip"} */
  readonly mapMode?: MapMode;
  /** Outer names of inner inputs: `{ outer: inner }`. @default {same names} */
  readonly inputMapping?: Readonly<Record<string, string>>;
  /**
   * The inner outputs to expose, by outer name: `{ inner: outer }`.
   * @default {every inner output, under its own name}
   */
  readonly outputMapping?: Readonly<Record<string, string>>;
}

/**
 * What `asNode` returns: the definition of a node that runs the pipeline,
 * which tells what it takes and gives (HyperNodes' `PipelineNode`).
 */
export interface NestedNode<
  O = Record<string, unknown>,
  X extends FieldMap = FieldMap,
  S extends string = string,
> extends
  NodeDef<
    (args: Record<string, unknown>) => Promise<O>,
    S,
    false,
    false,
    never,
    X,
    true
  > {
  /** The inner pipeline's bound inputs: values the caller need not give. */
  readonly bound: Readonly<Record<string, unknown>>;
  /** The outer inputs it needs (those the inner pipeline has not bound), by outer name. */
  readonly inputs: readonly string[];
  /** The outputs it exposes, by outer name. */
  readonly outputs: readonly string[];
}

// What a nested node tells about itself.
interface NestedFacts {
  readonly bound: Readonly<Record<string, unknown>>;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** What `asNode` needs to know about the inner pipeline. */
export interface NestedSource {
  /** Its name, if it has one: the node's name when `asNode` gives none. */
  readonly name?: string | undefined;
  /** Its graph. */
  readonly graph: Graph;
  /** Its bound inputs (not inputs of the node). */
  readonly bound: Readonly<Record<string, unknown>>;
  /** Its outputs. */
  readonly outputs: readonly string[];
  /** Its own engine; without one it runs on the caller's executors. */
  readonly engine: Engine | undefined;
}

const NO_HOOKS = new Hooks([]);

/**
 * How deep pipelines may nest (`asNode` of a pipeline with nested nodes of
 * its own, and so on). A nested run is a call inside its caller's, so each
 * level takes stack; far below where the stack runs out on every executor.
 */
export const MAX_NESTING = 100;

// How deep the nested nodes of `graph` nest (0 without any).
function nestingOf(graph: Graph): number {
  let deepest = 0;
  for (const spec of graph.specs.values()) {
    const depth = spec.container?.depth ?? 0;
    if (depth > deepest) deepest = depth;
  }
  return deepest;
}

/** The definition of a node that runs `source` (see {@linkcode AsNodeOptions}). */
export function nestedNode(
  source: NestedSource,
  options: AsNodeOptions,
): NestedNode {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`'options' must be an object: received ${options}`);
  }
  const { mapMode = "zip" } = options;
  const chosen = options.name ?? source.name;
  if (chosen === undefined) {
    throw new TypeError(
      "'name' is needed: give asNode({ name }), or name the pipeline (new Pipeline({ name, nodes }))",
    );
  }
  if (typeof chosen !== "string" || chosen === "") {
    throw new TypeError(
      `'name' must be a non-empty string: received ${chosen}`,
    );
  }
  const name: string = chosen;
  if (mapMode !== "zip" && mapMode !== "product") {
    throw new TypeError(
      `'mapMode' must be "zip" or "product": received ${mapMode}`,
    );
  }
  const { graph, bound } = source;
  const depth = nestingOf(graph) + 1;
  if (depth > MAX_NESTING) {
    throw new RangeError(
      `'asNode': pipelines nested ${depth} deep are past braid's limit of ${MAX_NESTING} (each level runs inside the one above it, on one call stack)`,
    );
  }
  const inputMapping = strings(options.inputMapping, "inputMapping");
  const outputMapping = strings(options.outputMapping, "outputMapping");
  const outerOf = new Map<string, string>();
  for (const [outer, inner] of Object.entries(inputMapping)) {
    if (!graph.externals.has(inner)) {
      throw new TypeError(
        `'inputMapping' maps "${outer}" to "${inner}", which is not an input of the nested pipeline (its inputs: ${
          list([...graph.externals.keys()])
        })`,
      );
    }
    outerOf.set(inner, outer);
  }
  // Each inner input the caller provides, under its outer name.
  const pairs: [outer: string, inner: string][] = [];
  const required: string[] = [];
  const optional: string[] = [];
  for (const [inner, info] of graph.externals) {
    if (Object.hasOwn(bound, inner)) continue;
    const outer = outerOf.get(inner) ?? inner;
    pairs.push([outer, inner]);
    if (required.includes(outer) || optional.includes(outer)) continue;
    (info.optional ? optional : required).push(outer);
  }
  const mapOver = options.mapOver === undefined
    ? []
    : typeof options.mapOver === "string"
    ? [options.mapOver]
    : [...options.mapOver];
  for (const outer of mapOver) {
    const at = optional.indexOf(outer);
    if (at >= 0) required.push(...optional.splice(at, 1)); // items need a list
    if (!required.includes(outer)) {
      throw new TypeError(
        `'mapOver' names "${outer}", which is not an input of the nested pipeline (its inputs: ${
          list([...required, ...optional])
        })`,
      );
    }
  }
  const innerMapOver = pairs.filter(([outer]) => mapOver.includes(outer))
    .map(([, inner]) => inner);
  const innerVars = Object.keys(outputMapping).length === 0
    ? [...source.outputs]
    : Object.keys(outputMapping);
  for (const inner of innerVars) {
    if (!source.outputs.includes(inner)) {
      throw new TypeError(
        `'outputMapping' names "${inner}", which is not an output of the nested pipeline (its outputs: ${
          list(source.outputs)
        })`,
      );
    }
  }
  const exposed = innerVars.map((inner) => outputMapping[inner] ?? inner);
  const twice = exposed.find((outer, k) => exposed.indexOf(outer) !== k);
  if (twice !== undefined) {
    throw new TypeError(
      `'outputMapping' gives two outputs the name "${twice}"; give each its own`,
    );
  }
  if (exposed.includes(name)) {
    throw new InvalidNodeError(
      name,
      "a nested pipeline's node cannot share its name with an output it exposes; rename the node or map the output",
    );
  }
  if (exposed.length === 0) {
    throw new InvalidNodeError(name, "the nested pipeline has no outputs");
  }

  const runners = new WeakMap<Runner, Runner>();
  let own: Runner | undefined;
  const engine = source.engine;
  // The inner runner: the pipeline's own engine, else the caller's
  // executors (one runner per calling runner, so plans are compiled once).
  const runnerFor = (caller: Runner | undefined): Runner => {
    if (source.engine !== undefined || caller === undefined) {
      return own ??= new Runner(
        runnerInit(source.engine ?? DEFAULT_ENGINE, graph),
      );
    }
    let runner = runners.get(caller);
    if (runner === undefined) {
      caller.router?.check(graph); // its executor tags name the caller's
      runner = new Runner({
        graph,
        config: EMPTY,
        hooks: NO_HOOKS,
        executor: caller.executor,
        ...(caller.router && { router: caller.router }),
        mapExecutor: caller.mapExecutor,
        cache: caller.cache,
      });
      runners.set(caller, runner);
    }
    return runner;
  };

  // The function computing the exposed outputs at positions `wanted` (all
  // of them by default): a plan that uses only some runs only those.
  const computing = (wanted: readonly number[]): AnyFn => {
    const vars = wanted.map((k) => innerVars[k]!);
    const names = wanted.map((k) => exposed[k]!);
    return async function runNested(
      args: Record<string, unknown>,
      ctx?: RunContext,
      scope?: RunScope,
    ): Promise<Record<string, unknown>> {
      // The pipeline's own engine brings its own cache, opened on first use.
      if (engine !== undefined && own === undefined) await openEngine(engine);
      return await runInner(vars, names, args, ctx, scope);
    };
  };

  async function runInner(
    innerVars: readonly string[],
    exposed: readonly string[],
    args: Record<string, unknown>,
    ctx: RunContext | undefined,
    scope: RunScope | undefined,
  ): Promise<Record<string, unknown>> {
    const runner = runnerFor(scope?.runner);
    const runId = ctx?.runId ?? crypto.randomUUID();
    const hooks = scope === undefined
      ? runner.hooks
      : forwardedHooks(scope.hooks, runner.hooks, name, runId, ctx!.item);
    const given: Record<string, unknown> = { ...bound };
    for (const [outer, inner] of pairs) {
      if (outer in args) given[inner] = args[outer];
    }
    const request: ExecuteOptions = ctx === undefined
      ? { inputs: given }
      : { inputs: given, signal: ctx.signal };
    const result: Record<string, unknown> = {};
    if (mapOver.length === 0) {
      const plan = runner.plan(innerVars, request);
      const values = await runner.run(plan, runId, request, hooks);
      for (let k = 0; k < innerVars.length; k++) {
        const slot = plan.outputSlots[k]!;
        if (slot >= 0) result[exposed[k]!] = values[slot];
      }
      return result;
    }
    const items = await runMap(
      runner,
      innerVars,
      { ...request, mapOver: innerMapOver, mapMode },
      { hooks, runId },
    ) as Record<string, unknown>[];
    for (let k = 0; k < innerVars.length; k++) {
      const inner = innerVars[k]!;
      result[exposed[k]!] = items.map((item) => item[inner]);
    }
    return result;
  }
  const all = computing(exposed.map((_, k) => k));
  const only = (outputs: readonly string[]): AnyFn =>
    computing(
      exposed.flatMap((outer, k) => outputs.includes(outer) ? [k] : []),
    );
  // It runs in the calling thread; its inner nodes may go to workers.
  return generatedNode<NestedFacts>(
    all,
    {
      local: true,
      container: Object.freeze({
        name,
        graph,
        depth,
        mapOver,
        outputs: Object.freeze(exposed),
        run: all,
        only,
      }),
    },
    {
      bound: source.bound,
      inputs: Object.freeze([...required, ...optional]),
      outputs: Object.freeze(exposed),
    },
    named(name),
    inputs(required, { optional }),
    extractFields(...exposed),
  ) as unknown as NestedNode;
}

// The hooks of an inner run: the caller's node-level hooks, log and item
// progress (renamed into the caller's namespace), then the inner engine's.
function forwardedHooks(
  caller: Hooks,
  own: Hooks,
  name: string,
  runId: string,
  item: number | undefined,
): Hooks {
  const taskPrefix = item === undefined
    ? `${runId}/${name}`
    : `${runId}/${item}/${name}`;
  const forwarded = caller.adapters.flatMap((adapter) => {
    const out = forward(adapter, name, taskPrefix, runId.length);
    return out === undefined ? [] : [out];
  });
  if (forwarded.length === 0) return own;
  // The inner engine's hook timeout, else the caller's.
  return (own.timeoutMs === undefined ? caller : own).withAdapters([
    ...forwarded,
    ...own.adapters,
  ]);
}

function forward(
  adapter: Adapter,
  name: string,
  taskPrefix: string,
  runIdLength: number,
): Adapter | undefined {
  const rename = <E extends BeforeNodeExecutionEvent>(event: E): E => ({
    ...event,
    nodeName: `${name}.${event.nodeName}`,
    taskId: taskPrefix + event.taskId.slice(runIdLength),
  });
  const out: { -readonly [K in keyof Adapter]: Adapter[K] } = {
    name: adapterName(adapter),
  };
  const {
    beforeNodeExecution,
    afterNodeExecution,
    executeNode,
    nodeCached,
    beforeMap,
    afterMap,
  } = adapter;
  if (beforeNodeExecution !== undefined) {
    out.beforeNodeExecution = (event: BeforeNodeExecutionEvent) =>
      beforeNodeExecution.call(adapter, rename(event));
  }
  if (afterNodeExecution !== undefined) {
    out.afterNodeExecution = (event: AfterNodeExecutionEvent) =>
      afterNodeExecution.call(adapter, rename(event));
  }
  if (executeNode !== undefined) {
    out.executeNode = (event, next) =>
      executeNode.call(adapter, rename(event), next);
  }
  if (nodeCached !== undefined) {
    out.nodeCached = (event) => nodeCached.call(adapter, rename(event));
  }
  // A map the inner pipeline runs (its mapOver, or a map further in) is
  // named after the node that runs it.
  const mapName = (nodeName: string | undefined) =>
    nodeName === undefined ? name : `${name}.${nodeName}`;
  if (beforeMap !== undefined) {
    out.beforeMap = (event) =>
      beforeMap.call(adapter, { ...event, nodeName: mapName(event.nodeName) });
  }
  if (afterMap !== undefined) {
    out.afterMap = (event) =>
      afterMap.call(adapter, { ...event, nodeName: mapName(event.nodeName) });
  }
  if (adapter.onLog !== undefined) {
    out.onLog = (event) =>
      adapter.onLog!({ ...event, nodeName: `${name}.${event.nodeName}` });
  }
  if (adapter.afterMapItem !== undefined) {
    out.afterMapItem = (event) =>
      adapter.afterMapItem!({ ...event, nodeName: mapName(event.nodeName) });
  }
  if (adapter.traceparent !== undefined) {
    out.traceparent = (event) =>
      adapter.traceparent!({
        ...event,
        nodeName: `${name}.${event.nodeName}`,
        taskId: taskPrefix + event.taskId.slice(runIdLength),
      });
  }
  if (Object.keys(out).length === 1) return undefined;
  // What the adapter promised about its node hooks holds for their forwards.
  if ((adapter as IgnoresInputs)[IGNORES_INPUTS] === true) {
    (out as IgnoresInputs)[IGNORES_INPUTS] = true;
  }
  if ((adapter as SyncLogs)[SYNC_LOGS] === true) {
    (out as SyncLogs)[SYNC_LOGS] = true;
  }
  return out;
}

interface IgnoresInputs {
  [IGNORES_INPUTS]?: boolean;
}

interface SyncLogs {
  [SYNC_LOGS]?: boolean;
}

function strings(
  mapping: Readonly<Record<string, string>> | undefined,
  label: string,
): Readonly<Record<string, string>> {
  if (mapping === undefined) return EMPTY as Record<string, string>;
  if (typeof mapping !== "object" || mapping === null) {
    throw new TypeError(`'${label}' must be an object: received ${mapping}`);
  }
  for (const [key, value] of Object.entries(mapping)) {
    if (typeof value !== "string" || value === "") {
      throw new TypeError(
        `'${label}' must map names to names: received ${value} for "${key}"`,
      );
    }
  }
  return mapping;
}

function list(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.map((n) => `"${n}"`).join(", ");
}
