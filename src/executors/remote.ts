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
import type { TaskNode } from "./_protocol.ts";
import {
  checkConcurrency,
  type Executor,
  type ExecutorCall,
} from "./executor.ts";
import { Call } from "../_executor_call.ts";
import { RemoteError } from "../errors.ts";
import { runsHere, taskNodesNow, taskNodesOf } from "./threaded.ts";

// What the executor uses of a link to Redis (_remote_link.ts, loaded with
// bullmq and ioredis when the executor first connects).
interface Link {
  readonly usable: boolean;
  /** Sends `call` as a job; settles as the call does. */
  run(call: Call, taskNode: TaskNode): Promise<unknown>;
  /**
   * Sends a chunk of map items (a `ChunkTask` without its number) as a job:
   * its outputs by column, or a `RemoteFailure` naming the item and node.
   */
  runChunk(name: string, chunk: object): ChunkHandle;
  close(problem: string): Promise<void>;
}

/** A chunk of map items sent as a job. */
export interface ChunkHandle {
  /** Settles with the outputs by column, or the failure. */
  readonly promise: Promise<unknown[][]>;
  /** Withdraws the chunk (its nodes' `ctx.signal` aborts if it runs). */
  cancel(): void;
}

// How the remote map executor reaches an executor's link (set in the
// class's static block, which sees its private fields).
let connectOf: (executor: RemoteExecutor) => Promise<Link>;

/**
 * A chunk of map items, run by `executor`'s workers. For braid's remote map
 * executor; not part of the public API.
 */
export async function runChunk(
  executor: RemoteExecutor,
  name: string,
  chunk: object,
): Promise<ChunkHandle> {
  return (await connectOf(executor)).runChunk(name, chunk);
}

/**
 * What the remote executor needs of an ioredis client given as `redis`: its
 * settings, which its own connections copy with `duplicate()`.
 */
export interface RedisClientLike {
  /** Makes a new client with the same settings, `options` overriding some. */
  duplicate(options?: Record<string, unknown>): unknown;
  /** The client's settings (where the server is, for messages). */
  readonly options: {
    readonly host?: string | undefined;
    readonly port?: number | undefined;
  };
}

/** Options of the remote executor. */
export interface RemoteExecutorOptions {
  /**
   * The Redis server: a URL (`redis://host:6379`, `rediss://` for TLS), or
   * an ioredis client, whose settings the executor's own connections copy
   * (the client itself stays yours to close).
   */
  readonly redis: string | RedisClientLike;
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
  /**
   * The most calls of one run that go in one job: calls sent in the same
   * turn (the items of a `map`, a fan-out block's items, a layer of
   * independent nodes) are grouped in jobs of up to this many, which one
   * worker runs together. Larger chunks spend less per call on the queue;
   * smaller ones spread over more workers, and a worker killed mid-chunk
   * has its whole chunk taken over.
   *
   * @default {1}
   */
  readonly chunkSize?: number;
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
 * hooks start then. `chunkSize` groups calls sent together into fewer
 * jobs; `withMapExecutor("parallel")` on this executor sends whole map
 * items to the workers, 1,000 per job.
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
  static {
    connectOf = (executor) => executor.#connect();
  }
  /** Always `"remote"`. */
  readonly name = "remote" as const;
  /** How many nodes of one run may be in flight at once. */
  readonly concurrency: number;
  /** The queue the tasks go to. */
  readonly queue: string;
  /** The Redis server, for messages (without its password). */
  readonly server: string;
  readonly #url: string | undefined;
  readonly #client: RedisClientLike | undefined;
  readonly #connectTimeoutMs: number;
  /** The most calls of one run that go in one job. */
  readonly chunkSize: number;
  readonly #id = crypto.randomUUID().slice(0, 8);
  #links = 0;
  #link: Link | undefined;
  #opening: Promise<Link> | undefined;
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
      typeof (redis as RedisClientLike).duplicate === "function"
    ) {
      this.#client = redis as RedisClientLike;
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
    const chunkSize = options.chunkSize ?? 1;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(
        `'chunkSize' must be a positive integer: received ${chunkSize}`,
      );
    }
    this.chunkSize = chunkSize;
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

  #connect(): Promise<Link> {
    const link = this.#link;
    if (link?.usable) return Promise.resolve(link);
    this.#link = undefined;
    if (this.#opening !== undefined) return this.#opening;
    const opening: Promise<Link> = import("./_remote_link.ts").then((
      { RemoteLink },
    ) =>
      RemoteLink.open({
        url: this.#url,
        client: this.#client,
        label: this.server,
        queue: this.queue,
        connectTimeoutMs: this.#connectTimeoutMs,
        chunkSize: this.chunkSize,
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

  // Sends `call`, at once when its plan's node descriptors are made and
  // the link is up (no async frame of its own), else once they are.
  #runRemote(call: Call): Promise<unknown> {
    const link = this.#link;
    const taskNodes = taskNodesNow(call.run.plan);
    if (taskNodes === undefined || link?.usable !== true) {
      return this.#runRemoteLater(call);
    }
    const halted = call.run.halted();
    if (halted !== undefined) return Promise.reject(halted);
    return link.run(call, taskNodes[call.node.index]!);
  }

  async #runRemoteLater(call: Call): Promise<unknown> {
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
    return link.run(call, taskNode);
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password === "") return url;
  parsed.password = "***";
  return parsed.href;
}
