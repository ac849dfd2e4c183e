/**
 * Execution modes: named presets of executors and routing, as a team picks
 * one for a whole deployment rather than wiring executors by hand.
 *
 * | mode | node executors | routing | map items |
 * | --- | --- | --- | --- |
 * | `"deterministic-serial"` | `sequential` | none: one node at a time, in the plan's serial order | one at a time |
 * | `"plan-parallel"` | `local: "async"`, `heavy` (default `"threaded"`) | cost above `heavyMs` (a `cost` tag, else measured) to `heavy`, the rest `local` | concurrently |
 * | `"plan-parallel-remote"` | the two above and `remote` (required) | `remote: true` or `scan: true` tags and cost above `remoteMs` to `remote`; then as `"plan-parallel"` | concurrently |
 *
 * A node's `executor` tag still wins over the mode's routing.
 *
 * @module
 */
import type { ExecutorLike } from "./executors/executor.ts";
import type { MapExecutorKind } from "./executors/map_executor.ts";
import type { ExecutorsOptions, RouteTask } from "./routing.ts";

/** The execution modes: see the module documentation for what each sets. */
export type ExecutionMode =
  | "deterministic-serial"
  | "plan-parallel"
  | "plan-parallel-remote";

/** Every execution mode. */
export const EXECUTION_MODES: readonly ExecutionMode[] = [
  "deterministic-serial",
  "plan-parallel",
  "plan-parallel-remote",
];

/** Options of the parallel modes. */
export interface ModeOptions {
  /** The executor of costly tasks. @default {"threaded"} */
  readonly heavy?: ExecutorLike;
  /** The executor of scans and the costliest tasks (`"plan-parallel-remote"` needs it). */
  readonly remote?: ExecutorLike;
  /** Tasks whose cost (ms) is above this go to `heavy`. @default {50} */
  readonly heavyMs?: number;
  /** Tasks whose cost (ms) is above this go to `remote`. @default {1000} */
  readonly remoteMs?: number;
}

/** What a mode sets: the executors and their routing, and the map executor. */
export interface ModePreset {
  /** The node executor, when one serves every node. */
  readonly executor?: ExecutorLike;
  /** Several executors and their routing. */
  readonly executors?: ExecutorsOptions;
  /** How map items run. */
  readonly mapExecutor: MapExecutorKind;
}

/** The preset of `mode`; a TypeError or RangeError for bad input. */
export function modePreset(
  mode: ExecutionMode,
  options: ModeOptions = {},
): ModePreset {
  if (!EXECUTION_MODES.includes(mode)) {
    throw new TypeError(
      `'mode' must be one of ${
        EXECUTION_MODES.map((m) => `"${m}"`).join(", ")
      }: received ${JSON.stringify(mode)}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`'options' must be an object: received ${options}`);
  }
  const { heavy = "threaded", remote, heavyMs = 50, remoteMs = 1000 } = options;
  for (const [name, ms] of [["heavyMs", heavyMs], ["remoteMs", remoteMs]]) {
    if (typeof ms !== "number" || !(ms >= 0)) {
      throw new RangeError(
        `'${name}' must be a number of milliseconds, 0 or more: received ${ms}`,
      );
    }
  }
  if (mode === "deterministic-serial") {
    return { executor: "sequential", mapExecutor: "sequential" };
  }
  const costly = (task: RouteTask) =>
    task.cost !== undefined && task.cost > heavyMs ? "heavy" : "local";
  if (mode === "plan-parallel") {
    return {
      executors: { executors: { local: "async", heavy }, route: costly },
      mapExecutor: "async",
    };
  }
  if (remote === undefined) {
    throw new TypeError(
      `mode "plan-parallel-remote" needs 'remote': the executor of scans and the costliest tasks (a RemoteExecutor, or any executor)`,
    );
  }
  return {
    executors: {
      executors: { local: "async", heavy, remote },
      route: (task) =>
        task.tags.remote === true || task.tags.scan === true ||
          (task.cost !== undefined && task.cost > remoteMs)
          ? "remote"
          : costly(task),
    },
    mapExecutor: "async",
  };
}
