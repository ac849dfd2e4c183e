/**
 * The state of one run of a plan: its values, its signal, its hooks, and how
 * a node is called. Executors drive a `Run`; they never build arguments or
 * call hooks themselves.
 *
 * @module
 */
import { isThenable } from "./_thenable.ts";
import {
  BraidError,
  CancelledError,
  HookError,
  NodeExecutionError,
  ValidationError,
  WorkerError,
} from "./errors.ts";
import { endDeferred, invokeWithHooks } from "./_hooked_call.ts";
import type { Hooks, NodeLogEvent, TraceTaskEvent } from "./hooks.ts";
import { pathTo, type Plan, type PlanNode } from "./plan.ts";
import type { Tags } from "./node.ts";
import type { CacheSession } from "./cache/session.ts";
import { callNode } from "./_call.ts";
import type { FailurePolicy, Lanes } from "./scheduler.ts";
import type { Runner } from "./runner.ts";
import type { RunScope } from "./_scope.ts";
import type { NodeMetadata } from "./events.ts";

/** What a node that declares a `ctx` parameter receives. */
export interface RunContext {
  /** Aborts when the run is cancelled or another node fails: pass it to your I/O. */
  readonly signal: AbortSignal;
  /** The run's id. */
  readonly runId: string;
  /** This node's name. */
  readonly nodeName: string;
  /** This node's tags. */
  readonly tags: Tags;
  /** The map item index, when the run is one item of a map. */
  readonly item?: number;
  /** Emits a user event into `stream()` and the adapters' `onLog`. */
  log(message: string, data?: unknown): void;
  /**
   * Says something is wrong that does not fail the node: a `warning`
   * event in `stream()`, the adapters' `onLog` with `level: "warning"`,
   * and, when no adapter listens to logs, `console.warn` once per node and
   * run.
   */
  warn(message: string, data?: unknown): void;
  /**
   * The W3C `traceparent` of this node's span, when a tracing adapter
   * (`OpenTelemetryAdapter`) is attached: the parent of spans the node
   * makes, in this thread or on the worker or process that runs it.
   */
  readonly traceparent?: string;
}

/** How a run is set up. */
export interface RunInit {
  /** The run's id. */
  readonly runId: string;
  /** The plan to run. */
  readonly plan: Plan;
  /** The slots, seeds already placed. */
  readonly values: unknown[];
  /** Cancels the run. */
  readonly signal?: AbortSignal | undefined;
  /** Hooks, when some adapter has node-level hooks. */
  readonly hooks?: Hooks | undefined;
  /** Receives `ctx.log` messages. */
  readonly onLog?: ((event: NodeLogEvent) => void) | undefined;
  /** The map item index. */
  readonly item?: number | undefined;
  /** The cache, when the driver has one. */
  readonly cache?: CacheSession | undefined;
  /** The runner, handed (with the hooks) to nested pipelines through `ctx`. */
  readonly runner?: Runner | undefined;
  /** What a node failure does. @default {"stop"} */
  readonly onFailure?: FailurePolicy | undefined;
  /**
   * Told at once when the run stops: a map stops handing out items the
   * moment one fails, not a promise tick later.
   */
  readonly onStop?: ((error: Error) => void) | undefined;
}

