/**
 * The scheduler: braid's one ready-set loop, for every executor. It owns a
 * run's dependency counts, the ready queue and its order, each executor's
 * concurrency limit, the failure policy, cancellation and settling; an
 * executor only carries out the calls it is given.
 *
 * Order: among ready nodes the lowest plan rank starts first (higher
 * `priority`, then the longer remaining path, then declaration order; see
 * `plan.ts`), on every executor and at every limit. When one node runs at a
 * time on this thread, that order is the plan's precomputed serial order and
 * the loop walks it as an array.
 *
 * Sync results release their dependents inside the loop (never by
 * recursion), so a 100,000-node chain cannot overflow the stack.
 *
 * @module
 */
import { isThenable } from "./_thenable.ts";
import { HookError, RunFailedError } from "./errors.ts";
import type { Executor } from "./executors/executor.ts";
import { AsyncExecutor } from "./executors/async.ts";
import { SequentialExecutor } from "./executors/sequential.ts";
import { IntQueue } from "./executors/_heap.ts";
import type { PlanNode } from "./plan.ts";
import type { Run } from "./run.ts";
import { Call } from "./_executor_call.ts";
import { runSerially, skipDownstream } from "./_serial.ts";
import { mayRetry, retryPolicyOf, withRetries } from "./_retry.ts";

/**
 * What happens when a node fails: `"stop"` (nothing new starts; the run
 * rejects with the failure) or `"continue"` (everything that does not
 * depend on a failed node still runs; the run then rejects with a
 * `RunFailedError` listing every failure).
 */
export type FailurePolicy = "stop" | "continue";

/** Where a run's nodes go: its executors, and which one each node takes. */
export interface Lanes {
  /** The executors, by lane index. */
  readonly executors: readonly Executor[];
  /** The lane of `node` in `run`; absent when every node takes lane 0. */
  readonly laneOf?: (node: PlanNode, run: Run) => number;
  /** Each lane's executor by the name it was given (routing's keys). */
  readonly names?: readonly string[];
  /** Called with each node's duration when durations are wanted. */
  readonly measured?:
    | ((node: PlanNode, durationMs: number) => void)
    | undefined;
}

// The lanes of a map executor's own node executor, made once for it.
const soleLanes = new WeakMap<Executor, Lanes>();

/** Lanes that send every node to `executor`. */
export function soleLane(executor: Executor): Lanes {
  let lanes = soleLanes.get(executor);
  if (lanes === undefined) {
    soleLanes.set(executor, lanes = { executors: [executor] });
  }
  return lanes;
}

// Whether calls on `executor` run in this thread unchanged, so the loop may
// call the node itself instead of building a Call for the executor.
function inline(executor: Executor): boolean {
  return executor instanceof SequentialExecutor ||
    executor instanceof AsyncExecutor;
}

/**
 * Runs every node of `run.plan` and resolves with `run.values`. Rejects
 * with the first failure (or, when the run continues past failures, a
 * `RunFailedError` once everything else has settled).
 */
export function schedule(run: Run, lanes: Lanes): Promise<unknown[]> {
  run.lanes = lanes;
  // Each node's lane for this run, when nodes are routed: worked out once,
  // as the run starts.
  let laneOf: Int32Array | undefined;
  let only = 0;
  if (lanes.laneOf !== undefined) {
    try {
      laneOf = routeAll(run, lanes.laneOf);
      run.routedLanes = laneOf;
    } catch (error) {
      // A route that fails (or names no executor) fails the run.
      run.stop(error as Error);
      return Promise.reject(error);
    }
    only = laneOf.length === 0 ? 0 : laneOf[0]!;
    if (laneOf.some((lane) => lane !== only)) only = -1;
  }
  // One node at a time on this thread: the executor allows no more, or
  // the plan never has two ready (a chain) and the executor runs calls here.
  if (only >= 0 && lanes.measured === undefined) {
    const facts = factsOf(lanes);
    if (
      facts.serial[only] === true ||
      (run.plan.oneAtATime && facts.inline[only] === true)
    ) return runSerially(run);
  }
  return new Promise<unknown[]>((resolve, reject) => {
    new Schedule(run, lanes, laneOf, resolve, reject).pump();
  });
}

