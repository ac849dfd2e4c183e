/**
 * The store contract: a cache key maps to a data version, and a data version
 * to one stored result (identical results are stored once). Methods may
 * answer synchronously or with a promise: a local store answers at once, so
 * a warm run does not wait on the event loop per node; a remote one awaits.
 *
 * @module
 */
import type { MaybePromise } from "../hooks.ts";

/** What a store knows of one cached node result. */
export interface CacheEntry {
  /** The cache key: node name, code version and input data versions, hashed. */
  readonly key: string;
  /** The data version of the result. */
  readonly dataVersion: string;
  /** The node's name. */
  readonly nodeName: string;
  /** The node's code version. */
  readonly codeVersion: string;
}

/**
 * A stored result, or a miss; a miss may carry a warning (a corrupt,
 * truncated or missing result), after which the node is recomputed and its
 * result written again.
 */
export type CacheRead =
  | { readonly found: true; readonly value: unknown }
  | { readonly found: false; readonly warning?: string };

/** What a store holds under one cache key: the data version and its result. */
export interface CacheHit {
  /** The data version stored under the key. */
  readonly dataVersion: string;
  /** Its result, or a miss that says what is wrong with it. */
  readonly read: CacheRead;
}

/** Where cached results live. */
export interface CacheStore {
  /** The data version stored under a cache key, if any. */
  getVersion(key: string): MaybePromise<string | undefined>;
  /** The result stored for a data version. */
  getResult(dataVersion: string): MaybePromise<CacheRead>;
  /**
   * Stores `entry` and, unless a result with its data version is already
   * stored, `value`. Throws when `value` cannot be stored (the cache logs it
   * and the run goes on).
   */
  set(entry: CacheEntry, value: unknown): MaybePromise<void>;
  /**
   * The data version under `key` and its result in one read, or undefined
   * when the key is unknown. Optional: without it, a hit costs
   * `getVersion` then `getResult`.
   */
  lookup?(key: string): MaybePromise<CacheHit | undefined>;
  /**
   * Reads ahead the entries of keys a run is about to look up (those of
   * its plan's previous run), so that their lookups need no read each.
   * Optional; a hint only: the keys may have no entry.
   */
  prefetch?(keys: readonly string[]): MaybePromise<void>;
  /**
   * True when the store keeps values by reference (no serialization), so
   * class instances and `[cacheKey]()` values come back as they were.
   */
  readonly keepsReferences?: boolean;
  /** Releases the store's resources. */
  close?(): MaybePromise<void>;
}

/**
 * Keeps results in memory, by reference: for tests and short-lived
 * handlers. Treat cached values as immutable, since later hits return the
 * same object.
 *
 * @example
 * ```ts
 * import { Builder, MemoryCacheStore } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * let calls = 0;
 * const store = new MemoryCacheStore();
 * const dr = await new Builder()
 *   .withModules({ answer: () => (calls++, 42) })
 *   .withCache({ store })
 *   .build();
 * await dr.execute(["answer"]);
 * assert.deepEqual(await dr.execute(["answer"]), { answer: 42 });
 * assert.equal(calls, 1);
 * ```
 */
export class MemoryCacheStore implements CacheStore {
  /** Values are kept as they are, never serialized. */
  readonly keepsReferences = true;
  // Made once per key and per data version: a hit allocates nothing.
  readonly #hits = new Map<string, CacheHit>();
  readonly #results = new Map<string, CacheRead>();
  // Whether lookup may skip getVersion and getResult: not when a subclass
  // overrides them.
  readonly #direct =
    this.getVersion === MemoryCacheStore.prototype.getVersion &&
    this.getResult === MemoryCacheStore.prototype.getResult;

  /** How many distinct results are stored. */
  get size(): number {
    return this.#results.size;
  }

  /** The data version stored under `key`. */
  getVersion(key: string): string | undefined {
    return this.#hits.get(key)?.dataVersion;
  }

  /** The result stored for `dataVersion`. */
  getResult(dataVersion: string): CacheRead {
    return this.#results.get(dataVersion) ?? NOT_FOUND;
  }

  /** The data version under `key` and its result. */
  lookup(key: string): CacheHit | undefined {
    if (this.#direct) return this.#hits.get(key);
    const dataVersion = this.getVersion(key);
    return dataVersion === undefined
      ? undefined
      : { dataVersion, read: this.getResult(dataVersion) };
  }

  /** Stores `entry`, and `value` once per data version. */
  set(entry: CacheEntry, value: unknown): void {
    let read = this.#results.get(entry.dataVersion);
    if (read === undefined) {
      read = Object.freeze({ found: true, value });
      this.#results.set(entry.dataVersion, read);
    }
    if (this.#hits.get(entry.key)?.read !== read) {
      this.#hits.set(
        entry.key,
        Object.freeze({ dataVersion: entry.dataVersion, read }),
      );
    }
  }
}

const NOT_FOUND: CacheRead = Object.freeze({ found: false });
