// The recorder behind `run()` and `stream()`: it gathers each node's
// outcome (and emits the stream's events) through the hooks any adapter
// uses, and, for the run's own nodes, as their node observer.
import type { CacheOutcome } from "./cache/cache.ts";
import { HookError, RunFailedError } from "./errors.ts";
import { now } from "./_clock.ts";
import type {
  ExecutionEvent,
  NodeMetadata,
  NodeStartedEvent,
  RunTags,
  SkipReason,
} from "./events.ts";
import {
  type Adapter,
  type AfterNodeExecutionEvent,
  type BeforeNodeExecutionEvent,
  IGNORES_INPUTS,
  type MapItemEvent,
  type NodeCachedEvent,
  type NodeLogEvent,
  type NodeObserver,
  OBSERVES,
  SYNC_LOGS,
} from "./hooks.ts";
import type { Plan, PlanNode } from "./plan.ts";
import type { NodeResult } from "./results.ts";

// Event timestamps are this plus a reading of the shared clock, which the
// node hooks take anyway: Date.now() would cost a clock read more per event.
const ORIGIN = performance.timeOrigin;

/**
 * Records node outcomes (and emits events) for one run; given no plan (a
 * map's items), it only emits.
 */
export class Recorder implements Adapter {
  /** Shown in hook errors. */
  readonly name = "Recorder";
  /** Its node hooks read no `inputs`. */
  readonly [IGNORES_INPUTS] = true;
  /** Its `onLog` is sync. */
  readonly [SYNC_LOGS] = true;
  readonly #roster: Roster | undefined;
  // By position in the roster: when each node (last) started (NaN if it
  // did not), what became of it (a NodeResult is made once, in results()),
  // what it logged.
  readonly #starts: Float64Array;
  readonly #status: Uint8Array;
  readonly #durations: Float64Array;
  #errors: unknown[] | undefined;
  // The highest attempt number each node started with, once one is retried.
  #attempts: Uint16Array | undefined;
  #caches: (CacheOutcome | undefined)[] | undefined;
  #logs: (NodeLogEvent[] | undefined)[] | undefined;
  // What loader and saver nodes reported (made on the first report).
  #metadata: (NodeMetadata | undefined)[] | undefined;
  // Where nodes ran, when an executor says (see NodeObserver.placed): by
  // roster position, and by item and name for the nodes of a map's items
  // until they end; and the starts an executor made beyond the scheduler's
  // (a remote task taken over from a killed worker).
  #workers: (string | undefined)[] | undefined;
  #placed: Map<string, string> | undefined;
  #restarts: Uint16Array | undefined;
  // The last node looked up: its after hook usually follows its before hook.
  #lastName = "";
  #lastAt = -1;
  #finished = false;
  #end = NaN;
  #runError: unknown;
  #skipped: Set<string> | undefined;
  readonly #emit: ((event: RecordedEvent) => void) | undefined;