/** One run of a plan. */
export class Run {
  /** The run's id. */
  readonly runId: string;
  /** The plan. */
  readonly plan: Plan;
  /** Value slots: node values, then seeds. */
  readonly values: unknown[];
  /** The map item index, if any. */
  readonly item: number | undefined;
  /** The user's signal, if any. */
  readonly signal: AbortSignal | undefined;
  #stopped: Error | undefined;
  /** The hooks, when some adapter has node-level hooks. */
  readonly hooks: Hooks | undefined;
  /** Every adapter's hooks, for fan-out blocks (task hooks, item runs). */
  readonly adapters: Hooks | undefined;
  /**
   * The runner, when a runner started the run: its executors run fan-out
   * items, and nested pipelines reach it through `ctx`.
   */
  readonly runner: Runner | undefined;
  /**
   * The cache, when the driver has one: an executor that does not call
   * `invoke` (one that ships nodes elsewhere) wraps its own call with
   * `cache.invoke(node, compute)`.
   */
  readonly cache: CacheSession | undefined;
  /** What a node failure does. */
  readonly onFailure: FailurePolicy;
  /** The scheduler driving the run: told when it stops, so it settles at once. */
  driver: { stopped(error: Error): void } | undefined;
  /** Where the scheduler sends its nodes (set as it starts). */
  lanes: Lanes | undefined;
  /** Each node's lane in this run, when nodes are routed (by plan index). */
  routedLanes: Int32Array | undefined;
  readonly #onStop: ((error: Error) => void) | undefined;
  readonly #onLog: ((event: NodeLogEvent) => void) | undefined;
  // Each node's attempt number, past the first (made on a node's first
  // retry).
  #attempts: Uint16Array | undefined;
  // The worker each node runs on, where its executor names one (made when
  // the first is named).
  #workers: (string | undefined)[] | undefined;
  // The nodes that warned on the console (no adapter listening to logs).
  #warned: Set<number> | undefined;
  /** True once a node's end has been left to `invokeInline`'s caller. */
  defers = false;
  // The nodes whose ends `invokeInline`'s callers report, and when each
  // started: one in a slot (a run one node at a time never has two), more
  // by node index (NaN for none), made when a second one comes.
  #deferredAt = -1;
  #deferredStart = 0;
  #deferredStarts: Float64Array | undefined;
  #controller: AbortController | undefined;
  #ctxSignal: AbortSignal | undefined;
  #scope: RunScope | undefined;
  // What loader and saver nodes reported, by node index (made on the first
  // report).
  #metadata: (NodeMetadata | undefined)[] | undefined;

  /** Set once the run has failed or been cancelled: nothing new may start. */
  get stopped(): Error | undefined {
    return this.#stopped;
  }

  /** Sets up a run; the executor then drives it. */
  constructor(init: RunInit) {
    this.runId = init.runId;
    this.plan = init.plan;
    this.values = init.values;
    this.item = init.item;
    this.signal = init.signal;
    this.hooks = init.hooks?.perNode ? init.hooks : undefined;
    this.adapters = init.hooks;
    this.runner = init.runner;
    this.#onLog = init.onLog;
    this.cache = init.cache;
    this.onFailure = init.onFailure ?? "stop";
    this.#onStop = init.onStop;
  }

  /** Where `ctx.log` messages go. */
  get onLog(): ((event: NodeLogEvent) => void) | undefined {
    return this.#onLog;
  }

  /**
   * Calls `node` with its arguments: its value, or a promise of it. An
   * executor that runs nodes elsewhere (on workers) passes its own `call`.
   */
  invoke(node: PlanNode, call: NodeCall = callNode): unknown {
    // Nodes a plan adds to run blocks run no user code, and run here: no
    // cache, no node hooks.
    if (node.kind === "block") return this.runner!.runBlock(node, this);
    if (node.kind === "member") return node.member!(this.values);
    if (this.hooks === undefined) {
      return this.cache === undefined
        ? call(node, this.values, this)
        : this.cache.invoke(node, () => call(node, this.values, this));
    }
    return invokeWithHooks(this, node, this.hooks, call);
  }

  /**
   * Calls `node` as `invoke` does, for a caller in this thread that awaits
   * a promise it gets itself and then calls `settled`: the recorder learns
   * of the node's end from there, with no promise of braid's own wrapped
   * around the node's.
   */
  invokeInline(node: PlanNode): unknown {
    const hooks = this.hooks;
    if (node.kind !== "task") return this.invoke(node);
    if (hooks !== undefined) {
      return invokeWithHooks(this, node, hooks, callNode, true);
    }
    return this.cache === undefined
      ? callNode(node, this.values, this)
      : this.cache.invoke(node, () => callNode(node, this.values, this));
  }

  /** Which attempt at `node` this is (or will be, before it starts): 1 unless retried. */
  attemptOf(node: PlanNode): number {
    return this.#attempts === undefined ? 1 : this.#attempts[node.index]! + 1;
  }

  /** The worker `node` runs on, when its executor named one. */
  workerOf(node: PlanNode): string | undefined {
    return this.#workers?.[node.index];
  }

