/**
 * The threaded executor: nodes run on a pool of Deno Workers, one per
 * worker. The scheduler hands a node over as soon as its inputs are ready
 * (in braid's scheduling order); it starts once a worker is free, and its
 * hooks then, so they see when it really starts. A worker imports the
 * node's module and calls its export; values cross by structured clone,
 * large buffers by transfer where safe.
 *
 * @module
 */
import type { Plan, PlanNode } from "../plan.ts";
import type { NodeSpec } from "../node.ts";
import type { CallTask, TaskNode } from "./_protocol.ts";
import { bufferOf, TRANSFER_BYTES } from "./_wire.ts";
import {
  checkConcurrency,
  type Executor,
  type ExecutorCall,
  type ExecutorOptions,
} from "./executor.ts";
import { Call } from "../_executor_call.ts";
import { invokeLeased } from "./_lease.ts";
import { wireArguments } from "../_call.ts";
import { type Origin, originOf } from "./_origin.ts";
import {
  type Lease,
  type Preload,
  RemoteFailure,
  WorkerPool,
  type WorkerPoolOptions,
} from "./pool.ts";

// The pool `onPool` hands the constructor (which keeps its public
// signature: options only).
let sharedPool: WorkerPool | undefined;

/** Options of the threaded executor: its worker pool and its limit. */
export interface ThreadedExecutorOptions extends WorkerPoolOptions {
  /**
   * How many nodes of one run may run at once.
   *
   * @default {the number of workers}
   */
  readonly concurrency?: number;
}

/**
 * Runs each node on a worker of a pool of Deno Workers, one node per worker
 * at a time. A worker imports the node's module and calls its export, so
 * nodes must come from module files; values cross by structured clone,
 * large buffers by transfer where safe. A node's hooks run once it holds
 * its worker, so they see when it really starts.
 *
 * @example
 * ```ts ignore
 * import { Builder, ThreadedExecutor } from "@braid/braid";
 * const executor = new ThreadedExecutor({ workers: 4, prestart: true });
 * await executor.warm(); // the first run pays no worker start-up
 * const dr = await new Builder()
 *   .withModules(import.meta.resolve("./nodes.ts"))
 *   .withExecutor(executor)
 *   .build();
 * ```
 */
export class ThreadedExecutor implements Executor {
  /** Always `"threaded"`. */
  readonly name = "threaded" as const;
  /** How many nodes of one run may run at once (the pool's size by default). */
  readonly concurrency: number;
  readonly #pool: WorkerPool;
  readonly #prestart: boolean;

  /** Creates the executor and its pool (no worker starts before the first task, unless `prestart`). */
  constructor(options: ThreadedExecutorOptions = {}) {
    const concurrency = options.concurrency;
    if (concurrency !== undefined) checkConcurrency(concurrency);
    this.#pool = sharedPool ?? new WorkerPool(options);
    this.#prestart = options.prestart === true;
    this.concurrency = concurrency ?? this.#pool.size;
  }

  /** The workers of `executor` (a map executor shares them). */
  static poolOf(executor: ThreadedExecutor): WorkerPool {
    return executor.#pool;
  }

  /** An executor on an existing pool (a map executor shares the node executor's). */
  static onPool(
    pool: WorkerPool,
    options: ExecutorOptions = {},
  ): ThreadedExecutor {
    sharedPool = pool;
    try {
      return new ThreadedExecutor(options);
    } finally {
      sharedPool = undefined;
    }
  }

  /**
   * Runs `call` on a free worker, once one is free: the node's hooks start
   * then. Nodes that run here (see `runsHere`) run at once.
   */
  run(call: ExecutorCall): unknown {
    if (!(call instanceof Call)) {
      throw new TypeError(
        "ThreadedExecutor.run() takes the calls braid's scheduler hands out",
      );
    }
    if (runsHere(call.node)) return call.execute();
    return this.#runOnWorker(call);
  }

  async #runOnWorker(call: Call): Promise<unknown> {
    const plan = call.run.plan;
    const taskNodes = taskNodesNow(plan) ?? await taskNodesOf(plan);
    const taskNode = taskNodes[call.node.index]!;
    const run = call.run;
    const halted = run.halted();
    if (halted !== undefined) throw halted;
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
    const transfer: ArrayBuffer[] = [];
    const args = argumentsFor(run.plan, node, values, transfer);
    const traceparent = run.traceparent(node);
    const task: Omit<CallTask, "id"> = {
      type: "call",
      node: taskNode,
      args,
      runId: run.runId,
      item: run.item,
    };
    const handle = lease.run(
      traceparent === undefined ? task : { ...task, traceparent },
      {
        label: `node "${node.name}"`,
        nodeName: node.name,
        transfer,
        onLog: (log) =>
          log.warning === true
            ? run.warn(node, log.message, log.data)
            : run.log(node, log.message, log.data),
      },
    );
    // A run that stops while the node runs cancels it (its worker sees
    // ctx.signal abort, and ends if the node does not stop).
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

  /** Whether its workers start with it (the `prestart` option). */
  get prestarts(): boolean {
    return this.#prestart;
  }

  /**
   * Has every worker (alive now, or started later) import `urls` (node
   * modules) ahead of the first call; resolves once the live ones have. A
   * driver built on a prestarted executor does this with its own node
   * modules (its workers also find the nodes' functions there), and
   * `warm()` resolves once it is done.
   */
  preload(urls: readonly string[]): Promise<void> {
    return this.#pool.preload({ urls });
  }

