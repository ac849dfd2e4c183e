// One run's record, built from the events its recorder emits (the same
// events `stream()` yields): the run's row when it starts, and its row and
// node records when it ends. Per node it keeps a few numbers by column,
// positioned by the plan's roster (made once per plan); the records are
// put together once, at the end.
import type { CacheOutcome } from "../cache/cache.ts";
import type { ExecutionEvent, SkipReason } from "../events.ts";
import type { ExecuteOptions, Runner } from "../runner.ts";
import type { Plan } from "../plan.ts";
import { dataVersion } from "../cache/data_version.ts";
import { plainJson, storedError } from "./_query.ts";
import type { RunLog, RunStoreWarning, StoredRoster } from "./_run_log.ts";
import type {
  ItemRecords,
  RunKind,
  RunStatus,
  StoredError,
  StoredLog,
  StoredNode,
  StoredRun,
  StoredValue,
} from "./types.ts";

/** What a re-execution adds to its run's record. */
export interface Lineage {
  /** The run it re-executes. */
  readonly parentRunId: string;
  /** The nodes it runs again. */
  readonly selected: readonly string[];
  /** The nodes whose values it takes from the parent run. */
  readonly reused: readonly string[];
}

// What became of a node, by column.
const UNSEEN = 0;
const STARTED = 1;
const SUCCEEDED = 2;
const FAILED = 3;
const SKIPPED = 4;

/** Records one run of `runner` into `log`'s store. */
export class Recording {
  readonly #log: RunLog;
  readonly #runner: Runner;
  readonly #kind: RunKind;
  readonly #plan: Plan;
  readonly #roster: StoredRoster;
  readonly #options: ExecuteOptions;
  readonly #lineage: Lineage | undefined;
  readonly #warn: ((warning: RunStoreWarning) => void) | undefined;
  // By roster position; names events bring that the plan lacks (a nested
  // pipeline's nodes) are added to the roster's end as they come.
  #names: string[];
  #status: Uint8Array;
  #startedAt: Float64Array;
  #durations: Float64Array;
  #attempts: Uint16Array;
  #startSeq: Uint32Array;
  #endSeq: Uint32Array;
  #extra: Map<string, number> | undefined;
  #workers: (string | undefined)[] | undefined;
  // Each node's executor as routing chose it in the run (when routed).
  #executors: (string | undefined)[] | undefined;
  #errors: unknown[] | undefined;
  #caches: (CacheOutcome | undefined)[] | undefined;
  #skipReasons: (SkipReason | undefined)[] | undefined;
  #logs: (StoredLog[] | undefined)[] | undefined;
  #lastName = "";
  #lastAt = -1;
  #run: StoredRun | undefined;
  #finished = false;
  #seq = 0;
  // A stream's map items: when each ended, which failed.
  #itemEnds: Float64Array | undefined;
  readonly #itemFailures: { item: number; error: StoredError }[] = [];
  // When progress was last recorded (epoch ms, the events' clock).
  #recordedAt = Infinity;
  /** Item columns, for a map. */
  items: ItemRecords | undefined;
  /** How many items a map has, and which inputs it maps over. */
  mapped:
    | { readonly items: number; readonly over: readonly string[] }
    | undefined;

  constructor(
    log: RunLog,
    runner: Runner,
    kind: RunKind,
    plan: Plan,
    options: ExecuteOptions,
    lineage?: Lineage,
    warn?: (warning: RunStoreWarning) => void,
  ) {
    this.#log = log;
    this.#runner = runner;
    this.#kind = kind;
    this.#plan = plan;
    this.#options = options;
    this.#lineage = lineage;
    this.#warn = warn;
    const roster = this.#roster = log.rosterOf(runner, plan);
    const size = roster.names.length;
    this.#names = roster.names as string[];
    this.#status = new Uint8Array(size);
    this.#startedAt = new Float64Array(size);
    this.#durations = new Float64Array(size);
    this.#attempts = new Uint16Array(size);
    this.#startSeq = new Uint32Array(size);
    this.#endSeq = new Uint32Array(size);
  }

