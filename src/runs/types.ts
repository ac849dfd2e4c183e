/**
 * What the run store keeps: one record per run (its request, plan and
 * outcome), one per node of the run, and, for a `map`, one per item. Every
 * field is plain JSON, so that a record read back from a file in another
 * process is the record that was written.
 *
 * @module
 */
import type { CacheOutcome } from "../cache/cache.ts";
import type { SkipReason } from "../events.ts";
import type { MaybePromise } from "../hooks.ts";

/** Where a run is: `"running"` until it ends. */
export type RunStatus = "running" | "succeeded" | "failed" | "cancelled";

/** Which entry point started a run. */
export type RunKind = "execute" | "run" | "stream" | "map";

/** An error as stored: what it was, what it said, where it came from. */
export interface StoredError {
  /** Its `name` (`"NodeExecutionError"`, `"TypeError"`...). */
  readonly name: string;
  /** Its message. */
  readonly message: string;
  /** Its stack, when it had one. */
  readonly stack?: string;
  /** The node it names, for braid's node errors. */
  readonly nodeName?: string;
  /** What caused it, stored the same way. */
  readonly cause?: StoredError;
}

/** A value a run was given: its name and, when it could be hashed, its data version. */
export interface StoredValue {
  /** The input's (or overridden node's) name. */
  readonly name: string;
  /**
   * Its data version (the cache's hash of the value); absent for a mapped
   * input, whose items differ.
   */
  readonly dataVersion?: string;
  /** For a mapped input of a `map`: how many items it gave. */
  readonly items?: number;
}

/** One node of a stored plan. */
export interface StoredPlanNode {
  /** Its name. */
  readonly name: string;
  /**
   * `"node"`: a function that runs; `"input"`, `"override"`, `"config"`:
   * a value the run was given.
   */
  readonly kind: "node" | "input" | "override" | "config";
}

/** A run's plan: enough to draw it and to re-execute it from the store alone. */
export interface StoredPlan {
  /** The plan's nodes and the values it was seeded with. */
  readonly nodes: readonly StoredPlanNode[];
  /** `[from, to]`: `to` takes the value of `from`. */
  readonly edges: readonly (readonly [string, string])[];
}

/** One run, as stored. */
export interface StoredRun {
  /** The run's id. */
  readonly id: string;
  /** The entry point that ran it. */
  readonly kind: RunKind;
  /** Where it is. */
  readonly status: RunStatus;
  /** When it started, in milliseconds since the epoch. */
  readonly startedAt: number;
  /** When it ended, in milliseconds since the epoch. */
  readonly endedAt?: number;
  /** How long it took. */
  readonly durationMs?: number;
  /** Its run tags. */
  readonly tags: Readonly<Record<string, unknown>>;
  /** The requested names. */
  readonly finalVars: readonly string[];
  /** The inputs it was given, with their data versions. */
  readonly inputs: readonly StoredValue[];
  /** The overridden nodes, with the data versions of their values. */
  readonly overrides: readonly StoredValue[];
  /** The driver's config (values JSON cannot hold are described). */
  readonly config: Readonly<Record<string, unknown>>;
  /** The data versions of the config's values, when it has any. */
  readonly configVersions?: Readonly<Record<string, string>>;
  /** The modules the driver was built from (specifiers, or labels). */
  readonly modules: readonly string[];
  /** The driver's plan signature. */
  readonly planSignature: string;
  /** The plan's nodes and edges. */
  readonly plan: StoredPlan;
  /** Why it failed. */
  readonly error?: StoredError;
  /**
   * While it runs: when its progress (the nodes ended so far) was last
   * recorded, in milliseconds since the epoch.
   */
  readonly updatedAt?: number;
  /** For a re-execution: the run it re-executes. */
  readonly parentRunId?: string;
  /** For a re-execution: the nodes it ran again. */
  readonly selected?: readonly string[];
  /** For a `map`: how many items it had. */
  readonly items?: number;
}

/**
 * A stored node's status: a run's, `"reused"` (a re-execution took the
 * parent's value), or, in the progress of a run still running, `"running"`
 * (started, not ended) and `"pending"` (not started yet).
 */
export type StoredNodeStatus =
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled"
  | "reused"
  | "running"
  | "pending";