  /**
   * Starts every worker and resolves once each has loaded its entry,
   * imported the modules preloaded so far (see `preload`; for a driver
   * built on a prestarted executor, its node modules) and answered a few
   * no-op calls, so that the first run pays neither start-up nor the
   * compiling of the call path between the threads.
   */
  warm(): Promise<void> {
    return this.#pool.warm();
  }

  /** Terminates the pool's workers. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

/**
 * Whether `node` runs in this thread: the nodes a plan adds to run fan-out
 * blocks, nested pipelines (what they run goes to the workers), and what
 * modifiers generate to read fields or list a parallelizable node's items.
 * They hold no worker while they wait.
 */
export function runsHere(node: PlanNode): boolean {
  return node.kind !== "task" || node.spec.local === true;
}

// What a worker needs to run a node, per spec: made once for every plan,
// executor and pool, so that each pool sends it to a worker only once (and
// a prestarted pool ahead of the first call; see preloadPrestarted). Once
// made, it is also kept as it is: a call then takes it without a wait.
const specNodes = new WeakMap<NodeSpec, Promise<TaskNode>>();
const madeNodes = new WeakMap<NodeSpec, TaskNode>();

// Per plan, the descriptor of each of its nodes (undefined for the nodes
// that run here); once all are made, also as they are.
const taskNodes = new WeakMap<Plan, Promise<(TaskNode | undefined)[]>>();
const madeTaskNodes = new WeakMap<Plan, (TaskNode | undefined)[]>();

/**
 * Has each prestarted threaded executor among `executors` import the
 * modules of `specs` in every worker, and find their functions there;
 * resolves once they all have. Their `warm()` waits for this from the
 * moment it is called, while the list of modules is still being made.
 */
export function preloadPrestarted(
  executors: readonly Executor[],
  specs: Iterable<NodeSpec>,
): Promise<void> {
  const prestarted = executors.filter((e) =>
    e instanceof ThreadedExecutor && e.prestarts
  ) as ThreadedExecutor[];
  if (prestarted.length === 0) return Promise.resolve();
  const preload = preloadOf(specs);
  return Promise.all(
    prestarted.map((e) => ThreadedExecutor.poolOf(e).preload(preload)),
  ).then(() => {});
}

/**
 * The nodes of `specs` and the modules that hold their functions, for
 * workers to import ahead of time; nodes that cannot run on a worker are
 * left out (they fail when they run, with the reason).
 */
async function preloadOf(specs: Iterable<NodeSpec>): Promise<Preload> {
  const found = await Promise.all(
    [...specs].map((spec) =>
      spec.local === true ? undefined : taskNodeOf(spec).catch(() => undefined)
    ),
  );
  const nodes = found.filter((node) => node !== undefined);
  return { urls: [...new Set(nodes.map((node) => node.url))], nodes };
}

/** What workers need to run each node of `plan`; undefined where it runs here. */
export function taskNodesOf(plan: Plan): Promise<(TaskNode | undefined)[]> {
  let nodes = taskNodes.get(plan);
  if (nodes === undefined) {
    nodes = Promise.all(
      plan.nodes.map((n) => runsHere(n) ? undefined : taskNodeOf(n.spec)),
    );
    nodes.then((made) => madeTaskNodes.set(plan, made), () => {});
    taskNodes.set(plan, nodes);
  }
  return nodes;
}

/**
 * What `taskNodesOf(plan)` resolves to, if every descriptor is made already
 * (as a prestarted executor's preload makes them): undefined otherwise.
 */
export function taskNodesNow(
  plan: Plan,
): (TaskNode | undefined)[] | undefined {
  let made = madeTaskNodes.get(plan);
  if (made !== undefined) return made;
  made = new Array(plan.nodes.length);
  for (const n of plan.nodes) {
    if (runsHere(n)) continue;
    const node = madeNodes.get(n.spec);
    if (node === undefined) return undefined;
    made[n.index] = node;
  }
  madeTaskNodes.set(plan, made);
  return made;
}

// What a worker needs to find and call the node of `spec` (a task node of
// a plan: named, called and tagged as its spec says).
function taskNodeOf(spec: NodeSpec): Promise<TaskNode> {
  let node = specNodes.get(spec);
  if (node === undefined) {
    node = originOf(spec).then((origin) => {
      const made = taskNode(spec, origin);
      madeNodes.set(spec, made);
      return made;
    });
    specNodes.set(spec, node);
  }
  return node;
}

function taskNode(spec: NodeSpec, origin: Origin): TaskNode {
  return {
    url: origin.url,
    exportName: origin.exportName,
    nodeName: spec.name,
    callStyle: spec.callStyle,
    ctxIndex: spec.ctxIndex,
    tags: spec.tags,
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
  for (let k = 0; k < slots.length; k++) {
    const s = slots[k]!;
    if (s < 0) continue;
    const buffer = bufferOf(values[s]);
    if (
      buffer !== undefined && buffer.byteLength >= TRANSFER_BYTES &&
      s < plan.nodes.length && plan.nodes[s]!.dependents.length === 1 &&
      !plan.outputSlots.includes(s) && !transfer.includes(buffer)
    ) {
      transfer.push(buffer);
    }
  }
  return wireArguments(node, values);
}
