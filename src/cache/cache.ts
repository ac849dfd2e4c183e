/**
 * The driver's cache: which behaviour each node has, the code version and
 * key recipe of each node of a plan (worked out once per plan), the store,
 * and the per-run logs. A {@linkcode CacheSession} applies it to one run.
 *
 * @module
 */
import { BEHAVIORS, type CacheBehavior } from "../modifiers/cache.ts";
import type { NodeSpec } from "../node.ts";
import type { Plan } from "../plan.ts";
import { codeVersion } from "./code_version.ts";
import type { DataVersion } from "./data_version.ts";
import { type Hasher, loadHasher } from "./hasher.ts";
import { CacheSession, decodeHex, type NodeCacheInfo } from "./session.ts";
import { type OpenedStore, openSqlite } from "./_open.ts";
import type { CacheStore } from "./store.ts";
import { isThenable } from "../_thenable.ts";

/**
 * What the cache did for a node: `"hit"` (a stored result was used, the
 * function did not run), `"miss"` (it ran and its result was stored),
 * `"recompute"` (it ran because its behaviour says so, result stored),
 * `"disabled"` / `"ignored"` (it ran; nothing read or stored).
 */
export type CacheOutcome =
  | "hit"
  | "miss"
  | "recompute"
  | "disabled"
  | "ignored";

/** One node's entry in `dr.cache.logs(runId)`. */
export interface CacheLogEntry {
  /** The node. */
  readonly nodeName: string;
  /** What the cache did. */
  readonly outcome: CacheOutcome;
  /** The cache key (for hit, miss and recompute). */
  readonly key?: string;
  /** The data version of the node's value. */
  readonly dataVersion: string;
  /** The map item index, when the run is one item of a map. */
  readonly item?: number;
  /** Why a stored result could not be used (corrupt, missing, store error). */
  readonly warning?: string;
  /** Why the value (or an input) has a unique data version. */
  readonly unhashable?: string;
  /** Why the value was not stored. */
  readonly notStored?: string;
  /** The node's code version (what its key was made from, with its inputs). */
  readonly codeVersion?: string;
}

/** Per-builder behaviours; they win over `cache({ behavior })`. */
export interface CacheBehaviors {
  /** Nodes that always run (and store), or `true` for all. */
  readonly recompute?: readonly string[] | true;
  /** Nodes never read or stored, or `true` for no cache at all. */
  readonly disable?: readonly string[] | true;
  /** Nodes never read or stored and left out of their dependents' keys. */
  readonly ignore?: readonly string[];
  /**
   * The behaviour of nodes that neither these lists nor a `cache()`
   * modifier name.
   *
   * @default {"default"}
   */
  readonly defaultBehavior?: CacheBehavior;
}

/** Options of `Builder.withCache`: where results go, and behaviours. */
export interface CacheOptions extends CacheBehaviors {
  /**
   * The directory of the default {@linkcode SqliteCacheStore}.
   *
   * @default {".braid_cache"}
   */
  readonly path?: string;
  /** A store to use instead (e.g. `MemoryCacheStore`, `DenoKvCacheStore`). */
  readonly store?: CacheStore;
  /**
   * Whether a cache directory that cannot be opened (corrupt, full,
   * read-only) fails `build()` with a `CacheError`. When false, the driver
   * builds with the cache disabled (or read-only), warns once with
   * `console.warn` naming the directory and the fix, and the first recorded
   * run's events carry a `"warning"` event saying the same.
   *
   * @default {false}
   */
  readonly strict?: boolean;
  /**
   * How many entries `dr.cache.logs()` keeps over all runs; the oldest
   * runs' logs go first. A run with more entries than this keeps its first
   * ones. (At most 1,000 runs are kept in any case.)
   *
   * @default {100000}
   */
  readonly logEntries?: number;
}

/** `dr.cache`: what the cache did. */
export interface CacheView {
  /** Whether the driver caches at all. */
  readonly enabled: boolean;
  /** The store, when it caches. */
  readonly store: CacheStore | undefined;
  /** Per node of the run (and per map item), what the cache did, in order. */
  logs(runId: string): readonly CacheLogEntry[];
}

/**
 * Where a run's options name nodes that must run again whatever the cache
 * holds (a re-execution's selected nodes): braid's own, not public API.
 */
export const RECOMPUTE: unique symbol = Symbol("braid.recompute");

// Logs of at most this many recent runs, and of LOG_ENTRIES entries in all
// unless told otherwise, are kept: a long-lived driver must not grow.
const KEPT_RUNS = 1000;
const LOG_ENTRIES = 100_000;