/** One message a node logged. */
export interface StoredLog {
  /** When, in milliseconds since the epoch. */
  readonly timestamp: number;
  /** The message. */
  readonly message: string;
  /** Extra data given with it (as JSON holds it). */
  readonly data?: unknown;
  /** The map or fan-out item it belongs to. */
  readonly item?: number;
  /** Its position among the run's events. */
  readonly seq?: number;
}

/** One node of a run, as stored. */
export interface StoredNode {
  /** The node. */
  readonly name: string;
  /** What happened to it. */
  readonly status: StoredNodeStatus;
  /** Why it was skipped. */
  readonly skipReason?: SkipReason;
  /** When it (last) started, in milliseconds since the epoch. */
  readonly startedAt?: number;
  /** How long it ran (summed over items, inside a fan-out block). */
  readonly durationMs?: number;
  /** How many times it started, when it started. */
  readonly attempts?: number;
  /** The executor it ran on. */
  readonly executor?: string;
  /** The worker it ran on, when its executor names one. */
  readonly worker?: string;
  /** What it threw. */
  readonly error?: StoredError;
  /** What the cache did. */
  readonly cache?: CacheOutcome;
  /** Its cache key, when the cache keyed it. */
  readonly cacheKey?: string;
  /** Its code version, when the cache has one. */
  readonly codeVersion?: string;
  /** The data version of its value, when the cache hashed it. */
  readonly dataVersion?: string;
  /** What it logged with `ctx.log`. */
  readonly logs?: readonly StoredLog[];
  /**
   * The position of its (last) start among the run's events, so that a
   * replay gives events in the order they happened.
   */
  readonly seq?: number;
  /** The position of its end among the run's events. */
  readonly endSeq?: number;
}

/** One item of a `map`, as `runs.items` gives it. */
export interface StoredItem {
  /** Its index. */
  readonly item: number;
  /** What became of it: `"not-run"` when the map stopped before it ended. */
  readonly status: "succeeded" | "failed" | "not-run";
  /** When it ended, in milliseconds after the run started. */
  readonly endedMs?: number;
  /** Why it failed. */
  readonly error?: StoredError;
}

/**
 * A map's items as a store receives them: by column, so that recording
 * 100,000 items makes no object per item.
 */
export interface ItemRecords {
  /** When each item ended, in ms after the run started; NaN if it did not. */
  readonly endedMs: Float64Array;
  /** The failed items and why. */
  readonly failures: readonly {
    readonly item: number;
    readonly error: StoredError;
  }[];
}

/** What `runs.list` filters by. */
export interface RunQuery {
  /** Only runs with this status. */
  readonly status?: RunStatus;
  /**
   * Only runs with these tags (every key must match; a tag stored as a list
   * matches when it holds the value).
   */
  readonly tag?: Readonly<Record<string, string>>;
  /** Only runs started at or after this time (a Date, or ms since the epoch). */
  readonly since?: Date | number;
  /** At most this many (the newest first). @default {100} */
  readonly limit?: number;
}

/** How long a store keeps runs. */
export interface RetentionOptions {
  /** Keep the newest this many runs. */
  readonly runs?: number;
  /** Keep runs started within this many days. */
  readonly days?: number;
}

/**
 * Where runs are recorded: `start` when a run starts, `finish` once it
 * ended. Methods may answer synchronously or with a promise. A store that
 * throws never fails a run: the driver reports a warning instead.
 */
export interface RunStore {
  /** Records that `run` started (its status is `"running"`). */
  start(run: StoredRun): MaybePromise<void>;
  /** Records how `run` ended, with its nodes (and a map's items). */
  finish(
    run: StoredRun,
    nodes: readonly StoredNode[],
    items?: ItemRecords,
  ): MaybePromise<void>;
  /** Runs matching `query`, the newest first. */
  list(query?: RunQuery): MaybePromise<StoredRun[]>;
  /** The run `id`, if stored. */
  get(id: string): MaybePromise<StoredRun | undefined>;
  /** The nodes of run `id`, in plan order (empty if unknown). */
  nodes(id: string): MaybePromise<StoredNode[]>;
  /** The items of map run `id`, in item order (empty if none). */
  items(id: string): MaybePromise<StoredItem[]>;
  /** Releases the store. */
  close?(): MaybePromise<void>;
}
