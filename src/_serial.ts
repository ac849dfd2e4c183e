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
export async function runSerially(run: Run): Promise<unknown[]> {
  const plan = run.plan;
  const nodes = plan.nodes;
  const order = plan.serialOrder;
  const values = run.values;
  const signal = run.signal;
  const goOn = run.onFailure === "continue";
  let remaining: Int32Array | undefined; // only to mark skipped nodes
  let failures: unknown[] | undefined;
  let skipped: string[] | undefined;
  const retries = mayRetry(run);
  for (let k = 0; k < order.length; k++) {
    if (run.stopped !== undefined) throw run.stopped;
    if (signal?.aborted) throw run.cancellation();
    const i = order[k]!;
    if (remaining !== undefined && remaining[i] === NEVER) continue;
    const node = nodes[i]!;
    let value: unknown;
    try {
      const policy = retries ? retryPolicyOf(run, node) : undefined;
      value = policy === undefined
        ? run.invokeInline(node)
        : withRetries(run, node, policy, () => run.invoke(node));
      if (isThenable(value)) {
        try {
          value = await value;
        } catch (error) {
          if (run.defers) run.settled(node, false, error);
          throw error;
        }
        if (run.defers) run.settled(node, true, value);
      }
    } catch (error) {
      if (run.stopped !== undefined) throw run.stopped;
      if (!goOn || error instanceof HookError) throw run.fail(node, error);
      (failures ??= []).push(run.failure(node, error));
      remaining ??= new Int32Array(nodes.length);
      skipDownstream(node, nodes, remaining, skipped ??= []);
      continue;
    }
    values[i] = value;
  }
  if (run.stopped !== undefined) throw run.stopped; // e.g. a failed onLog hook
  if (failures !== undefined) {
    throw new RunFailedError(run.runId, failures, skipped);
  }
  return values;
}
