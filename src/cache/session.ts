/**
 * One run's use of the cache: the wrapper any executor puts around a node
 * call. `invoke(node, compute)` answers from the store on a hit, otherwise
 * runs `compute` (a local call, a worker round trip, anything that yields
 * the node's value) and stores its result. Sync stores keep sync nodes
 * sync; async stores make the call a promise.
 *
 * @module
 */
import type { CacheBehavior } from "../modifiers/cache.ts";
import type { Plan, PlanNode } from "../plan.ts";
import { andThen as after, isThenable } from "../_thenable.ts";
import type { Cache, CacheLogEntry, CacheOutcome, RunRecord } from "./cache.ts";
import { type DataVersion, dataVersion } from "./data_version.ts";
import type { CacheRead } from "./store.ts";

/** How one node of a plan is cached, worked out once per plan. */
export interface NodeCacheInfo {
  /** Its behaviour. */
  readonly behavior: CacheBehavior;
  /** Its code version. */
  readonly codeVersion: string;
  /** The start of its key text: name and code version. */
  readonly prefix: string;
  /** Which of its arguments go into its key (not those of ignored nodes). */
  readonly keyed: Int32Array;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What a cache lookup found: a hit's value, or a miss that computes the
 * value with the given call (a local call, a worker round trip) and stores it.
 */
export type CacheProbe =
  | { readonly hit: true; readonly value: unknown }
  | { readonly hit: false; compute(call: () => unknown): unknown };

/** Caches the nodes of one run (or one map item). */
export class CacheSession {
  readonly #cache: Cache;
  readonly #infos: readonly NodeCacheInfo[];
  readonly #values: unknown[];
  readonly #log: CacheLogEntry[];
  readonly #seeds: WeakMap<object, DataVersion>;
  readonly #item: number | undefined;
  readonly #run: RunRecord;
  // Data versions by slot: node values as they settle, seeds when first needed.
  readonly #versions: (string | undefined)[];
  readonly #unhashable: (string | undefined)[];
  readonly #outcomes: (CacheOutcome | undefined)[];

  /** Use `Cache.session`. */
  constructor(
    cache: Cache,
    infos: readonly NodeCacheInfo[],
    values: unknown[],
    record: RunRecord,
    item: number | undefined,
  ) {
    this.#cache = cache;
    this.#infos = infos;
    this.#values = values;
    this.#log = record.log;
    this.#seeds = record.seeds;
    this.#item = item;
    this.#run = record;
    this.#versions = new Array(values.length);
    this.#unhashable = new Array(values.length);
    this.#outcomes = new Array(infos.length);
  }

  /** Caches one item of a fan-out block of this run, which runs `plan`. */
  forItem(plan: Plan, values: unknown[], item: number): CacheSession {
    return this.#cache.recordSession(plan, this.#run, values, item);
  }

  /** What the cache did for `node` in this run, once it has settled. */
  outcome(node: PlanNode): CacheOutcome | undefined {
    return this.#outcomes[node.index];
  }

  /**
   * The node's value: from the store on a hit, else from `compute()`,
   * stored. Store failures are misses with a warning, never run failures;
   * errors from `compute` propagate unchanged.
   */
  invoke(node: PlanNode, compute: () => unknown): unknown {
    return after(
      this.lookup(node),
      (probe) => probe.hit ? probe.value : probe.compute(compute),
    );
  }

