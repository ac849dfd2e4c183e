/**
 * `ProgressBar`: an adapter that shows runs as they happen. On a terminal
 * it draws one bar per run (nodes done of the run's total, cache hits and
 * failures counted apart), one per map, fan-out block and nested map
 * (items done of total, rate, ETA), and a line per nested pipeline; off a
 * terminal it writes a quiet line every few seconds, or nothing.
 *
 * The hooks only count: drawing happens on a timer (unref'd, running only
 * while a run is), so a map item costs a few increments, never a redraw
 * or a clock reading.
 *
 * @module
 */
import type {
  Adapter,
  AfterGraphExecutionEvent,
  AfterMapEvent,
  AfterNodeExecutionEvent,
  BeforeGraphExecutionEvent,
  BeforeMapEvent,
  MapItemEvent,
  NodeCachedEvent,
  NodeLogEvent,
  TaskExpandEvent,
} from "../hooks.ts";
import { IGNORES_INPUTS, SKIPS_ITEM_RUNS, SYNC_LOGS } from "../hooks.ts";
import { hookErrorIn } from "./_hook_error.ts";
import type { NodeInfo } from "../graph.ts";
import { GraphShape } from "./_plan_size.ts";
import {
  ItemCounts,
  type NestedCounts,
  runLines,
  RunProgress,
  runSummary,
} from "./_progress_state.ts";
import { Screen } from "./_screen.ts";
import type { TerminalWriter } from "./writer.ts";

/** Options of {@linkcode ProgressBar}. */
export interface ProgressBarOptions {
  /** Where to draw. @default {Deno.stderr} */
  readonly stream?: TerminalWriter;
  /** The least time between two redraws on a terminal, in ms. @default {100} */
  readonly redrawMs?: number;
  /**
   * What to write when `stream` is not a terminal: `"lines"`, one quiet
   * line per run every `lineEveryMs` (and a last one when it ends, if it
   * wrote any), or `"silent"`, nothing.
   * @default {"lines"}
   */
  readonly whenNotTerminal?: "lines" | "silent";
  /** How often a run that is not on a terminal writes its line, in ms. @default {5000} */
  readonly lineEveryMs?: number;
  /** The terminal's width: longer lines are cut. @default {the console's width, else 100} */
  readonly columns?: number;
}

// How many graphs seen at build time are kept to size runs with.
const GRAPHS_KEPT = 8;
// A terminal is redrawn at least this often while a run is on, so that
// times move even when no count does.
const IDLE_REDRAW_MS = 1000;

/**
 * Shows progress bars for the runs of the drivers it is attached to.
 *
 * @example
 * ```ts
 * import { Builder, ProgressBar } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * // A fake terminal that keeps what is drawn on it.
 * let drawn = "";
 * const stream = {
 *   isTerminal: () => true,
 *   writeSync: (p: Uint8Array) => (drawn += new TextDecoder().decode(p), p.length),
 * };
 * const dr = await new Builder()
 *   .withModules({ double: ({ x }: { x: number }) => 2 * x })
 *   .withAdapters(new ProgressBar({ stream }))
 *   .build();
 * await dr.map(["double"], { inputs: { x: [1, 2, 3] }, mapOver: "x" });
 * assert.match(drawn, /✔ map .* 3\/3 items/);
 * ```
 */
export class ProgressBar implements Adapter, Disposable {
  /** Shown in hook errors. */
  readonly name = "ProgressBar";
  /** Its node hooks never read the node's inputs. */
  readonly [IGNORES_INPUTS] = true;
  /** Its `onLog` is sync. */
  readonly [SYNC_LOGS] = true;
  /** Its graph hooks ignore a map's item runs. */
  readonly [SKIPS_ITEM_RUNS] = true;
  readonly #screen: Screen;
  readonly #silent: boolean;
  readonly #period: number;
  readonly #graphs: GraphShape[] = [];
  readonly #runs = new Map<string, RunProgress>();
  // The run of the last event: a run's events mostly come in a row.
  #last: RunProgress | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #dirty = false;
  #lastDraw = 0;

