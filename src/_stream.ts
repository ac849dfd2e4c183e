// What `stream()` shares between a single run and a map: an event channel
// fed by a recorder, and a run the consumer stops by leaving the loop.
import { EventChannel, type ExecutionEvent } from "./events.ts";
import { expandItems, type MapOptions, runMap } from "./map.ts";
import { Recorder } from "./_recorder.ts";
import { recordRun } from "./results.ts";
import { EMPTY, type ExecuteOptions, type Runner } from "./runner.ts";

/**
 * Yields the events of `vars` run once, or once per item when `options` has
 * `mapOver`. Request errors reject the first `next()`, before any event;
 * stopping the iteration early cancels the run.
 */
export function streamEvents(
  runner: Runner,
  vars: readonly string[],
  options: ExecuteOptions | MapOptions,
): AsyncGenerator<ExecutionEvent, void, undefined> {
  return new EventStream(runner, vars, options);
}

// How many unread events hold back a map's next items, and how few let
// them go again.
const BEHIND = 4096;
const CAUGHT_UP = 1024;

const FINISHED: IteratorResult<never, void> = Object.freeze({
  value: undefined,
  done: true,
});

// An async generator written out: an `async function*` that `yield*`s the
// channel costs two generator resumptions per event, more than a node.
class EventStream implements AsyncGenerator<ExecutionEvent, void, undefined> {
  readonly #runner: Runner;
  readonly #vars: readonly string[];
  readonly #options: ExecuteOptions | MapOptions;
  readonly #channel = new EventChannel<ExecutionEvent>();
  readonly #stop = new AbortController();
  #done: Promise<void> | undefined;
  #finished = false;

  constructor(
    runner: Runner,
    vars: readonly string[],
    options: ExecuteOptions | MapOptions,
  ) {
    this.#runner = runner;
    this.#vars = vars;
    this.#options = options;
  }

  next(): Promise<IteratorResult<ExecutionEvent, void>> {
    if (this.#finished) return Promise.resolve(FINISHED);
    if (this.#done === undefined) {
      try {
        this.#done = this.#start();
      } catch (error) {
        this.#finished = true;
        return Promise.reject(error);
      }
    }
    return this.#channel.next();
  }

  async return(): Promise<IteratorResult<ExecutionEvent, void>> {
    await this.#finish();
    return FINISHED;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionEvent, void>> {
    await this.#finish();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#finish();
  }

  // Stops the run (if it still goes on) and waits for it to settle.
  async #finish(): Promise<void> {
    this.#finished = true;
    this.#stop.abort();
    await this.#done;
  }

  // Checks the request (throwing before any event) and starts the run.
  #start(): Promise<void> {
    const runner = this.#runner;
    const vars = this.#vars;
    const options = this.#options;
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
    const stop = this.#stop.signal;
    const signal = options.signal === undefined
      ? stop
      : AbortSignal.any([options.signal, stop]);
    const channel = this.#channel;
    const emit = (event: ExecutionEvent) => channel.push(event);
    // Neither rejects for a failed or cancelled run; anything else reaches
    // the consumer after the events before it.
    // A map's items wait to start while the reader is far behind: its
    // queue of events stays bounded however many items there are.
    const ready = () =>
      channel.size > BEHIND ? channel.drained(CAUGHT_UP) : undefined;
    return (mapped
      ? recordMap(
        runner,
        vars,
        { ...options as MapOptions, signal },
        emit,
        ready,
      )
      : recordRun(runner, vars, { ...options, signal }, emit))
      .then(() => channel.close(), (error) => channel.fail(error));
  }
}

// A map with a recorder attached: node events carry their item, each item
// ends with a "mapItem" progress event; never rejects.
async function recordMap(
  runner: Runner,
  vars: readonly string[],
  options: MapOptions,
  emit: (event: ExecutionEvent) => void,
  ready: () => Promise<void> | undefined,
): Promise<void> {
  const runId = crypto.randomUUID();
  const recorder = new Recorder(undefined, emit, options.tags);
  const hooks = runner.hooks.withAdapters([recorder, ...runner.hooks.adapters]);
  const start = performance.now();
  recorder.runStarted(runId, vars, runner.cache?.takeWarning());
  let error: unknown;
  let success = true;
  try {
    await runMap(runner, vars, options, { hooks, runId, ready });
  } catch (thrown) {
    error = thrown;
    success = false;
  }
  recorder.emit({
    type: "runFinished",
    runId,
    timestamp: Date.now(),
    success,
    durationMs: performance.now() - start,
    ...(success ? {} : { error }),
  });
}
