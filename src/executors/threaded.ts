/**
 * The threaded executor: nodes run on a pool of Deno Workers, as soon as
 * their inputs are ready and a worker is free (longest remaining path
 * first), one per worker. A node's hooks run once its worker is reserved,
 * so they see when it really starts. A worker imports the node's module and
 * calls its export; values cross by structured clone, large buffers by
 * transfer where safe.
 *
 * @module
 */
import { WorkerError } from "../errors.ts";
import { isLocal } from "../_local.ts";
import type { Plan, PlanNode } from "../plan.ts";
import type { CallStyle } from "../node.ts";
import type { TaskNode } from "./_protocol.ts";
import { bufferOf, TRANSFER_BYTES } from "./_wire.ts";
import type { Run } from "../run.ts";
import { type Heap, readyQueue } from "./_heap.ts";
import {
  checkConcurrency,
  type Executor,
  type ExecutorOptions,
} from "./executor.ts";
import { type Origin, originOf } from "./_origin.ts";
import {
  type Lease,
  type LeaseRequest,
  RemoteFailure,
  type TaskHandle,
  type WorkerPool,
} from "./pool.ts";

/** Runs each node on a worker of a pool. */
export class ThreadedExecutor implements Executor {
  /** Always `"threaded"`. */
  readonly kind = "threaded" as const;
  /** How many nodes of one run may run at once (the pool's size by default). */
  readonly concurrency: number;
  /** The workers. */
  readonly pool: WorkerPool;

  /** Creates the executor on `pool`. */
  constructor(pool: WorkerPool, options: ExecutorOptions = {}) {
    this.pool = pool;
    this.concurrency = checkConcurrency(options.concurrency ?? pool.size);
  }

  /** Runs every node of `run.plan` on the pool. */
  async execute(run: Run): Promise<unknown[]> {
    let taskNodes: (TaskNode | undefined)[];
    try {
      taskNodes = await taskNodesOf(run.plan);
    } catch (error) {
      run.stop(error as Error);
      throw error;
    }
    const halted = run.halted();
    if (halted !== undefined) throw halted;
    const schedule = new ThreadedSchedule(
      run,
      this.pool,
      this.concurrency,
      taskNodes,
    );
    return await schedule.done;
  }

  /** Terminates the pool's workers. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Whether `node` runs in this thread: the nodes a plan adds to run fan-out
 * blocks, nested pipelines (what they run goes to the workers), and what
 * modifiers generate to read fields or list a parallelizable node's items.
 * They hold no worker while they wait.
 */
export function runsHere(node: PlanNode): boolean {
  return node.synthetic || isLocal(node.fn);
}

// Per plan, what a worker needs to run each of its nodes (undefined for the
// nodes that run here), made once for every executor on every pool: the same
// descriptor object each time lets a pool send it to a worker only once.
const taskNodes = new WeakMap<Plan, Promise<(TaskNode | undefined)[]>>();

/** What workers need to run each node of `plan`; undefined where it runs here. */
export function taskNodesOf(plan: Plan): Promise<(TaskNode | undefined)[]> {
  let nodes = taskNodes.get(plan);
  if (nodes === undefined) {
    nodes = Promise.all(
      plan.nodes.map(async (n) =>
        runsHere(n) ? undefined : taskNode(n, await originOf(n.spec))
      ),
    );
    taskNodes.set(plan, nodes);
  }
  return nodes;
}

// What a worker needs to find and call `node`.
function taskNode(node: PlanNode, origin: Origin): TaskNode {
  // Block nodes run here (see runsHere), never as tasks.
  return {
    url: origin.url,
    exportName: origin.exportName,
    nodeName: node.name,
    callStyle: node.callStyle as CallStyle,
    ctxIndex: node.ctxIndex,
    tags: node.tags,
  };
}

// A node's arguments, positional or by name. A large buffer goes by
// transfer (it is detached here) only when nothing else can read it: it is
// another node's value, this node is its only consumer, and it was not
// requested as an output.
function argumentsFor(
  plan: Plan,
  node: PlanNode,
  values: readonly unknown[],
  transfer: ArrayBuffer[],
): unknown[] | Record<string, unknown> {
  const slots = node.argSlots;
  const keys = node.argKeys;
  const positional = node.callStyle === "positional";
  const args: unknown[] | Record<string, unknown> = positional
    ? new Array(slots.length)
    : {};
  for (let k = 0; k < slots.length; k++) {
    const s = slots[k]!;
    if (s < 0) {
      if (positional) (args as unknown[])[k] = undefined;
      continue;
    }
    const value = values[s];
    if (positional) (args as unknown[])[k] = value;
    else (args as Record<string, unknown>)[keys[k]!] = value;
    const buffer = bufferOf(value);
    if (
      buffer !== undefined && buffer.byteLength >= TRANSFER_BYTES &&
      s < plan.nodes.length && plan.nodes[s]!.dependents.length === 1 &&
      !plan.outputSlots.includes(s) && !transfer.includes(buffer)
    ) {
      transfer.push(buffer);
    }
  }
  return args;
}

// One threaded run: ready nodes wait in a heap (longest remaining path
// first); each free worker the pool grants takes the best ready node. A
// node's hooks are called once it holds its worker, so its start, end and
// duration are those of the work itself, not of a wait in a queue.
class ThreadedSchedule {
  readonly done: Promise<unknown[]>;
  readonly #run: Run;
  readonly #pool: WorkerPool;
  readonly #limit: number;
  readonly #taskNodes: readonly (TaskNode | undefined)[];
  readonly #nodes: readonly PlanNode[];
  readonly #remaining: number[];
  readonly #ready: Heap<number>;
  readonly #local: number[] = [];
  readonly #requests = new Set<LeaseRequest>();
  readonly #tasks = new Set<TaskHandle>();
  #running = 0;
  #completed = 0;
  #settled = false;
  #resolve!: (values: unknown[]) => void;
  #reject!: (error: Error) => void;
  readonly #onAbort = () => this.#finish(this.#run.cancellation());