  /** `node` runs on `worker` (an executor that runs it elsewhere says so). */
  placeOn(node: PlanNode, worker: string): void {
    (this.#workers ??= [])[node.index] = worker;
  }

  /** `node` is about to start again. */
  nextAttempt(node: PlanNode): void {
    (this.#attempts ??= new Uint16Array(this.plan.nodes.length))[node.index]!++;
  }

  /** `node`, started at `start`, ends when the caller of `invokeInline` says. */
  deferEnd(node: PlanNode, start: number): void {
    this.defers = true;
    if (this.#deferredAt < 0 && this.#deferredStarts === undefined) {
      this.#deferredAt = node.index;
      this.#deferredStart = start;
      return;
    }
    const starts = this.#deferredStarts ??= new Float64Array(
      this.plan.nodes.length,
    ).fill(NaN);
    if (this.#deferredAt >= 0) {
      starts[this.#deferredAt] = this.#deferredStart;
      this.#deferredAt = -1;
    }
    starts[node.index] = start;
  }

  /** A node whose promise `invokeInline` returned settled. */
  settled(node: PlanNode, success: boolean, outcome: unknown): void {
    let start: number;
    if (this.#deferredAt === node.index) {
      start = this.#deferredStart;
      this.#deferredAt = -1;
    } else {
      const starts = this.#deferredStarts;
      if (starts === undefined) return;
      start = starts[node.index]!;
      if (start !== start) return; // its end was not deferred
      starts[node.index] = NaN;
    }
    endDeferred(this, node, start, success, outcome);
  }

  /** Records that `node` failed with `error`, stops the run, returns the error to reject with. */
  fail(node: PlanNode, error: unknown): Error {
    if (this.stopped !== undefined) return this.stopped;
    const failure = this.failure(node, error);
    this.stop(failure);
    return failure;
  }

  /** What `node` failing with `error` is reported as (the run goes on). */
  failure(node: PlanNode, error: unknown): Error {
    // Errors that already say what failed pass as they are: a hook's, a
    // check's, a worker's, a cancellation, this node's own wrapped error
    // (node hooks wrap what they report), and a block's (they name the
    // item's node already).
    return error instanceof ValidationError ||
        error instanceof WorkerError ||
        error instanceof AggregateError ||
        error instanceof HookError ||
        error instanceof CancelledError ||
        (error instanceof NodeExecutionError &&
          error.nodeName === node.name && error.runId === this.runId &&
          error.item === this.item) ||
        (node.block !== undefined && error instanceof BraidError)
      ? error as Error
      : this.wrap(node, error);
  }

  /** Stops the run with `error`: no new node starts; `ctx.signal` aborts. */
  stop(error: Error): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = error;
    this.#controller?.abort(error);
    this.driver?.stopped(error);
    this.#onStop?.(error);
  }

  /**
   * Aborts when the run stops (fails, or its signal aborts): what `ctx.signal`
   * is, and what executors watch to withdraw calls. Made on first use.
   */
  get stopSignal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.stopped !== undefined) this.#controller.abort(this.stopped);
      this.#ctxSignal = this.signal === undefined
        ? this.#controller.signal
        : AbortSignal.any([this.signal, this.#controller.signal]);
    }
    return this.#ctxSignal!;
  }

  /**
   * Why no node may start any more: the run's failure, or its cancellation;
   * undefined while the run goes on. Executors check it before each node.
   */
  halted(): Error | undefined {
    return this.stopped ?? this.cancellation();
  }