function routeAll(
  run: Run,
  laneOf: (node: PlanNode, run: Run) => number,
): Int32Array {
  const nodes = run.plan.nodes;
  const lanes = new Int32Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) lanes[i] = laneOf(nodes[i]!, run);
  return lanes;
}

// What the scheduler needs to know of a set of lanes, worked out once per
// lanes object rather than once per run (a map runs thousands of runs).
interface LaneFacts {
  readonly inline: readonly boolean[];
  readonly limits: readonly number[];
  /** Lanes whose calls run here, one at a time: the serial loop's. */
  readonly serial: readonly boolean[];
}
const laneFacts = new WeakMap<Lanes, LaneFacts>();
// The last lanes asked about: a map asks about the same lanes per item.
let lastLanes: Lanes | undefined;
let lastFacts: LaneFacts | undefined;
function factsOf(lanes: Lanes): LaneFacts {
  if (lanes === lastLanes) return lastFacts!;
  let facts = laneFacts.get(lanes);
  if (facts === undefined) {
    facts = {
      inline: lanes.executors.map(inline),
      limits: lanes.executors.map((e) => e.concurrency),
      serial: lanes.executors.map((e) => inline(e) && e.concurrency === 1),
    };
    laneFacts.set(lanes, facts);
  }
  lastLanes = lanes;
  lastFacts = facts;
  return facts;
}

// Ready nodes are kept as ranks, so the queue compares plain integers; the
// plan's `byRank` turns a rank back into its node.
const newQueue = (): IntQueue => new IntQueue();

// The bookkeeping of one run: remaining dependency counts, a ready queue
// per lane, how many calls are in flight on each. Lives as long as the run.
class Schedule {
  readonly #run: Run;
  readonly #nodes: readonly PlanNode[];
  readonly #byRank: Int32Array;
  readonly #lanes: Lanes;
  readonly #laneOf: Int32Array | undefined;
  readonly #facts: LaneFacts;
  // Lane 0's queue and count, apart: most runs have one lane.
  readonly #queue: IntQueue;
  #running = 0;
  // Other lanes', made only when there are other lanes.
  readonly #queues: IntQueue[] | undefined;
  readonly #runningOn: number[] | undefined;
  // When durations are wanted: each node's start, and who hears its end.
  readonly #timing:
    | {
      readonly starts: Float64Array;
      readonly measured: (node: PlanNode, ms: number) => void;
    }
    | undefined;
  readonly #remaining: number[];
  readonly #resolve: (values: unknown[]) => void;
  readonly #reject: (error: Error) => void;
  // Continuing past failures: what failed, and what was skipped for it.
  #failures: { errors: unknown[]; skipped: string[] } | undefined;
  // Calls in flight on executors that run them their own way: told when
  // the run stops, so they are withdrawn or cancelled.
  #calls: Set<Call> | undefined;
  #done = 0;
  #settled = false;
  // Whether some node may be retried (else no node's policy is looked up).
  readonly #retries: boolean;
  // What #launch kept for its calling strand to await.
  #keptNode: PlanNode | undefined;
  #keptLane = 0;
  #kept: PromiseLike<unknown> | undefined;