  /** A progress bar on `options.stream` (stderr by default). */
  constructor(options: ProgressBarOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`'options' must be an object: received ${options}`);
    }
    const redrawMs = positive(options.redrawMs, "redrawMs", 100);
    const lineEveryMs = positive(options.lineEveryMs, "lineEveryMs", 5000);
    const mode = options.whenNotTerminal ?? "lines";
    if (mode !== "lines" && mode !== "silent") {
      throw new TypeError(
        `'whenNotTerminal' must be "lines" or "silent": received ${mode}`,
      );
    }
    const columns = options.columns === undefined
      ? undefined
      : positive(options.columns, "columns", 100);
    this.#screen = new Screen(options.stream ?? Deno.stderr, columns);
    const terminal = this.#screen.terminal;
    this.#silent = !terminal && mode === "silent";
    this.#period = terminal ? redrawMs : lineEveryMs;
  }

  /** Learns the graph's nodes, to know how many a run executes. */
  validateGraph(event: {
    readonly nodes: readonly NodeInfo[];
    readonly config: Readonly<Record<string, unknown>>;
  }): void {
    if (this.#silent) return;
    this.#graphs.unshift(new GraphShape(event.nodes, event.config));
    this.#graphs.length = Math.min(this.#graphs.length, GRAPHS_KEPT);
  }

  /** A run starts (a map's items are counted by the map instead). */
  beforeGraphExecution(event: BeforeGraphExecutionEvent): void {
    if (event.item !== undefined || this.#silent) return;
    const given = new Set([
      ...Object.keys(event.inputs),
      ...Object.keys(event.overrides),
    ]);
    const shape = this.#graphs.find((g) => g.covers(event.finalVars, given));
    this.#start(
      new RunProgress(
        event.runId,
        "run",
        `run ${cut(event.finalVars.join(", "), 40)}`,
        performance.now(),
        shape?.planSize(event.finalVars, given),
        shape,
      ),
    );
  }

  /** A run ended. */
  afterGraphExecution(event: AfterGraphExecutionEvent): void {
    if (event.item !== undefined || this.#silent) return;
    this.#end(event.runId, event.success, event.error);
  }

  /** A map starts, or a map inside a nested pipeline. */
  beforeMap(event: BeforeMapEvent): void {
    if (this.#silent) return;
    const now = performance.now();
    if (event.nodeName === undefined) {
      const run = new RunProgress(
        event.runId,
        "map",
        "map",
        now,
        undefined,
        undefined,
      );
      run.items = new ItemCounts("items", now);
      announce(run.items, event.items);
      this.#start(run);
      return;
    }
    const run = this.#run(event.runId);
    if (run === undefined) return;
    announce(
      run.part(event.nodeName, `${event.nodeName} items`, now),
      event.items,
    );
    this.#dirty = true;
  }

  /** A map ended. */
  afterMap(event: AfterMapEvent): void {
    if (event.nodeName !== undefined || this.#silent) return;
    this.#end(event.runId, event.success, event.error);
  }

  /** A `ctx.log` message: the run's log line shows the last one. */
  onLog(event: NodeLogEvent): void {
    const run = this.#run(event.runId);
    if (run === undefined) return;
    run.lastLog = `${event.nodeName}: ${oneLine(event.message)}`;
    this.#dirty = true;
  }

  /** A fan-out block's items are known. */
  afterTaskExpand(event: TaskExpandEvent): void {
    const run = this.#run(event.runId);
    if (run === undefined) return;
    const part = run.part(
      event.nodeName,
      `per item of ${event.nodeName}`,
      performance.now(),
    );
    announce(part, event.indices.length);
    this.#dirty = true;
  }

  /** An item of a map, a block or a nested map is done. */
  afterMapItem(event: MapItemEvent): void {
    const run = this.#run(event.runId);
    if (run === undefined) return;
    const key = event.nodeName;
    let items = key === undefined ? run.items : run.parts.get(key);
    if (items === undefined) {
      // A block inside a nested pipeline: its expansion is not forwarded.
      if (key === undefined) return;
      items = run.part(key, `per item of ${key}`, performance.now());
    }
    // Without a start event, each instance's first item brings its total.
    if (!items.announced && event.done === 1) items.total += event.total;
    items.done++;
    if (!event.success) items.failed++;
    this.#dirty = true;
  }

  /** A node ended. */
  afterNodeExecution(event: AfterNodeExecutionEvent): void {
    const run = this.#run(event.runId);
    if (run !== undefined) {
      this.#ended(run, event.nodeName, event.success, false, event.attempt);
    }
  }

  /** The cache answered for a node. */
  nodeCached(event: NodeCachedEvent): void {
    const run = this.#run(event.runId);
    if (run !== undefined) this.#ended(run, event.nodeName, true, true);
  }

  /**
   * Stops drawing: the runs still on are written as they are, and the
   * timer stops. The bar draws again for runs that start later.
   */
  close(): void {
    this.#stopTimer();
    const open = [...this.#runs.values()];
    this.#runs.clear();
    this.#last = undefined;
    if (this.#screen.terminal) this.#frame(open);
  }

  /** Closes the bar (`using bar = new ProgressBar()`). */
  [Symbol.dispose](): void {
    this.close();
  }

  #run(runId: string): RunProgress | undefined {
    const last = this.#last;
    if (last !== undefined && last.runId === runId) return last;
    const run = this.#runs.get(runId);
    if (run !== undefined) this.#last = run;
    return run;
  }

  // A node of `run` ended: one of its own, or a nested pipeline's
  // (`"<node>.<inner>"`, counted under the outermost nested node). An
  // attempt after the first means the failure before it was retried.
  #ended(
    run: RunProgress,
    name: string,
    success: boolean,
    cached: boolean,
    attempt?: number,
  ): void {
    this.#dirty = true;
    const shape = run.shape;
    const own = shape === undefined ? !name.includes(".") : shape.has(name);
    const counts = own ? run : run.nestedOf(outerOf(name, shape));
    if (cached) counts.cached++;
    if (!success) counts.failed++;
    if (attempt !== undefined && attempt > 1) {
      counts.retried++;
      counts.failed--;
    }
    if (!own) (counts as NestedCounts).done++;
    else if (run.kind === "run") run.ended.add(name);
  }

  #start(run: RunProgress): void {
    this.#runs.set(run.runId, run);
    this.#last = run;
    this.#dirty = true;
    if (this.#timer === undefined && this.#screen.working) {
      const timer = setInterval(() => this.#tick(), this.#period);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  #end(runId: string, success: boolean, error?: unknown): void {
    const run = this.#runs.get(runId);
    if (run === undefined) return;
    const hook = success ? undefined : hookErrorIn(error);
    if (hook !== undefined) {
      run.lastLog = `hook error: ${oneLine(hook.message)}`;
    }
    this.#runs.delete(runId);
    if (this.#last === run) this.#last = undefined;
    run.outcome = { success, at: performance.now() };
    if (this.#runs.size === 0) this.#stopTimer();
    if (this.#screen.terminal) this.#frame([run]);
    else if (run.lines > 0) {
      this.#screen.write(`braid: ${runSummary(run, 0)}\n`);
    }
  }

  #tick(): void {
    const now = performance.now();
    if (!this.#screen.working) return this.#stopTimer();
    if (!this.#screen.terminal) {
      let text = "";
      for (const run of this.#runs.values()) {
        if (now - run.started < this.#period) continue;
        run.lines++;
        text += `braid: ${runSummary(run, now)}\n`;
      }
      if (text !== "") this.#screen.write(text);
      return;
    }
    if (this.#dirty || now - this.#lastDraw >= IDLE_REDRAW_MS) this.#frame([]);
  }

  // Redraws the terminal: `finished` runs' lines stay, then the runs on.
  #frame(finished: readonly RunProgress[]): void {
    const now = performance.now();
    this.#dirty = false;
    this.#lastDraw = now;
    const live: string[] = [];
    for (const run of this.#runs.values()) live.push(...runLines(run, now));
    this.#screen.draw(finished.flatMap((run) => runLines(run, now)), live);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function announce(items: ItemCounts, count: number): void {
  items.total += count;
  items.announced = true;
}

// The outermost nested pipeline's node in `"<node>.<inner>..."`: the
// shortest dotted prefix that is a node of the graph (node names may hold
// dots), else the first segment.
function outerOf(name: string, shape: GraphShape | undefined): string {
  if (shape !== undefined) {
    for (let at = name.indexOf("."); at > 0; at = name.indexOf(".", at + 1)) {
      const prefix = name.slice(0, at);
      if (shape.has(prefix)) return prefix;
    }
  }
  return name.slice(0, Math.max(name.indexOf("."), 0)) || name;
}

// A message as one line: a line break would throw the redraw's count off.
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ");
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(
      `'${name}' must be a positive number: received ${value}`,
    );
  }
  return value;
}
