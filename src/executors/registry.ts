/**
 * Executors by name: the one place that knows which node and map executors
 * exist, shared by `Builder.withExecutor` and `Engine`. A new executor (the
 * worker-based ones) is one entry here.
 *
 * @module
 */
import { AsyncExecutor } from "./async.ts";
import {
  checkExecutor,
  type Executor,
  type ExecutorKind,
  type ExecutorLike,
  type ExecutorOptions,
} from "./executor.ts";
import {
  AsyncMapExecutor,
  type MapExecutor,
  type MapExecutorKind,
  SequentialMapExecutor,
} from "./map_executor.ts";
import { SequentialExecutor } from "./sequential.ts";
import { ThreadedExecutor } from "./threaded.ts";
import { ProcessExecutor } from "./process.ts";
import { WorkerPool } from "./pool.ts";
import {
  ParallelMapExecutor,
  ThreadedMapExecutor,
} from "./worker_map_executors.ts";
import { RemoteExecutor } from "./remote.ts";
import { RemoteMapExecutor } from "./remote_map.ts";
import { ProcessMapExecutor } from "./process_map.ts";

const NODE_EXECUTORS: Readonly<
  Record<ExecutorKind, (options: ExecutorOptions) => Executor>
> = {
  sequential: () => new SequentialExecutor(),
  async: (options) => new AsyncExecutor(options),
  threaded: (options) => new ThreadedExecutor(options),
  // ExecutorOptions holds ProcessExecutorOptions (workers, idleMs and
  // prestart are the worker pool's, not read here).
  process: (options) => new ProcessExecutor(options),
};

// A map executor that uses workers shares the pool of a threaded node
// executor (no worker starts before the first task either way).
const poolFor = (options: ExecutorOptions, executor: Executor | undefined) =>
  executor instanceof ThreadedExecutor
    ? ThreadedExecutor.poolOf(executor)
    : new WorkerPool(options);

const MAP_EXECUTORS: Readonly<
  Record<
    MapExecutorKind,
    (options: ExecutorOptions, executor: Executor | undefined) => MapExecutor
  >
> = {
  sequential: () => new SequentialMapExecutor(),
  async: (options) => new AsyncMapExecutor(options),
  threaded: (options, executor) =>
    new ThreadedMapExecutor(poolFor(options, executor), options),
  // On a remote or process node executor, whole items go to its workers
  // (or processes) in chunks.
  parallel: (options, executor) =>
    executor instanceof RemoteExecutor
      ? new RemoteMapExecutor(executor, options)
      : executor instanceof ProcessExecutor
      ? new ProcessMapExecutor(executor, options)
      : new ParallelMapExecutor(poolFor(options, executor), options),
};

/** Every node executor's name, in registry order. */
export const NODE_EXECUTOR_KINDS: readonly ExecutorKind[] = Object.freeze(
  Object.keys(NODE_EXECUTORS) as ExecutorKind[],
);

/** Every map executor's name, in registry order. */
export const MAP_EXECUTOR_KINDS: readonly MapExecutorKind[] = Object.freeze(
  Object.keys(MAP_EXECUTORS) as MapExecutorKind[],
);

/**
 * The node executor `executor` stands for: a built-in one created by name
 * (a TypeError lists the known names), or the instance itself, checked.
 */
export function createExecutor(
  executor: ExecutorLike,
  options: ExecutorOptions = {},
  label = "executor",
): Executor {
  if (typeof executor === "string") {
    return pick(NODE_EXECUTORS, executor, label)(options);
  }
  if (typeof executor === "object" && executor !== null) {
    checkExecutor(executor, label);
    return executor;
  }
  return pick(NODE_EXECUTORS, executor, label)(options);
}

/**
 * Creates the map executor `kind`, sharing the workers of `executor` when it
 * is threaded; a TypeError lists the known kinds.
 */
export function createMapExecutor(
  kind: MapExecutorKind,
  options: ExecutorOptions = {},
  executor?: Executor,
): MapExecutor {
  return pick(MAP_EXECUTORS, kind, "mapExecutor")(options, executor);
}

/**
 * The map executor a driver uses when none is chosen: items run the way its
 * node executor runs nodes (one at a time, or concurrently up to the same
 * limit).
 */
export function defaultMapExecutor(executor: Executor): MapExecutor {
  return executor.concurrency === 1
    ? new SequentialMapExecutor()
    : new AsyncMapExecutor({ concurrency: executor.concurrency });
}

function pick<K extends string, V>(
  registry: Readonly<Record<K, V>>,
  kind: K,
  label: string,
): V {
  if (typeof kind === "string" && Object.hasOwn(registry, kind)) {
    return registry[kind];
  }
  const known = Object.keys(registry).map((k) => `"${k}"`).join(", ");
  throw new TypeError(
    `'${label}' must be one of ${known}: received ${
      typeof kind === "string" ? `"${kind}"` : String(kind)
    }`,
  );
}
