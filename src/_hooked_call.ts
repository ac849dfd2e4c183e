// A node call with node-level hooks around it: beforeNodeExecution, the
// executeNode wrappers, afterNodeExecution; or, when the cache answers,
// nodeCached alone. Only runs whose adapters have node hooks take this
// path; the others call the node directly.
//
// Each step goes on at once when the previous one was sync (a sync hook, a
// sync node, a sync cache store) and after it settles otherwise, so sync
// hooks around a sync node cost no promise. Durations come from the shared
// clock of `_clock.ts` (one reading per stretch, renewed after each node
// call), and only when an after hook needs one.
import { isThenable } from "./_thenable.ts";
import { elapsed, now } from "./_clock.ts";
import { HookError, ValidationError, WorkerError } from "./errors.ts";
import type {
  AfterNodeExecutionEvent,
  BeforeNodeExecutionEvent,
  Hooks,
} from "./hooks.ts";
import type { PlanNode } from "./plan.ts";
import { argumentsOf } from "./_call.ts";
import type { CacheOutcome } from "./cache/cache.ts";
import type { NodeCall, Run } from "./run.ts";
import type { CacheProbe } from "./cache/session.ts";

// A cache lookup that missed: it computes and stores the value.
type CacheMiss = Extract<CacheProbe, { hit: false }>;

// What events carry as `inputs` when no adapter's node hook reads them.
const NO_INPUTS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Calls `node` in `run` inside the hooks: its value, or a promise of it.
 * With `deferEnd`, the caller awaits a promise it gets itself and then
 * calls `endDeferred` (see `Run.invokeInline`).
 */
export function invokeWithHooks(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  call: NodeCall,
  deferEnd = false,
): unknown {
  // Event objects only when some adapter takes them; braid's own recorder
  // (the observer) is told of the node directly.
  const event = hooks.nodeEvents ? eventOf(run, node, hooks) : undefined;
  const cache = run.cache;
  if (cache === undefined) {
    return begin(run, node, hooks, event, call, undefined, deferEnd);
  }
  // The cache is asked first: a hit fires nodeCached instead of the node's
  // other hooks, as no node call happens.
  const start = now();
  const probe = cache.lookup(node);
  elapsed(); // a store (hashing, reading) takes its time
  return isThenable(probe)
    ? probe.then((found) => {
      elapsed(); // the store took its time
      return looked(run, node, hooks, event, call, found, start, deferEnd);
    })
    : looked(run, node, hooks, event, call, probe, start, deferEnd);
}

function eventOf(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
): BeforeNodeExecutionEvent {
  const runId = run.runId;
  const item = run.item;
  const inputs = hooks.readsInputs ? argumentsOf(node, run.values) : NO_INPUTS;
  // Written out rather than spread: one object of a fixed shape per event.
  const event: BeforeNodeExecutionEvent = item === undefined
    ? {
      runId,
      nodeName: node.name,
      tags: node.tags,
      inputs,
      taskId: runId + "/" + node.name,
    }
    : {
      runId,
      nodeName: node.name,
      tags: node.tags,
      inputs,
      taskId: `${runId}/${item}/${node.name}`,
      item,
    };
  // A tracing adapter's event also names the node's executor.
  const executor = hooks.traces ? run.executorOf(node) : undefined;
  if (executor !== undefined) {
    (event as { executor?: string }).executor = executor;
  }
  const attempt = run.attemptOf(node);
  const worker = run.workerOf(node);
  if (attempt === 1 && worker === undefined) return event;
  return {
    ...event,
    ...(attempt === 1 ? {} : { attempt }),
    ...(worker === undefined ? {} : { worker }),
  };
}

function looked(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  event: BeforeNodeExecutionEvent | undefined,
  call: NodeCall,
  probe: CacheProbe,
  start: number,
  deferEnd: boolean,
): unknown {
  // An async store gives the run time to fail or be cancelled.
  const halted = run.halted();
  if (halted !== undefined) throw halted;
  if (!probe.hit) {
    return begin(run, node, hooks, event, call, probe, deferEnd);
  }
  const value = probe.value;
  const durationMs = now() - start;
  hooks.observer?.cached(node, run.runId, run.item, durationMs);
  if (event === undefined) return value;
  const pending = hooks.dispatch("nodeCached", {
    ...event,
    result: value,
    durationMs,
  });
  return pending === undefined ? value : pending.then(() => value);
}

function begin(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  event: BeforeNodeExecutionEvent | undefined,
  call: NodeCall,
  miss: CacheMiss | undefined,
  deferEnd: boolean,
): unknown {
  hooks.observer?.started(
    node,
    run.runId,
    run.item,
    now(),
    run.attemptOf(node),
    run.routedExecutor(node),
  );
  if (event === undefined || !hooks.beforeNode) {
    return execute(run, node, hooks, event, call, miss, deferEnd);
  }
  const pending = hooks.dispatch("beforeNodeExecution", event);
  if (pending === undefined) {
    return execute(run, node, hooks, event, call, miss, deferEnd);
  }
  return pending.then(() => {
    elapsed(); // the hooks took their time
    return execute(run, node, hooks, event, call, miss, deferEnd);
  });
}

