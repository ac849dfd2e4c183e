// Runs one node at a time in this thread, walking the plan's serial order:
// the scheduler's loop when nothing else can be running at once (no queue,
// no counts of calls in flight). Also how a run continuing past failures
// skips what depends on them.
import { isThenable } from "./_thenable.ts";
import { HookError, RunFailedError } from "./errors.ts";
import type { PlanNode } from "./plan.ts";
import type { Run } from "./run.ts";
import { mayRetry, retryPolicyOf, withRetries } from "./_retry.ts";

// Skips `node`'s dependents, and theirs, for good: their counts can never
// reach zero again. Returns how many were skipped.
const NEVER = -(2 ** 30);
export function skipDownstream(
  node: PlanNode,
  nodes: readonly PlanNode[],
  remaining: number[] | Int32Array,
  skipped: string[],
): number {
  let count = 0;
  const stack = [node];
  while (stack.length > 0) {
    for (const d of stack.pop()!.dependents) {
      if (remaining[d]! <= NEVER / 2) continue;
      remaining[d] = NEVER;
      skipped.push(nodes[d]!.name);
      count++;
      stack.push(nodes[d]!);
    }
  }
  return count;
}

// One node at a time on this thread: the plan's serial order, as an array.
// Nodes that return values run in one synchronous stretch; the run becomes
// async only at the first node that returns a promise, and goes on after
// it in a loop with few locals (a map runs this once per item).
export function runSerially(run: Run): Promise<unknown[]> {
  const walk: Walk = {
    run,
    k: 0,
    retries: mayRetry(run),
    node: undefined,
    pending: undefined,
    failures: undefined,
  };
  try {
    return advance(walk) ? resume(walk) : Promise.resolve(finish(walk));
  } catch (error) {
    return Promise.reject(error);
  }
}

// Where a serial run stands.
interface Walk {
  readonly run: Run;
  // The position in the serial order of the next node to start.
  k: number;
  readonly retries: boolean;
  // The node whose promise `pending` is, when one is awaited.
  node: PlanNode | undefined;
  pending: PromiseLike<unknown> | undefined;
  // Continuing past failures: what failed, what was skipped for it.
  failures: Failures | undefined;
}

interface Failures {
  readonly errors: unknown[];
  readonly skipped: string[];
  // Counts used only to mark skipped nodes.
  readonly remaining: Int32Array;
}

// Starts nodes from `walk.k` on while they return values; true when one
// returned a promise (left in `walk.pending`), false at the end. Throws
// when the run fails.
function advance(walk: Walk): boolean {
  const run = walk.run;
  const { nodes, serialOrder: order } = run.plan;
  const signal = run.signal;
  for (; walk.k < order.length; walk.k++) {
    if (run.stopped !== undefined) throw run.stopped;
    if (signal?.aborted) throw run.cancellation();
    const i = order[walk.k]!;
    if (walk.failures?.remaining[i] === NEVER) continue;
    const node = nodes[i]!;
    let value: unknown;
    try {
      const policy = walk.retries ? retryPolicyOf(run, node) : undefined;
      value = policy === undefined
        ? run.invokeInline(node)
        : withRetries(run, node, policy, () => run.invoke(node));
    } catch (error) {
      failed(walk, node, error);
      continue;
    }
    if (isThenable(value)) {
      walk.node = node;
      walk.pending = value;
      return true;
    }
    run.values[i] = value;
  }
  return false;
}

// Awaits each node that returned a promise, and goes on with the next.
async function resume(walk: Walk): Promise<unknown[]> {
  const run = walk.run;
  do {
    const node = walk.node!;
    try {
      const value = await walk.pending;
      if (run.defers) run.settled(node, true, value);
      run.values[node.index] = value;
    } catch (error) {
      if (run.defers) run.settled(node, false, error);
      failed(walk, node, error);
    }
    walk.k++;
  } while (advance(walk));
  return finish(walk);
}

// A node failed: the run fails, or (continuing past failures) the failure
// is recorded and what depends on it skipped.
function failed(walk: Walk, node: PlanNode, error: unknown): void {
  const run = walk.run;
  if (run.stopped !== undefined) throw run.stopped;
  if (run.onFailure !== "continue" || error instanceof HookError) {
    throw run.fail(node, error);
  }
  const nodes = run.plan.nodes;
  const failures = walk.failures ??= {
    errors: [],
    skipped: [],
    remaining: new Int32Array(nodes.length),
  };
  failures.errors.push(run.failure(node, error));
  skipDownstream(node, nodes, failures.remaining, failures.skipped);
}

// The run's values once every node ran, or why it failed.
function finish(walk: Walk): unknown[] {
  const run = walk.run;
  if (run.stopped !== undefined) throw run.stopped; // e.g. a failed onLog hook
  const failures = walk.failures;
  if (failures !== undefined) {
    throw new RunFailedError(run.runId, failures.errors, failures.skipped);
  }
  return run.values;
}
