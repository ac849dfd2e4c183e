// What `stream()` shares between a single run and a map: an event channel
// fed by a recorder, and a run the consumer stops by leaving the loop.
import { EventChannel, type ExecutionEvent } from "./events.ts";
import { Hooks } from "./hooks.ts";
import { expandItems, type MapOptions, runMap } from "./map.ts";
import { Recorder, recordRun } from "./results.ts";
import { EMPTY, type ExecuteOptions, type Runner } from "./runner.ts";

/**
 * Yields the events of `vars` run once, or once per item when `options` has
 * `mapOver`. Request errors throw before the first event; stopping the
 * iteration early cancels the run.
 */
export async function* streamEvents(
  runner: Runner,
  vars: readonly string[],
  options: ExecuteOptions | MapOptions,
): AsyncGenerator<ExecutionEvent, void, undefined> {
  const mapped = "mapOver" in options && options.mapOver !== undefined;
  if (mapped) {
    const items = expandItems(
      options.inputs ?? EMPTY,
      options.mapOver,
      options.mapMode,
    );
    runner.plan(vars, { ...options, inputs: items[0] ?? EMPTY });
  } else {
    runner.plan(vars, options);
  }
  const channel = new EventChannel<ExecutionEvent>();
  const stop = new AbortController();
  const signal = options.signal === undefined
    ? stop.signal
    : AbortSignal.any([options.signal, stop.signal]);
  const emit = (event: ExecutionEvent) => channel.push(event);
  const done =
    (mapped
      ? recordMap(runner, vars, { ...options as MapOptions, signal }, emit)
      : recordRun(runner, vars, { ...options, signal }, emit))
      .finally(() => channel.close());
  try {
    yield* channel;
  } finally {
    stop.abort();
    await done;
  }
}

// A map with a recorder attached: node events carry their item, each item
// ends with a "mapItem" progress event; never rejects.
async function recordMap(
  runner: Runner,
  vars: readonly string[],
  options: MapOptions,
  emit: (event: ExecutionEvent) => void,
): Promise<void> {
  const runId = crypto.randomUUID();
  const recorder = new Recorder(emit);
  const hooks = new Hooks([recorder, ...runner.hooks.adapters]);
  const start = performance.now();
  emit({ type: "runStarted", runId, timestamp: Date.now(), finalVars: vars });
  let error: unknown;
  let success = true;
  try {
    await runMap(runner, vars, options, { hooks, runId });
  } catch (thrown) {
    error = thrown;
    success = false;
  }
  emit({
    type: "runFinished",
    runId,
    timestamp: Date.now(),
    success,
    durationMs: performance.now() - start,
    ...(success ? {} : { error }),
  });
}