  constructor(
    run: Run,
    lanes: Lanes,
    laneOf: Int32Array | undefined,
    resolve: (values: unknown[]) => void,
    reject: (error: Error) => void,
  ) {
    const plan = run.plan;
    this.#run = run;
    this.#nodes = plan.nodes;
    this.#byRank = plan.byRank;
    this.#lanes = lanes;
    this.#laneOf = laneOf;
    this.#facts = factsOf(lanes);
    this.#queue = newQueue();
    const count = lanes.executors.length;
    if (count > 1) {
      this.#queues = [this.#queue];
      this.#runningOn = [0];
      for (let lane = 1; lane < count; lane++) {
        this.#queues.push(newQueue());
        this.#runningOn.push(0);
      }
    }
    // Read once: whether this run is timed must not change as it goes.
    const measured = lanes.measured;
    if (measured !== undefined) {
      this.#timing = {
        starts: new Float64Array(plan.nodes.length),
        measured,
      };
    }
    this.#remaining = plan.dependencyCounts.slice();
    this.#retries = mayRetry(run);
    this.#resolve = resolve;
    this.#reject = reject;
    run.driver = this;
    const roots = plan.roots;
    for (let k = 0; k < roots.length && !this.#settled; k++) {
      this.#enqueue(roots[k]!);
    }
  }

  // Starts ready nodes until every lane is at its limit or none is ready;
  // sync results release their dependents into the same loop.
  pump(): void {
    this.#launch(false);
  }

  /** The run stopped (failed, or cancelled): settle now. */
  stopped(error: Error): void {
    this.#finish(error);
  }

  #enqueue(index: number): void {
    const node = this.#nodes[index]!;
    const laneOf = this.#laneOf;
    if (laneOf === undefined) this.#queue.push(node.rank);
    else (this.#queues?.[laneOf[index]!] ?? this.#queue).push(node.rank);
  }

  #inFlight(lane: number): number {
    return lane === 0 ? this.#running : this.#runningOn![lane]!;
  }

  // With several lanes: the lane whose best ready node starts next, or -1.
  #nextLane(): number {
    const queues = this.#queues!;
    const limits = this.#facts.limits;
    let best = -1;
    let bestRank = Infinity;
    for (let lane = 0; lane < queues.length; lane++) {
      if (this.#inFlight(lane) >= limits[lane]!) continue;
      const rank = queues[lane]!.peek();
      if (rank !== undefined && rank < bestRank) {
        best = lane;
        bestRank = rank;
      }
    }
    return best;
  }

  // pump()'s loop. With `keep`, the last node started that returns a
  // promise is left in #kept for the calling strand to await, rather than
  // given an awaiting strand of its own: a chain of async nodes then runs
  // on one strand, with no new async frame per node. The last, not the
  // first: strands resume in the order they began awaiting, so nodes
  // started together are awaited in the order they started, and the kept
  // one, awaited after #launch returns, comes last. (Awaited out of order,
  // a layered graph of async nodes ran a fifth slower.)
  #launch(keep: boolean): boolean {
    const run = this.#run;
    const signal = run.signal;
    const inlineLanes = this.#facts.inline;
    let kept = false;
    while (!this.#settled) {
      if (run.stopped !== undefined) {
        this.#finish(run.stopped);
        return false;
      }
      if (signal?.aborted) {
        this.#finish(run.cancellation());
        return false;
      }
      let lane = 0;
      let rank: number | undefined;
      if (this.#queues === undefined) {
        // One lane: the queue's head, while the limit allows.
        if (this.#running >= this.#facts.limits[0]!) break;
        rank = this.#queue.pop();
        if (rank === undefined) break;
      } else {
        lane = this.#nextLane();
        if (lane < 0) break;
        rank = this.#queues[lane]!.pop()!;
      }
      const node = this.#nodes[this.#byRank[rank]!]!;
      if (this.#timing !== undefined) {
        this.#timing.starts[node.index] = performance.now();
      }
      let value: unknown;
      const policy = this.#retries ? retryPolicyOf(run, node) : undefined;
      if (policy !== undefined) {
        try {
          value = withRetries(
            run,
            node,
            policy,
            inlineLanes[lane]
              ? () => run.invoke(node)
              : () => this.#hand(lane, node),
          );
        } catch (error) {
          this.#failed(node, error);
          continue;
        }
      } else if (inlineLanes[lane]) {
        try {
          value = run.invokeInline(node);
        } catch (error) {
          this.#failed(node, error);
          continue;
        }
      } else {
        try {
          value = this.#hand(lane, node);
        } catch (error) {
          this.#failed(node, error);
          continue;
        }
      }
      if (isThenable(value)) {
        if (lane === 0) this.#running++;
        else this.#runningOn![lane]!++;
        if (!keep) void this.#strand(node, lane, value);
        else {
          if (kept) {
            void this.#strand(this.#keptNode!, this.#keptLane, this.#kept!);
          }
          kept = true;
          this.#keptNode = node;
          this.#keptLane = lane;
          this.#kept = value;
        }
      } else {
        this.#complete(node, value);
      }
    }
    this.#check();
    return kept && !this.#settled;
  }

  // Hands `node` to the executor of `lane` (one that runs calls its own
  // way), keeping the call in the in-flight set until it settles. Apart
  // from #launch, which stays small for the common, inline case.
  #hand(lane: number, node: PlanNode): unknown {
    const call = new Call(this.#run, node);
    const value = this.#lanes.executors[lane]!.run(call);
    if (!isThenable(value)) return value;
    const calls = this.#calls ??= new Set();
    calls.add(call);
    return Promise.resolve(value).finally(() => calls.delete(call));
  }

  // Awaits a node's promise, completes it, and goes on with a node it
  // releases, if one returns a promise. (Awaiting is cheaper than then()
  // with two closures.)
  async #strand(
    node: PlanNode,
    lane: number,
    promise: PromiseLike<unknown>,
  ): Promise<void> {
    for (;;) {
      let value: unknown;
      try {
        value = await promise;
      } catch (error) {
        if (this.#run.defers) {
          this.#run.settled(node, false, error);
        }
        if (lane === 0) this.#running--;
        else this.#runningOn![lane]!--;
        if (this.#settled) return;
        this.#failed(node, error);
        this.pump();
        return;
      }
      if (this.#run.defers) {
        this.#run.settled(node, true, value);
      }
      if (lane === 0) this.#running--;
      else this.#runningOn![lane]!--;
      if (this.#settled) return;
      this.#complete(node, value);
      if (!this.#launch(true)) return;
      node = this.#keptNode!;
      lane = this.#keptLane;
      promise = this.#kept!;
    }
  }

  #complete(node: PlanNode, value: unknown): void {
    this.#run.values[node.index] = value;
    this.#done++;
    const timing = this.#timing;
    if (timing !== undefined) {
      timing.measured(node, performance.now() - timing.starts[node.index]!);
    }
    const dependents = node.dependents;
    const remaining = this.#remaining;
    for (let k = 0; k < dependents.length; k++) {
      const d = dependents[k]!;
      if (--remaining[d]! === 0) this.#enqueue(d);
    }
  }

  // A node failed: the run stops, or (continuing past failures) the node's
  // dependents are skipped and the rest goes on.
  #failed(node: PlanNode, error: unknown): void {
    const run = this.#run;
    // A hook that throws fails the run whatever the policy.
    if (
      run.onFailure !== "continue" || run.stopped !== undefined ||
      error instanceof HookError
    ) {
      this.#finish(run.fail(node, error));
      return;
    }
    const failed = this.#failures ??= { errors: [], skipped: [] };
    failed.errors.push(run.failure(node, error));
    this.#done += 1 +
      skipDownstream(node, this.#nodes, this.#remaining, failed.skipped);
  }

  // Settles the run once every node is done or skipped.
  #check(): void {
    if (this.#settled || this.#done < this.#nodes.length) return;
    const run = this.#run;
    if (run.stopped !== undefined) return this.#finish(run.stopped);
    const failed = this.#failures;
    if (failed !== undefined) {
      return this.#finish(
        new RunFailedError(run.runId, failed.errors, failed.skipped),
      );
    }
    this.#finish(undefined);
  }

  #finish(error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#run.driver = undefined;
    if (error === undefined) this.#resolve(this.#run.values);
    else {
      this.#run.stop(error);
      if (this.#calls !== undefined) {
        for (const call of this.#calls) call.abort(error);
        this.#calls.clear();
      }
      this.#reject(error);
    }
  }
}
