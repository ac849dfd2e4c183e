/**
 * The process executor: nodes run in a pool of `deno run` subprocesses on
 * this machine, one node per process at a time, with the Deno permissions
 * given. A process imports the node's module and calls its export, as a
 * worker of the threaded executor does; values cross its stdin and stdout
 * as v8-serialized frames. Unlike a worker thread, a process can always be
 * stopped: a node that overruns `timeoutMs` or is cancelled has its process
 * killed and replaced, and a node that runs out of memory (`heapLimitMb`)
 * fails alone.
 *
 * @module
 */
import type { Plan, PlanNode } from "../plan.ts";
import type { TaskNode } from "./_protocol.ts";
import {
  checkConcurrency,
  type Executor,
  type ExecutorCall,
} from "./executor.ts";
import { Call } from "../_executor_call.ts";
import { invokeLeased } from "./_lease.ts";
import { wireArguments } from "../_call.ts";
import { MAX_WORKERS, RemoteFailure } from "./pool.ts";
import { delayOption } from "../_delay.ts";
import { runsHere, taskNodesOf } from "./threaded.ts";
import { checkPermissions } from "./_process_flags.ts";
import { type Lease, ProcessPool } from "./_process_pool.ts";

// How the process map executor reaches an executor's pool (set in the
// class's static block, which sees its private fields).
let poolOfExecutor: (executor: ProcessExecutor) => ProcessPool;

/**
 * The processes of `executor`, for braid's process map executor (chunks of
 * items run on them); not part of the public API.
 */
export function processPoolOf(executor: ProcessExecutor): ProcessPool {
  return poolOfExecutor(executor);
}

/** Options of the process executor. */
export interface ProcessExecutorOptions {
  /**
   * How many processes run at once: an integer from 1 to 256.
   *
   * @default {navigator.hardwareConcurrency}
   */
  readonly processes?: number;
  /**
   * How many nodes of one run may run at once.
   *
   * @default {the number of processes}
   */
  readonly concurrency?: number;
  /**
   * Fails a node (with a `WorkerError`) that runs longer than this, and
   * kills its process (SIGTERM, then SIGKILL half a second later); a new
   * process takes its place. It counts from when the node starts in its
   * process: neither the process's start-up nor the first import of the
   * node's module counts. At most 2^31-1 ms; `Infinity` means no limit.
   *
   * @default {Infinity}
   */
  readonly timeoutMs?: number;
  /**
   * Each process's V8 heap limit in MB (`--v8-flags=--max-old-space-size`):
   * a node that needs more fails with a `WorkerError`, and its process is
   * replaced. A positive integer.
   *
   * @default {V8's own limit}
   */
  readonly heapLimitMb?: number;
  /**
   * The Deno permissions of the processes, as `deno run` flags:
   * `"inherit"` passes on the permissions this process holds in full,
   * `"none"` grants none, an object grants each permission it names (`true`
   * for all, or a list of paths or hosts). Whatever is given, a process may
   * read the directories of the node modules it imports and braid's own.
   *
   * @default {"none"}
   */
  readonly permissions?: Deno.PermissionOptions;
}

/**
 * Runs each node in a pool of `deno run` subprocesses, one node per process
 * at a time: a process imports the node's module and calls its export, so
 * nodes must come from module files (as on the threaded executor); values
 * cross as v8-serialized bytes. A node stuck in a loop or out of memory
 * fails alone: its process is killed (on `timeoutMs` or cancellation) or
 * dies, and a new one takes its place. A node's hooks run once it holds its
 * process, so they see when it really starts.
 *
 * @example
 * ```ts ignore
 * import { Builder, ProcessExecutor } from "@braid/braid";
 * await using dr = await new Builder()
 *   .withModules(import.meta.resolve("./nodes.ts"))
 *   .withExecutor(new ProcessExecutor({ processes: 2, timeoutMs: 60_000 }))
 *   .build();
 * await dr.execute(["model"]);
 * ```
 */
export class ProcessExecutor implements Executor {
  /** Always `"process"`. */
  readonly name = "process" as const;
  /** How many nodes of one run may run at once (the pool's size by default). */
  readonly concurrency: number;
  readonly #pool: ProcessPool;
  // The plans whose modules the pool was told of.
  readonly #plans = new WeakSet<Plan>();

  static {
    poolOfExecutor = (executor) => executor.#pool;
  }

