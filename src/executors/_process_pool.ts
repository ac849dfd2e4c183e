// A pool of worker processes: started on demand (or all at once by
// `warm()`), one task per process at a time, reused across runs. A task
// that overruns its timeout, or is cancelled and does not stop within a
// moment, has its process killed (SIGTERM, then SIGKILL); a process that
// dies (out of memory, say) fails its task; either way the next task gets a
// new process. Idle processes do not keep this process alive.
import { WorkerError } from "../errors.ts";
import { MAX_KNOWN_NODES, RemoteFailure } from "./pool.ts";
import type { NodeTask, TaskNode, TaskReply } from "./_task_protocol.ts";
import {
  heapFlags,
  permissionFlags,
  readsAll,
  readsFor,
} from "./_process_flags.ts";
import { WorkerProcess } from "./_worker_process.ts";

/** How long a cancelled task's process may take to stop before it is killed. */
export const CANCEL_GRACE_MS = 100;

/** What the pool is made of. */
export interface ProcessPoolOptions {
  readonly processes: number;
  /** Undefined: no limit. */
  readonly timeoutMs: number | undefined;
  readonly heapLimitMb: number | undefined;
  readonly permissions: Deno.PermissionOptions | undefined;
}

/** A node call as the pool takes it (it numbers tasks itself). */
export type CallInit = Omit<NodeTask, "id" | "type" | "timed" | "node"> & {
  readonly node: TaskNode;
};

/** How a task is described and observed. */
export interface CallOptions {
  /** The node, for messages: `node "x"`. */
  readonly nodeName: string;
  /** Receives the `ctx.log` calls made in the process. */
  readonly onLog?: (message: string, data: unknown) => void;
}

/** A task running in a process. */
export interface CallHandle {
  /** Settles with the value, a `RemoteFailure` or a `WorkerError`. */
  readonly promise: Promise<unknown>;
  /** Fails the task with `reason`; its process is killed unless it stops at once. */
  cancel(reason: Error): void;
}

/** A process reserved for one task. */
export interface Lease {
  /** Runs the task in the reserved process, at once. */
  run(task: CallInit, options: CallOptions): CallHandle;
  /** Gives the process back unused; a no-op once `run` was called. */
  release(): void;
}

interface Pending {
  readonly id: number;
  readonly options: CallOptions;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

interface Slot {
  process: WorkerProcess;
  /** What it may read (see `allowRead`). */
  readonly reads: readonly string[];
  /** The refs of the node descriptors it has been sent. */
  readonly known: Set<number>;
  readonly ready: PromiseWithResolvers<void>;
  isReady: boolean;
  pending: Pending | undefined;
  reserved: boolean;
}

type Waiter = (lease: Lease | Error) => void;

/** Runs node calls on a set of worker processes. */
export class ProcessPool {
  /** The most processes alive at once. */
  readonly size: number;
  readonly #options: ProcessPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #waiters: Waiter[] = [];
  // Processes killed or closed whose end has not been seen yet.
  readonly #ending = new Set<Promise<void>>();
  // The node modules seen so far, and the directories that lets a process
  // read: a new one is a new array (processes with the old one are retired
  // as they come free), unless processes may read everything.
  readonly #modules = new Set<string>();
  #reads: readonly string[] = readsFor([]);
  readonly #readsAll: boolean;
  #nextId = 0;
  // Node descriptors by identity (one per plan node): each goes to a
  // process once, then its ref alone.
  readonly #refs = new WeakMap<TaskNode, number>();
  #nextRef = 0;

  /** A pool; no process starts before the first task or `warm()`. */
  constructor(options: ProcessPoolOptions) {
    this.size = options.processes;
    this.#options = options;
    this.#readsAll = readsAll(options.permissions);
  }

  /** The ids of the processes alive now (started or starting). */
  get pids(): number[] {
    return this.#slots.map((s) => s.process.pid);
  }