  /** The CancelledError for this run, if its signal has aborted. */
  cancellation(): CancelledError | undefined {
    if (this.signal?.aborted !== true) return undefined;
    if (this.#stopped instanceof CancelledError) return this.#stopped;
    const error = new CancelledError(this.runId, this.signal.reason);
    this.stop(error);
    return error;
  }

  /** Emits a message of `node`'s, as its `ctx.log` does. */
  log(node: PlanNode, message: string, data?: unknown): void {
    const onLog = this.#onLog;
    if (onLog === undefined) return;
    const event: NodeLogEvent = {
      runId: this.runId,
      nodeName: node.name,
      message,
    };
    if (data !== undefined) Object.assign(event, { data });
    if (this.item !== undefined) Object.assign(event, { item: this.item });
    onLog(event);
  }

  /**
   * Emits a warning of `node`'s, as its `ctx.warn` does: to the adapters'
   * `onLog` (and so `stream()`), or, with none, to `console.warn` once per
   * node of this run.
   */
  warn(node: PlanNode, message: string, data?: unknown): void {
    const onLog = this.#onLog;
    if (onLog === undefined) {
      const warned = this.#warned ??= new Set();
      if (warned.has(node.index)) return;
      warned.add(node.index);
      const where = this.item === undefined ? "" : ` (item ${this.item})`;
      console.warn(`braid: node "${node.name}"${where}: ${message}`);
      return;
    }
    const event: NodeLogEvent = {
      runId: this.runId,
      nodeName: node.name,
      message,
      level: "warning",
    };
    if (data !== undefined) Object.assign(event, { data });
    if (this.item !== undefined) Object.assign(event, { item: this.item });
    onLog(event);
  }

  /** The `ctx` for `node`. */
  context(node: PlanNode): RunContext {
    const signal = this.stopSignal;
    const item = this.item;
    const ctx: RunContext = {
      signal,
      runId: this.runId,
      nodeName: node.name,
      tags: node.tags,
      log: (message: string, data?: unknown) => this.log(node, message, data),
      warn: (message: string, data?: unknown) => this.warn(node, message, data),
    };
    const traceparent = this.adapters?.traces === true
      ? this.traceparent(node)
      : undefined;
    if (traceparent !== undefined) Object.assign(ctx, { traceparent });
    return item === undefined ? ctx : { ...ctx, item };
  }

  /**
   * The `traceparent` a tracing adapter gives for `node`'s call in this
   * run (for its ctx, here or on a worker); undefined when none traces.
   */
  traceparent(node: PlanNode): string | undefined {
    const hooks = this.adapters;
    if (hooks === undefined || !hooks.traces) return undefined;
    const runId = this.runId;
    const item = this.item;
    const event: TraceTaskEvent = item === undefined
      ? { runId, nodeName: node.name, taskId: taskIdOf(runId, node, item) }
      : {
        runId,
        nodeName: node.name,
        taskId: taskIdOf(runId, node, item),
        item,
      };
    return hooks.traceparentOf(event);
  }

  /**
   * The name routing gave the executor `node` runs on in this run (a key
   * of `executors`), when nodes are routed; undefined otherwise.
   */
  routedExecutor(node: PlanNode): string | undefined {
    const routed = this.routedLanes;
    if (routed === undefined) return undefined;
    return this.lanes?.names?.[routed[node.index]!];
  }

  /** The name of the executor `node` runs on in this run. */
  executorOf(node: PlanNode): string | undefined {
    const lanes = this.lanes ?? this.runner?.lanes;
    if (lanes === undefined) return undefined;
    const lane = lanes.laneOf === undefined ? 0 : lanes.laneOf(node, this);
    return lanes.executors[lane]?.name;
  }

  /** What a nested pipeline run by one of this run's nodes inherits. */
  scope(): RunScope | undefined {
    const runner = this.runner;
    if (runner === undefined || this.adapters === undefined) return undefined;
    return this.#scope ??= { runner, hooks: this.adapters };
  }

  /**
   * Records what a loader or saver node reported about its value; a
   * loader's content hash also versions its value in the cache.
   */
  addMetadata(node: PlanNode, metadata: NodeMetadata): void {
    (this.#metadata ??= new Array(this.plan.nodes.length))[node.index] =
      metadata;
    const content = metadata.contentHash;
    if (node.spec.materializer === "loader" && typeof content === "string") {
      this.cache?.contentRead(node, content);
    }
  }

  /** What `node` reported about its value, if it is a loader or saver. */
  metadataOf(node: PlanNode): NodeMetadata | undefined {
    return this.#metadata?.[node.index];
  }

  /** `error` as the `NodeExecutionError` of `node` in this run. */
  wrap(node: PlanNode, error: unknown): NodeExecutionError {
    return new NodeExecutionError(
      node.name,
      this.runId,
      pathTo(this.plan, node),
      error,
      this.item,
    );
  }
}

/** The id of `node`'s execution in run `runId` (its item's, in a map). */
export function taskIdOf(
  runId: string,
  node: PlanNode,
  item: number | undefined,
): string {
  return item === undefined
    ? runId + "/" + node.name
    : `${runId}/${item}/${node.name}`;
}

/** How a node is called: in this thread by default. */
export type NodeCall = (
  node: PlanNode,
  values: unknown[],
  run: Run,
) => unknown;

export { isThenable };
