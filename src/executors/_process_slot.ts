// One place in the process pool: a worker process and the one task it runs
// at a time. It sends the task, hears the answer, times the node, and on a
// timeout (or a cancelled node that does not stop at once) kills its
// process; a process that dies fails its task. Either way it tells the pool
// it is gone, and the pool starts another when one is needed.
import { WorkerError } from "../errors.ts";
import { MAX_KNOWN_NODES, RemoteFailure } from "./pool.ts";
import type {
  ChunkTask,
  NodeTask,
  TaskNode,
  TaskReply,
} from "./_task_protocol.ts";
import { WorkerProcess } from "./_worker_process.ts";

/** How long a cancelled task's process may take to stop before it is killed. */
export const CANCEL_GRACE_MS = 100;

/** A node call as a slot takes it (it numbers tasks itself). */
export type CallInit = Omit<NodeTask, "id" | "type" | "timed" | "node"> & {
  readonly node: TaskNode;
};

/** A chunk of map items as a slot takes it (it numbers and times tasks itself). */
export type ChunkInit = Omit<ChunkTask, "id" | "timed" | "at">;

/** How a task is described and observed. */
export interface CallOptions {
  /** The node, for messages: `node "x"`. */
  readonly nodeName: string;
  /**
   * How messages name the task, when it is not one node's call: `map items
   * 0 to 9` for a chunk.
   */
  readonly subject?: string;
  /** Receives the `ctx.log` calls made in the process. */
  readonly onLog?: (message: string, data: unknown, warning: boolean) => void;
}

/** A task running in a process. */
export interface CallHandle {
  /** Settles with the value, a `RemoteFailure` or a `WorkerError`. */
  readonly promise: Promise<unknown>;
  /** Fails the task with `reason`; its process is killed unless it stops at once. */
  cancel(reason: Error): void;
}

/** What a slot needs from its pool. */
export interface SlotHost {
  /** Undefined: no limit. */
  readonly timeoutMs: number | undefined;
  readonly heapLimitMb: number | undefined;
  /** The number a node's descriptor goes by, the same in every process. */
  refOf(node: TaskNode): number;
  /** The slot's task is done: it may take another. */
  free(slot: ProcessSlot): void;
  /** The slot's process is dead or dying (`ending` settles once it is gone). */
  gone(slot: ProcessSlot, ending: Promise<void>): void;
}

interface Pending {
  readonly id: number;
  readonly options: CallOptions;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

/** A worker process that runs one task at a time. */
export class ProcessSlot {
  /** Its process. */
  readonly process: WorkerProcess;
  /** What its process may read (the pool's read list when it started). */
  readonly reads: readonly string[];
  /** Settles once its process is ready for tasks, or fails if it dies first. */
  readonly ready: Promise<void>;
  /** Held by a lease, for a task not sent yet. */
  reserved = false;
  readonly #host: SlotHost;
  readonly #ready = Promise.withResolvers<void>();
  #isReady = false;
  #dead = false;
  #pending: Pending | undefined;
  #nextId = 0;
  readonly #known = new Set<number>();
  readonly #preloads = new Map<number, PromiseWithResolvers<void>>();

  /** Starts a process with `flags`; throws a `WorkerError` when it cannot. */
  constructor(flags: string[], reads: readonly string[], host: SlotHost) {
    this.reads = reads;
    this.#host = host;
    this.ready = this.#ready.promise;
    this.ready.catch(() => {}); // nobody need wait for it
    try {
      this.process = new WorkerProcess(flags, {
        onReply: (reply) => this.#receive(reply),
        onEnd: (how) => this.#ended(how),
      });
    } catch (error) {
      throw new WorkerError(
        `Cannot start a worker process: ${
          (error as Error).message
        } (the process executor runs \`deno run\`, which needs the "run" permission for ${Deno.execPath()}; or use the "threaded" executor)`,
        { cause: error },
      );
    }
  }

  /** Whether it may take a task now. */
  get free(): boolean {
    return this.#pending === undefined && !this.reserved;
  }

  /** Reserves it for one task, which keeps this process alive meanwhile. */
  reserve(): void {
    this.reserved = true;
    this.process.hold(true);
  }

  /** Gives a reservation back unused. */
  release(): void {
    this.reserved = false;
    this.#idle();
  }

