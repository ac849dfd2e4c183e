// A driver's run store, as the driver uses it: the store, the writes still
// pending on it (queries wait for them), and what every record of the
// driver shares (its plan signature, modules, config and their versions,
// each plan's stored shape). A store that throws or rejects becomes a
// warning; the run it records goes on as if nothing happened.
import type { Graph } from "../graph.ts";
import type { MaybePromise } from "../hooks.ts";
import type { Plan } from "../plan.ts";
import type { Runner } from "../runner.ts";
import { type Hasher, loadHasher } from "../cache/hasher.ts";
import { dataVersion } from "../cache/data_version.ts";
import { planSignature } from "../signature.ts";
import { isThenable } from "../_thenable.ts";
import { plainJson } from "./_query.ts";
import { SqliteRunStore } from "./sqlite_store.ts";
import type {
  RetentionOptions,
  RunStore,
  StoredPlan,
  StoredPlanNode,
} from "./types.ts";

/** What a run store told the driver instead of failing a run. */
export interface RunStoreWarning {
  /** The run whose record could not be written. */
  readonly runId: string;
  /** What went wrong, in one line. */
  readonly message: string;
  /** What the store threw. */
  readonly error: unknown;
}

/**
 * Options of `Builder.withRunStore` (and `Engine`'s `runStore`): `path`, a
 * SQLite file for a new {@linkcode SqliteRunStore}, or `store`, a store of
 * your own choosing.
 */
export interface RunStoreOptions {
  /** The SQLite file of the store to open (its directory is created). */
  readonly path?: string;
  /** A store to record into (`SqliteRunStore`, `MemoryRunStore`, your own). */
  readonly store?: RunStore;
  /** With `path`: how many runs, or days of runs, to keep. @default {every run} */
  readonly keep?: RetentionOptions;
  /**
   * Told when the store fails to record a run (the run itself goes on);
   * a `stream()` yields a `"warning"` event as well.
   *
   * @default {a line on the console}
   */
  readonly onWarning?: (warning: RunStoreWarning) => void;
  /**
   * While a run goes on, its nodes so far are recorded at most this often
   * (when a node ends this long after the last record), so that a viewer
   * follows a long run; a run shorter than this is written at its start and
   * end only.
   *
   * @default {1000}
   */
  readonly progressMs?: number;
}

/** Checks `withRunStore` options in std style; returns them. */
export function checkRunStoreOptions(
  options: RunStoreOptions,
): RunStoreOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `'runStore' options must be an object: received ${options}`,
    );
  }
  const { path, store, onWarning } = options;
  if ((path === undefined) === (store === undefined)) {
    throw new TypeError("Exactly one of 'path' and 'store' must be given");
  }
  if (path !== undefined && (typeof path !== "string" || path === "")) {
    throw new TypeError(`'path' must be a non-empty string: received ${path}`);
  }
  const methods = ["start", "finish", "list", "get", "nodes", "items"];
  if (
    store !== undefined &&
    methods.some((m) =>
      typeof (store as unknown as Record<string, unknown>)[m] !== "function"
    )
  ) {
    throw new TypeError(`'store' must have ${methods.join(", ")} methods`);
  }
  const progressMs = options.progressMs;
  if (
    progressMs !== undefined &&
    (typeof progressMs !== "number" || !(progressMs >= 0))
  ) {
    throw new RangeError(
      `'progressMs' must be a non-negative number: received ${progressMs}`,
    );
  }
  if (onWarning !== undefined && typeof onWarning !== "function") {
    throw new TypeError(
      `'onWarning' must be a function: received ${onWarning}`,
    );
  }
  return options;
}

/** A driver's run store and what its records share. */
export class RunLog {
  /** The store. */
  readonly store: RunStore;
  /** The hasher for data versions of inputs (the cache's, when there is one). */
  readonly hasher: Hasher;
  /** How often a running run's progress is recorded, in ms. */
  readonly progressMs: number;
  readonly #owns: boolean;
  readonly #onWarning: (warning: RunStoreWarning) => void;
  readonly #pending = new Set<Promise<void>>();
  readonly #rosters = new WeakMap<Plan, StoredRoster>();
  #shared: Shared | undefined;

  /** Opens the store `options` describe. */
  static async open(options: RunStoreOptions): Promise<RunLog> {
    const hasher = await loadHasher();
    const store = options.store ??
      new SqliteRunStore(
        options.path!,
        options.keep === undefined ? {} : { keep: options.keep },
      );
    return new RunLog(
      store,
      options.store === undefined,
      hasher,
      options.onWarning,
      options.progressMs ?? 1000,
    );
  }

  private constructor(
    store: RunStore,
    owns: boolean,
    hasher: Hasher,
    onWarning: ((warning: RunStoreWarning) => void) | undefined,
    progressMs: number,
  ) {
    this.progressMs = progressMs;
    this.store = store;
    this.#owns = owns;
    this.hasher = hasher;
    this.#onWarning = onWarning ??
      ((w) => console.warn(`braid run store: ${w.message}`));
  }

