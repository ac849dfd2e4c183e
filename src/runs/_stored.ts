// The driver's entry points with a run store: each runs as it would
// without one, with a recording taking in its events. execute() and run()
// run with run()'s recorder emitting to the recording; stream() records the
// events its reader takes; map() records each item's end by column
// (`afterMapItem`), with no per-node events at all.
import type { ExecutionEvent, RunTags, WarningStreamEvent } from "../events.ts";
import { type Adapter, Hooks, type MapItemEvent } from "../hooks.ts";
import { type MapOptions, runMap } from "../map.ts";
import { recordRun, type RunResult } from "../results.ts";
import { EMPTY, type ExecuteOptions, type Runner } from "../runner.ts";
import { streamEvents } from "../_stream.ts";
import { now } from "../_clock.ts";
import { type Lineage, Recording } from "./_recording.ts";
import type { RunLog, RunStoreWarning } from "./_run_log.ts";
import { storedError } from "./_query.ts";
import type { ItemRecords, StoredError } from "./types.ts";

/** `run()` (and `execute()`, which then throws or builds its result) recorded. */
export async function storedRun(
  runner: Runner,
  log: RunLog,
  vars: readonly string[],
  options: ExecuteOptions,
  kind: "execute" | "run",
  lineage?: Lineage,
): Promise<RunResult> {
  const plan = runner.plan(vars, options); // a bad request throws, unrecorded
  const recording = new Recording(log, runner, kind, plan, options, lineage);
  return await recordRun(
    runner,
    vars,
    options,
    (event) => recording.event(event),
  );
}

/** `stream()` recorded: the events the reader takes, and warnings. */
export async function* storedStream(
  runner: Runner,
  log: RunLog,
  vars: readonly string[],
  options: ExecuteOptions | MapOptions,
): AsyncGenerator<ExecutionEvent, void, undefined> {
  const mapOver = "mapOver" in options ? options.mapOver : undefined;
  const plan = runner.plan(vars, options);
  const warnings: RunStoreWarning[] = [];
  const recording = new Recording(
    log,
    runner,
    "stream",
    plan,
    options,
    undefined,
    (warning) => warnings.push(warning),
  );
  if (mapOver !== undefined) {
    recording.mapped = mappedOf(options.inputs ?? EMPTY, mapOver);
  }
  try {
    for await (const event of streamEvents(runner, vars, options)) {
      recording.event(event);
      yield event;
      while (warnings.length > 0) {
        yield warningEvent(warnings.shift()!, options.tags);
      }
    }
  } finally {
    // Left early: the run was cancelled (a no-op once it finished).
    recording.finish("cancelled", Date.now());
  }
  while (warnings.length > 0) {
    yield warningEvent(warnings.shift()!, options.tags);
  }
}

/** `map()` recorded: the run, and each item's end and failure. */
export async function storedMap(
  runner: Runner,
  log: RunLog,
  vars: readonly string[],
  options: MapOptions,
): Promise<unknown[]> {
  const plan = runner.plan(vars, options);
  const recording = new Recording(log, runner, "map", plan, options);
  const mapped = mappedOf(options.inputs ?? EMPTY, options.mapOver);
  recording.mapped = mapped;
  const runId = crypto.randomUUID();
  const items = new ItemLog(runId, mapped.items);
  const hooks = new Hooks([items, ...runner.hooks.adapters]);
  recording.start(runId, Date.now(), options.tags);
  try {
    const results = await runMap(runner, vars, options, { hooks, runId });
    recording.items = items.records();
    recording.finish("succeeded", Date.now());
    return results;
  } catch (error) {
    recording.items = items.records();
    const failed = (error as { nodeName?: unknown }).nodeName;
    if (typeof failed === "string") {
      recording.event({
        type: "nodeFailed",
        runId,
        tags: options.tags ?? NO_TAGS,
        timestamp: Date.now(),
        nodeName: failed,
        durationMs: 0,
        error,
      });
    }
    const cancelled = error instanceof Error && error.name === "CancelledError";
    recording.finish(cancelled ? "cancelled" : "failed", Date.now(), error);
    throw error;
  }
}

// How many items a map has (when its mapped inputs are arrays: an
// iterable may be read once only), and which inputs it maps over.
function mappedOf(
  inputs: Readonly<Record<string, unknown>>,
  mapOver: string | readonly string[],
): { items: number; over: readonly string[] } {
  const over = typeof mapOver === "string" ? [mapOver] : [...mapOver];
  const lengths = over.map((name) => {
    const value = inputs[name];
    return Array.isArray(value) ? value.length : NaN;
  });
  return { items: lengths.length === 0 ? NaN : Math.max(...lengths), over };
}

// Each item's end (ms after the map started) and failure, by column.
class ItemLog implements Adapter {
  readonly name = "RunStore";
  readonly #runId: string;
  readonly #start = now();
  #ended: Float64Array;
  readonly #failures: { item: number; error: StoredError }[] = [];
  #count: number;

  constructor(runId: string, items: number) {
    this.#runId = runId;
    this.#count = Number.isFinite(items) ? items : 0;
    this.#ended = new Float64Array(Number.isFinite(items) ? items : 16).fill(
      NaN,
    );
  }

  afterMapItem(event: MapItemEvent): void {
    // Nested maps and fan-out items report here too: only the map's own.
    if (event.runId !== this.#runId || event.nodeName !== undefined) return;
    const item = event.item;
    if (item >= this.#ended.length) {
      const grown = new Float64Array(2 * item + 2).fill(NaN);
      grown.set(this.#ended);
      this.#ended = grown;
    }
    // The clock node timings share: a reading per stretch, not per item.
    this.#ended[item] = now() - this.#start;
    this.#count = Math.max(this.#count, item + 1, event.total);
    if (!event.success) {
      this.#failures.push({ item, error: storedError(event.error) });
    }
  }

  records(): ItemRecords {
    const length = Math.max(this.#count, 0);
    return {
      endedMs: this.#ended.length === length
        ? this.#ended
        : this.#ended.slice(0, length),
      failures: this.#failures,
    };
  }
}

const NO_TAGS: RunTags = Object.freeze({});

function warningEvent(
  warning: RunStoreWarning,
  tags: RunTags | undefined,
): WarningStreamEvent {
  return {
    type: "warning",
    tags: tags ?? NO_TAGS,
    runId: warning.runId,
    timestamp: Date.now(),
    message: warning.message,
  };
}
