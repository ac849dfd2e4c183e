// One run's record, built from the events its recorder emits (the same
// events `stream()` yields): the run's row when it starts, and its row and
// node records when it ends. Per node it keeps a few fields; the record is
// put together once, at the end.
import type { CacheOutcome } from "../cache/cache.ts";
import type { ExecutionEvent, SkipReason } from "../events.ts";
import type { ExecuteOptions, Runner } from "../runner.ts";
import type { Plan } from "../plan.ts";
import { dataVersion } from "../cache/data_version.ts";
import { plainJson, storedError } from "./_query.ts";
import type { RunLog, RunStoreWarning } from "./_run_log.ts";
import type {
  ItemRecords,
  RunKind,
  RunStatus,
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

interface NodeFacts {
  status: "succeeded" | "failed" | "skipped" | "started";
  skipReason?: SkipReason;
  startedAt?: number;
  durationMs: number;
  attempts: number;
  worker?: string;
  error?: unknown;
  cache?: CacheOutcome;
  logs?: StoredLog[];
  startSeq: number;
  endSeq: number;
}

/** Records one run of `runner` into `log`'s store. */
export class Recording {
  readonly #log: RunLog;
  readonly #runner: Runner;
  readonly #kind: RunKind;
  readonly #plan: Plan;
  readonly #options: ExecuteOptions;
  readonly #lineage: Lineage | undefined;
  readonly #nodes = new Map<string, NodeFacts>();
  readonly #warn: ((warning: RunStoreWarning) => void) | undefined;
  #run: StoredRun | undefined;
  #finished = false;
  #seq = 0;
  /** Item columns, for a map (see `MapItems`). */
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
  }

  /** The run's id, once it started. */
  get runId(): string | undefined {
    return this.#run?.id;
  }

  /** Takes in one of the run's events. */
  event(event: ExecutionEvent): void {
    const seq = ++this.#seq;
    switch (event.type) {
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
      case "nodeStarted": {
        const facts = this.#facts(event.nodeName);
        facts.status = "started";
        facts.startedAt = event.timestamp;
        facts.startSeq = seq;
        facts.attempts = Math.max(facts.attempts, event.attempt ?? 1);
        if (event.worker !== undefined) facts.worker = event.worker;
        return;
      }
      case "nodeSucceeded": {
        const facts = this.#facts(event.nodeName);
        if (facts.status !== "failed") facts.status = "succeeded";
        facts.durationMs += event.durationMs;
        facts.endSeq = seq;
        if (event.cache !== undefined) facts.cache = event.cache;
        if (event.worker !== undefined) facts.worker = event.worker;
        return;
      }
      case "nodeCached": {
        const facts = this.#facts(event.nodeName);
        if (facts.status !== "failed") facts.status = "succeeded";
        facts.durationMs += event.durationMs;
        facts.cache = "hit";
        facts.startSeq = facts.endSeq = seq;
        return;
      }
      case "nodeFailed": {
        const facts = this.#facts(event.nodeName);
        if (facts.status !== "failed") facts.error = event.error;
        facts.status = "failed";
        facts.durationMs += event.durationMs;
        facts.endSeq = seq;
        if (event.worker !== undefined) facts.worker = event.worker;
        return;
      }
      case "nodeSkipped": {
        const facts = this.#facts(event.nodeName);
        facts.status = "skipped";
        facts.skipReason = event.reason;
        return;
      }
      case "log": {
        const log: { -readonly [K in keyof StoredLog]: StoredLog[K] } = {
          timestamp: event.timestamp,
          message: event.message,
          seq,
        };
        if (event.data !== undefined) log.data = plainJson(event.data);
        if (event.item !== undefined) log.item = event.item;
        (this.#facts(event.nodeName).logs ??= []).push(log);
        return;
      }
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
      finalVars: [...this.#plan.finalVars],
      inputs: this.#values(options.inputs),
      overrides: this.#values(options.overrides),
      config: shared.config,
      modules: shared.modules,
      planSignature: shared.planSignature,
      plan: this.#log.planOf(this.#plan),
    };
    if (Object.keys(shared.configVersions).length > 0) {
      run.configVersions = shared.configVersions;
    }
    const lineage = this.#lineage;
    if (lineage !== undefined) {
      run.parentRunId = lineage.parentRunId;
      run.selected = lineage.selected;
    }
    if (this.mapped !== undefined) run.items = this.mapped.items;
    const stored = this.#run = run as unknown as StoredRun;
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
    const items = this.items;
    this.#log.write(
      run.id,
      "the end",
      () => this.#log.store.finish(ended as unknown as StoredRun, nodes, items),
      this.#warn,
    );
  }

  #facts(name: string): NodeFacts {
    let facts = this.#nodes.get(name);
    if (facts === undefined) {
      facts = {
        status: "skipped",
        durationMs: 0,
        attempts: 0,
        startSeq: 0,
        endSeq: 0,
      };
      this.#nodes.set(name, facts);
    }
    return facts;
  }

  // The inputs (or overrides) with the data versions of their values; a
  // map's mapped inputs with their item counts.
  #values(
    values: Readonly<Record<string, unknown>> | undefined,
  ): StoredValue[] {
    if (values === undefined) return [];
    const mapped = this.mapped;
    const stored: StoredValue[] = [];
    for (const name of Object.keys(values)) {
      if (mapped?.over.includes(name)) {
        stored.push({ name, items: mapped.items });
        continue;
      }
      const hasher = this.#runner.cache?.hasher ?? this.#log.hasher;
      stored.push({
        name,
        dataVersion: dataVersion(values[name], hasher).version,
      });
    }
    return stored;
  }

  // Every node of the plan and every node an event named, in plan order.
  #nodeRecords(runId: string, status: RunStatus): StoredNode[] {
    const shared = this.#log.shared(this.#runner);
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
    const reused = new Set(this.#lineage?.reused);
    const records: StoredNode[] = [];
    const names = this.#log.planOf(this.#plan).nodes
      .filter((n) => n.kind === "node" || reused.has(n.name))
      .map((n) => n.name);
    for (const name of this.#nodes.keys()) {
      if (!names.includes(name)) names.push(name);
    }
    for (const name of names) {
      const facts = this.#nodes.get(name);
      const record: Record<string, unknown> = { name };
      if (reused.has(name)) {
        record.status = "reused";
      } else if (facts === undefined) {
        record.status = this.#kind === "map" && status === "succeeded"
          ? "succeeded"
          : "skipped";
        if (record.status === "skipped") record.skipReason = "not-reached";
      } else if (facts.status === "started") {
        record.status = status === "succeeded" ? "succeeded" : "cancelled";
      } else {
        record.status = facts.status;
        if (facts.skipReason !== undefined) {
          record.skipReason = facts.skipReason;
        }
      }
      if (facts !== undefined && facts.status !== "skipped") {
        if (facts.startedAt !== undefined) record.startedAt = facts.startedAt;
        record.durationMs = facts.durationMs;
        if (facts.attempts > 0) record.attempts = facts.attempts;
        if (facts.worker !== undefined) record.worker = facts.worker;
        if (facts.error !== undefined) record.error = storedError(facts.error);
        if (facts.cache !== undefined) record.cache = facts.cache;
        if (facts.startSeq > 0) record.seq = [facts.startSeq, facts.endSeq];
      }
      if (record.status !== "skipped" && record.status !== "reused") {
        const spec = this.#runner.graph.specs.get(name);
        const executor = spec === undefined
          ? undefined
          : shared.executorOf(name, spec.tags);
        if (executor !== undefined) record.executor = executor;
      }
      const cached = cacheOf.get(name);
      if (cached !== undefined) {
        if (cached.key !== undefined) record.cacheKey = cached.key;
        if (cached.codeVersion !== undefined) {
          record.codeVersion = cached.codeVersion;
        }
        record.dataVersion = cached.dataVersion;
      }
      if (facts?.logs !== undefined) record.logs = facts.logs;
      records.push(record as unknown as StoredNode);
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