  constructor(
    plan: Plan | undefined,
    emit?: (event: ExecutionEvent) => void,
    tags: RunTags = NO_TAGS,
  ) {
    this.#roster = plan === undefined ? undefined : rosterOf(plan);
    const size = this.#roster?.nodes.length ?? 0;
    this.#starts = new Float64Array(size).fill(NaN);
    this.#status = new Uint8Array(size);
    this.#durations = new Float64Array(size);
    // Every event carries the run's tags, added here once for all the
    // places that make events (the event is new, and this code's own).
    this.#emit = emit && ((event) => {
      (event as { tags?: RunTags }).tags = tags;
      emit(event as ExecutionEvent);
    });
  }

  /** Emits an event if someone listens. */
  emit(event: RecordedEvent): void {
    this.#emit?.(event);
  }

  /**
   * Emits the run's start, then `warning` (what the cache said at build,
   * told with the first recorded run), if any.
   */
  runStarted(
    runId: string,
    finalVars: readonly string[],
    warning: string | undefined,
  ): void {
    const timestamp = Date.now();
    this.emit({ type: "runStarted", runId, timestamp, finalVars });
    if (warning !== undefined) {
      this.emit({ type: "warning", runId, timestamp, message: warning });
    }
  }

  // The roster position of a node, or -1 for one the run's plan does not
  // hold (a nested pipeline's, forwarded under its outer name).
  #at(name: string): number {
    if (name === this.#lastName) return this.#lastAt;
    const at = this.#roster?.index.get(name) ?? -1;
    this.#lastName = name;
    this.#lastAt = at;
    return at;
  }

  /** Node started (a node of a nested run, forwarded). */
  beforeNodeExecution(event: BeforeNodeExecutionEvent): void {
    this.#started(
      event.nodeName,
      event.runId,
      event.item,
      now(),
      event.attempt ?? 1,
    );
  }

  /** Node ended (a node of a nested run, forwarded). */
  afterNodeExecution(event: AfterNodeExecutionEvent): void {
    this.#ended(
      event.nodeName,
      event.runId,
      event.item,
      event.success,
      event.error,
      event.durationMs,
      event.cache,
      undefined,
      event.metadata,
    );
  }

  /** The cache answered for a node (of a nested run, forwarded). */
  nodeCached(event: NodeCachedEvent): void {
    this.#cached(event.nodeName, event.runId, event.item, event.durationMs);
  }

  /** The run's own nodes, told directly: no event objects. */
  readonly [OBSERVES]: NodeObserver = {
    started: (node, runId, item, at, attempt, executor) =>
      this.#started(
        node.name,
        runId,
        item,
        at,
        attempt,
        this.#atNode(node),
        executor,
      ),
    ended: (
      node,
      runId,
      item,
      success,
      outcome,
      durationMs,
      cache,
      metadata,
    ) =>
      this.#ended(
        node.name,
        runId,
        item,
        success,
        outcome,
        durationMs,
        cache,
        this.#atNode(node),
        metadata,
      ),
    cached: (node, runId, item, durationMs) =>
      this.#cached(node.name, runId, item, durationMs),
    placed: (node, _runId, item, worker, attempt) =>
      this.#place(node.name, item, worker, attempt, this.#atNode(node)),
  };

  #place(
    nodeName: string,
    item: number | undefined,
    worker: string,
    attempt: number,
    at: number,
  ): void {
    if (this.#finished) return;
    if (at >= 0) {
      (this.#workers ??= [])[at] = worker;
      if (attempt > 1) {
        (this.#restarts ??= new Uint16Array(this.#status.length))[at]!++;
      }
    }
    if (item !== undefined || at < 0) {
      (this.#placed ??= new Map()).set(`${item}\0${nodeName}`, worker);
    }
  }

  // The worker `nodeName` (of `item`) runs on, if an executor said.
  #workerOf(
    nodeName: string,
    item: number | undefined,
    at: number,
  ): string | undefined {
    if (this.#workers === undefined && this.#placed === undefined) {
      return undefined;
    }
    return item === undefined && at >= 0
      ? this.#workers?.[at]
      : this.#placed?.get(`${item}\0${nodeName}`);
  }

  // The roster position of one of the run's plan nodes: its index, in a
  // plan without fan-out blocks (the roster is then the plan's node list).
  #atNode(node: PlanNode): number {
    const at = node.index;
    return this.#roster?.nodes[at] === node ? at : this.#at(node.name);
  }

  #started(
    nodeName: string,
    runId: string,
    item: number | undefined,
    started: number,
    attempt: number,
    at = this.#at(nodeName),
    executor?: string,
  ): void {
    if (at >= 0) {
      this.#starts[at] = started;
      if (attempt > 1) this.#retried(at, item, attempt);
    }
    const emit = this.#emit;
    if (emit === undefined) return;
    const timestamp = ORIGIN + started;
    let event: RecordedEvent<NodeStartedEvent> = item === undefined
      ? { type: "nodeStarted", runId, timestamp, nodeName }
      : { type: "nodeStarted", runId, timestamp, nodeName, item };
    // Routed runs name each node's executor (rare: a spread is fine).
    if (executor !== undefined) event = { ...event, executor };
    const worker = this.#workerOf(nodeName, item, at);
    if (worker !== undefined) {
      return emit(
        attempt === 1 ? { ...event, worker } : { ...event, attempt, worker },
      );
    }
    emit(attempt === 1 ? event : { ...event, attempt });
  }

  // The node at `at` starts again: its record is the new attempt's (unless
  // it runs once per item: items share one record), and its attempts are
  // counted.
  #retried(at: number, item: number | undefined, attempt: number): void {
    const attempts = this.#attempts ??= new Uint16Array(this.#status.length);
    attempts[at] = Math.max(attempts[at]!, attempt);
    if (item !== undefined) return;
    this.#status[at] = NONE;
    this.#durations[at] = 0;
    if (this.#errors !== undefined) this.#errors[at] = undefined;
  }

  // `outcome` is what the node threw, when it failed.
  #ended(
    nodeName: string,
    runId: string,
    item: number | undefined,
    success: boolean,
    outcome: unknown,
    durationMs: number,
    cache: CacheOutcome | undefined,
    at = this.#at(nodeName),
    metadata?: NodeMetadata,
  ): void {
    // A node abandoned by a failed or cancelled run may finish later: its
    // outcome no longer belongs to the run's record.
    if (this.#finished) return;
    if (at >= 0) this.#record(at, success, durationMs, outcome, cache);
    if (metadata !== undefined && success && at >= 0) {
      (this.#metadata ??= [])[at] = metadata;
    }
    const emitted = this.#emit;
    if (emitted === undefined) return;
    // Rare (loaders and savers): the event is given the metadata.
    const emit = metadata === undefined || !success
      ? emitted
      : (event: RecordedEvent) =>
        emitted({ ...event, metadata } as RecordedEvent);
    const worker = this.#workerOf(nodeName, item, at);
    if (worker !== undefined) {
      if (item !== undefined) this.#placed?.delete(`${item}\0${nodeName}`);
      return emit(withItem(
        success
          ? withCache({
            type: "nodeSucceeded",
            runId,
            timestamp: this.#endStamp(at, item, durationMs),
            nodeName,
            durationMs,
            worker,
          }, cache)
          : {
            type: "nodeFailed",
            runId,
            timestamp: this.#endStamp(at, item, durationMs),
            nodeName,
            durationMs,
            error: outcome,
            worker,
          },
        item,
      ));
    }
    // Its start plus its duration, unless it runs once per item (items
    // share the record of its start).
    const started = at >= 0 && item === undefined ? this.#starts[at]! : NaN;
    const timestamp = ORIGIN +
      (started === started ? started + durationMs : now());
    if (!success) {
      const error = outcome;
      emit(
        item === undefined
          ? {
            type: "nodeFailed",
            runId,
            timestamp,
            nodeName,
            durationMs,
            error,
          }
          : {
            type: "nodeFailed",
            runId,
            timestamp,
            nodeName,
            item,
            durationMs,
            error,
          },
      );
    } else if (cache === undefined) {
      emit(
        item === undefined
          ? { type: "nodeSucceeded", runId, timestamp, nodeName, durationMs }
          : {
            type: "nodeSucceeded",
            runId,
            timestamp,
            nodeName,
            item,
            durationMs,
          },
      );
    } else {
      emit(withItem({
        type: "nodeSucceeded",
        runId,
        timestamp,
        nodeName,
        durationMs,
        cache,
      }, item));
    }
  }

  // When a node that ran `durationMs` ended, as an event timestamp.
  #endStamp(at: number, item: number | undefined, durationMs: number): number {
    const started = at >= 0 && item === undefined ? this.#starts[at]! : NaN;
    return ORIGIN + (started === started ? started + durationMs : now());
  }

  #cached(
    nodeName: string,
    runId: string,
    item: number | undefined,
    durationMs: number,
  ): void {
    if (this.#finished) return;
    const at = this.#at(nodeName);
    if (at >= 0) this.#record(at, true, durationMs, undefined, "hit");
    this.#emit?.(withItem({
      type: "nodeCached",
      runId,
      timestamp: ORIGIN + now(),
      nodeName,
      durationMs,
    }, item));
  }

  // Inside a fan-out block a node runs once per item: its record sums
  // their durations and keeps the first failure.
  #record(
    at: number,
    success: boolean,
    durationMs: number,
    error: unknown,
    cache: CacheOutcome | undefined,
  ): void {
    const previous = this.#status[at];
    if (previous === FAILED) return;
    this.#status[at] = success ? SUCCEEDED : FAILED;
    this.#durations[at] = this.#durations[at]! + durationMs;
    if (!success) (this.#errors ??= [])[at] = error;
    if (cache !== undefined || this.#caches?.[at] !== undefined) {
      (this.#caches ??= [])[at] = cache;
    }
  }

  // The record of the node at `at`, if it ended, with where it ran.
  #result(at: number, name: string): NodeResult | undefined {
    const result = this.#outcome(at, name);
    return result === undefined ? undefined : this.#withWorker(at, result);
  }

  // `result` with the worker the node at `at` ran on, if an executor said.
  #withWorker(at: number, result: NodeResult): NodeResult {
    const worker = this.#workers?.[at];
    return worker === undefined ? result : { ...result, worker };
  }

  #outcome(at: number, name: string): NodeResult | undefined {
    const status = this.#status[at];
    if (status === NONE) return undefined;
    const durationMs = this.#durations[at]!;
    const attempts = this.#attemptsAt(at);
    if (status === FAILED) {
      const error = this.#errors![at];
      return { name, status: "failed", durationMs, error, attempts };
    }
    const cache = this.#caches?.[at];
    const result: NodeResult = cache === undefined
      ? { name, status: "succeeded", durationMs, attempts }
      : cache === "hit"
      ? { name, status: "succeeded", durationMs, cache }
      : { name, status: "succeeded", durationMs, cache, attempts };
    const metadata = this.#metadata?.[at];
    return metadata === undefined ? result : { ...result, metadata };
  }

  // How many times the node at `at` started (the highest attempt, and
  // the starts its executor made beyond those).
  #attemptsAt(at: number): number {
    return Math.max(this.#attempts?.[at] ?? 1, 1) +
      (this.#restarts?.[at] ?? 0);
  }

  /** A node logged. */
  onLog(event: NodeLogEvent): void {
    if (this.#finished) return;
    const at = this.#at(event.nodeName);
    if (at >= 0) {
      const logs = this.#logs ??= new Array(this.#status.length);
      (logs[at] ??= []).push(event);
    }
    if (event.level === "warning") {
      const { level: _, ...rest } = event;
      this.#emit?.({ ...rest, type: "warning", timestamp: ORIGIN + now() });
    } else this.#emit?.({ ...event, type: "log", timestamp: ORIGIN + now() });
  }

  /** A map item is done. */
  afterMapItem(event: MapItemEvent): void {
    if (this.#finished) return;
    this.#emit?.({ ...event, type: "mapItem", timestamp: ORIGIN + now() });
  }

  /**
   * The run ended (with `runError`, if it failed): what nodes still report
   * no longer counts. Call `results()` next, at once when events are
   * emitted (it emits the skipped nodes').
   */
  finish(runError?: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#end = performance.now();
    this.#runError = runError;
  }

  /**
   * The outcome of every node of the plan, skipped ones included, as they
   * were when the run finished.
   */
  results(): NodeResult[] {
    const { nodes } = this.#roster!;
    const end = this.#end;
    const all: NodeResult[] = [];
    for (const { name, skipReason } of this.#replaced()) {
      all.push({ name, status: "skipped", skipReason, durationMs: 0 });
    }
    for (let at = 0; at < nodes.length; at++) {
      const name = nodes[at]!.name;
      const result = this.#result(at, name);
      if (result !== undefined) {
        const logs = this.#logs?.[at];
        all.push(logs === undefined ? result : { ...result, logs });
        continue;
      }
      const fate = this.#unfinished(at);
      if (fate === "cancelled") {
        const durationMs = end - this.#starts[at]!;
        const attempts = this.#attemptsAt(at);
        all.push(
          this.#withWorker(at, {
            name,
            status: "cancelled",
            durationMs,
            attempts,
          }),
        );
      } else if (fate === "failed") {
        const durationMs = end - this.#starts[at]!;
        const error = this.#runError;
        const attempts = this.#attemptsAt(at);
        all.push(
          this.#withWorker(at, {
            name,
            status: "failed",
            durationMs,
            error,
            attempts,
          }),
        );
      } else {
        all.push({ name, status: "skipped", skipReason: fate, durationMs: 0 });
      }
    }
    return all;
  }

  /**
   * Emits the events of the nodes that did not end on their own when the
   * run finished: the skipped ones, and one whose own hook failed.
   */
  announceUnfinished(runId: string): void {
    const emit = this.#emit;
    if (emit === undefined) return;
    const timestamp = ORIGIN + this.#end;
    const skipped = (nodeName: string, reason: SkipReason) =>
      emit({ type: "nodeSkipped", runId, timestamp, nodeName, reason });
    for (const { name, skipReason } of this.#replaced()) {
      skipped(name, skipReason);
    }
    const { nodes } = this.#roster!;
    for (let at = 0; at < nodes.length; at++) {
      if (this.#status[at] !== NONE) continue;
      const fate = this.#unfinished(at);
      if (fate === "cancelled") continue;
      const nodeName = nodes[at]!.name;
      if (fate !== "failed") skipped(nodeName, fate);
      else {
        emit({
          type: "nodeFailed",
          runId,
          timestamp,
          nodeName,
          durationMs: this.#end - this.#starts[at]!,
          error: this.#runError,
        });
      }
    }
  }

  // The plan's nodes whose values were given (inputs, overrides).
  *#replaced(): Iterable<{ name: string; skipReason: SkipReason }> {
    const plan = this.#roster!.plan;
    for (const name of plan.replaced) {
      const seed = plan.seeds.find((s) => s.name === name);
      yield {
        name,
        skipReason: seed?.source === "override" ? "override" : "input",
      };
    }
  }

  // What became of the node at `at`, which did not end: never reached, left
  // out below a failure (continuing past failures; a fan-out block left out
  // leaves out all its nodes), failed by its own hook, or cut off.
  #unfinished(at: number): SkipReason | "failed" | "cancelled" {
    const runError = this.#runError;
    if (this.#starts[at] !== this.#starts[at]) {
      if (!(runError instanceof RunFailedError)) return "not-reached";
      const skipped = this.#skipped ??= new Set(runError.skipped);
      const { nodes, outer } = this.#roster!;
      return skipped.has(nodes[at]!.name) || skipped.has(outer[at]!)
        ? "upstream-failed"
        : "not-reached";
    }
    return runError instanceof HookError &&
        runError.nodeName === this.#roster!.nodes[at]!.name
      ? "failed"
      : "cancelled";
  }
}

