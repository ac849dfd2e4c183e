/**
 * Lifecycle adapters: objects with any of the hook methods below. Each hook
 * receives one event object, may be sync or async, and is awaited in order.
 * Several adapters may implement the same hook: all run, in the order given;
 * `executeNode` wrappers nest like middleware (the first given is outermost).
 *
 * @module
 */
import { HookError } from "./errors.ts";
import type { CacheOutcome } from "./cache/cache.ts";
import type { NodeMetadata } from "./events.ts";
import type { Graph, NodeInfo } from "./graph.ts";
import type { MapMode } from "./map.ts";
import type { Tags } from "./node.ts";
import type { RunTags } from "./events.ts";
import type { Plan, PlanNode } from "./plan.ts";
import { isThenable } from "./_thenable.ts";
import { delayOption, within } from "./_delay.ts";

/** What a graph-level hook receives before a run. */
export interface BeforeGraphExecutionEvent {
  /** The run's id. */
  readonly runId: string;
  /** The requested names. */
  readonly finalVars: readonly string[];
  /** The run inputs. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The overrides. */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** The map item index, when the run is one item of a map. */
  readonly item?: number;
  /** The run's tags (`{}` when it was given none). */
  readonly tags: RunTags;
}

/** What a graph-level hook receives after a run. */
export interface AfterGraphExecutionEvent extends BeforeGraphExecutionEvent {
  /** Whether the run succeeded. */
  readonly success: boolean;
  /** Why it failed. */
  readonly error?: unknown;
  /** The requested values by name, when it succeeded (Hamilton's `results`). */
  readonly results?: Readonly<Record<string, unknown>>;
}

/**
 * What `beforeAnything` receives: a driver is about to be built (Hamilton's
 * `pre_do_anything`), before its modules load.
 */