  /**
   * Runs a write of run `runId`'s record; a failure is reported to
   * `warn` (and the option's `onWarning`), never thrown. Returns at once:
   * an async store's write is awaited by the queries.
   */
  write(
    runId: string,
    what: string,
    operation: () => MaybePromise<void>,
    warn?: (warning: RunStoreWarning) => void,
  ): void {
    const fail = (error: unknown) => {
      const warning: RunStoreWarning = {
        runId,
        message: `could not record ${what} of run ${runId}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        error,
      };
      try {
        this.#onWarning(warning);
        warn?.(warning);
      } catch { /* a warning must not fail the run either */ }
    };
    let result: MaybePromise<void>;
    try {
      result = operation();
    } catch (error) {
      return fail(error);
    }
    if (!isThenable(result)) return;
    const pending: Promise<void> = Promise.resolve(result).then(
      () => {},
      fail,
    ).finally(() => this.#pending.delete(pending));
    this.#pending.add(pending);
  }

  /** Resolves once every write started so far has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** What every record of `runner`'s runs shares, worked out once. */
  shared(runner: Runner): Shared {
    return this.#shared ??= sharedOf(runner, this.hasher);
  }

  /** The stored shape of `plan` and its nodes' places, made once per plan. */
  rosterOf(runner: Runner, plan: Plan): StoredRoster {
    let roster = this.#rosters.get(plan);
    if (roster === undefined) {
      const stored = storedPlan(plan);
      const shared = this.shared(runner);
      const names = stored.nodes.map((n) => n.name);
      roster = Object.freeze({
        plan: stored,
        names: Object.freeze(names),
        index: new Map(names.map((name, at) => [name, at])),
        size: names.length,
        runs: stored.nodes.map((n) => n.kind === "node"),
        executors: stored.nodes.map((n) => {
          const spec = runner.graph.specs.get(n.name);
          return n.kind !== "node" || spec === undefined
            ? undefined
            : shared.executorOf(n.name, spec.tags);
        }),
      });
      this.#rosters.set(plan, roster);
    }
    return roster;
  }

  /** Waits for pending writes, then closes the store if the driver opened it. */
  async close(): Promise<void> {
    await this.settled();
    if (this.#owns) await this.store.close?.();
  }
}

/** A plan as stored, and where each of its nodes is in a recording. */
export interface StoredRoster {
  /** The plan as stored. */
  readonly plan: StoredPlan;
  /** Its seeds, then its nodes. */
  readonly names: readonly string[];
  /** Each name's position. */
  readonly index: ReadonlyMap<string, number>;
  /** How many names. */
  readonly size: number;
  /** Whether the name at each position is a node that runs (not a seed). */
  readonly runs: readonly boolean[];
  /** The executor of each node, when known before it runs. */
  readonly executors: readonly (string | undefined)[];
}

/** What every record of one driver's runs shares. */
export interface Shared {
  readonly planSignature: string;
  readonly modules: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly configVersions: Readonly<Record<string, string>> | undefined;
  /** The executor of each node, when it is known before the node runs. */
  executorOf(
    name: string,
    tags: Readonly<Record<string, unknown>>,
  ): string | undefined;
}

function sharedOf(runner: Runner, hasher: Hasher): Shared {
  const graph: Graph = runner.graph;
  const modules: string[] = [];
  for (const spec of graph.specs.values()) {
    if (spec.module !== undefined && !modules.includes(spec.module)) {
      modules.push(spec.module);
    }
  }
  const configVersions: Record<string, string> = {};
  for (const [key, value] of Object.entries(runner.config)) {
    configVersions[key] = dataVersion(value, hasher).version;
  }
  const router = runner.router;
  // Untagged nodes go to the default executor unless a route picks: then
  // only the run knows.
  const fallback = router === undefined
    ? runner.executor.name
    : router.names[router.lanes.executors.indexOf(router.defaultExecutor)];
  const routed = router !== undefined && router.lanes.laneOf !== undefined &&
    "measured" in router.lanes;
  return {
    planSignature: planSignature(graph),
    modules: Object.freeze(modules),
    config: plainJson(runner.config) as Record<string, unknown>,
    configVersions: Object.keys(configVersions).length === 0
      ? undefined
      : configVersions,
    executorOf: (_name, tags) =>
      tags.executor !== undefined
        ? String(tags.executor)
        : routed
        ? undefined
        : fallback,
  };
}

// The plan's nodes (fan-out blocks opened up into the nodes they run),
// the values it is seeded with, and the edges between them.
function storedPlan(plan: Plan): StoredPlan {
  const nodes: StoredPlanNode[] = [];
  const seen = new Set<string>();
  const edges: [string, string][] = [];
  for (const seed of plan.seeds) {
    seen.add(seed.name);
    nodes.push({ name: seed.name, kind: seed.source });
  }
  const add = (inner: Plan) => {
    for (const node of inner.nodes) {
      if (node.block !== undefined) {
        add(node.block.plan);
        continue;
      }
      if (node.kind !== "task" || seen.has(node.name)) continue;
      seen.add(node.name);
      nodes.push({ name: node.name, kind: "node" });
      for (const key of node.argKeys) edges.push([key, node.name]);
    }
  };
  add(plan);
  return Object.freeze({
    nodes: Object.freeze(nodes),
    edges: Object.freeze(edges),
  });
}