// What became of a node, in a recorder.
const NONE = 0;
const SUCCEEDED = 1;
const FAILED = 2;

// The nodes whose functions a plan runs, in plan order (a fan-out block
// stands for the nodes of its per-item plan, once each however many items),
// with their positions by name; made once per plan.
interface Roster {
  readonly plan: Plan;
  readonly nodes: readonly PlanNode[];
  readonly index: ReadonlyMap<string, number>;
  /** For each node, the node of `plan` it runs under: itself, or its block. */
  readonly outer: readonly string[];
}

const rosters = new WeakMap<Plan, Roster>();

function rosterOf(plan: Plan): Roster {
  let roster = rosters.get(plan);
  if (roster !== undefined) return roster;
  const nodes: PlanNode[] = [];
  const outer: string[] = [];
  const index = new Map<string, number>();
  const add = (inner: Plan, under: string | undefined) => {
    for (const node of inner.nodes) {
      if (node.block !== undefined) add(node.block.plan, under ?? node.name);
      else if (!index.has(node.name)) {
        index.set(node.name, nodes.length);
        nodes.push(node);
        outer.push(under ?? node.name);
      }
    }
  };
  add(plan, undefined);
  rosters.set(plan, roster = { plan, nodes, index, outer });
  return roster;
}

/** An event as the recorder makes it: its run's tags are added as it goes out. */
export type RecordedEvent<E extends ExecutionEvent = ExecutionEvent> = E extends
  unknown ? Omit<E, "tags"> : never;

const NO_TAGS: RunTags = Object.freeze({});

function withItem<T extends object>(event: T, item: number | undefined): T {
  return item === undefined ? event : { ...event, item };
}

function withCache<T extends object>(
  event: T,
  cache: CacheOutcome | undefined,
): T {
  return cache === undefined ? event : { ...event, cache };
}
