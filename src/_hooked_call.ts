// A node call with node-level hooks around it: beforeNodeExecution, the
// executeNode wrappers, afterNodeExecution; or, when the cache answers,
// nodeCached alone. Only runs whose adapters have node hooks take this
// path; the others call the node directly.
//
// Each step goes on at once when the previous one was sync (a sync hook, a
// sync node, a sync cache store) and after it settles otherwise, so sync
// hooks around a sync node cost no promise. Clock reads (about 90 ns each,
// more than the rest of a hooked node) happen only when an after hook
// needs a duration.
import { isThenable } from "./_thenable.ts";
import { HookError, ValidationError, WorkerError } from "./errors.ts";
import type {
  AfterNodeExecutionEvent,
  BeforeNodeExecutionEvent,
  Hooks,
} from "./hooks.ts";
import type { PlanNode } from "./plan.ts";
import { argumentsOf } from "./_call.ts";
import type { NodeCall, Run } from "./run.ts";
import type { CacheProbe } from "./cache/session.ts";

/** Calls `node` in `run` inside the hooks: its value, or a promise of it. */
export function invokeWithHooks(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  call: NodeCall,
): unknown {
  const base = {
    runId: run.runId,
    nodeName: node.name,
    tags: node.tags,
    inputs: argumentsOf(node, run.values),
    taskId: run.item === undefined
      ? `${run.runId}/${node.name}`
      : `${run.runId}/${run.item}/${node.name}`,
  };
  const event: BeforeNodeExecutionEvent = run.item === undefined
    ? base
    : { ...base, item: run.item };
  const cache = run.cache;
  if (cache === undefined) {
    return begin(run, node, hooks, event, () => call(node, run.values, run));
  }
  // The cache is asked first: a hit fires nodeCached instead of the node's
  // other hooks, as no node call happens.
  const start = performance.now();
  const probe = cache.lookup(node);
  return isThenable(probe)
    ? probe.then((found) => looked(run, node, hooks, event, call, found, start))
    : looked(run, node, hooks, event, call, probe, start);
}

function looked(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  event: BeforeNodeExecutionEvent,
  call: NodeCall,
  probe: CacheProbe,
  start: number,
): unknown {
  // An async store gives the run time to fail or be cancelled.
  const halted = run.halted();
  if (halted !== undefined) throw halted;
  if (!probe.hit) {
    return begin(
      run,
      node,
      hooks,
      event,
      () => probe.compute(() => call(node, run.values, run)),
    );
  }
  const value = probe.value;
  const pending = hooks.dispatch("nodeCached", {
    ...event,
    result: value,
    durationMs: performance.now() - start,
  });
  return pending === undefined ? value : pending.then(() => value);
}

function begin(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  event: BeforeNodeExecutionEvent,
  compute: () => unknown,
): unknown {
  const pending = hooks.dispatch("beforeNodeExecution", event);
  return pending === undefined
    ? execute(run, node, hooks, event, compute)
    : pending.then(() => execute(run, node, hooks, event, compute));
}

function execute(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  event: BeforeNodeExecutionEvent,
  compute: () => unknown,
): unknown {
  // Async hooks give the run time to fail or be cancelled: a node must not
  // start after that, whichever hook let time pass.
  const halted = run.halted();
  if (halted !== undefined) throw halted;
  const start = hooks.has("afterNodeExecution") ? performance.now() : 0;
  let value: unknown;
  try {
    value = hooks.has("executeNode")
      ? hooks.wrap(event, () => {
        const stopped = run.halted();
        if (stopped !== undefined) throw stopped;
        return compute();
      })
      : compute();
  } catch (error) {
    return end(run, node, hooks, event, start, false, error);
  }
  if (!isThenable(value)) {
    return end(run, node, hooks, event, start, true, value);
  }
  return Promise.resolve(value).then(
    (result) => end(run, node, hooks, event, start, true, result),
    (error) => end(run, node, hooks, event, start, false, error),
  );
}

function end(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  event: BeforeNodeExecutionEvent,
  start: number,
  success: boolean,
  outcome: unknown,
): unknown {
  if (!success && outcome !== undefined && outcome === run.stopped) {
    throw outcome;
  }
  if (hooks.has("afterNodeExecution")) {
    const durationMs = performance.now() - start;
    const cache = run.cache?.outcome(node);
    const after: AfterNodeExecutionEvent = success
      ? cache === undefined
        ? { ...event, success, result: outcome, durationMs }
        : { ...event, success, result: outcome, durationMs, cache }
      : { ...event, success, error: outcome, durationMs };
    const pending = hooks.dispatch("afterNodeExecution", after);
    if (pending !== undefined) {
      return pending.then(() => settle(run, node, success, outcome));
    }
  }
  return settle(run, node, success, outcome);
}

function settle(
  run: Run,
  node: PlanNode,
  success: boolean,
  outcome: unknown,
): unknown {
  if (success) return outcome;
  throw outcome instanceof HookError || outcome instanceof ValidationError ||
      outcome instanceof WorkerError
    ? outcome
    : run.wrap(node, outcome);
}
