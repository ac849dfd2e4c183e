/**
 * The remote executor: nodes run as BullMQ jobs on a Redis queue, taken by
 * worker processes on any machine that reaches Redis (`deno task worker
 * --redis URL --queue NAME`). A job names the node's module URL and export,
 * as the threaded and process executors' tasks do, and carries its
 * arguments as v8-serialized bytes; a worker imports the module, calls the
 * node, and replies on the driver's own stream: when the node starts
 * there (and where), what it logs, and its value or error. A worker killed
 * mid-task loses its job's lock, and another worker takes the job over
 * (BullMQ's stalled-job check).
 *
 * bullmq and ioredis are loaded when an executor first connects.
 *
 * @module
 */
import type { Redis } from "ioredis";
import type { PlanNode } from "../plan.ts";
import type { Run } from "../run.ts";
import type { TaskNode } from "./_protocol.ts";
import {
  checkConcurrency,
  type Executor,
  type ExecutorCall,
} from "./executor.ts";
import { Call } from "../_executor_call.ts";
import { wireArguments } from "../_call.ts";
import { RemoteError, WorkerError } from "../errors.ts";
import { RemoteFailure } from "./_remote_failure.ts";
import { runsHere, taskNodesNow, taskNodesOf } from "./threaded.ts";
import type { RemoteLink } from "./_remote_link.ts";
import type { RemoteEnd } from "./_remote_wire.ts";

/** Options of the remote executor. */
export interface RemoteExecutorOptions {
  /**
   * The Redis server: a URL (`redis://host:6379`, `rediss://` for TLS), or
   * an ioredis client, whose settings the executor's own connections copy
   * (the client itself stays yours to close).
   */
  readonly redis: string | Redis;
  /** The BullMQ queue the workers take tasks from. */
  readonly queue: string;
  /**
   * How many nodes of one run may be in flight at once (sent as jobs and
   * not yet answered).
   *
   * @default {Infinity}
   */
  readonly concurrency?: number;
  /**
   * How long connecting to Redis may take before a task fails with a
   * `RemoteError`, in milliseconds.
   *
   * @default {5000}
   */
  readonly connectTimeoutMs?: number;
}

/**
 * Runs each node as a job on a BullMQ queue in Redis, taken by workers on
 * any machine that reaches it: run them with `deno task worker --redis URL
 * --queue NAME`. A worker imports the node's module by its URL (so nodes
 * must come from module files, and a `file:` URL must name the same file
 * on the worker's machine) and calls its export; values cross as
 * v8-serialized bytes. A node's hooks run when a worker starts it, so
 * they, `stream()` and `run()` see when it really started, how long it ran
 * and which worker ran it (`worker`); a task taken over from a killed
 * worker shows `attempts: 2`. Cancelling a run removes its waiting jobs and
 * aborts the `ctx.signal` of its running ones. When Redis cannot be
 * reached, nodes fail with a `RemoteError`; the next run connects again.
 *
 * With a cache, a node's job is sent once the cache has missed, and its
 * hooks start then.
 *
 * @example
 * ```ts ignore
 * import { Builder, RemoteExecutor } from "@braid/braid";
 * const remote = new RemoteExecutor({
 *   redis: "redis://127.0.0.1:6379",
 *   queue: "braid",
 * });
 * await using dr = await new Builder()
 *   .withModules(import.meta.resolve("./nodes.ts"))
 *   .withExecutors({ executors: { local: "async", remote }, route: () => "remote" })
 *   .build();
 * await dr.execute(["model"]);
 * ```
 */
export class RemoteExecutor implements Executor {
  /** Always `"remote"`. */
  readonly name = "remote" as const;
  /** How many nodes of one run may be in flight at once. */
  readonly concurrency: number;
  /** The queue the tasks go to. */
  readonly queue: string;
  /** The Redis server, for messages (without its password). */
  readonly server: string;
  readonly #url: string | undefined;
  readonly #client: Redis | undefined;
  readonly #connectTimeoutMs: number;
  readonly #id = crypto.randomUUID().slice(0, 8);
  #links = 0;
  #link: RemoteLink | undefined;
  #opening: Promise<RemoteLink> | undefined;
  #closed = false;

