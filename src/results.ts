/**
 * What `run()` returns, and the recorder that gathers it (and feeds
 * `stream()`) through the same hooks any adapter uses.
 *
 * @module
 */
import type { CacheOutcome } from "./cache/cache.ts";
import { HookError } from "./errors.ts";
import type { ExecutionEvent, SkipReason } from "./events.ts";
import {
  type Adapter,
  type AfterNodeExecutionEvent,
  type BeforeNodeExecutionEvent,
  Hooks,
  type MapItemEvent,
  type NodeCachedEvent,
  type NodeLogEvent,
} from "./hooks.ts";
import type { Plan, PlanNode } from "./plan.ts";
import type { ExecuteOptions, Runner } from "./runner.ts";

/**
 * What happened to one node of the plan: `"cancelled"` when it had started
 * but the run ended (failed elsewhere or was cancelled) before it finished.
 * A node the cache answered for `"succeeded"`, with `cache: "hit"`.
 */
export type NodeStatus = "succeeded" | "failed" | "skipped" | "cancelled";

/** One node's outcome in a run. */
export interface NodeResult {
  /** The node's name. */
  readonly name: string;
  /** What happened to it. */
  readonly status: NodeStatus;
  /** Why it was skipped. */
  readonly skipReason?: SkipReason;
  /**
   * How long it ran, in milliseconds (0 when skipped); for a cache hit, how
   * long the cache took to answer.
   */
  readonly durationMs: number;
  /** What it threw. */
  readonly error?: unknown;
  /** What it (or a check of its value) logged with `ctx.log`, in order. */
  readonly logs?: readonly NodeLogEvent[];
  /**
   * What the cache did, when the driver has one (`"hit"`: the function did
   * not run, and the node's events were `nodeCached` alone).
   */
  readonly cache?: CacheOutcome;
}

/** The outcome of `run()`: never rejects for a node failure or a cancellation. */
export interface RunResult<O = Record<string, unknown>> {
  /** The run's id. */
  readonly runId: string;
  /** Whether every requested value was computed. */
  readonly success: boolean;
  /** The requested values (only when `success`). */
  readonly outputs: O | undefined;
  /** Why the run failed. */
  readonly error?: unknown;
  /** Every node of the plan, in plan order, plus replaced nodes. */
  readonly nodes: readonly NodeResult[];
  /** How long the run took, in milliseconds. */
  readonly durationMs: number;
}

// Event timestamps are this plus a performance.now() reading the recorder
// takes anyway: Date.now() would cost a clock read more per event.
const ORIGIN = performance.timeOrigin;

/** Records node outcomes (and emits events) for one run. */
export class Recorder implements Adapter {
  /** Shown in hook errors. */
  readonly name = "Recorder";
  // By node name: one lookup per hook (node names in a run are unique; a
  // fan-out node's items share its entry).
  readonly #entries = new Map<string, Entry>();
  #finished = false;
  readonly #emit: ((event: ExecutionEvent) => void) | undefined;

  constructor(emit?: (event: ExecutionEvent) => void) {
    this.#emit = emit;
  }

  /** Emits an event if someone listens. */
  emit(event: ExecutionEvent): void {
    this.#emit?.(event);
  }

