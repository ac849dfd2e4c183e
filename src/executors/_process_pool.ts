// A pool of worker processes (_process_slot.ts): started on demand (or all
// at once by `warm()`), one task per process at a time, reused across runs.
// A process whose node overran its timeout, was cancelled or died is
// replaced by a new one when a task needs it. Processes may read what
// importing the node modules seen so far needs: when a module from a new
// directory comes, idle processes that cannot read it are retired.
import { WorkerError } from "../errors.ts";
import type { TaskNode } from "./_task_protocol.ts";
import {
  heapFlags,
  permissionFlags,
  readsAll,
  readsFor,
} from "./_process_flags.ts";
import {
  type CallHandle,
  type CallInit,
  type CallOptions,
  type ChunkInit,
  ProcessSlot,
  type SlotHost,
} from "./_process_slot.ts";

export type { CallHandle, CallInit, CallOptions, ChunkInit };

/** What the pool is made of. */
export interface ProcessPoolOptions {
  readonly processes: number;
  /** Undefined: no limit. */
  readonly timeoutMs: number | undefined;
  readonly heapLimitMb: number | undefined;
  readonly permissions: Deno.PermissionOptions | undefined;
}

/** A process reserved for one task. */
export interface Lease {
  /** Runs the task in the reserved process, at once. */
  run(task: CallInit, options: CallOptions): CallHandle;
  /** Runs a chunk of map items in the reserved process, at once. */
  runChunk(chunk: ChunkInit, options: CallOptions): CallHandle;
  /** Gives the process back unused; a no-op once `run` was called. */
  release(): void;
}

type Waiter = (lease: Lease | Error) => void;

/** Runs node calls on a set of worker processes. */
export class ProcessPool {
  /** The most processes alive at once. */
  readonly size: number;
  readonly #options: ProcessPoolOptions;
  readonly #host: SlotHost;
  readonly #slots: ProcessSlot[] = [];
  readonly #waiters: Waiter[] = [];
  #dispatching = false;
  // Processes killed whose end has not been seen yet.
  readonly #ending = new Set<Promise<void>>();
  // The node modules seen so far, and the directories that lets a process
  // read: a new directory makes a new list (processes with an older one
  // are retired as they come free), unless processes may read everything.
  readonly #modules = new Set<string>();
  #reads: readonly string[] = readsFor([]);
  readonly #readsAll: boolean;
  // Modules every process imports as it starts (see preload()).
  readonly #preloads: string[] = [];
  #preloadSeq = 0;
  // Node descriptors by identity (one per plan node): each goes to a
  // process once, then its ref alone.
  readonly #refs = new WeakMap<TaskNode, number>();
  #nextRef = 0;

  /** A pool; no process starts before the first task or `warm()`. */
  constructor(options: ProcessPoolOptions) {
    this.size = options.processes;
    this.#options = options;
    this.#readsAll = readsAll(options.permissions);
    this.#host = {
      timeoutMs: options.timeoutMs,
      heapLimitMb: options.heapLimitMb,
      refOf: (node) => {
        let ref = this.#refs.get(node);
        if (ref === undefined) this.#refs.set(node, ref = this.#nextRef++);
        return ref;
      },
      free: () => this.#dispatch(),
      gone: (slot, ending) => {
        const index = this.#slots.indexOf(slot);
        if (index >= 0) this.#slots.splice(index, 1);
        this.#ending.add(ending);
        void ending.finally(() => this.#ending.delete(ending));
        this.#dispatch();
      },
    };
  }

  /** The ids of the processes alive now (started or starting). */
  get pids(): number[] {
    return this.#slots.map((s) => s.process.pid);
  }

  /**
   * Lets the processes started from now on read the modules at `urls`
   * (with the default read permission: their directories).
   */
  allowRead(urls: Iterable<string>): void {
    const known = this.#modules.size;
    for (const url of urls) this.#modules.add(url);
    if (this.#modules.size === known || this.#readsAll) return;
    const reads = readsFor(this.#modules);
    if (reads.join("\0") !== this.#reads.join("\0")) this.#reads = reads;
  }

  /**
   * Has every process (alive now, or started later) import `urls` ahead of
   * the first call; resolves once the live ones have. Idle processes that
   * cannot read them are replaced by ones that can.
   */
  preload(urls: readonly string[]): Promise<void> {
    this.allowRead(urls);
    const fresh = [...new Set(urls)].filter((u) => !this.#preloads.includes(u));
    this.#preloads.push(...fresh);
    try {
      for (const slot of [...this.#slots]) {
        if (slot.reads !== this.#reads) {
          if (slot.free) {
            this.#retire(slot);
            this.#spawn(); // imports every preloaded module as it starts
          }
        } else if (fresh.length > 0) {
          void slot.preload(this.#preloadSeq++, fresh);
        }
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.all(this.#slots.flatMap((s) => s.preloading)).then(() => {});
  }

  /**
   * Starts the processes not alive yet (retiring idle ones that cannot
   * read every module seen) and resolves once each is ready and has
   * imported the preloaded modules.
   */
  warm(): Promise<void> {
    try {
      for (const slot of [...this.#slots]) {
        if (slot.free && slot.reads !== this.#reads) this.#retire(slot);
      }
      while (this.#slots.length < this.size) this.#spawn();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.all(
      this.#slots.flatMap((s) => [s.ready, ...s.preloading]),
    ).then(() => {});
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
    for (const slot of [...this.#slots]) slot.kill(closed());
    while (this.#ending.size > 0) await Promise.all(this.#ending);
  }

  // Reserves `slot` for one task.
  #lease(slot: ProcessSlot): Lease {
    slot.reserve();
    let used = false;
    const use = () => {
      if (used) throw new Error("A lease runs one task");
      used = true;
    };
    return {
      run: (task, options) => {
        use();
        return slot.run(task, options);
      },
      runChunk: (chunk, options) => {
        use();
        return slot.runChunk(chunk, options);
      },
      release: () => {
        if (used) return;
        used = true;
        slot.release();
        this.#dispatch();
      },
    };
  }

  #dispatch(): void {
    if (this.#dispatching) return; // a retired process ends mid-loop
    this.#dispatching = true;
    try {
      while (this.#waiters.length > 0) {
        let slot: ProcessSlot | undefined;
        try {
          slot = this.#free();
        } catch (error) {
          this.#waiters.shift()!(error as Error);
          continue;
        }
        if (slot === undefined) break;
        this.#waiters.shift()!(this.#lease(slot));
      }
    } finally {
      this.#dispatching = false;
    }
  }

  // A process free to take a task: an idle one, or a new one while there
  // is room. Idle ones that may not read every module seen are retired.
  #free(): ProcessSlot | undefined {
    for (const slot of [...this.#slots]) {
      if (!slot.free) continue;
      if (slot.reads === this.#reads) return slot;
      this.#retire(slot);
    }
    return this.#slots.length < this.size ? this.#spawn() : undefined;
  }

  #retire(slot: ProcessSlot): void {
    slot.kill(new WorkerError("A worker process was retired"));
  }

  #spawn(): ProcessSlot {
    const flags = [
      ...permissionFlags(this.#options.permissions, this.#reads),
      ...heapFlags(this.#options.heapLimitMb),
    ];
    const slot = new ProcessSlot(flags, this.#reads, this.#host);
    this.#slots.push(slot);
    if (this.#preloads.length > 0) {
      void slot.preload(this.#preloadSeq++, this.#preloads);
    }
    return slot;
  }
}