  /** Creates the executor; no process starts before the first node or `warm()`. */
  constructor(options: ProcessExecutorOptions = {}) {
    const processes = options.processes ?? navigator.hardwareConcurrency ?? 1;
    if (!Number.isInteger(processes) || processes < 1) {
      throw new RangeError(
        `'processes' must be a positive integer: received ${processes}`,
      );
    }
    if (processes > MAX_WORKERS) {
      throw new RangeError(
        `'processes' must be at most ${MAX_WORKERS}: received ${processes}`,
      );
    }
    const heapLimitMb = options.heapLimitMb;
    if (
      heapLimitMb !== undefined &&
      (!Number.isInteger(heapLimitMb) || heapLimitMb < 1)
    ) {
      throw new RangeError(
        `'heapLimitMb' must be a positive integer: received ${heapLimitMb}`,
      );
    }
    checkPermissions(options.permissions);
    if (options.concurrency !== undefined) {
      checkConcurrency(options.concurrency);
    }
    this.concurrency = options.concurrency ?? processes;
    this.#pool = new ProcessPool({
      processes,
      timeoutMs: delayOption("timeoutMs", options.timeoutMs ?? Infinity, true),
      heapLimitMb,
      permissions: options.permissions,
    });
  }

  /** The ids of its processes alive now (started or starting). */
  get pids(): readonly number[] {
    return this.#pool.pids;
  }

  /**
   * Runs `call` in a free process, once one is free: the node's hooks start
   * then. Nodes that run in this thread on every executor (what modifiers
   * generate to read fields, fan-out blocks, nested pipelines) run at once.
   */
  run(call: ExecutorCall): unknown {
    if (!(call instanceof Call)) {
      throw new TypeError(
        "ProcessExecutor.run() takes the calls braid's scheduler hands out",
      );
    }
    if (runsHere(call.node)) return call.execute();
    return this.#runInProcess(call);
  }

  async #runInProcess(call: Call): Promise<unknown> {
    const taskNodes = await taskNodesOf(call.run.plan);
    const taskNode = taskNodes[call.node.index]!;
    const run = call.run;
    const halted = run.halted();
    if (halted !== undefined) throw halted;
    if (!this.#plans.has(run.plan)) {
      this.#plans.add(run.plan);
      this.#pool.allowRead(
        taskNodes.flatMap((n) => n === undefined ? [] : n.url),
      );
    }
    return await invokeLeased(
      this.#pool,
      call,
      (node, values, lease) => this.#call(call, node, values, lease, taskNode),
    );
  }

  #call(
    call: Call,
    node: PlanNode,
    values: unknown[],
    lease: Lease,
    taskNode: TaskNode,
  ): Promise<unknown> {
    const run = call.run;
    const traceparent = run.traceparent(node);
    const handle = lease.run({
      node: taskNode,
      args: wireArguments(node, values),
      runId: run.runId,
      item: run.item,
      ...(traceparent === undefined ? {} : { trace: { traceparent } }),
    }, {
      nodeName: node.name,
      onLog: (message, data, warning) =>
        warning ? run.warn(node, message, data) : run.log(node, message, data),
    });
    // A run that stops while the node runs cancels it (its process sees
    // ctx.signal abort, and is killed if the node does not stop).
    call.onAbort = (reason) => handle.cancel(reason);
    return handle.promise.then(
      (value) => {
        call.onAbort = undefined;
        return value;
      },
      (error) => {
        call.onAbort = undefined;
        throw error instanceof RemoteFailure ? error.error : error;
      },
    );
  }

  /**
   * Has every process (alive now, or started later) import `urls` (node
   * modules) ahead of the first call, and lets the processes read them;
   * resolves once the live ones have imported them.
   */
  preload(urls: readonly string[]): Promise<void> {
    return this.#pool.preload(urls);
  }

  /**
   * Starts every process not alive yet and resolves once each is ready to
   * take a node and has imported the modules preloaded so far, so the
   * first run does not wait for processes to start. A process may read
   * only the node modules it was started for: `preload()` the modules
   * first (processes that cannot read a module are replaced when it is
   * needed).
   */
  warm(): Promise<void> {
    return this.#pool.warm();
  }

  /**
   * Kills every process and resolves once all have ended; running nodes
   * fail with a `WorkerError`. Closing twice is harmless, and a later run
   * starts new processes.
   */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