  /** Node started. */
  beforeNodeExecution(event: BeforeNodeExecutionEvent): void {
    const now = performance.now();
    const entry = this.#entries.get(event.nodeName);
    if (entry === undefined) {
      this.#entries.set(event.nodeName, {
        started: now,
        result: undefined,
        logs: undefined,
      });
    } else entry.started = now;
    if (this.#emit === undefined) return;
    this.#emit(withItem({
      type: "nodeStarted",
      runId: event.runId,
      timestamp: ORIGIN + now,
      nodeName: event.nodeName,
    }, event.item));
  }

  /** Node ended. */
  afterNodeExecution(event: AfterNodeExecutionEvent): void {
    // A node abandoned by a failed or cancelled run may finish later: its
    // outcome no longer belongs to the run's record.
    if (this.#finished) return;
    const { nodeName, durationMs, cache } = event;
    this.#record(
      nodeName,
      event.success
        ? cache === undefined
          ? { name: nodeName, status: "succeeded", durationMs }
          : { name: nodeName, status: "succeeded", durationMs, cache }
        : { name: nodeName, status: "failed", durationMs, error: event.error },
    );
    if (this.#emit === undefined) return;
    // Its start plus its duration, unless it runs once per item (items
    // share the record of its start).
    const started = this.#entries.get(nodeName)?.started;
    const ended = event.item === undefined && started !== undefined
      ? started + durationMs
      : performance.now();
    const base = {
      runId: event.runId,
      timestamp: ORIGIN + ended,
      nodeName,
      durationMs,
    };
    this.#emit(withItem(
      event.success
        ? cache === undefined
          ? { ...base, type: "nodeSucceeded" }
          : { ...base, type: "nodeSucceeded", cache }
        : { ...base, type: "nodeFailed", error: event.error },
      event.item,
    ));
  }

  /** The cache answered for a node. */
  nodeCached(event: NodeCachedEvent): void {
    if (this.#finished) return;
    const { nodeName, durationMs } = event;
    this.#record(nodeName, {
      name: nodeName,
      status: "succeeded",
      durationMs,
      cache: "hit",
    });
    if (this.#emit === undefined) return;
    this.#emit(withItem({
      type: "nodeCached",
      runId: event.runId,
      timestamp: ORIGIN + performance.now(),
      nodeName,
      durationMs,
    }, event.item));
  }

  // Inside a fan-out block a node runs once per item: its record sums
  // their durations and keeps the first failure.
  #record(name: string, result: NodeResult): void {
    const entry = this.#entries.get(name);
    if (entry === undefined) {
      // A cache hit: no before hook made an entry.
      this.#entries.set(name, { started: undefined, result, logs: undefined });
      return;
    }
    const previous = entry.result;
    if (previous === undefined) entry.result = result;
    else if (previous.status !== "failed") {
      entry.result = {
        ...result,
        durationMs: result.durationMs + previous.durationMs,
      };
    }
  }

  /** A node logged. */
  onLog(event: NodeLogEvent): void {
    if (this.#finished) return;
    let entry = this.#entries.get(event.nodeName);
    if (entry === undefined) {
      entry = { started: undefined, result: undefined, logs: undefined };
      this.#entries.set(event.nodeName, entry);
    }
    (entry.logs ??= []).push(event);
    this.#emit?.({ ...event, type: "log", timestamp: Date.now() });
  }

  /** A map item is done. */
  afterMapItem(event: MapItemEvent): void {
    if (this.#finished) return;
    this.#emit?.({ ...event, type: "mapItem", timestamp: Date.now() });
  }

  /** The outcome of every node of `plan`, skipped ones included. */
  results(plan: Plan, runId: string, runError?: unknown): NodeResult[] {
    this.#finished = true;
    const now = performance.now();
    const all: NodeResult[] = [];
    const skip = (name: string, skipReason: SkipReason) => {
      all.push({ name, status: "skipped", skipReason, durationMs: 0 });
      this.#emit?.({
        type: "nodeSkipped",
        runId,
        timestamp: Date.now(),
        nodeName: name,
        reason: skipReason,
      });
    };
    for (const name of plan.replaced) {
      const seed = plan.seeds.find((s) => s.name === name);
      skip(name, seed?.source === "override" ? "override" : "input");
    }
    for (const node of runNodes(plan)) {
      const entry = this.#entries.get(node.name);
      const result = entry?.result;
      const started = entry?.started;
      const logs = entry?.logs;
      if (result !== undefined) {
        all.push(logs === undefined ? result : { ...result, logs });
      } else if (started === undefined) skip(node.name, "not-reached");
      else if (
        runError instanceof HookError && runError.nodeName === node.name
      ) {
        // One of its own hooks failed: the node failed, with that error.
        all.push({
          name: node.name,
          status: "failed",
          durationMs: now - started,
          error: runError,
        });
        this.#emit?.({
          type: "nodeFailed",
          runId,
          timestamp: Date.now(),
          nodeName: node.name,
          durationMs: now - started,
          error: runError,
        });
      } else {
        all.push({
          name: node.name,
          status: "cancelled",
          durationMs: now - started,
        });
      }
    }
    return all;
  }
}

// The nodes whose functions a plan runs, in plan order: a fan-out block
// stands for the nodes of its per-item plan (once each, however many items).
function runNodes(plan: Plan): readonly PlanNode[] {
  if (!plan.nodes.some((node) => node.block !== undefined)) return plan.nodes;
  const nodes: PlanNode[] = [];
  const seen = new Set<string>();
  const add = (plan: Plan) => {
    for (const node of plan.nodes) {
      if (node.block !== undefined) add(node.block.plan);
      else if (!seen.has(node.name)) {
        seen.add(node.name);
        nodes.push(node);
      }
    }
  };
  add(plan);
  return nodes;
}

// What the recorder knows of one node.
interface Entry {
  started: number | undefined;
  result: NodeResult | undefined;
  logs: NodeLogEvent[] | undefined;
}

function withItem<T extends object>(event: T, item: number | undefined): T {
  return item === undefined ? event : { ...event, item };
}

/**
 * Runs `vars` with a recorder attached and returns every node's outcome; never
 * rejects for a node failure or cancellation (request errors still throw).
 */
export async function recordRun(
  runner: Runner,
  vars: readonly string[],
  options: ExecuteOptions,
  emit?: (event: ExecutionEvent) => void,
): Promise<RunResult> {
  const plan = runner.plan(vars, options);
  const runId = crypto.randomUUID();
  const recorder = new Recorder(emit);
  // First, so it sees a node start even when a later adapter's hook throws.
  const hooks = new Hooks([recorder, ...runner.hooks.adapters]);
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
    outputs = runner.outputs(
      plan,
      await runner.run(plan, runId, options, hooks),
    );
  } catch (thrown) {
    error = thrown;
  }
  const nodes = recorder.results(plan, runId, error);
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