  constructor(
    run: Run,
    pool: WorkerPool,
    limit: number,
    taskNodes: readonly (TaskNode | undefined)[],
  ) {
    this.#run = run;
    this.#pool = pool;
    this.#limit = limit;
    this.#taskNodes = taskNodes;
    const nodes = this.#nodes = run.plan.nodes;
    this.#remaining = run.plan.dependencyCounts.slice();
    this.#ready = readyQueue(nodes);
    for (const root of run.plan.roots) this.#enqueue(root);
    this.done = new Promise<unknown[]>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Cancellation stops at once: pending requests are withdrawn and busy
    // workers see ctx.signal abort (and end if their node does not stop).
    run.signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#pump();
  }

  // A node whose inputs are ready waits for a worker, or runs here.
  #enqueue(index: number): void {
    if (this.#taskNodes[index] === undefined) this.#local.push(index);
    else this.#ready.push(index);
  }

  // Its dependents whose inputs are now all ready are enqueued.
  #release(node: PlanNode): void {
    for (const d of node.dependents) {
      if (--this.#remaining[d]! === 0) this.#enqueue(d);
    }
    this.#pump();
  }

  // Runs a node that runs here (see runsHere): no worker is reserved.
  #runHere(index: number): void {
    const run = this.#run;
    const node = this.#nodes[index]!;
    let value: unknown;
    try {
      value = run.invoke(node);
    } catch (error) {
      return this.#finish(run.fail(node, error));
    }
    Promise.resolve(value).then(
      (result) => {
        if (this.#settled) return;
        run.values[index] = result;
        this.#completed++;
        this.#release(node);
      },
      (error) => this.#finish(run.fail(node, error)),
    );
  }

  // Asks for one worker per ready node, within the limit.
  #pump(): void {
    if (this.#settled) return;
    const halted = this.#run.halted();
    if (halted !== undefined) return this.#finish(halted);
    if (this.#completed === this.#nodes.length) return this.#finish(undefined);
    while (this.#local.length > 0) this.#runHere(this.#local.pop()!);
    if (this.#settled) return;
    while (
      this.#ready.size > this.#requests.size &&
      this.#requests.size + this.#running < this.#limit
    ) {
      // A free worker is taken at once; otherwise the node waits in line.
      const lease = this.#requests.size === 0
        ? this.#pool.tryAcquire()
        : undefined;
      if (lease !== undefined) {
        this.#start(lease);
        if (this.#settled) return;
        continue;
      }
      const request = this.#pool.acquire();
      this.#requests.add(request);
      request.promise.then(
        (lease) => {
          this.#requests.delete(request);
          this.#start(lease);
        },
        (error) => {
          this.#requests.delete(request);
          this.#finish(error);
        },
      );
    }
  }

  #start(lease: Lease): void {
    const run = this.#run;
    const halted = run.halted();
    const next = this.#settled || halted !== undefined
      ? undefined
      : this.#ready.pop();
    if (next === undefined) {
      lease.release();
      if (halted !== undefined) this.#finish(halted);
      return;
    }
    const node = this.#nodes[next]!;
    this.#running++;
    let value: unknown;
    try {
      value = run.invoke(node, (n, values) => this.#call(n, values, lease));
    } catch (error) {
      lease.release();
      this.#running--;
      return this.#finish(run.fail(node, error));
    }
    Promise.resolve(value).then(
      (result) => {
        lease.release(); // if a hook answered without calling the node
        this.#running--;
        if (this.#settled) return;
        run.values[node.index] = result;
        this.#completed++;
        this.#release(node);
      },
      (error) => {
        lease.release();
        this.#running--;
        this.#finish(run.fail(node, error));
      },
    );
  }

  #call(node: PlanNode, values: unknown[], lease: Lease): Promise<unknown> {
    const run = this.#run;
    const transfer: ArrayBuffer[] = [];
    const args = argumentsFor(run.plan, node, values, transfer);
    const handle = lease.run({
      type: "call",
      node: this.#taskNodes[node.index]!,
      args,
      runId: run.runId,
      item: run.item,
    }, {
      label: `node "${node.name}"`,
      nodeName: node.name,
      transfer,
      onLog: (log) => run.log(node, log.message, log.data),
    });
    this.#tasks.add(handle);
    return handle.promise.then(
      (value) => {
        this.#tasks.delete(handle);
        return value;
      },
      (error) => {
        this.#tasks.delete(handle);
        throw error instanceof RemoteFailure ? error.error : error;
      },
    );
  }

  // Settles the run once. Whatever is still pending is withdrawn: a failed
  // or cancelled run's other nodes are not needed any more.
  #finish(error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#run.signal?.removeEventListener("abort", this.#onAbort);
    for (const request of this.#requests) request.cancel();
    this.#requests.clear();
    if (this.#tasks.size > 0) {
      const reason = error ?? new WorkerError(`Run ${this.#run.runId} ended`);
      for (const task of this.#tasks) task.cancel(reason);
      this.#tasks.clear();
    }
    if (error === undefined) this.#resolve(this.#run.values);
    else this.#reject(error);
  }
}
