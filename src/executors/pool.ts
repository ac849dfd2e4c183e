/**
 * A pool of Deno Workers: started lazily (or all at once with `prestart` or
 * `warm()`), one task per worker at a time, reused across runs. A worker
 * that ends or crashes mid-task, or overruns `timeoutMs`, fails its task
 * with a `WorkerError` and is replaced on the next task; `close()`
 * terminates every worker.
 *
 * @module
 */
import { WorkerError } from "../errors.ts";
import {
  type PreloadMessage,
  type Reply,
  type Task,
  type TaskMessage,
  type TaskNode,
  WARM_REF,
} from "./_protocol.ts";
import { poolSettings, type WorkerPoolOptions } from "./_pool_options.ts";
import { RemoteFailure } from "./_remote_failure.ts";

export {
  MAX_DELAY_MS,
  MAX_WORKERS,
  type WorkerPoolOptions,
} from "./_pool_options.ts";
export { RemoteFailure } from "./_remote_failure.ts";

/** A task handed to the pool. */
export interface TaskHandle {
  /** Settles with the task's value, a `RemoteFailure` or a `WorkerError`. */
  readonly promise: Promise<unknown>;
  /** Withdraws the task; a running one has its worker terminated. */
  cancel(reason: Error): void;
}

/** How a task is described and observed. */
export interface TaskOptions {
  /** What the task runs, for error messages: `node "x"`. */
  readonly label: string;
  /** The node concerned, for the `WorkerError`s of this task. */
  readonly nodeName?: string;
  /** Buffers to transfer instead of copying. */
  readonly transfer?: Transferable[];
  /** Receives `ctx.log` calls made in the worker. */
  readonly onLog?: (reply: Extract<Reply, { type: "log" }>) => void;
  /**
   * Called at once when the task fails by itself (not when cancelled or
   * closed), before its worker takes another task: what an owner that stops
   * on a failure withdraws here never starts. Must not throw.
   */
  readonly onFailure?: (error: unknown) => void;
}

/** What workers import ahead of the calls that need it (see `preload`). */
export interface Preload {
  /** The modules to import. */
  readonly urls: readonly string[];
  /** Nodes whose functions to find (their modules are imported too). */
  readonly nodes?: readonly TaskNode[];
}

// The arguments of a warm-up call: an empty argument object.
const WARM_ARGS: Record<string, unknown> = Object.freeze(Object.create(null));

type Distribute<T> = T extends unknown ? Omit<T, "id"> : never;
/** A task without its id (the pool numbers tasks). */
export type TaskInit = Distribute<Task>;

interface Pending {
  readonly id: number;
  readonly task: TaskInit;
  readonly options: TaskOptions;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  slot: Slot | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

interface Slot {
  readonly worker: Worker;
  /** The refs of the node descriptors this worker has been sent. */
  readonly known: Set<number>;
  pending: Pending | undefined;
  /** Held by a lease, for a task not sent yet. */
  reserved: boolean;
  /** Set once the worker has loaded its entry script. */
  ready: boolean;
  /** Settles when it is ready, or fails when it ends before. */
  readonly started: PromiseWithResolvers<void>;
  /** Preload messages it has not answered yet, by number. */
  readonly preloading: Map<number, PromiseWithResolvers<void>>;
  /** Settles once it has started and answered its warm-up calls. */
  warmed: Promise<void> | undefined;
}

// A request for a worker of one's own (see `acquire`).
interface Reservation {
  readonly reserve: true;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: unknown) => void;
}

/** A worker reserved for one task: its task starts the moment it is run. */
export interface Lease {
  /** Runs the task on the reserved worker (at once). */
  run(task: TaskInit, options: TaskOptions): TaskHandle;
  /** Gives the worker back unused; a no-op once `run` was called. */
  release(): void;
}

/** A pending `acquire`. */
export interface LeaseRequest {
  /** Resolves with the lease once a worker is free. */
  readonly promise: Promise<Lease>;
  /** Withdraws the request (a lease already granted is released). */
  cancel(): void;
}

const ENTRY = new URL("./_worker.ts", import.meta.url).href;

/** How many node descriptors a worker keeps before it forgets them all. */
export const MAX_KNOWN_NODES = 4096;

/** How long a cancelled task's worker may take to stop before it is terminated. */
export const GRACE_MS = 100;