  /**
   * Looks `node` up without running it: a hit with its value (already in
   * the log), or a miss whose `compute` runs the node and stores its value.
   * Lets hooks tell a hit from a call before the call (`nodeCached`).
   */
  lookup(node: PlanNode): CacheProbe | Promise<CacheProbe> {
    const info = this.#infos[node.index]!;
    const behavior = info.behavior;
    if (behavior === "disable" || behavior === "ignore") {
      return {
        hit: false,
        compute: (compute) =>
          after(compute(), (value) => {
            const version = `unversioned:${crypto.randomUUID()}`;
            this.#versions[node.index] = version;
            this.#record(node, {
              nodeName: node.name,
              outcome: behavior === "disable" ? "disabled" : "ignored",
              dataVersion: version,
            });
            return value;
          }),
      };
    }
    const key = this.#key(node, info);
    if (behavior === "recompute") return this.#miss(node, key, "recompute");
    return attempt(
      () => this.#cache.store.getVersion(key),
      (stored) =>
        stored === undefined
          ? this.#miss(node, key, "miss")
          : this.#read(node, key, stored),
      (warning) => this.#miss(node, key, "miss", warning),
    );
  }

  #read(
    node: PlanNode,
    key: string,
    version: string,
  ): CacheProbe | Promise<CacheProbe> {
    return attempt(
      () => this.#cache.store.getResult(version),
      (read: CacheRead): CacheProbe => {
        if (!read.found) return this.#miss(node, key, "miss", read.warning);
        this.#versions[node.index] = version;
        this.#record(node, {
          nodeName: node.name,
          outcome: "hit",
          key,
          dataVersion: version,
        });
        return { hit: true, value: read.value };
      },
      (warning) => this.#miss(node, key, "miss", warning),
    );
  }

  #miss(
    node: PlanNode,
    key: string,
    outcome: CacheOutcome,
    warning?: string,
  ): CacheProbe {
    const info = this.#infos[node.index]!;
    return {
      hit: false,
      compute: (compute) =>
        this.#compute(node, info, key, compute, outcome, warning),
    };
  }

  #compute(
    node: PlanNode,
    info: NodeCacheInfo,
    key: string,
    compute: () => unknown,
    outcome: CacheOutcome,
    warning: string | undefined,
  ): unknown {
    if (warning !== undefined) {
      console.warn(`braid cache: "${node.name}" recomputed: ${warning}`);
    }
    return after(compute(), (value) => {
      const { version, unhashable, lossy } = dataVersion(
        value,
        this.#cache.hasher,
      );
      this.#versions[node.index] = version;
      const entry: Mutable<CacheLogEntry> = {
        nodeName: node.name,
        outcome,
        key,
        dataVersion: version,
      };
      if (warning !== undefined) entry.warning = warning;
      const inputProblem = this.#inputProblems(node, info);
      if (unhashable !== undefined || inputProblem !== undefined) {
        entry.unhashable = (unhashable ?? inputProblem)!;
      }
      if (unhashable !== undefined) {
        // A unique version can never be asked for again: nothing to store.
        entry.notStored = `its value cannot be hashed: ${unhashable}`;
        this.#record(node, entry);
        return value;
      }
      if (lossy !== undefined && this.#cache.store.keepsReferences !== true) {
        entry.notStored = `a stored copy would differ: ${lossy}`;
        this.#record(node, entry);
        return value;
      }
      return attempt(
        () =>
          this.#cache.store.set({
            key,
            dataVersion: version,
            nodeName: node.name,
            codeVersion: info.codeVersion,
          }, value),
        () => {
          this.#record(node, entry);
          return value;
        },
        (problem) => {
          entry.notStored = problem;
          this.#record(node, entry);
          return value;
        },
      );
    });
  }

  #record(node: PlanNode, entry: Mutable<CacheLogEntry>): void {
    if (this.#item !== undefined) entry.item = this.#item;
    this.#outcomes[node.index] = entry.outcome;
    this.#log.push(entry);
  }

  // Name, code version and each keyed input's name and data version.
  #key(node: PlanNode, info: NodeCacheInfo): string {
    let text = info.prefix;
    const keyed = info.keyed;
    for (let i = 0; i < keyed.length; i++) {
      const k = keyed[i]!;
      const slot = node.argSlots[k]!;
      text += `\0${node.argKeys[k]}=${
        slot < 0 ? this.#defaultVersion(node, k) : this.#versionOf(slot)
      }`;
    }
    return this.#cache.hasher.hashText(text);
  }

  // An omitted optional input keys as its default would, when the function
  // writes that default as a literal (Hamilton keys with default values).
  #defaultVersion(node: PlanNode, k: number): string {
    const input = node.spec.inputs[k];
    if (input === undefined || !Object.hasOwn(input, "defaultValue")) return "";
    return dataVersion(input.defaultValue, this.#cache.hasher).version;
  }

  #versionOf(slot: number): string {
    let version = this.#versions[slot];
    if (version === undefined) {
      // A seed (input, override, config), hashed once per run when needed.
      const value = this.#values[slot];
      const isObject = typeof value === "object" && value !== null;
      let hashed = isObject ? this.#seeds.get(value) : undefined;
      if (hashed === undefined) {
        hashed = dataVersion(value, this.#cache.hasher);
        if (isObject) this.#seeds.set(value, hashed);
      }
      version = this.#versions[slot] = hashed.version;
      if (hashed.unhashable !== undefined) {
        this.#unhashable[slot] = hashed.unhashable;
      }
    }
    return version;
  }

  #inputProblems(node: PlanNode, info: NodeCacheInfo): string | undefined {
    for (let i = 0; i < info.keyed.length; i++) {
      const k = info.keyed[i]!;
      const slot = node.argSlots[k]!;
      const problem = slot < 0 ? undefined : this.#unhashable[slot];
      if (problem !== undefined) {
        return `input "${node.argKeys[k]}" cannot be hashed: ${problem}`;
      }
    }
    return undefined;
  }
}

// Applies `next` to a value or, once settled, to a promise's value.
// Runs a store operation: `next` with its answer, or `fallback` with a
// message when it throws or rejects. Sync answers stay sync.
function attempt<T, R>(
  operation: () => T | Promise<T>,
  next: (answer: T) => R | Promise<R>,
  fallback: (problem: string) => R | Promise<R>,
): R | Promise<R> {
  let answer: T | Promise<T>;
  try {
    answer = operation();
  } catch (error) {
    return fallback(messageOf(error));
  }
  if (!isThenable(answer)) return next(answer as T);
  return (answer as Promise<T>).then(
    next,
    (error) => fallback(messageOf(error)),
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
