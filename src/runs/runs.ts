/**
 * `dr.runs`: the runs a driver's run store holds (this driver's and any
 * other's that wrote to the same store), and a stored run's events replayed
 * in the shape `stream()` yields them.
 *
 * @module
 */
import type { ExecutionEvent, RunTags } from "../events.ts";
import type { RunLog } from "./_run_log.ts";
import type {
  RunQuery,
  RunStore,
  StoredItem,
  StoredNode,
  StoredRun,
} from "./types.ts";

/** What `dr.runs` answers. */
export interface RunsView {
  /** Whether the driver records runs (`withRunStore`). */
  readonly enabled: boolean;
  /** The store, when it does. */
  readonly store: RunStore | undefined;
  /** Runs matching `query` (status, tag, since, limit), the newest first. */
  list(query?: RunQuery): Promise<StoredRun[]>;
  /** The run `id`, if stored. */
  get(id: string): Promise<StoredRun | undefined>;
  /** The nodes of run `id`, in plan order. */
  nodes(id: string): Promise<StoredNode[]>;
  /** The items of map run `id`, in item order. */
  items(id: string): Promise<StoredItem[]>;
  /**
   * The stored run's events as `stream()` yielded them, rebuilt from its
   * record: run start, each node's start and end in order of start, its
   * logs, skipped nodes, run end. Rejects for an unknown run.
   */
  events(id: string): AsyncGenerator<ExecutionEvent, void, undefined>;
}

/** `dr.runs` of a driver that records into `log`. */
export function runsView(log: RunLog): RunsView {
  const store = log.store;
  return Object.freeze({
    enabled: true,
    store,
    async list(query?: RunQuery) {
      await log.settled();
      return await store.list(query);
    },
    async get(id: string) {
      await log.settled();
      return await store.get(id);
    },
    async nodes(id: string) {
      await log.settled();
      return await store.nodes(id);
    },
    async items(id: string) {
      await log.settled();
      return await store.items(id);
    },
    async *events(id: string) {
      await log.settled();
      const run = await store.get(id);
      if (run === undefined) {
        throw new TypeError(`Run "${id}" is not in the run store`);
      }
      yield* replay(run, await store.nodes(id));
    },
  });
}

/** `dr.runs` of a driver without a run store: every query says how to get one. */
export const NO_RUNS: RunsView = Object.freeze({
  enabled: false,
  store: undefined,
  list: refuse,
  get: refuse,
  nodes: refuse,
  items: refuse,
  // deno-lint-ignore require-yield
  async *events(): AsyncGenerator<ExecutionEvent, void, undefined> {
    await refuse();
  },
});

function refuse(): Promise<never> {
  return Promise.reject(
    new TypeError(
      "This driver records no runs: build it with withRunStore({ path }) or withRunStore({ store })",
    ),
  );
}

// A stored run's events, in order of time.
function replay(
  run: StoredRun,
  nodes: readonly StoredNode[],
): ExecutionEvent[] {
  const runId = run.id;
  const tags = run.tags as RunTags;
  // Each event with its place: its position among the run's events when
  // stored, else its time.
  const keyed: [number, number, ExecutionEvent][] = [];
  const push = (seq: number | undefined, event: ExecutionEvent) =>
    keyed.push([seq ?? Infinity, event.timestamp, event]);
  const events: ExecutionEvent[] = [{
    type: "runStarted",
    runId,
    tags,
    timestamp: run.startedAt,
    finalVars: run.finalVars,
  }];
  const end = run.endedAt ?? run.startedAt;
  for (const node of nodes) {
    const nodeName = node.name;
    if (node.status === "skipped" || node.status === "reused") {
      push(undefined, {
        type: "nodeSkipped",
        runId,
        tags,
        timestamp: end,
        nodeName,
        reason: node.skipReason ??
          (node.status === "reused" ? "override" : "not-reached"),
      });
      continue;
    }
    const start = node.startedAt ?? run.startedAt;
    const durationMs = node.durationMs ?? 0;
    const worker = node.worker === undefined ? {} : { worker: node.worker };
    const startSeq = node.seq;
    const endSeq = node.endSeq;
    if (node.cache === "hit") {
      push(endSeq, {
        type: "nodeCached",
        runId,
        tags,
        timestamp: start + durationMs,
        nodeName,
        durationMs,
      });
    } else {
      push(startSeq, {
        type: "nodeStarted",
        runId,
        tags,
        timestamp: start,
        nodeName,
        ...worker,
      });
    }
    for (const log of node.logs ?? []) {
      push(log.seq, {
        type: "log",
        runId,
        tags,
        timestamp: log.timestamp,
        nodeName,
        message: log.message,
        ...(log.data === undefined ? {} : { data: log.data }),
      });
    }
    if (node.status === "failed") {
      push(endSeq, {
        type: "nodeFailed",
        runId,
        tags,
        timestamp: start + durationMs,
        nodeName,
        durationMs,
        error: node.error,
        ...worker,
      });
    } else if (node.status === "succeeded" && node.cache !== "hit") {
      push(endSeq, {
        type: "nodeSucceeded",
        runId,
        tags,
        timestamp: start + durationMs,
        nodeName,
        durationMs,
        ...worker,
        ...(node.cache === undefined ? {} : { cache: node.cache }),
      });
    }
  }
  keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const ordered = [events[0]!, ...keyed.map(([, , event]) => event)];
  if (run.status !== "running") {
    ordered.push({
      type: "runFinished",
      runId,
      tags,
      timestamp: end,
      success: run.status === "succeeded",
      durationMs: run.durationMs ?? 0,
      ...(run.error === undefined ? {} : { error: run.error }),
    });
  }
  return ordered;
}