/** Checks `withCache` options in std style; returns them. */
export function checkCacheOptions(options: CacheOptions): CacheOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `'cache' options must be an object: received ${options}`,
    );
  }
  if (options.path !== undefined && options.store !== undefined) {
    throw new TypeError("'path' and 'store' cannot both be given");
  }
  if (
    options.path !== undefined &&
    (typeof options.path !== "string" || options.path === "")
  ) {
    throw new TypeError(
      `'path' must be a non-empty string: received ${options.path}`,
    );
  }
  const store = options.store as Partial<CacheStore> | undefined;
  if (
    store !== undefined &&
    (typeof store?.getVersion !== "function" ||
      typeof store.getResult !== "function" || typeof store.set !== "function")
  ) {
    throw new TypeError(
      "'store' must have getVersion, getResult and set methods",
    );
  }
  const seen = new Map<string, string>();
  for (const list of ["recompute", "disable", "ignore"] as const) {
    const names = options[list];
    if (names === undefined || (names === true && list !== "ignore")) continue;
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) {
      throw new TypeError(
        `'${list}' must be a list of node names${
          list === "ignore" ? "" : " or true"
        }: received ${names}`,
      );
    }
    for (const name of names as string[]) {
      const other = seen.get(name);
      if (other !== undefined && other !== list) {
        throw new TypeError(
          `Node "${name}" is in both '${other}' and '${list}'; give it one behaviour`,
        );
      }
      seen.set(name, list);
    }
  }
  const { logEntries, strict } = options;
  if (
    logEntries !== undefined &&
    (!Number.isSafeInteger(logEntries) || logEntries < 0)
  ) {
    throw new RangeError(
      `'logEntries' must be a non-negative integer: received ${logEntries}`,
    );
  }
  if (strict !== undefined && typeof strict !== "boolean") {
    throw new TypeError(`'strict' must be a boolean: received ${strict}`);
  }
  const fallback = options.defaultBehavior;
  if (fallback !== undefined && !BEHAVIORS.includes(fallback)) {
    throw new TypeError(
      `'defaultBehavior' must be one of ${
        BEHAVIORS.join(", ")
      }: received ${fallback}`,
    );
  }
  return options;
}

/** A driver's cache. */
export class Cache implements CacheView {
  /** The store (one that holds nothing while the cache is off). */
  readonly store: CacheStore;
  /** The hasher. */
  readonly hasher: Hasher;
  readonly #options: CacheOptions;
  readonly #ownsStore: boolean;
  readonly #lists = new Map<string, CacheBehavior>();
  readonly #plans = new WeakMap<Plan, readonly NodeCacheInfo[]>();
  readonly #runs = new Map<string, RunRecord>();
  readonly #logLimit: number;
  #logged = 0; // entries in the kept runs' logs
  // Off: a cache directory that could not be opened; every node runs.
  readonly #off: boolean;
  #warning: string | undefined;

  /**
   * Opens the cache `options` describe, or none when `disable: true`. A
   * cache directory that cannot be opened gives a cache that is off or
   * read-only, with a warning (see `CacheOptions.strict`).
   */
  static async open(options: CacheOptions): Promise<Cache | undefined> {
    if (options.disable === true) return undefined; // Hamilton: same as no cache
    const hasher = await loadHasher();
    if (options.store !== undefined) {
      return new Cache(options, hasher, { store: options.store, off: false });
    }
    const opened = openSqlite(
      options.path ?? ".braid_cache",
      options.strict === true,
    );
    return new Cache(options, hasher, opened, true);
  }

  private constructor(
    options: CacheOptions,
    hasher: Hasher,
    opened: OpenedStore,
    ownsStore = false,
  ) {
    this.#options = options;
    this.store = opened.store;
    this.#off = opened.off;
    this.#warning = opened.warning;
    this.hasher = hasher;
    this.#ownsStore = ownsStore;
    this.#logLimit = options.logEntries ?? LOG_ENTRIES;
    for (const list of ["recompute", "disable", "ignore"] as const) {
      const names = options[list];
      if (Array.isArray(names)) {
        for (const name of names) this.#lists.set(name, list);
      }
    }
  }

  /** Whether the cache is in use: false when its directory could not be opened. */
  get enabled(): boolean {
    return !this.#off;
  }

  /**
   * Why the cache is off or read-only, the first time it is asked: what the
   * first recorded run reports as a `"warning"` event.
   *
   * @ignore
   */
  takeWarning(): string | undefined {
    const warning = this.#warning;
    this.#warning = undefined;
    return warning;
  }