  /**
   * Makes the modules at `urls` readable by the processes started from now
   * on (with the default read permission: their directories).
   */
  allowRead(urls: Iterable<string>): void {
    const known = this.#modules.size;
    for (const url of urls) this.#modules.add(url);
    if (this.#modules.size === known || this.#readsAll) return;
    const reads = readsFor(this.#modules);
    if (reads.length > this.#reads.length) this.#reads = reads;
  }

  /** Starts the processes not alive yet; resolves once each is ready. */
  warm(): Promise<void> {
    try {
      while (this.#slots.length < this.size) this.#spawn();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.all(this.#slots.map((s) => s.ready.promise)).then(() => {});
  }

  /** A lease on a free process now, or undefined when none is (or others wait). */
  tryAcquire(): Lease | undefined {
    if (this.#waiters.length > 0) return undefined;
    const slot = this.#free();
    return slot === undefined ? undefined : this.#lease(slot);
  }

  /** Waits for a free process; `cancel()` withdraws the request. */
  acquire(): { promise: Promise<Lease>; cancel(): void } {
    let waiter!: Waiter;
    let withdrawn = false;
    const promise = new Promise<Lease>((resolve, reject) => {
      waiter = (lease) => {
        if (lease instanceof Error) reject(lease);
        else if (withdrawn) lease.release();
        else resolve(lease);
      };
    });
    this.#waiters.push(waiter);
    this.#dispatch();
    return {
      promise,
      cancel: () => {
        withdrawn = true;
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
      },
    };
  }

  /**
   * Kills every process and resolves once all have ended (those killed
   * before too); running tasks and waiting requests fail with a
   * `WorkerError`. A later task starts new processes.
   */
  async close(): Promise<void> {
    const closed = () => new WorkerError("The process pool was closed");
    for (const waiter of this.#waiters.splice(0)) waiter(closed());
    for (const slot of [...this.#slots]) this.#kill(slot, closed());
    while (this.#ending.size > 0) await Promise.all(this.#ending);
  }

  // Reserves `slot` for one task.
  #lease(slot: Slot): Lease {
    slot.reserved = true;
    slot.process.hold(true);
    let used = false;
    return {
      run: (task, options) => {
        if (used) throw new Error("A lease runs one task");
        used = true;
        slot.reserved = false;
        return this.#start(slot, task, options);
      },
      release: () => {
        if (used) return;
        used = true;
        slot.reserved = false;
        this.#idle(slot);
        this.#dispatch();
      },
    };
  }

  #start(slot: Slot, task: CallInit, options: CallOptions): CallHandle {
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
      cancel: (reason: Error) => this.#cancel(slot, pending, reason),
    };
    if (!this.#slots.includes(slot)) {
      // Its process ended (or the pool closed) while it was reserved.
      this.#settle(
        pending,
        new WorkerError(
          `The process reserved for node "${options.nodeName}" ended before the node started; run it again`,
        ),
      );
      return handle;
    }
    slot.pending = pending;
    slot.process.hold(true);
    let ref = this.#refs.get(task.node);
    if (ref === undefined) this.#refs.set(task.node, ref = this.#nextRef++);
    const known = slot.known.has(ref);
    // A busy pool may see plans without end: past a bound, the process
    // forgets every descriptor and is sent each again.
    const forget = !known && slot.known.size >= MAX_KNOWN_NODES;
    try {
      slot.process.send({
        ...task,
        type: "call",
        id: pending.id,
        node: known
          ? ref
          : forget
          ? { ...task.node, ref, forget }
          : { ...task.node, ref },
        timed: this.#options.timeoutMs !== undefined,
      });
      if (forget) slot.known.clear();
      slot.known.add(ref);
    } catch (error) {
      slot.pending = undefined;
      this.#settle(
        pending,
        new WorkerError(
          `Cannot run node "${options.nodeName}" in a process: its arguments cannot be serialized (${
            (error as Error).message
          }); pass structured-cloneable values (plain data, typed arrays, Map, Set, Date...) or use the "async" executor`,
          { cause: error },
        ),
      );
    }
    return handle;
  }

  #dispatch(): void {
    while (this.#waiters.length > 0) {
      let slot: Slot | undefined;
      try {
        slot = this.#free();
      } catch (error) {
        this.#waiters.shift()!(error as Error);
        continue;
      }
      if (slot === undefined) break;
      this.#waiters.shift()!(this.#lease(slot));
    }
  }

  // A process free to take a task: an idle one, or a new one while there
  // is room. Idle ones that may not read every module seen are retired.
  #free(): Slot | undefined {
    for (const slot of [...this.#slots]) {
      if (slot.pending !== undefined || slot.reserved) continue;
      if (slot.reads === this.#reads) return slot;
      slot.ready.resolve(); // for warm(): it was ready enough
      this.#kill(slot, new WorkerError("Retired"), false);
    }
    return this.#slots.length < this.size ? this.#spawn() : undefined;
  }

  // An idle process does not keep this one alive (a script that forgets
  // close() still exits; the process ends with its stdin).
  #idle(slot: Slot): void {
    if (slot.isReady && slot.pending === undefined && !slot.reserved) {
      slot.process.hold(false);
    }
  }

  #spawn(): Slot {
    const options = this.#options;
    const flags = [
      ...permissionFlags(options.permissions, this.#reads),
      ...heapFlags(options.heapLimitMb),
    ];
    const slot: Slot = {
      process: undefined!, // just below: its events need the slot
      reads: this.#reads,
      known: new Set(),
      ready: Promise.withResolvers<void>(),
      isReady: false,
      pending: undefined,
      reserved: false,
    };
    try {
      slot.process = new WorkerProcess(flags, {
        onReply: (reply) => this.#receive(slot, reply),
        onEnd: (how) => this.#ended(slot, how),
      });
    } catch (error) {
      throw new WorkerError(
        `Cannot start a worker process: ${
          (error as Error).message
        } (the process executor runs \`deno run\`, which needs the "run" permission for ${Deno.execPath()}; or use the "threaded" executor)`,
        { cause: error },
      );
    }
    slot.ready.promise.catch(() => {}); // nobody need wait for it
    this.#slots.push(slot);
    return slot;
  }

  #receive(slot: Slot, reply: TaskReply): void {
    if (reply.type === "ready") {
      slot.isReady = true;
      slot.ready.resolve();
      this.#idle(slot);
      return;
    }
    if (reply.type === "exit") {
      // The process is ending: its end fails the task, with this reason.
      slot.ready.reject(
        new WorkerError(`A worker process ended: ${reply.how}`),
      );
      const pending = slot.pending;
      if (pending !== undefined) {
        this.#settle(
          pending,
          new WorkerError(
            `Node "${pending.options.nodeName}" ended its process: ${reply.how}. Nodes must return (or throw), not end their process; it will be replaced`,
          ),
        );
      }
      return;
    }
    if (reply.type === "preloaded") return;
    const pending = slot.pending;
    if (pending === undefined || pending.id !== reply.id) return;
    if (reply.type === "log") {
      if (!pending.settled) pending.options.onLog?.(reply.message, reply.data);
      return;
    }
    if (reply.type === "started") {
      if (!pending.settled) this.#startTimer(slot, pending);
      return;
    }
    // The task is answered: its process is free again.
    slot.pending = undefined;
    clearTimeout(pending.timer);
    this.#idle(slot);
    if (reply.type === "ok") this.#settle(pending, undefined, reply.value);
    else {
      const name = pending.options.nodeName;
      this.#settle(
        pending,
        reply.loading === true
          ? new WorkerError(
            `A worker process cannot import the module of node "${name}": ${reply.error.message} (processes may read the directories of the node modules and braid's own; grant more with the 'permissions' option)`,
          )
          : reply.uncloneable === true
          ? new WorkerError(
            `Node "${name}" returned a value that cannot be sent back from its process (${reply.error.message}); return structured-cloneable values or use the "async" executor`,
          )
          : new RemoteFailure(reply.error),
      );
    }
    this.#dispatch();
  }

  // Counts from when the process says the node starts: neither its own
  // start-up nor the import of the node's module counts.
  #startTimer(slot: Slot, pending: Pending): void {
    const timeoutMs = this.#options.timeoutMs;
    if (timeoutMs === undefined) return;
    pending.timer = setTimeout(() => {
      this.#kill(
        slot,
        new WorkerError(
          `Node "${pending.options.nodeName}" did not finish within ${timeoutMs} ms (timeoutMs): its process was killed and will be replaced; raise 'timeoutMs' if it needs longer`,
        ),
      );
    }, timeoutMs);
  }