export interface BeforeAnythingEvent {
  /** The builder's config. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** A read-only view of a built graph: its nodes and inputs. */
export interface GraphView {
  /** Every node (in topological order), then every input. */
  readonly nodes: readonly NodeInfo[];
  /** The variable named `name`, if there is one. */
  node(name: string): NodeInfo | undefined;
}

/**
 * What `afterGraphBuild` receives: the graph is built, before the
 * build-time checks (Hamilton's `post_graph_construct`).
 */
export interface AfterGraphBuildEvent {
  /** The graph. */
  readonly graph: GraphView;
  /** The modules it was built from: specifiers, or labels such as "module #1" (none for a Pipeline). */
  readonly modules: readonly string[];
  /** The builder's config. */
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * What `validateInputs` receives: one input of a run, before any node runs
 * (Hamilton's `do_validate_input`).
 */
export interface ValidateInputEvent {
  /** The run's id. */
  readonly runId: string;
  /** The input's name. */
  readonly name: string;
  /** Its value (settled, when given as a promise). */
  readonly value: unknown;
  /** The nodes of the graph that take it. */
  readonly neededBy: readonly string[];
  /** The map item index, when the run is one item of a map. */
  readonly item?: number;
}

/** What a node-level hook receives before a node runs. */
export interface BeforeNodeExecutionEvent {
  /** The run's id. */
  readonly runId: string;
  /** The node's name. */
  readonly nodeName: string;
  /** The node's tags. */
  readonly tags: Tags;
  /** The node's arguments by input name. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** A unique id of this node execution within the run. */
  readonly taskId: string;
  /** The map item index, when the run is one item of a map. */
  readonly item?: number;
  /** Which attempt this is, from the second on (a `retry` policy's). */
  readonly attempt?: number;
  /**
   * The worker it runs on, when its executor names one (the remote
   * executor: the worker's id).
   */
  readonly worker?: string;
  /**
   * The name of the executor that runs it; given only when some adapter
   * traces (implements `traceparent`), which spends a lookup per node.
   */
  readonly executor?: string;
}

/**
 * What `traceparent` receives: the node call whose trace context is
 * wanted, named as the node hooks name it.
 */
export interface TraceTaskEvent {
  /** The run's id. */
  readonly runId: string;
  /** The node's name. */
  readonly nodeName: string;
  /** The node execution's id, as its `beforeNodeExecution` event gave it. */
  readonly taskId: string;
  /** The map item index, when the run is one item of a map. */
  readonly item?: number;
}

/** What a node-level hook receives after a node ran. */
export interface AfterNodeExecutionEvent extends BeforeNodeExecutionEvent {
  /** Whether the node succeeded. */
  readonly success: boolean;
  /** Its value, when it succeeded. */
  readonly result?: unknown;
  /** What it threw, when it failed. */
  readonly error?: unknown;
  /** How long it ran, in milliseconds. */
  readonly durationMs: number;
  /**
   * What the cache did, when the driver has one. Never `"hit"`: a hit
   * fires `nodeCached` instead of the node's before and after hooks.
   */
  readonly cache?: CacheOutcome;
  /** What a loader or saver node reported about the data it read or wrote. */
  readonly metadata?: NodeMetadata;
}

/**
 * What `nodeCached` receives: the cache answered for a node, so its function
 * did not run and neither `beforeNodeExecution`, `executeNode` nor
 * `afterNodeExecution` fire for it.
 */
export interface NodeCachedEvent extends BeforeNodeExecutionEvent {
  /** The value read from the cache. */
  readonly result: unknown;
  /** How long the cache took to answer, in milliseconds. */
  readonly durationMs: number;
}

/** A message a node emitted with `ctx.log`. */
export interface NodeLogEvent {
  /** The run's id. */
  readonly runId: string;
  /** The node that logged. */
  readonly nodeName: string;
  /** The message. */
  readonly message: string;
  /** Extra data given with it. */
  readonly data?: unknown;
  /** The map item index, when the run is one item of a map. */
  readonly item?: number;
  /** `"warning"` for `ctx.warn` (a checkOutput validator that failed at "warn"). */
  readonly level?: "warning";
}

/**
 * What `afterTaskExpand` receives: a parallelizable node's value was split
 * into items, one task each.
 */
export interface TaskExpandEvent {
  /** The run's id. */
  readonly runId: string;
  /** The parallelizable node. */
  readonly nodeName: string;
  /** The id of the block's task (its items' ids are `${taskId}/${index}`). */
  readonly taskId: string;
  /** The indices of the items, in order. */
  readonly indices: readonly number[];
  /** The enclosing item's index, when the block is inside another item. */
  readonly item?: number;
}

/** What `afterTaskGroup` receives: a block's items are grouped into tasks. */
export interface TaskGroupEvent extends TaskExpandEvent {
  /** Each item's task id, by index. */
  readonly taskIds: readonly string[];
  /** The nodes each task runs. */
  readonly nodes: readonly string[];
}

/** What `beforeTaskSubmission` receives: one item's task is about to start. */
export interface TaskSubmissionEvent {
  /** The run's id. */
  readonly runId: string;
  /** The parallelizable node the item comes from. */
  readonly nodeName: string;
  /** The item's task id. */
  readonly taskId: string;
  /** The item's index. */
  readonly index: number;
  /** The nodes the task runs. */
  readonly nodes: readonly string[];
}

/** What `afterMapItem` receives: one map item is done. */
export interface MapItemEvent {
  /** The map's run id. */
  readonly runId: string;
  /** The item's index. */
  readonly item: number;
  /** How many items are done, this one included. */
  readonly done: number;
  /** How many items the map has. */
  readonly total: number;
  /** Whether the item succeeded. */
  readonly success: boolean;
  /** Why it failed. */
  readonly error?: unknown;
  /**
   * For a map inside a nested pipeline: the node that runs it; for the items
   * of a fan-out block: its parallelizable node.
   */
  readonly nodeName?: string;
}

/** What `beforeMap` receives: a map is about to run its items. */
export interface BeforeMapEvent {
  /** The map's run id (its items' node events carry it too). */
  readonly runId: string;
  /** How many items the map runs. */
  readonly items: number;
  /** How the mapped lists were combined into items. */
  readonly mapMode: MapMode;
  /** The map's run tags. */
  readonly tags: RunTags;
  /** For a map inside a nested pipeline: the node that runs it. */
  readonly nodeName?: string;
}

/** What `afterMap` receives: a map is done, whether it succeeded or not. */
export interface AfterMapEvent extends BeforeMapEvent {
  /** Whether the map succeeded (with `onError: "collect"`, failed items still succeed). */
  readonly success: boolean;
  /** Why it failed. */
  readonly error?: unknown;
  /** How long the map took, in milliseconds. */
  readonly durationMs: number;
}

/** What `buildResult` receives. */
export interface BuildResultEvent {
  /** The run's id. */
  readonly runId: string;
  /** The requested names. */
  readonly finalVars: readonly string[];
  /** The requested values by name. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** A build-time check's verdict: `true`/nothing passes; `false` or a message fails. */
export type ValidationVerdict = boolean | string | void;

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** A lifecycle adapter: implement any subset of these hooks. */
export interface Adapter {
  /** A name for error messages; defaults to the class name. */
  readonly name?: string;
  /** Runs before a run starts (before any node). */
  beforeGraphExecution?(event: BeforeGraphExecutionEvent): MaybePromise<void>;
  /** Runs after a run ends, whether it succeeded or not. */
  afterGraphExecution?(event: AfterGraphExecutionEvent): MaybePromise<void>;
  /** Runs before each node. */
  beforeNodeExecution?(event: BeforeNodeExecutionEvent): MaybePromise<void>;
  /** Runs after each node, whether it succeeded or not. */
  afterNodeExecution?(event: AfterNodeExecutionEvent): MaybePromise<void>;
  /** Runs instead of the node's other hooks when the cache answers for it. */
  nodeCached?(event: NodeCachedEvent): MaybePromise<void>;
  /** Wraps a node call: call `next()` to run the node (or the next wrapper). */
  executeNode?(
    event: BeforeNodeExecutionEvent,
    next: () => Promise<unknown>,
  ): MaybePromise<unknown>;
  /** Runs when a parallelizable node's value is split into items. */
  afterTaskExpand?(event: TaskExpandEvent): MaybePromise<void>;
  /** Runs when a block's items are grouped into tasks, before any starts. */
  afterTaskGroup?(event: TaskGroupEvent): MaybePromise<void>;
  /** Runs before each item's task starts. */
  beforeTaskSubmission?(event: TaskSubmissionEvent): MaybePromise<void>;
  /** Receives each `ctx.log` message. */
  onLog?(event: NodeLogEvent): MaybePromise<void>;
  /** Runs once before the items of a `map` (`stream()` with `mapOver` too). */
  beforeMap?(event: BeforeMapEvent): MaybePromise<void>;
  /** Runs after each item of a `map` (nested maps included). */
  afterMapItem?(event: MapItemEvent): MaybePromise<void>;
  /** Runs once after a `map`, whether it succeeded or not. */
  afterMap?(event: AfterMapEvent): MaybePromise<void>;
  /** Checks each node when the graph is built. */
  validateNode?(
    event: { readonly node: NodeInfo },
  ): MaybePromise<ValidationVerdict>;
  /** Checks the whole graph when it is built. */
  validateGraph?(event: {
    readonly nodes: readonly NodeInfo[];
    readonly config: Readonly<Record<string, unknown>>;
  }): MaybePromise<ValidationVerdict>;
  /** Turns the requested values into what `execute` returns. */
  buildResult?(event: BuildResultEvent): unknown;
  /** Runs first when a driver is built, before its modules load. */
  beforeAnything?(event: BeforeAnythingEvent): MaybePromise<void>;
  /** Runs once the graph is built, before the build-time checks. */
  afterGraphBuild?(event: AfterGraphBuildEvent): MaybePromise<void>;
  /**
   * Checks each input of a run before any node runs: `true` or nothing
   * accepts it, `false` or a message rejects it (every rejected input is
   * reported in one error).
   */
  validateInputs?(event: ValidateInputEvent): MaybePromise<ValidationVerdict>;
  /**
   * The W3C `traceparent` of the span a node call runs in (a tracing
   * adapter's), asked after its `beforeNodeExecution`, when its `ctx` is
   * made or its call is sent to a worker or process: the first adapter
   * that answers gives the node's `ctx.traceparent`. Sync, and never
   * asked when no adapter implements it.
   */
  traceparent?(event: TraceTaskEvent): string | undefined;
}

/** The name of a hook method. */
export type HookName = Exclude<keyof Adapter, "name">;

/** The event object hook `K` receives. */
export type EventOf<K extends HookName> = Parameters<
  NonNullable<Adapter[K]>
>[0];

const HOOKS: readonly HookName[] = [
  "beforeGraphExecution",
  "afterGraphExecution",
  "beforeNodeExecution",
  "afterNodeExecution",
  "nodeCached",
  "executeNode",
  "afterTaskExpand",
  "afterTaskGroup",
  "beforeTaskSubmission",
  "onLog",
  "beforeMap",
  "afterMapItem",
  "afterMap",
  "validateNode",
  "validateGraph",
  "buildResult",
  "beforeAnything",
  "afterGraphBuild",
  "validateInputs",
  "traceparent",
];

/**
 * braid's own record of a run's nodes (run()'s and stream()'s recorder),
 * told of each node of the run by its plan node, with no event objects: an
 * adapter whose `[OBSERVES]` holds one gets these calls instead of its node
 * hooks (which still serve it where only events exist, in nested runs).
 * Observers never throw.
 */
export interface NodeObserver {
  /** `node` starts, at `now` (the shared clock's reading): its `attempt`th start. */
  started(
    node: PlanNode,
    runId: string,
    item: number | undefined,
    now: number,
    attempt: number,
    executor: string | undefined,
  ): void;
  /** `node` ended: its value or what it threw, and what the cache did. */
  ended(
    node: PlanNode,
    runId: string,
    item: number | undefined,
    success: boolean,
    outcome: unknown,
    durationMs: number,
    cache: CacheOutcome | undefined,
    metadata?: NodeMetadata,
  ): void;
  /** The cache answered for `node`. */
  cached(
    node: PlanNode,
    runId: string,
    item: number | undefined,
    durationMs: number,
  ): void;
  /**
   * Where `node` runs, told by an executor that runs it elsewhere, before
   * it starts there and again when another worker takes it over: `worker`
   * names the worker, `attempt` counts the starts.
   */
  placed?(
    node: PlanNode,
    runId: string,
    item: number | undefined,
    worker: string,
    attempt: number,
  ): void;
}

/** Where an adapter holds its {@linkcode NodeObserver}. */
export const OBSERVES: unique symbol = Symbol("braid.observes");

// The hooks whose events carry a node's inputs.
const NODE_HOOKS = [
  "beforeNodeExecution",
  "afterNodeExecution",
  "nodeCached",
  "executeNode",
] as const;

// One implementation of a hook: the adapter and its method, looked up once.
interface Listener {
  readonly adapter: Adapter;
  readonly method: (event: unknown, ...rest: never[]) => unknown;
}

const NONE: readonly Listener[] = Object.freeze([]);

/**
 * Set (to true) on braid's own adapters whose node hooks never read the
 * event's `inputs`: when no other adapter has node hooks, nodes skip
 * building their arguments by name for the events.
 */
export const IGNORES_INPUTS: unique symbol = Symbol("braid.ignoresInputs");
/**
 * Set (to true) on braid's own adapters whose `onLog` never returns a
 * promise: when no other adapter logs, a run keeps no list of pending
 * log hooks to wait for (a map would pay for one per item).
 */
export const SYNC_LOGS: unique symbol = Symbol("braid.syncLogs");
/**
 * Set (to true) on braid's own adapters whose graph hooks ignore the runs
 * of a map's items (they follow a map through its map hooks): when no
 * other adapter has graph hooks, an item's run calls none.
 */
export const SKIPS_ITEM_RUNS: unique symbol = Symbol("braid.skipsItemRuns");
const SETTLED: Promise<void> = Promise.resolve();
// The HookErrors made for hooks that ran out of time: already named.
const TIMED_OUT = new WeakSet<WeakKey>();
const timedOut = (error: unknown): error is HookError =>
  error instanceof HookError && TIMED_OUT.has(error);

/** How hooks are called. */
export interface HookOptions {
  /**
   * The longest a hook's promise may take to settle, in ms: past it the
   * hook fails with a {@linkcode HookError} (and so does the run or build
   * it was called for). `executeNode` is not timed: its time includes the
   * node's own. `Infinity` means none.
   *
   * @default {Infinity}
   */
  readonly timeoutMs?: number;
}

/** The hooks of a list of adapters, grouped by method, ready to call in order. */
export class Hooks {
  /** The adapters, in order. */
  readonly adapters: readonly Adapter[];
  /** True when any node-level hook exists: nodes take the hooked path. */
  readonly perNode: boolean;
  /** True when any graph-level hook exists. */
  readonly perGraph: boolean;
  /** True when some graph-level hook wants the runs of a map's items too. */
  readonly perItemGraph: boolean;
  /**
   * The first adapter's node observer, if it has one: that adapter's node
   * hooks are left out of the lists, and nodes tell the observer instead.
   * braid's own (run()'s recorder); not part of the public API.
   *
   * @ignore
   */
  readonly observer: NodeObserver | undefined;
  /** True when some adapter has node hooks that take event objects. */
  readonly nodeEvents: boolean;
  /** True when any adapter has `beforeNodeExecution`. */
  readonly beforeNode: boolean;
  /** True when any adapter has `afterNodeExecution`. */
  readonly afterNode: boolean;
  /** True when any adapter has `executeNode`. */
  readonly wrapsNode: boolean;
  /**
   * True when some adapter with node hooks may read a node event's
   * `inputs`; otherwise events carry an empty record instead.
   */
  readonly readsInputs: boolean;
  /** The adapter with `buildResult`, if any. */
  readonly resultBuilder: Adapter | undefined;
  /** True when any adapter traces (implements `traceparent`). */
  readonly traces: boolean;
  /** True when some adapter's `onLog` may return a promise a run must await. */
  readonly asyncLogs: boolean;
  /** The hook timeout in ms (checked); undefined: none. */
  readonly timeoutMs: number | undefined;
  // Each hook's implementations in adapter order, found once: a node's
  // hooks cost a loop over the adapters that have them, nothing for the rest.
  readonly #listeners: Readonly<Record<HookName, readonly Listener[]>>;

  /** Groups the hooks of `adapters`; throws if more than one builds results. */
  constructor(adapters: readonly Adapter[], options: HookOptions = {}) {
    this.timeoutMs = delayOption(
      "hookTimeoutMs",
      options.timeoutMs ?? Infinity,
      true,
    );
    const listeners = {} as Record<HookName, readonly Listener[]>;
    const observing = adapters[0] as
      | { [OBSERVES]?: NodeObserver }
      | undefined;
    const observer = observing?.[OBSERVES];
    for (const hook of HOOKS) {
      const list: Listener[] = [];
      for (const adapter of adapters) {
        if (
          observer !== undefined && adapter === observing &&
          (NODE_HOOKS as readonly string[]).includes(hook)
        ) continue;
        const method = adapter[hook];
        if (typeof method === "function") {
          list.push({ adapter, method: method as Listener["method"] });
        }
      }
      listeners[hook] = list.length === 0 ? NONE : list;
    }
    const builders = listeners.buildResult;
    if (builders.length > 1) {
      throw new TypeError(
        `Only one adapter may implement 'buildResult': received ${
          builders.map((l) => adapterName(l.adapter)).join(", ")
        }`,
      );
    }
    this.#listeners = listeners;
    this.adapters = Object.freeze([...adapters]);
    this.resultBuilder = builders[0]?.adapter;
    this.observer = observer;
    this.nodeEvents = this.has("beforeNodeExecution") ||
      this.has("afterNodeExecution") || this.has("executeNode") ||
      this.has("nodeCached");
    this.perNode = this.nodeEvents || observer !== undefined;
    this.beforeNode = this.has("beforeNodeExecution");
    this.perGraph = this.has("beforeGraphExecution") ||
      this.has("afterGraphExecution");
    this.perItemGraph = [
      ...listeners.beforeGraphExecution,
      ...listeners.afterGraphExecution,
    ].some((listener) =>
      (listener.adapter as { [SKIPS_ITEM_RUNS]?: boolean })[SKIPS_ITEM_RUNS] !==
        true
    );
    this.afterNode = this.has("afterNodeExecution");
    this.wrapsNode = this.has("executeNode");
    this.traces = this.has("traceparent");
    this.asyncLogs = this.#listeners.onLog.some((listener) =>
      (listener.adapter as { [SYNC_LOGS]?: boolean })[SYNC_LOGS] !== true
    );
    this.readsInputs = adapters.some((adapter) =>
      (adapter as { [IGNORES_INPUTS]?: boolean })[IGNORES_INPUTS] !== true &&
      !(observer !== undefined && adapter === observing) &&
      NODE_HOOKS.some((hook) => typeof adapter[hook] === "function")
    );
  }

  /** Hooks of `adapters`, called as these are (the same timeout). */
  withAdapters(adapters: readonly Adapter[]): Hooks {
    return new Hooks(adapters, { timeoutMs: this.timeoutMs ?? Infinity });
  }

  /**
   * `pending`, a hook's promise, held to the hook timeout: past it, a
   * HookError for `hook` of `adapter` (for `nodeName`).
   */
  timed<T>(
    pending: PromiseLike<T>,
    hook: HookName,
    adapter: Adapter,
    nodeName?: string,
  ): PromiseLike<T> {
    const ms = this.timeoutMs;
    if (ms === undefined) return pending;
    return within(pending, ms, () => {
      const error = new HookError(
        hook,
        adapterName(adapter),
        new Error(`it did not settle within ${ms} ms (the hook timeout)`),
        nodeName,
      );
      TIMED_OUT.add(error);
      return error;
    });
  }

  /** Whether any adapter implements `hook`. */
  has(hook: HookName): boolean {
    return this.#listeners[hook].length > 0;
  }

  /** Calls `hook` on every adapter that has it, in order, awaiting each. */
  call<K extends HookName>(hook: K, event: EventOf<K>): Promise<void> {
    try {
      return this.dispatch(hook, event) ?? SETTLED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Calls `hook` on every adapter that has it, in order, each after the
   * previous one settled; returns a promise only once some hook returned
   * one, so sync hooks keep a sync node sync. A hook that throws (or
   * rejects) ends the dispatch with a HookError naming it.
   */
  dispatch<K extends HookName>(
    hook: K,
    event: EventOf<K>,
  ): Promise<void> | undefined {
    const list = this.#listeners[hook];
    for (let i = 0; i < list.length; i++) {
      const { adapter, method } = list[i]!;
      let result: unknown;
      try {
        result = method.call(adapter, event);
      } catch (error) {
        throw hookError(hook, adapter, error, event);
      }
      if (isThenable(result)) return this.#rest(hook, event, i, result);
    }
    return undefined;
  }

  // The rest of a dispatch once hook `i` returned a promise.
  async #rest<K extends HookName>(
    hook: K,
    event: EventOf<K>,
    i: number,
    pending: PromiseLike<unknown>,
  ): Promise<void> {
    const list = this.#listeners[hook];
    for (let j = i; j < list.length; j++) {
      const { adapter, method } = list[j]!;
      try {
        const result = j === i ? pending : method.call(adapter, event);
        await (this.timeoutMs !== undefined && isThenable(result)
          ? this.timed(result, hook, adapter, nodeNameOf(event))
          : result);
      } catch (error) {
        if (timedOut(error)) throw error;
        throw hookError(hook, adapter, error, event);
      }
    }
  }

  /**
   * Calls `hook` on every adapter that has it without waiting, for callers
   * that cannot wait (`ctx.log` is sync). A hook that throws, at once or
   * later, reaches `onError` as a HookError. Returns the async hooks'
   * promises (settled, never rejected), for the caller to await later.
   */
  notify<K extends HookName>(
    hook: K,
    event: EventOf<K>,
    onError: (error: HookError) => void,
  ): Promise<void>[] | undefined {
    let pending: Promise<void>[] | undefined;
    for (const { adapter, method } of this.#listeners[hook]) {
      const fail = (error: unknown) =>
        onError(hookError(hook, adapter, error, event));
      try {
        const result = method.call(adapter, event);
        if (isThenable(result)) {
          (pending ??= []).push(
            Promise.resolve(
              this.timed(result, hook, adapter, nodeNameOf(event)),
            ).then(
              () => {},
              (error) => timedOut(error) ? onError(error) : fail(error),
            ),
          );
        }
      } catch (error) {
        fail(error);
      }
    }
    return pending;
  }

  /**
   * The `traceparent` the first tracing adapter gives for a node call;
   * an adapter that throws gives none (tracing never fails a node).
   */
  traceparentOf(event: TraceTaskEvent): string | undefined {
    for (const { adapter, method } of this.#listeners.traceparent) {
      try {
        const found = method.call(adapter, event);
        if (typeof found === "string") return found;
      } catch {
        // Ask the next one.
      }
    }
    return undefined;
  }

  /** Runs `call` inside every `executeNode` wrapper, the first adapter outermost. */
  wrap(event: BeforeNodeExecutionEvent, call: () => unknown): Promise<unknown> {
    const wrappers = this.#listeners.executeNode;
    const at = async (i: number): Promise<unknown> => {
      if (i === wrappers.length) return await call();
      const adapter = wrappers[i]!.adapter;
      // What came out of next() (the node, or inner wrappers) passes through
      // unchanged; anything else this wrapper throws is its own failure.
      let inner: { error: unknown } | undefined;
      try {
        return await adapter.executeNode!(event, async () => {
          try {
            return await at(i + 1);
          } catch (error) {
            inner = { error };
            throw error;
          }
        });
      } catch (error) {
        if (inner !== undefined && inner.error === error) throw error;
        throw new HookError(
          "executeNode",
          adapterName(adapter),
          error,
          event.nodeName,
        );
      }
    };
    return at(0);
  }

  /**
   * Runs the build-time checks; throws naming the hook and every node an
   * adapter rejected.
   */
  async validate(
    nodes: readonly NodeInfo[],
    config: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    for (const adapter of this.adapters) {
      if (adapter.validateNode !== undefined) {
        const rejected: string[] = [];
        for (const node of nodes) {
          const verdict = await this.#check(
            adapter,
            "validateNode",
            () => adapter.validateNode!({ node }),
          );
          if (verdict !== undefined) {
            rejected.push(
              `node "${node.name}" was rejected${
                verdict ? `: ${verdict}` : ""
              }`,
            );
          }
        }
        if (rejected.length > 0) {
          throw new HookError(
            "validateNode",
            adapterName(adapter),
            rejected.join("; "),
          );
        }
      }
      if (adapter.validateGraph !== undefined) {
        const verdict = await this.#check(
          adapter,
          "validateGraph",
          () => adapter.validateGraph!({ nodes, config }),
        );
        if (verdict !== undefined) {
          throw new HookError(
            "validateGraph",
            adapterName(adapter),
            `the graph was rejected${verdict ? `: ${verdict}` : ""}`,
          );
        }
      }
    }
  }

  /**
   * Runs every adapter's `validateInputs` on each input of a run; throws
   * one HookError listing every input rejected, naming the adapters.
   */
  async validateInputs(
    inputs: readonly Omit<ValidateInputEvent, "runId" | "item">[],
    runId: string,
    item?: number,
  ): Promise<void> {
    const rejected: string[] = [];
    const rejecting: string[] = [];
    for (const adapter of this.adapters) {
      if (adapter.validateInputs === undefined) continue;
      for (const input of inputs) {
        const event: ValidateInputEvent = item === undefined
          ? { ...input, runId }
          : { ...input, runId, item };
        const verdict = await this.#check(
          adapter,
          "validateInputs",
          () => adapter.validateInputs!(event),
        );
        if (verdict === undefined) continue;
        rejected.push(
          `input "${input.name}" was rejected${verdict ? `: ${verdict}` : ""}`,
        );
        const name = adapterName(adapter);
        if (!rejecting.includes(name)) rejecting.push(name);
      }
    }
    if (rejected.length > 0) {
      throw new HookError(
        "validateInputs",
        rejecting.join(", "),
        rejected.join("; "),
      );
    }
  }