  /** Runs `task` now; the slot must be free or reserved. */
  run(task: CallInit, options: CallOptions): CallHandle {
    return this.#run(task, options);
  }

  /** Runs a chunk of map items now; the slot must be free or reserved. */
  runChunk(chunk: ChunkInit, options: CallOptions): CallHandle {
    return this.#run(chunk, options);
  }

  #run(task: CallInit | ChunkInit, options: CallOptions): CallHandle {
    this.reserved = false;
    let pending!: Pending;
    const promise = new Promise<unknown>((resolve, reject) => {
      pending = {
        id: this.#nextId++,
        options,
        resolve,
        reject,
        timer: undefined,
        settled: false,
      };
    });
    const handle = {
      promise,
      cancel: (reason: Error) => this.#cancel(pending, reason),
    };
    if (this.#dead) {
      settle(
        pending,
        new WorkerError(
          `The process reserved for ${
            subjectOf(options)
          } ended before it started; run it again`,
        ),
      );
      return handle;
    }
    this.#pending = pending;
    this.process.hold(true);
    const timed = this.#host.timeoutMs !== undefined;
    try {
      if (!("node" in task)) {
        // A chunk sends its nodes' descriptors whole.
        this.process.send({ ...task, id: pending.id, timed });
      } else {
        const ref = this.#host.refOf(task.node);
        const known = this.#known.has(ref);
        // A busy pool may see plans without end: past a bound, the process
        // forgets every descriptor and is sent each again.
        const forget = !known && this.#known.size >= MAX_KNOWN_NODES;
        this.process.send({
          ...task,
          type: "call",
          id: pending.id,
          node: known
            ? ref
            : forget
            ? { ...task.node, ref, forget }
            : { ...task.node, ref },
          timed,
        });
        if (forget) this.#known.clear();
        this.#known.add(ref);
      }
    } catch (error) {
      this.#pending = undefined;
      settle(
        pending,
        new WorkerError(
          `Cannot run ${
            subjectOf(options)
          } in a process: its arguments cannot be serialized (${
            (error as Error).message
          }); pass structured-cloneable values (plain data, typed arrays, Map, Set, Date...) or use the "async" executor`,
          { cause: error },
        ),
      );
      this.#idle();
    }
    return handle;
  }

  /** Has its process import `urls` now; resolves once it has. */
  preload(seq: number, urls: readonly string[]): Promise<void> {
    const answer = Promise.withResolvers<void>();
    answer.promise.catch(() => {}); // nobody may be waiting
    if (this.#dead) {
      answer.reject(new WorkerError("A worker process ended"));
      return answer.promise;
    }
    this.#preloads.set(seq, answer);
    this.process.hold(true);
    this.process.send({ type: "preload", seq, urls: [...urls], nodes: [] });
    return answer.promise;
  }

  /** What its process is importing ahead of time. */
  get preloading(): Promise<void>[] {
    return [...this.#preloads.values()].map((answer) => answer.promise);
  }

  /** Kills its process; its task fails with `error`. */
  kill(error: Error): void {
    if (this.#dead) return;
    this.#die(error);
    this.#host.gone(this, this.process.kill());
  }

  // An idle process does not keep this one alive (a script that forgets
  // close() still exits; the process ends with its stdin).
  #idle(): void {
    if (this.#isReady && this.free && this.#preloads.size === 0) {
      this.process.hold(false);
    }
  }

  #receive(reply: TaskReply): void {
    switch (reply.type) {
      case "ready":
        this.#isReady = true;
        this.#ready.resolve();
        return this.#idle();
      case "preloaded": {
        const answer = this.#preloads.get(reply.seq);
        this.#preloads.delete(reply.seq);
        if (reply.error === undefined) answer?.resolve();
        else {
          answer?.reject(
            new WorkerError(
              `A worker process could not import a node module ahead of time: ${reply.error.message}`,
            ),
          );
        }
        return this.#idle();
      }
      case "exit": {
        // The process is ending: its task fails with this reason.
        const pending = this.#pending;
        if (pending === undefined) return;
        return settle(
          pending,
          new WorkerError(
            `${
              capitalized(subjectOf(pending.options))
            } ended its process: ${reply.how}. Nodes must return (or throw), not end their process; it will be replaced`,
          ),
        );
      }
    }
    const pending = this.#pending;
    if (pending === undefined || pending.id !== reply.id) return;
    if (reply.type === "log") {
      if (!pending.settled) {
        pending.options.onLog?.(
          reply.message,
          reply.data,
          reply.warning === true,
        );
      }
      return;
    }
    if (reply.type === "started") {
      if (!pending.settled) this.#startTimer(pending);
      return;
    }
    // The task is answered: the process is free again.
    this.#pending = undefined;
    this.#idle();
    if (reply.type === "ok") settle(pending, undefined, reply.value);
    else settle(pending, failure(reply, pending));
    this.#host.free(this);
  }