  /** The behaviour of a node: builder lists, then `cache()`, then the default. */
  behaviorOf(spec: NodeSpec): CacheBehavior {
    if (this.#off) return "disable";
    return this.#lists.get(spec.name) ??
      (this.#options.recompute === true ? "recompute" : undefined) ??
      spec.cache?.behavior ??
      // A loader reads again to see a changed source; a saver must write.
      (spec.materializer !== undefined ? "recompute" : undefined) ??
      this.#options.defaultBehavior ?? "default";
  }

  /**
   * Starts caching one run (or one map item) of `plan`: braid's own, for
   * its runner.
   *
   * @ignore
   */
  session(
    plan: Plan,
    runId: string,
    values: unknown[],
    item: number | undefined,
    recompute?: ReadonlySet<string>,
  ): CacheSession {
    let record = this.#runs.get(runId);
    if (record === undefined) {
      if (this.#runs.size >= KEPT_RUNS) {
        this.#drop(this.#runs.keys().next().value!);
      }
      record = { log: [], seeds: new WeakMap(), kept: true };
      this.#runs.set(runId, record);
    }
    const infos = this.#infos(plan);
    // A run of a plan that ran before is likely to ask for the same keys:
    // the store may read them in one go. (Not for map items, whose keys
    // differ from one item to the next.)
    const prefetch = this.store.prefetch;
    if (prefetch !== undefined && item === undefined) {
      const keys: string[] = [];
      for (let i = 0; i < infos.length; i++) {
        const info = infos[i]!;
        if (info.memo.input !== undefined && info.behavior === "default") {
          keys.push(info.memo.key);
        }
      }
      if (keys.length > 0) {
        try {
          const pending = prefetch.call(this.store, keys);
          if (isThenable(pending)) pending.then(undefined, () => {});
        } catch { /* a hint only: the lookups will read for themselves */ }
      }
    }
    return new CacheSession(this, infos, values, record, item, recompute);
  }

  /**
   * Starts caching `plan` as part of a run already recorded (a fan-out item).
   *
   * @ignore
   */
  recordSession(
    plan: Plan,
    record: RunRecord,
    values: unknown[],
    item: number | undefined,
    recompute?: ReadonlySet<string>,
  ): CacheSession {
    return new CacheSession(
      this,
      this.#infos(plan),
      values,
      record,
      item,
      recompute,
    );
  }

  /**
   * Adds `entry` to `record`'s log, making room by dropping the oldest
   * runs' logs; a run whose own log fills the limit keeps its first entries.
   *
   * @ignore
   */
  addLog(record: RunRecord, entry: CacheLogEntry): void {
    if (
      record.kept &&
      (this.#logged < this.#logLimit || this.#makeRoom(record))
    ) {
      record.log.push(entry);
      this.#logged++;
    }
  }

  // Drops the oldest runs' logs (not `record`'s) until one entry fits.
  #makeRoom(record: RunRecord): boolean {
    for (const runId of this.#runs.keys()) {
      if (this.#logged < this.#logLimit) break;
      if (this.#runs.get(runId) !== record) this.#drop(runId);
    }
    return this.#logged < this.#logLimit;
  }

  /** What the cache did in run `runId`, node by node (empty if unknown). */
  logs(runId: string): readonly CacheLogEntry[] {
    return this.#runs.get(runId)?.log ?? [];
  }

  #drop(runId: string): void {
    const record = this.#runs.get(runId)!;
    this.#runs.delete(runId);
    record.kept = false;
    this.#logged -= record.log.length;
    record.log.length = 0; // a run still going keeps nothing more either
  }

  /** Closes the store if the cache opened it. */
  async close(): Promise<void> {
    if (this.#ownsStore) await this.store.close?.();
  }

  #infos(plan: Plan): readonly NodeCacheInfo[] {
    let infos = this.#plans.get(plan);
    if (infos !== undefined) return infos;
    const behaviors = plan.nodes.map((node) => this.behaviorOf(node.spec));
    infos = plan.nodes.map((node, index): NodeCacheInfo => {
      const declared = node.spec.cache?.version;
      let code = codeVersion(node.fn, this.hasher, node.spec.codeParts);
      if (declared !== undefined) {
        code = this.hasher.hashText(`${code}\0version=${declared}`);
      }
      // Inputs made by an "ignore" node stay out of the key; so do inputs
      // the plan does not provide, and the prefix says which those are,
      // unless the function writes a literal default for one: then it keys
      // as that value passed would (Hamilton keys with default values).
      let text = `braid key 2\0${node.name.length}:${node.name}\0${code}`;
      const keyed: number[] = [];
      for (let k = 0; k < node.argSlots.length; k++) {
        const slot = node.argSlots[k]!;
        if (
          slot >= 0 && slot < behaviors.length && behaviors[slot] === "ignore"
        ) {
          continue;
        }
        const name = node.argKeys[k]!;
        const input = node.spec.inputs[k];
        const given = slot >= 0 ||
          (input !== undefined && Object.hasOwn(input, "defaultValue"));
        text += `\0${name.length}:${name}=${given ? "given" : "absent"}`;
        if (given) keyed.push(k);
      }
      const prefix = new Uint8Array(16);
      decodeHex(this.hasher.hashText(text), prefix, 0);
      return {
        behavior: behaviors[index]!,
        codeVersion: code,
        prefix,
        keyed: Int32Array.from(keyed),
        memo: { input: undefined, key: "" },
      };
    });
    this.#plans.set(plan, infos);
    return infos;
  }
}

/** What the cache keeps per run: shared by the items of a map. */
export interface RunRecord {
  /** The log. */
  readonly log: CacheLogEntry[];
  /**
   * Data versions of object seeds by identity: a map's broadcast inputs
   * are hashed once, not once per item.
   */
  readonly seeds: WeakMap<object, DataVersion>;
  /** False once the log was dropped to make room: nothing more is added. */
  kept: boolean;
}

/** `dr.cache` of a driver without a cache. */
export const NO_CACHE: CacheView = Object.freeze({
  enabled: false,
  store: undefined,
  logs: () => [],
});