  /** Takes in one of the run's events. */
  event(event: ExecutionEvent): void {
    this.#take(event);
    // A node ended long enough after the last record: the run's progress
    // is written (the events' own timestamps: no clock read per event).
    if (event.timestamp - this.#recordedAt >= this.#log.progressMs) {
      const type = event.type;
      if (
        type === "nodeSucceeded" || type === "nodeFailed" ||
        type === "nodeCached"
      ) {
        this.#progress(event.timestamp);
      }
    }
  }

  #take(event: ExecutionEvent): void {
    const seq = ++this.#seq;
    switch (event.type) {
      case "nodeStarted": {
        const at = this.#at(event.nodeName);
        // A retry starts the record over; an item of a map or fan-out block
        // keeps the failure of an item before it.
        if (event.item === undefined || this.#status[at] !== FAILED) {
          this.#status[at] = STARTED;
        }
        this.#startedAt[at] = event.timestamp;
        this.#startSeq[at] = seq;
        const attempt = event.attempt ?? 1;
        if (attempt > this.#attempts[at]!) this.#attempts[at] = attempt;
        if (event.worker !== undefined) {
          (this.#workers ??= [])[at] = event.worker;
        }
        if (event.executor !== undefined) {
          (this.#executors ??= [])[at] = event.executor;
        }
        return;
      }
      case "nodeSucceeded": {
        const at = this.#at(event.nodeName);
        if (this.#status[at] !== FAILED) this.#status[at] = SUCCEEDED;
        this.#durations[at] = this.#durations[at]! + event.durationMs;
        this.#endSeq[at] = seq;
        if (event.cache !== undefined) (this.#caches ??= [])[at] = event.cache;
        if (event.worker !== undefined) {
          (this.#workers ??= [])[at] = event.worker;
        }
        return;
      }
      case "nodeCached": {
        const at = this.#at(event.nodeName);
        if (this.#status[at] !== FAILED) this.#status[at] = SUCCEEDED;
        this.#durations[at] = this.#durations[at]! + event.durationMs;
        this.#startSeq[at] = this.#endSeq[at] = seq;
        this.#startedAt[at] = event.timestamp - event.durationMs;
        (this.#caches ??= [])[at] = "hit";
        return;
      }
      case "nodeFailed": {
        const at = this.#at(event.nodeName);
        if (this.#status[at] !== FAILED) {
          (this.#errors ??= [])[at] = event.error;
        }
        this.#status[at] = FAILED;
        this.#durations[at] = this.#durations[at]! + event.durationMs;
        this.#endSeq[at] = seq;
        if (event.worker !== undefined) {
          (this.#workers ??= [])[at] = event.worker;
        }
        return;
      }
      case "nodeSkipped": {
        const at = this.#at(event.nodeName);
        this.#status[at] = SKIPPED;
        (this.#skipReasons ??= [])[at] = event.reason;
        return;
      }
      case "log": {
        const at = this.#at(event.nodeName);
        const log: { -readonly [K in keyof StoredLog]: StoredLog[K] } = {
          timestamp: event.timestamp,
          message: event.message,
          seq,
        };
        if (event.data !== undefined) log.data = plainJson(event.data);
        if (event.item !== undefined) log.item = event.item;
        ((this.#logs ??= [])[at] ??= []).push(log);
        return;
      }
      case "mapItem": {
        // A stream over a map's items: each item's end, by column.
        if (event.nodeName !== undefined || this.#run === undefined) return;
        let ends = this.#itemEnds;
        if (ends === undefined || event.item >= ends.length) {
          const grown = new Float64Array(
            Math.max(event.total, event.item + 1),
          ).fill(NaN);
          if (ends !== undefined) grown.set(ends);
          ends = this.#itemEnds = grown;
        }
        ends[event.item] = event.timestamp - this.#run.startedAt;
        if (!event.success) {
          this.#itemFailures.push({
            item: event.item,
            error: storedError(event.error),
          });
        }
        return;
      }
      case "runStarted":
        return this.start(event.runId, event.timestamp, tagsOf(event));
      case "runFinished":
        return this.finish(
          event.success
            ? "succeeded"
            : isCancellation(event.error)
            ? "cancelled"
            : "failed",
          event.timestamp,
          event.error,
        );
    }
  }

  /** The run started: its row is written, status `"running"`. */
  start(
    runId: string,
    startedAt: number,
    tags: Readonly<Record<string, unknown>> | undefined,
  ): void {
    const shared = this.#log.shared(this.#runner);
    const options = this.#options;
    const run: Record<string, unknown> = {
      id: runId,
      kind: this.#kind,
      status: "running" satisfies RunStatus,
      startedAt,
      tags: plainJson(tags ?? (options as { tags?: unknown }).tags ?? {}),
      finalVars: this.#plan.finalVars,
      inputs: this.#values(options.inputs),
      overrides: this.#values(options.overrides),
      config: shared.config,
      modules: shared.modules,
      planSignature: shared.planSignature,
      plan: this.#roster.plan,
    };
    if (shared.configVersions !== undefined) {
      run.configVersions = shared.configVersions;
    }
    const lineage = this.#lineage;
    if (lineage !== undefined) {
      run.parentRunId = lineage.parentRunId;
      run.selected = lineage.selected;
    }
    if (this.mapped !== undefined) run.items = this.mapped.items;
    const stored = this.#run = run as unknown as StoredRun;
    this.#recordedAt = startedAt;
    this.#log.write(
      runId,
      "the start",
      () => this.#log.store.start(stored),
      this.#warn,
    );
  }

  /**
   * The run ended: its row and node records are written in one go. Runs
   * once; a stream left early finishes as cancelled.
   */
  finish(status: RunStatus, endedAt: number, error?: unknown): void {
    const run = this.#run;
    if (run === undefined || this.#finished) return;
    this.#finished = true;
    const ended: Record<string, unknown> = {
      ...run,
      status,
      endedAt,
      durationMs: endedAt - run.startedAt,
    };
    if (error !== undefined) ended.error = storedError(error);
    const nodes = this.#nodeRecords(run.id, status);
    if (this.items === undefined && this.#itemEnds !== undefined) {
      this.items = { endedMs: this.#itemEnds, failures: this.#itemFailures };
    }
    const items = this.items;
    this.#log.write(
      run.id,
      "the end",
      () => this.#log.store.finish(ended as unknown as StoredRun, nodes, items),
      this.#warn,
    );
  }

  // Writes the nodes so far of the run, still running.
  #progress(now: number): void {
    const run = this.#run;
    if (run === undefined || this.#finished) return;
    this.#recordedAt = now;
    const running = { ...run, updatedAt: now };
    const nodes = this.#nodeRecords(run.id, "running");
    this.#log.write(
      run.id,
      "the progress",
      () => this.#log.store.finish(running, nodes),
      this.#warn,
    );
  }

  // The roster position of `name`; a name the plan lacks gets one.
  #at(name: string): number {
    if (name === this.#lastName) return this.#lastAt;
    // Nodes mostly come in roster order: the next one is tried before the
    // map (a string compare, which is by identity for the plan's names).
    const next = this.#lastAt + 1;
    if (this.#names[next] === name) {
      this.#lastName = name;
      return this.#lastAt = next;
    }
    let at = this.#roster.index.get(name) ?? this.#extra?.get(name);
    if (at === undefined) at = this.#add(name);
    this.#lastName = name;
    this.#lastAt = at;
    return at;
  }

  #add(name: string): number {
    const at = this.#names.length;
    if (this.#names === this.#roster.names) this.#names = [...this.#names];
    this.#names.push(name);
    (this.#extra ??= new Map()).set(name, at);
    const grow = <
      T extends Uint8Array | Uint16Array | Uint32Array | Float64Array,
    >(
      column: T,
      make: new (n: number) => T,
    ): T => {
      if (at < column.length) return column;
      const grown = new make(2 * at + 2);
      grown.set(column as never);
      return grown;
    };
    this.#status = grow(this.#status, Uint8Array);
    this.#startedAt = grow(this.#startedAt, Float64Array);
    this.#durations = grow(this.#durations, Float64Array);
    this.#attempts = grow(this.#attempts, Uint16Array);
    this.#startSeq = grow(this.#startSeq, Uint32Array);
    this.#endSeq = grow(this.#endSeq, Uint32Array);
    return at;
  }

  // The inputs (or overrides) with the data versions of their values; a
  // map's mapped inputs with their item counts.
  #values(
    values: Readonly<Record<string, unknown>> | undefined,
  ): StoredValue[] {
    if (values === undefined) return [];
    const mapped = this.mapped;
    const stored: StoredValue[] = [];
    const hasher = this.#runner.cache?.hasher ?? this.#log.hasher;
    for (const name of Object.keys(values)) {
      if (mapped?.over.includes(name)) {
        stored.push({ name, items: mapped.items });
        continue;
      }
      stored.push({
        name,
        dataVersion: dataVersion(values[name], hasher).version,
      });
    }
    return stored;
  }

  // Every node of the plan, reused values, and every node an event named,
  // in plan order.
  #nodeRecords(runId: string, status: RunStatus): StoredNode[] {
    const cacheOf = new Map<string, {
      key?: string;
      dataVersion: string;
      codeVersion?: string;
    }>();
    if (this.#kind !== "map") {
      for (const entry of this.#runner.cache?.logs(runId) ?? []) {
        if (entry.item === undefined) cacheOf.set(entry.nodeName, entry);
      }
    }
    const roster = this.#roster;
    const reused = this.#lineage === undefined
      ? undefined
      : new Set(this.#lineage.reused);
    const names = this.#names;
    const records: StoredNode[] = [];
    const succeeded = status === "succeeded";
    for (let at = 0; at < names.length; at++) {
      const name = names[at]!;
      if (at < roster.size && !roster.runs[at]) {
        // A value the run was given: only a re-execution's reused ones.
        if (reused?.has(name)) records.push({ name, status: "reused" });
        continue;
      }
      const state = this.#status[at];
      if (state === UNSEEN && status === "running") {
        records.push({ name, status: "pending" });
        continue;
      }
      if (state === UNSEEN || state === SKIPPED) {
        records.push(
          state === UNSEEN && this.#kind === "map" && succeeded
            ? { name, status: "succeeded" }
            : {
              name,
              status: "skipped",
              skipReason: this.#skipReasons?.[at] ?? "not-reached",
            },
        );
        continue;
      }
      const record: { -readonly [K in keyof StoredNode]: StoredNode[K] } = {
        name,
        status: state === SUCCEEDED
          ? "succeeded"
          : state === FAILED
          ? "failed"
          : status === "running"
          ? "running"
          : succeeded
          ? "succeeded"
          : "cancelled",
        startedAt: this.#startedAt[at]!,
        durationMs: this.#durations[at]!,
        seq: this.#startSeq[at]!,
        endSeq: this.#endSeq[at]!,
      };
      const attempts = this.#attempts[at]!;
      if (attempts > 0) record.attempts = attempts;
      const executor = this.#executors?.[at] ?? roster.executors[at];
      if (executor !== undefined) record.executor = executor;
      const worker = this.#workers?.[at];
      if (worker !== undefined) record.worker = worker;
      if (state === FAILED) record.error = storedError(this.#errors?.[at]);
      const cache = this.#caches?.[at];
      if (cache !== undefined) record.cache = cache;
      const cached = cacheOf.size === 0 ? undefined : cacheOf.get(name);
      if (cached !== undefined) {
        if (cached.key !== undefined) record.cacheKey = cached.key;
        if (cached.codeVersion !== undefined) {
          record.codeVersion = cached.codeVersion;
        }
        record.dataVersion = cached.dataVersion;
      }
      const logs = this.#logs?.[at];
      if (logs !== undefined) record.logs = logs;
      records.push(record);
    }
    return records;
  }
}

function tagsOf(
  event: ExecutionEvent,
): Readonly<Record<string, unknown>> | undefined {
  return (event as { tags?: Readonly<Record<string, unknown>> }).tags;
}

function isCancellation(error: unknown): boolean {
  return error instanceof Error && error.name === "CancelledError";
}