  // Returns undefined when the check passes, else the reason ("" if none).
  async #check(
    adapter: Adapter,
    hook: HookName,
    run: () => MaybePromise<ValidationVerdict>,
  ): Promise<string | undefined> {
    let verdict: ValidationVerdict;
    try {
      const pending = run();
      verdict = await (isThenable(pending)
        ? this.timed(pending, hook, adapter)
        : pending);
    } catch (error) {
      if (timedOut(error)) throw error;
      throw new HookError(hook, adapterName(adapter), error);
    }
    if (verdict === undefined || verdict === true) return undefined;
    return verdict === false ? "" : String(verdict);
  }
}

function hookError(
  hook: HookName,
  adapter: Adapter,
  error: unknown,
  event: unknown,
): HookError {
  return new HookError(hook, adapterName(adapter), error, nodeNameOf(event));
}

// The node a hook's event is about, if any.
function nodeNameOf(event: unknown): string | undefined {
  const nodeName = (event as { nodeName?: unknown }).nodeName;
  return typeof nodeName === "string" ? nodeName : undefined;
}

/** An adapter's name for messages. */
export function adapterName(adapter: Adapter): string {
  return adapter.name ?? adapter.constructor?.name ?? "adapter";
}

/** A read-only view of `graph` for adapters. */
export function graphView(graph: Graph): GraphView {
  const nodes = Object.freeze(graph.list());
  return Object.freeze({ nodes, node: (name: string) => graph.info(name) });
}

/**
 * Runs `hooks`' `validateInputs` on the run inputs among `plan`'s seeds,
 * once they have settled in `values`.
 */
export function validateRunInputs(
  hooks: Hooks,
  graph: Graph,
  plan: Plan,
  values: readonly unknown[],
  runId: string,
  item?: number,
): Promise<void> {
  const inputs = [];
  for (const seed of plan.seeds) {
    if (seed.source !== "input") continue;
    inputs.push({
      name: seed.name,
      value: values[seed.slot],
      neededBy: graph.externals.get(seed.name)?.neededBy ?? [],
    });
  }
  return hooks.validateInputs(inputs, runId, item);
}