  /** Creates the executor; it connects when the first node needs it, or on `warm()`. */
  constructor(options: RemoteExecutorOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `'options' must be an object with 'redis' and 'queue': received ${options}`,
      );
    }
    const { redis, queue } = options;
    if (typeof redis === "string") {
      let protocol: string;
      try {
        protocol = new URL(redis).protocol;
      } catch {
        protocol = "";
      }
      if (protocol !== "redis:" && protocol !== "rediss:") {
        throw new TypeError(
          `'redis' must be a redis:// or rediss:// URL, or an ioredis client: received "${redis}"`,
        );
      }
      this.#url = redis;
      this.server = redact(redis);
    } else if (
      typeof redis === "object" && redis !== null &&
      typeof (redis as Redis).duplicate === "function"
    ) {
      this.#client = redis;
      const { host, port } = redis.options;
      this.server = `redis://${host ?? "127.0.0.1"}:${port ?? 6379}`;
    } else {
      throw new TypeError(
        `'redis' must be a redis:// or rediss:// URL, or an ioredis client: received ${redis}`,
      );
    }
    if (typeof queue !== "string" || !/^[\w.-]+$/.test(queue)) {
      throw new TypeError(
        `'queue' must be a non-empty name of letters, digits, '_', '.' and '-': received ${
          typeof queue === "string" ? `"${queue}"` : queue
        }`,
      );
    }
    this.queue = queue;
    const timeout = options.connectTimeoutMs ?? 5000;
    if (!Number.isInteger(timeout) || timeout < 1) {
      throw new RangeError(
        `'connectTimeoutMs' must be a positive integer: received ${timeout}`,
      );
    }
    this.#connectTimeoutMs = timeout;
    this.concurrency = checkConcurrency(options.concurrency ?? Infinity);
  }

  /**
   * Sends `call` to the queue (nodes that run in this thread on every
   * executor run here at once). Its hooks start when a worker starts it.
   */
  run(call: ExecutorCall): unknown {
    if (!(call instanceof Call)) {
      throw new TypeError(
        "RemoteExecutor.run() takes the calls braid's scheduler hands out",
      );
    }
    if (runsHere(call.node)) return call.execute();
    return this.#runRemote(call);
  }

  /**
   * Connects to Redis, if not connected yet; rejects with a `RemoteError`
   * when it cannot within `connectTimeoutMs`.
   */
  async warm(): Promise<void> {
    await this.#connect();
  }

  /**
   * Closes its connections; nodes in flight fail with a `WorkerError`.
   * Closing twice is harmless, and a later run connects again.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    const link = this.#link ?? await opening?.catch(() => undefined);
    this.#link = undefined;
    await link?.close("the remote executor was closed");
    this.#closed = false;
  }

  #connect(): Promise<RemoteLink> {
    const link = this.#link;
    if (link?.usable) return Promise.resolve(link);
    this.#link = undefined;
    if (this.#opening !== undefined) return this.#opening;
    const opening = import("./_remote_link.ts").then(({ RemoteLink }) =>
      RemoteLink.open({
        url: this.#url,
        client: this.#client,
        label: this.server,
        queue: this.queue,
        connectTimeoutMs: this.#connectTimeoutMs,
        id: `${this.#id}-${this.#links++}`,
      })
    );
    this.#opening = opening;
    return opening.then(
      (link) => {
        if (this.#opening === opening) {
          this.#opening = undefined;
          if (this.#closed) {
            void link.close("the remote executor was closed");
          } else this.#link = link;
        }
        return link;
      },
      (error) => {
        if (this.#opening === opening) this.#opening = undefined;
        throw error;
      },
    );
  }

  async #runRemote(call: Call): Promise<unknown> {
    const run = call.run;
    const taskNodes = taskNodesNow(run.plan) ?? await taskNodesOf(run.plan);
    const taskNode = taskNodes[call.node.index]!;
    let halted = run.halted();
    if (halted !== undefined) throw halted;
    let link = this.#link;
    if (link?.usable !== true) {
      try {
        link = await this.#connect();
      } catch (error) {
        throw error instanceof RemoteError
          ? new RemoteError(
            error.url,
            error.message.slice(`Redis at ${error.url}: `.length),
            { nodeName: call.node.name, cause: error.cause },
          )
          : error;
      }
    }
    halted = run.halted();
    if (halted !== undefined) throw halted;
    const task = new RemoteTask(call, link, taskNode, this.server);
    // With a cache, the job is sent once the cache has missed (its hooks
    // start then); without, the hooks start when a worker starts the job.
    return run.cache === undefined ? task.sendFirst() : task.invokeFirst();
  }
}

// One node call sent as a job: what the link tells of it, turned into the
// node's hooks, its value or its error.
class RemoteTask {
  readonly #call: Call;
  readonly #run: Run;
  readonly #node: PlanNode;
  readonly #link: RemoteLink;
  readonly #taskNode: TaskNode;
  readonly #jobId: string;
  readonly #server: string;
  // The node's own outcome, as the hooked call awaits it.
  readonly #outcome = Promise.withResolvers<unknown>();
  // The call's, as the scheduler awaits it.
  readonly #done = Promise.withResolvers<unknown>();
  #invoked = false;

  constructor(
    call: Call,
    link: RemoteLink,
    taskNode: TaskNode,
    server: string,
  ) {
    this.#server = server;
    this.#call = call;
    this.#run = call.run;
    this.#node = call.node;
    this.#link = link;
    this.#taskNode = taskNode;
    this.#jobId = link.nextJobId();
    this.#outcome.promise.catch(() => {}); // a hook may answer without it
  }

  // Sends the job now; the node's hooks start when a worker starts it.
  sendFirst(): Promise<unknown> {
    this.#send();
    return this.#settled();
  }

  // Runs the node's hooks and cache now; the job goes once the cache missed.
  invokeFirst(): Promise<unknown> {
    this.#invoke(() => {
      this.#send();
      return this.#outcome.promise;
    });
    return this.#settled();
  }

  #settled(): Promise<unknown> {
    const call = this.#call;
    call.onAbort = (reason) => {
      this.#link.abort(this.#jobId);
      this.#done.reject(reason);
    };
    return this.#done.promise.finally(() => {
      call.onAbort = undefined;
      // A hook answered without the node, or the call failed: the job
      // still in flight is withdrawn.
      this.#link.abort(this.#jobId);
    });
  }

  #invoke(compute: () => unknown): void {
    this.#invoked = true;
    try {
      const value = this.#run.invoke(this.#node, compute);
      Promise.resolve(value).then(this.#done.resolve, this.#done.reject);
    } catch (error) {
      this.#done.reject(error);
    }
  }

  #send(): void {
    const run = this.#run;
    const node = this.#node;
    let data;
    try {
      data = this.#link.encode({
        type: "call",
        node: this.#taskNode,
        args: wireArguments(node, run.values),
        runId: run.runId,
        item: run.item,
      });
    } catch (error) {
      throw new WorkerError(
        `Cannot run node "${node.name}" remotely: its arguments cannot be serialized (${
          (error as Error).message
        }); pass structured-cloneable values (plain data, typed arrays, Map, Set, Date...) or run it on another executor`,
        { cause: error, nodeName: node.name },
      );
    }
    this.#link.send(this.#jobId, node.name, data, {
      started: (worker, attempt) => {
        run.hooks?.observer?.placed?.(
          node,
          run.runId,
          run.item,
          worker,
          attempt,
        );
        if (!this.#invoked) this.#invoke(() => this.#outcome.promise);
      },
      logged: (message, data) => run.log(node, message, data),
      ended: (reply) => {
        const outcome = this.#outcome;
        if (reply.kind === "lost") {
          outcome.reject(
            new RemoteError(this.#server, reply.problem, {
              nodeName: node.name,
              cause: reply.cause,
            }),
          );
        } else if (reply.kind === "ok") outcome.resolve(reply.value);
        else outcome.reject(failure(reply, node.name));
        // A task that failed before a worker started it: its hooks see it.
        if (!this.#invoked) this.#invoke(() => outcome.promise);
      },
    });
  }
}

// What a task's failure reply fails its node with.
function failure(
  reply: Exclude<RemoteEnd, { kind: "ok" }>,
  nodeName: string,
): Error {
  if (reply.kind === "failed") {
    return new WorkerError(
      `Node "${nodeName}" failed on worker ${reply.worker} outside its own code: ${reply.message}`,
      { nodeName },
    );
  }
  if (reply.loading === true) {
    return new WorkerError(
      `Worker ${reply.worker} cannot import the module of node "${nodeName}": ${reply.error.message} (a worker imports a node's module by its URL: a file: URL must name the same file on the worker's machine)`,
      { nodeName },
    );
  }
  if (reply.uncloneable === true) {
    return new WorkerError(
      `Node "${nodeName}" returned a value that cannot be sent back from worker ${reply.worker} (${reply.error.message}); return structured-cloneable values or run it on another executor`,
      { nodeName },
    );
  }
  return new RemoteFailure(reply.error).error;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password === "") return url;
  parsed.password = "***";
  return parsed.href;
}
