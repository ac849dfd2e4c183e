/**
 * What `run()` returns, and the run with a recorder attached that gathers
 * it (the recorder, in `_recorder.ts`, feeds `stream()` too).
 *
 * @module
 */
import type { CacheOutcome } from "./cache/cache.ts";
import type { ExecutionEvent, NodeMetadata, SkipReason } from "./events.ts";
import type { NodeLogEvent } from "./hooks.ts";
import type { ExecuteOptions, Runner } from "./runner.ts";
import { Recorder } from "./_recorder.ts";

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
  /**
   * How many times its function started (more than 1 when a `retry`
   * policy started it again, or when the remote executor's task was taken
   * over from a killed worker); absent when it never started.
   */
  readonly attempts?: number;
  /**
   * The worker it ran on (the last one, if another took it over), when its
   * executor names one: the remote executor gives the worker's id.
   */
  readonly worker?: string;
  /**
   * What a loader or saver node reported about the data it read or wrote
   * (path, rows, bytes, mtime, content hash, ...).
   */
  readonly metadata?: NodeMetadata;
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
  const recorder = new Recorder(plan, emit, options.tags);
  // First, so it sees a node start even when a later adapter's hook throws.
  const hooks = runner.hooks.withAdapters([recorder, ...runner.hooks.adapters]);
  const start = performance.now();
  recorder.runStarted(runId, plan.finalVars, runner.cache?.takeWarning());
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
  recorder.finish(error);
  // The node records are made when first read: a caller after the outputs
  // alone (or a stream, which has the events) pays nothing per node for
  // them. A stream gets the unfinished nodes' events now, before
  // runFinished.
  recorder.announceUnfinished(runId);
  let nodes: NodeResult[] | undefined;
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
    ? {
      runId,
      success,
      outputs,
      get nodes() {
        return nodes ??= recorder.results();
      },
      durationMs,
    }
    : {
      runId,
      success,
      outputs: undefined,
      error,
      get nodes() {
        return nodes ??= recorder.results();
      },
      durationMs,
    };
}