function execute(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  event: BeforeNodeExecutionEvent | undefined,
  call: NodeCall,
  miss: CacheMiss | undefined,
  deferEnd: boolean,
): unknown {
  // Async hooks give the run time to fail or be cancelled: a node must not
  // start after that, whichever hook let time pass.
  const halted = run.halted();
  if (halted !== undefined) throw halted;
  const start = hooks.afterNode || hooks.observer !== undefined ? now() : 0;
  let value: unknown;
  try {
    value = event !== undefined && hooks.wrapsNode
      ? hooks.wrap(event, () => {
        const stopped = run.halted();
        if (stopped !== undefined) throw stopped;
        return compute(run, node, call, miss);
      })
      : compute(run, node, call, miss);
  } catch (error) {
    elapsed();
    return end(run, node, hooks, event, start, false, error);
  }
  elapsed();
  if (!isThenable(value)) {
    return end(run, node, hooks, event, start, true, value);
  }
  // Nothing to do at its end (no after hook, no recorder): the node's own
  // promise is the call's, one promise hop fewer; the run wraps a failure
  // as `settle` would.
  if (!hooks.afterNode) {
    if (hooks.observer === undefined) return value;
    // Only the recorder waits for its end: the caller that awaits the
    // node's promise tells it (endDeferred), so braid wraps no promise of
    // its own around the node's.
    if (deferEnd) {
      run.deferEnd(node, start);
      return value;
    }
  }
  return finish(run, node, hooks, event, start, value);
}

/**
 * `node`, whose end `execute` left to the caller, settled: tells the
 * recorder, as `end` would have.
 */
export function endDeferred(
  run: Run,
  node: PlanNode,
  start: number,
  success: boolean,
  outcome: unknown,
): void {
  if (!success && outcome !== undefined && outcome === run.stopped) return;
  run.hooks!.observer!.ended(
    node,
    run.runId,
    run.item,
    success,
    outcome,
    now() - start,
    run.cache?.outcome(node),
    run.metadataOf(node),
  );
}

// The node's own call, through the cache when the lookup missed (no
// closure per node otherwise).
function compute(
  run: Run,
  node: PlanNode,
  call: NodeCall,
  miss: CacheMiss | undefined,
): unknown {
  if (miss === undefined) return call(node, run.values, run);
  return miss.compute(() => call(node, run.values, run));
}

// The end of a node that returned a promise. (Awaiting costs less than
// then() with two closures.)
async function finish(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  event: BeforeNodeExecutionEvent | undefined,
  start: number,
  pending: PromiseLike<unknown>,
): Promise<unknown> {
  let result: unknown;
  try {
    result = await pending;
  } catch (error) {
    return end(run, node, hooks, event, start, false, error);
  }
  return end(run, node, hooks, event, start, true, result);
}

function end(
  run: Run,
  node: PlanNode,
  hooks: Hooks,
  event: BeforeNodeExecutionEvent | undefined,
  start: number,
  success: boolean,
  outcome: unknown,
): unknown {
  if (!success && outcome !== undefined && outcome === run.stopped) {
    throw outcome;
  }
  const observer = hooks.observer;
  const afterNode = event !== undefined && hooks.afterNode;
  if (observer !== undefined || afterNode) {
    const durationMs = now() - start;
    const cache = run.cache?.outcome(node);
    const metadata = run.metadataOf(node);
    observer?.ended(
      node,
      run.runId,
      run.item,
      success,
      outcome,
      durationMs,
      cache,
      metadata,
    );
    if (afterNode) {
      const after = afterEvent(event, success, outcome, durationMs, cache);
      if (metadata !== undefined) after.metadata = metadata;
      const pending = hooks.dispatch("afterNodeExecution", after);
      if (pending !== undefined) {
        return pending.then(() => {
          elapsed(); // the hooks took their time
          return settle(run, node, success, outcome);
        });
      }
    }
  }
  return settle(run, node, success, outcome);
}

// The after event. Its fields are added in one fixed order, so events of
// the same shape share a hidden class (a spread of `event` would copy
// through a slower path).
function afterEvent(
  event: BeforeNodeExecutionEvent,
  success: boolean,
  outcome: unknown,
  durationMs: number,
  cache: CacheOutcome | undefined,
): Mutable<AfterNodeExecutionEvent> {
  const after: {
    -readonly [K in keyof AfterNodeExecutionEvent]: AfterNodeExecutionEvent[K];
  } = {
    runId: event.runId,
    nodeName: event.nodeName,
    tags: event.tags,
    inputs: event.inputs,
    taskId: event.taskId,
    success,
    durationMs,
  };
  if (event.item !== undefined) after.item = event.item;
  if (event.attempt !== undefined) after.attempt = event.attempt;
  if (event.worker !== undefined) after.worker = event.worker;
  if (event.executor !== undefined) after.executor = event.executor;
  if (success) after.result = outcome;
  else after.error = outcome;
  if (success && cache !== undefined) after.cache = cache;
  return after;
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

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