  // The task fails at once; its process sees ctx.signal abort, and is
  // killed unless it answers within CANCEL_GRACE_MS (a CPU-bound node
  // cannot be stopped any other way).
  #cancel(slot: Slot, pending: Pending, reason: Error): void {
    if (pending.settled) return;
    this.#settle(pending, reason);
    if (slot.pending !== pending) return;
    try {
      slot.process.send({ type: "abort", id: pending.id });
    } catch {
      // Nothing to abort: the process has ended.
    }
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => {
      if (slot.pending === pending) this.#kill(slot, reason);
    }, CANCEL_GRACE_MS);
  }

  // Kills a slot's process (a new one replaces it on demand) and fails its
  // task with `error`.
  #kill(slot: Slot, error: Error, dispatch = true): void {
    this.#forget(slot, error);
    const ending = slot.process.kill();
    this.#ending.add(ending);
    void ending.finally(() => this.#ending.delete(ending));
    if (dispatch) this.#dispatch();
  }

  // A process ended by itself (out of memory, a crash) or was killed.
  #ended(slot: Slot, how: string): void {
    if (!this.#slots.includes(slot)) return; // killed: its task has failed
    const name = slot.pending?.options.nodeName;
    this.#forget(
      slot,
      new WorkerError(
        `The worker process${
          name === undefined ? "" : ` running node "${name}"`
        } ${how}${this.#hint(how)}; it will be replaced`,
      ),
    );
    this.#dispatch();
  }

  #hint(how: string): string {
    const limit = this.#options.heapLimitMb;
    return /out of memory|SIGTRAP|SIGABRT/i.test(how)
      ? ` (it ran out of memory${
        limit === undefined ? "" : `: 'heapLimitMb' is ${limit}`
      })`
      : "";
  }

  #forget(slot: Slot, error: Error): void {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    slot.ready.reject(error);
    const pending = slot.pending;
    slot.pending = undefined;
    if (pending !== undefined) this.#settle(pending, error);
  }

  #settle(pending: Pending, error: unknown, value?: unknown): void {
    clearTimeout(pending.timer);
    if (pending.settled) return;
    pending.settled = true;
    if (error instanceof WorkerError && error.nodeName === undefined) {
      (error as { nodeName?: string | undefined }).nodeName =
        pending.options.nodeName;
    }
    if (error === undefined) pending.resolve(value);
    else pending.reject(error);
  }
}