  // Counts from when the process says the node starts: neither its own
  // start-up nor the import of the node's module counts.
  #startTimer(pending: Pending): void {
    const timeoutMs = this.#host.timeoutMs;
    if (timeoutMs === undefined) return;
    pending.timer = setTimeout(() => {
      this.kill(
        new WorkerError(
          `${
            capitalized(subjectOf(pending.options))
          } did not finish within ${timeoutMs} ms (timeoutMs): its process was killed and will be replaced; raise 'timeoutMs' if it needs longer`,
        ),
      );
    }, timeoutMs);
  }

  // The task fails at once; its process sees ctx.signal abort, and is
  // killed unless it answers within CANCEL_GRACE_MS (a CPU-bound node
  // cannot be stopped any other way).
  #cancel(pending: Pending, reason: Error): void {
    if (pending.settled) return;
    settle(pending, reason);
    if (this.#pending !== pending) return;
    this.process.send({ type: "abort", id: pending.id });
    pending.timer = setTimeout(() => {
      if (this.#pending === pending) this.kill(reason);
    }, CANCEL_GRACE_MS);
  }

  // Its process ended, by itself (out of memory, a crash) or killed.
  #ended(how: string): void {
    if (this.#dead) return; // killed: its task has failed
    const options = this.#pending?.options;
    this.#die(
      new WorkerError(
        `The worker process${
          options === undefined ? "" : ` running ${subjectOf(options)}`
        } ${how}${this.#hint(how)}; it will be replaced`,
      ),
    );
    this.#host.gone(this, Promise.resolve());
  }

  #hint(how: string): string {
    const limit = this.#host.heapLimitMb;
    return /out of memory|SIGTRAP|SIGABRT/i.test(how)
      ? ` (it ran out of memory${
        limit === undefined ? "" : `: 'heapLimitMb' is ${limit}`
      })`
      : "";
  }

  #die(error: Error): void {
    this.#dead = true;
    this.#ready.reject(error);
    for (const answer of this.#preloads.values()) {
      answer.reject(new WorkerError(error.message));
    }
    this.#preloads.clear();
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) settle(pending, error);
  }
}

// What an error reply fails its task with.
function failure(
  reply: Extract<TaskReply, { type: "error" }>,
  pending: Pending,
): unknown {
  const subject = subjectOf(pending.options);
  if (reply.loading === true) {
    return new WorkerError(
      `A worker process cannot import the module of ${subject}: ${reply.error.message} (processes may read the directories of the node modules and braid's own; grant more with the 'permissions' option)`,
    );
  }
  if (reply.uncloneable === true) {
    return new WorkerError(
      `${
        capitalized(subject)
      } returned a value that cannot be sent back from its process (${reply.error.message}); return structured-cloneable values or use the "async" executor`,
    );
  }
  // A chunk's failure says which item and node threw.
  return new RemoteFailure(reply.error, reply.item, reply.node);
}

function settle(pending: Pending, error: unknown, value?: unknown): void {
  clearTimeout(pending.timer);
  if (pending.settled) return;
  pending.settled = true;
  if (
    error instanceof WorkerError && error.nodeName === undefined &&
    pending.options.subject === undefined
  ) {
    (error as { nodeName?: string | undefined }).nodeName =
      pending.options.nodeName;
  }
  if (error === undefined) pending.resolve(value);
  else pending.reject(error);
}

// How messages name a task: its node, or what it is (a chunk of items).
function subjectOf(options: CallOptions): string {
  return options.subject ?? `node "${options.nodeName}"`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
