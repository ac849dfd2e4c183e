// A node call with node-level hooks around it: beforeNodeExecution, the
// executeNode wrappers, afterNodeExecution. Only runs whose adapters have
// node hooks take this path; the others call the node directly.
import { HookError, ValidationError, WorkerError } from "./errors.ts";
import type { Hooks } from "./hooks.ts";
import type { PlanNode } from "./plan.ts";
import { argumentsOf } from "./_call.ts";
import type { NodeCall, Run } from "./run.ts";

/** Calls `node` in `run` inside the hooks; resolves with its value. */
export async function invokeWithHooks(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  call: NodeCall,
): Promise<unknown> {
  const event = {
    runId: run.runId,
    nodeName: node.name,
    tags: node.tags,
    inputs: argumentsOf(node, run.values),
    taskId: run.item === undefined
      ? `${run.runId}/${node.name}`
      : `${run.runId}/${run.item}/${node.name}`,
    ...(run.item === undefined ? {} : { item: run.item }),
  };
  await hooks.call("beforeNodeExecution", event);
  // Async hooks give the run time to fail or be cancelled: a node must not
  // start after that, whichever hook let time pass.
  const halted = run.halted();
  if (halted !== undefined) throw halted;
  const start = performance.now();
  let result: unknown;
  let error: unknown;
  let success = false;
  try {
    result = await hooks.wrap(event, () => {
      const stopped = run.halted();
      if (stopped !== undefined) throw stopped;
      return run.cache === undefined
        ? call(node, run.values, run)
        : run.cache.invoke(node, () => call(node, run.values, run));
    });
    success = true;
  } catch (thrown) {
    error = thrown;
  }
  if (error !== undefined && error === run.stopped) throw error;
  const durationMs = performance.now() - start;
  const cache = run.cache?.outcome(node);
  await hooks.call(
    "afterNodeExecution",
    success
      ? cache === undefined
        ? { ...event, success, result, durationMs }
        : { ...event, success, result, durationMs, cache }
      : { ...event, success, error, durationMs },
  );
  if (!success) {
    throw error instanceof HookError || error instanceof ValidationError ||
        error instanceof WorkerError
      ? error
      : run.wrap(node, error);
  }
  return result;
}
