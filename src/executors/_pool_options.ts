// The options of a worker pool, checked: what is wrong is an error before
// any worker starts.
import { delayOption, MAX_DELAY_MS } from "../_delay.ts";

export { MAX_DELAY_MS };

/** Options of the worker pool (the threaded and parallel executors). */
export interface WorkerPoolOptions {
  /**
   * How many workers run at once: an integer from 1 to 256.
   *
   * @default {navigator.hardwareConcurrency}
   */
  readonly workers?: number;
  /**
   * Fails a task (with a `WorkerError`) that runs longer than this, and
   * terminates its worker. It counts from when the task starts in its
   * worker: neither the worker's start-up nor the first import of a node's
   * module counts. At most 2^31-1 ms; `Infinity` means no limit. A worker
   * stuck in a synchronous loop is not stopped by Deno 2.9's `terminate()`
   * (see README).
   *
   * @default {Infinity}
   */
  readonly timeoutMs?: number;
  /**
   * Deno permissions of the workers, to run untrusted nodes sandboxed
   * (`"inherit"`, `"none"` or per permission). Needs the
   * `--unstable-worker-options` flag. Workers need read access to the
   * modules of the nodes they run.
   */
  readonly permissions?: Deno.PermissionOptions;
  /**
   * Workers end after the pool has had no task for this long (they start
   * again on the next task). Deno keeps a process alive while it has
   * workers, so a script that forgets `close()` still exits. At most
   * 2^31-1 ms; `Infinity`: workers end only on `close()`.
   *
   * @default {2000}
   */
  readonly idleMs?: number;
  /**
   * Starts every worker when the pool is created (as `warm()` does), so the
   * first tasks do not wait for workers to start. They still end after
   * `idleMs` without a task.
   *
   * @default {false}
   */
  readonly prestart?: boolean;
}

/** The most workers a pool may have. */
export const MAX_WORKERS = 256;

/** A pool's options, checked, with their defaults; undefined: no limit. */
export interface PoolSettings {
  /** How many workers at most. */
  readonly size: number;
  /** The longest a task may run, in ms. */
  readonly timeoutMs: number | undefined;
  /** How long workers stay without a task, in ms. */
  readonly idleMs: number | undefined;
  /** The workers' Deno permissions, if not inherited. */
  readonly permissions: Deno.PermissionOptions | undefined;
  /** Whether every worker starts with the pool. */
  readonly prestart: boolean;
}

/** Checks `options`: a `RangeError` or `TypeError` says what is wrong. */
export function poolSettings(options: WorkerPoolOptions): PoolSettings {
  const size = options.workers ?? navigator.hardwareConcurrency ?? 1;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `'workers' must be a positive integer: received ${size}`,
    );
  }
  if (size > MAX_WORKERS) {
    throw new RangeError(
      `'workers' must be at most ${MAX_WORKERS}: received ${size}`,
    );
  }
  const prestart = options.prestart ?? false;
  if (typeof prestart !== "boolean") {
    throw new TypeError(`'prestart' must be a boolean: received ${prestart}`);
  }
  return {
    size,
    timeoutMs: delayOption("timeoutMs", options.timeoutMs ?? Infinity, true),
    idleMs: delayOption("idleMs", options.idleMs ?? 2000, false),
    permissions: options.permissions,
    prestart,
  };
}