/**
 * How many no-op calls `warm()` has each worker answer, one after the
 * other. Until the message path between two threads has carried about ten
 * messages, V8 runs it (Deno's side and braid's, in both threads)
 * uncompiled, and a round trip costs several times what it does later.
 */
export const WARM_ROUNDS = 16;

/** Runs tasks on a lazily started, reusable set of workers. */
export class WorkerPool {
  /** The most workers that run at once. */
  readonly size: number;
  // Undefined: no limit.
  readonly #timeoutMs: number | undefined;
  readonly #idleMs: number | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleSince = 0;
  readonly #permissions: Deno.PermissionOptions | undefined;
  readonly #slots: Slot[] = [];
  // What every worker imports as it starts (see preload()).
  readonly #preloads = {
    urls: new Set<string>(),
    nodes: new Set<TaskNode>(),
  };
  #preloadSeq = 0;
  // Preloads whose list of modules is still being made (see preload()).
  readonly #listing = new Set<Promise<void>>();
  readonly #queue: (Pending | Reservation)[] = [];
  #nextId = 0;
  // Node descriptors by identity: a call sends its node's descriptor to a
  // worker once, then only its ref (a smaller message to copy each time).
  readonly #refs = new WeakMap<TaskNode, number>();
  #nextRef = 0;

  /**
   * Creates a pool. No worker starts until the first task, unless
   * `prestart` is set: then every worker starts now (in the background; see
   * `warm()`).
   */
  constructor(options: WorkerPoolOptions = {}) {
    const settings = poolSettings(options);
    this.size = settings.size;
    this.#timeoutMs = settings.timeoutMs;
    this.#idleMs = settings.idleMs;
    this.#permissions = settings.permissions;
    // A worker that cannot start fails the tasks sent to it, with the reason.
    if (settings.prestart) this.warm().catch(() => {});
  }

  /** How many workers are alive now (started or starting). */
  get workers(): number {
    return this.#slots.length;
  }

  /**
   * Starts every worker not alive yet and resolves once each has loaded its
   * entry script, imported the modules preloaded so far (see `preload`) and
   * answered a few no-op calls (`WARM_ROUNDS`): the first tasks then wait
   * neither for start-up nor for the call path to be compiled, in the
   * worker or here. Rejects with a `WorkerError` when a worker cannot start,
   * or when the pool is closed first. Workers started this way still end
   * after `idleMs` without a task.
   */
  warm(): Promise<void> {
    let failure: WorkerError | undefined;
    try {
      while (this.#slots.length < this.size) this.#spawn();
    } catch (error) {
      failure = cannotStart(error);
    }
    this.#dispatch(); // arms the idle timer
    if (failure !== undefined) return Promise.reject(failure);
    const slots = [...this.#slots];
    // Preloads whose list is still being made are sent to these workers
    // once it is: wait for the lists first, then for every answer.
    return Promise.all(this.#listing).then(() =>
      Promise.all(slots.map((slot) => this.#warmUp(slot)))
    ).then(() => {});
  }

  // Resolves once `slot` has started, imported the preloads sent to it so
  // far and answered its warm-up calls (once per worker: later calls only
  // wait for new preloads).
  #warmUp(slot: Slot): Promise<void> {
    slot.warmed ??= slot.started.promise.then(async () => {
      for (let round = 0; round < WARM_ROUNDS; round++) {
        if (!this.#slots.includes(slot)) {
          throw new WorkerError(
            "The worker pool was closed before its workers were warm",
          );
        }
        // A worker with real work warms up on it, and that work goes first.
        if (
          slot.pending !== undefined || slot.reserved || this.#queue.length > 0
        ) return;
        const handle = this.#handle({ type: "warm" }, {
          label: "a warm-up call",
        });
        this.#start(slot, handle.pending);
        await handle.promise;
      }
    });
    return Promise.all([
      slot.warmed,
      ...[...slot.preloading.values()].map((answer) => answer.promise),
    ]).then(() => {});
  }

  /**
   * Has every worker (those alive, and those started later) import the
   * modules of `preload` and find its nodes' functions in them, so that the
   * first calls of these nodes wait for neither; starts no worker (`warm()`
   * does, and waits for these imports too). Resolves once the live workers
   * have imported them; rejects with a `WorkerError` when one cannot be
   * imported. `preload` may be a promise, for a list still being made:
   * `warm()` waits for it from now on.
   */
  preload(preload: Preload | Promise<Preload>): Promise<void> {
    if (!(preload instanceof Promise)) return this.#preload(preload);
    const listed = preload.then((list) => {
      this.#listing.delete(listed);
      return this.#preload(list);
    }, (error) => {
      this.#listing.delete(listed);
      throw error;
    });
    this.#listing.add(listed);
    // warm() waits for the list, not for this promise to be handled.
    listed.catch(() => {});
    return listed;
  }

  #preload(preload: Preload): Promise<void> {
    const preloads = this.#preloads;
    const urls = [...new Set(preload.urls)].filter((u) =>
      !preloads.urls.has(u)
    );
    for (const url of urls) preloads.urls.add(url);
    // Up to what a worker keeps (past it, a node goes with its first call).
    const room = MAX_KNOWN_NODES - preloads.nodes.size;
    const nodes = (preload.nodes ?? []).filter((n) => !preloads.nodes.has(n))
      .slice(0, Math.max(room, 0));
    for (const node of nodes) preloads.nodes.add(node);
    if (urls.length > 0 || nodes.length > 0) {
      for (const slot of this.#slots) this.#sendPreload(slot, urls, nodes);
    }
    return Promise.all(
      this.#slots.flatMap((s) =>
        [...s.preloading.values()].map((answer) => answer.promise)
      ),
    ).then(() => {});
  }

  /** Queues a task; it starts as soon as a worker is free. */
  run(task: TaskInit, options: TaskOptions): TaskHandle {
    const handle = this.#handle(task, options);
    this.#queue.push(handle.pending);
    this.#dispatch();
    return handle;
  }

  #handle(
    task: TaskInit,
    options: TaskOptions,
  ): TaskHandle & { pending: Pending } {
    let pending!: Pending;
    const promise = new Promise<unknown>((resolve, reject) => {
      pending = {
        id: this.#nextId++,
        task,
        options,
        resolve,
        reject,
        slot: undefined,
        timer: undefined,
        settled: false,
      };
    });
    return {
      pending,
      promise,
      cancel: (reason: Error) => this.#cancel(pending, reason),
    };
  }

  /**
   * Reserves a worker: when it is free, the lease runs a task on it at once.
   * An executor that must call hooks right before a node really starts
   * waits for a lease first.
   */
  acquire(): LeaseRequest {
    let reservation!: Reservation;
    let granted: Lease | undefined;
    let withdrawn = false;
    const promise = new Promise<Lease>((resolve, reject) => {
      reservation = {
        reserve: true,
        resolve: (lease) => {
          if (withdrawn) lease.release();
          else resolve(granted = lease);
        },
        reject,
      };
    });
    this.#queue.push(reservation);
    this.#dispatch();
    return {
      promise,
      cancel: () => {
        if (withdrawn) return;
        withdrawn = true;
        const index = this.#queue.indexOf(reservation);
        if (index >= 0) this.#queue.splice(index, 1);
        granted?.release();
      },
    };
  }

  /**
   * A lease on a worker that is free now, or undefined when none is (or
   * others are waiting): `acquire` without waiting, for the common case.
   */
  tryAcquire(): Lease | undefined {
    if (this.#queue.length > 0) return undefined;
    const slot = this.#slots.find((s) =>
      s.pending === undefined && !s.reserved
    );
    if (slot === undefined) return undefined;
    slot.reserved = true;
    return this.#lease(slot);
  }

  #lease(slot: Slot): Lease {
    let used = false;
    return {
      run: (task, options) => {
        if (used) throw new Error("A lease runs one task");
        used = true;
        const handle = this.#handle(task, options);
        if (!slot.reserved || !this.#slots.includes(slot)) {
          // Its worker was closed (or crashed) while reserved.
          this.#settle(
            handle.pending,
            new WorkerError(
              `The worker reserved for ${options.label} was closed`,
            ),
          );
          return handle;
        }
        slot.reserved = false;
        this.#start(slot, handle.pending);
        return handle;
      },
      release: () => {
        if (used) return;
        used = true;
        slot.reserved = false;
        this.#dispatch();
      },
    };
  }

  /**
   * Terminates every worker; queued and running tasks fail with a
   * `WorkerError`. The pool stays usable: a later task starts new workers.
   */
  close(): Promise<void> {
    this.#stopIdleTimer();
    const error = () => new WorkerError("The worker pool was closed");
    for (const pending of this.#queue.splice(0)) {
      if ("reserve" in pending) pending.reject(error());
      else this.#settle(pending, error(), false);
    }
    for (const slot of this.#slots.splice(0)) {
      slot.worker.terminate();
      this.#dropPreloads(slot, error());
      if (!slot.ready) {
        slot.started.reject(
          new WorkerError("The worker pool was closed before a worker started"),
        );
      }
      if (slot.pending !== undefined) {
        clearTimeout(slot.pending.timer); // a cancelled task's grace period
        this.#settle(slot.pending, error(), false);
      }
    }
    return Promise.resolve();
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) =>
        s.pending === undefined && !s.reserved
      );
      if (slot === undefined) {
        if (this.#slots.length >= this.size) return;
        try {
          slot = this.#spawn();
        } catch (error) {
          // No worker can start here (e.g. no Worker at all): the task
          // fails, with the reason. (Permissions without their flag end
          // the process in Deno itself, with a message naming the flag.)
          const pending = this.#queue.shift()!;
          if ("reserve" in pending) pending.reject(cannotStart(error));
          else this.#fail(pending, cannotStart(error, pending), false);
          continue;
        }
      }
      const next = this.#queue.shift()!;
      if ("reserve" in next) {
        slot.reserved = true;
        next.resolve(this.#lease(slot));
      } else this.#start(slot, next);
    }
    if (this.#slots.length === 0 || this.#idleMs === undefined) return;
    if (this.#isIdle()) this.#idleSince = performance.now();
    if (this.#idleTimer === undefined) this.#armIdleTimer(this.#idleMs);
  }

  // A worker still starting (or importing preloaded modules) is not idle:
  // it must not end before it is ready.
  #isIdle(): boolean {
    return this.#queue.length === 0 &&
      this.#slots.every((s) =>
        s.ready && s.pending === undefined && !s.reserved &&
        s.preloading.size === 0
      );
  }

  // One timer while workers live (not one per task): when it fires, the
  // workers end if the pool has been idle for idleMs, else it waits again.
  // Unref'd: the timer alone never keeps the process alive.
  #armIdleTimer(ms: number): void {
    const idleMs = this.#idleMs!;
    const timer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#slots.length === 0) return;
      const idleFor = performance.now() - this.#idleSince;
      // Busy: look again later (not every tick, even when idleMs is 0).
      if (!this.#isIdle()) this.#armIdleTimer(Math.max(idleMs, 50));
      else if (idleFor >= idleMs) void this.close();
      else this.#armIdleTimer(idleMs - idleFor);
    }, ms);
    Deno.unrefTimer(timer);
    this.#idleTimer = timer;
  }

  #stopIdleTimer(): void {
    if (this.#idleTimer === undefined) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #start(slot: Slot, pending: Pending): void {
    slot.pending = pending;
    pending.slot = slot;
    try {
      const transfer = pending.options.transfer;
      const message = this.#message(slot, pending);
      if (transfer === undefined || transfer.length === 0) {
        slot.worker.postMessage(message);
      } else slot.worker.postMessage(message, transfer);
      // Known to the worker only once the descriptor has really gone.
      if (message.type === "call" && typeof message.node !== "number") {
        slot.known.add(message.node.ref);
      }
    } catch (error) {
      slot.pending = undefined;
      this.#fail(
        pending,
        new WorkerError(
          `Cannot run ${pending.options.label} on a worker: its arguments cannot be cloned (${
            (error as Error).message
          }); pass structured-cloneable values (plain data, typed arrays, Map, Set, Date...) or use the "async" executor`,
          { cause: error },
        ),
        false,
      );
    }
  }

  #message(slot: Slot, pending: Pending): TaskMessage {
    const task = pending.task;
    // A timed task's worker says when it starts (see #startTimer).
    const id = pending.id;
    if (task.type === "warm") {
      // No timeout: a busy machine must not make warm() fail.
      return { type: "call", id, node: WARM_REF, args: WARM_ARGS, runId: "" };
    }
    const timed = this.#timeoutMs !== undefined;
    if (task.type !== "call") return { ...task, id, timed };
    const ref = this.#refOf(task.node);
    if (slot.known.has(ref)) return { ...task, id, timed, node: ref };
    // Descriptors are made per node of a built graph, and a busy pool may
    // see graphs without end: past a bound, the worker forgets them all and
    // is sent each again.
    const forget = slot.known.size >= MAX_KNOWN_NODES;
    if (forget) slot.known.clear();
    return {
      ...task,
      id,
      timed,
      node: forget ? { ...task.node, ref, forget } : { ...task.node, ref },
    };
  }

  // The timeout starts when the worker says the task has started: after
  // the worker's own start-up and the imports of the task's modules, which
  // may take long on a busy machine and are not the task's run. (A module
  // whose import never ends is not caught by it.)
  #startTimer(slot: Slot, pending: Pending): void {
    const timeoutMs = this.#timeoutMs;
    if (timeoutMs !== undefined) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.timer = setTimeout(() => {
        this.#kill(
          slot,
          new WorkerError(
            `${
              capitalize(pending.options.label)
            } did not finish within ${timeoutMs} ms (timeoutMs): its worker was terminated and will be replaced; raise 'timeoutMs' if it needs longer`,
          ),
        );
      }, timeoutMs);
    }
  }

  #spawn(): Slot {
    const worker = new Worker(
      ENTRY,
      this.#permissions === undefined
        ? { type: "module" }
        : { type: "module", deno: { permissions: this.#permissions } },
    );
    const slot: Slot = {
      worker,
      known: new Set(),
      pending: undefined,
      reserved: false,
      ready: false,
      started: Promise.withResolvers<void>(),
      preloading: new Map(),
      warmed: undefined,
    };
    // Nobody need wait for it: a failure to start is not unhandled.
    slot.started.promise.catch(() => {});
    worker.onmessage = (event: MessageEvent<Reply>) =>
      this.#receive(slot, event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault(); // a crashed worker must not take the parent down
      const label = slot.pending?.options.label;
      this.#kill(
        slot,
        new WorkerError(
          slot.ready
            ? `The worker running ${
              label ?? "no task"
            } crashed: ${event.message}; it will be replaced (an error thrown outside the node's own call, e.g. in a timer or an unawaited promise)`
            : `A worker${
              label === undefined ? "" : ` for ${label}`
            } could not start: ${event.message}`,
        ),
      );
    };
    worker.onmessageerror = () => {
      const pending = slot.pending;
      if (pending === undefined) return;
      slot.pending = undefined;
      this.#fail(
        pending,
        new WorkerError(
          `The value of ${pending.options.label} could not be received from its worker`,
        ),
      );
    };
    this.#slots.push(slot);
    const preloads = this.#preloads;
    if (preloads.urls.size > 0 || preloads.nodes.size > 0) {
      this.#sendPreload(slot, [...preloads.urls], [...preloads.nodes]);
    }
    return slot;
  }

  // Asks `slot`'s worker to import `urls` now, and find `nodes` in them:
  // later calls of these nodes send their refs alone.
  #sendPreload(
    slot: Slot,
    urls: readonly string[],
    nodes: readonly TaskNode[],
  ): void {
    const seq = this.#preloadSeq++;
    const answer = Promise.withResolvers<void>();
    answer.promise.catch(() => {}); // nobody may be waiting
    slot.preloading.set(seq, answer);
    const message: PreloadMessage = {
      type: "preload",
      seq,
      urls: [...urls],
      nodes: nodes.map((node) => ({ ...node, ref: this.#refOf(node) })),
    };
    slot.worker.postMessage(message);
    for (const node of message.nodes) slot.known.add(node.ref);
  }

  #refOf(node: TaskNode): number {
    let ref = this.#refs.get(node);
    if (ref === undefined) this.#refs.set(node, ref = this.#nextRef++);
    return ref;
  }

  // A worker that ends fails what it had not answered.
  #dropPreloads(slot: Slot, error: Error): void {
    for (const answer of slot.preloading.values()) {
      answer.reject(new WorkerError(error.message));
    }
    slot.preloading.clear();
  }

  #receive(slot: Slot, reply: Reply): void {
    if (reply.type === "preloaded") {
      const answer = slot.preloading.get(reply.seq);
      slot.preloading.delete(reply.seq);
      if (this.#isIdle()) this.#idleSince = performance.now();
      if (reply.error === undefined) answer?.resolve();
      else {
        answer?.reject(
          new WorkerError(
            `A worker could not import a node module ahead of time: ${reply.error.message}`,
          ),
        );
      }
      return;
    }
    if (reply.type === "ready") {
      slot.ready = true;
      slot.started.resolve();
      if (this.#isIdle()) this.#idleSince = performance.now();
      return;
    }
    if (reply.type === "exit") {
      this.#kill(
        slot,
        new WorkerError(
          `${
            capitalize(slot.pending?.options.label ?? "a task")
          } ended its worker: ${reply.how}. Nodes on workers must return (or throw), not close their worker; the worker will be replaced`,
        ),
      );
      return;
    }
    const pending = slot.pending;
    if (pending === undefined || pending.id !== reply.id) return;
    if (pending.settled) {
      // A cancelled task that stopped within its grace period: the worker
      // is free again, and what it sent no longer matters.
      if (reply.type === "ok" || reply.type === "error") {
        clearTimeout(pending.timer);
        slot.pending = undefined;
        this.#dispatch();
      }
      return;
    }
    if (reply.type === "log") {
      pending.options.onLog?.(reply);
      return;
    }
    if (reply.type === "started") {
      this.#startTimer(slot, pending);
      return;
    }
    slot.pending = undefined;
    if (reply.type === "ok") {
      this.#settle(pending, undefined, true, reply.value);
    } else if (reply.loading === true) {
      this.#fail(
        pending,
        new WorkerError(
          `A worker cannot import the module of ${pending.options.label}: ${reply.error.message} (workers need read access to the modules they run; see the 'permissions' option)`,
        ),
      );
    } else if (reply.uncloneable === true) {
      this.#fail(
        pending,
        new WorkerError(
          `${
            capitalize(pending.options.label)
          } returned a value that cannot be sent back from its worker (${reply.error.message}); return structured-cloneable values or use the "async" executor`,
        ),
      );
    } else {
      this.#fail(
        pending,
        new RemoteFailure(reply.error, reply.item, reply.node),
      );
    }
  }

  // Terminates a slot's worker (it is replaced on the next dispatch) and
  // fails its task with `error`.
  #kill(slot: Slot, error: Error): void {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    slot.worker.terminate();
    if (!slot.ready) slot.started.reject(new WorkerError(error.message));
    this.#dropPreloads(slot, error);
    const pending = slot.pending;
    slot.pending = undefined;
    if (pending !== undefined) clearTimeout(pending.timer);
    if (pending !== undefined && !pending.settled) {
      this.#fail(pending, error);
    } else this.#dispatch();
  }

  // A queued task is dropped. A running one fails at once; its worker sees
  // ctx.signal abort, and is terminated unless it stops within GRACE_MS (a
  // CPU-bound node cannot be stopped any other way).
  #cancel(pending: Pending, reason: Error): void {
    if (pending.settled) return;
    const slot = pending.slot;
    if (slot === undefined) {
      const index = this.#queue.indexOf(pending);
      if (index >= 0) this.#queue.splice(index, 1);
      this.#settle(pending, reason);
      return;
    }
    this.#settle(pending, reason, false);
    slot.worker.postMessage({ type: "abort", id: pending.id });
    pending.timer = setTimeout(() => {
      if (slot.pending === pending) this.#kill(slot, reason);
    }, GRACE_MS);
  }

  // The task failed by itself: its owner hears before the worker (or a
  // worker) takes the next task, so what the owner withdraws never starts.
  #fail(pending: Pending, error: unknown, dispatch = true): void {
    if (pending.settled) return;
    this.#settle(pending, error, false);
    pending.options.onFailure?.(error);
    if (dispatch) this.#dispatch();
  }

  #settle(
    pending: Pending,
    error: unknown,
    dispatch = true,
    value?: unknown,
  ): void {
    if (pending.settled) return;
    pending.settled = true;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    // The pool's own errors name the task's node, like any node error.
    if (error instanceof WorkerError && error.nodeName === undefined) {
      (error as { nodeName?: string | undefined }).nodeName =
        pending.options.nodeName;
    }
    if (error === undefined) pending.resolve(value);
    else pending.reject(error);
    if (dispatch) this.#dispatch();
  }
}

function cannotStart(error: unknown, pending?: Pending): WorkerError {
  return new WorkerError(
    `Cannot start a worker${
      pending === undefined ? "" : ` for ${pending.options.label}`
    }: ${
      (error as Error).message
    } (use the "async" executor where workers are unavailable)`,
    { cause: error },
  );
}

function capitalize(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}
