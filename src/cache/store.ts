/**
 * The store contract: a cache key maps to a data version, and a data version
 * to one stored result (identical results are stored once). Methods may
 * answer synchronously or with a promise: a local store answers at once, so
 * a warm run does not wait on the event loop per node; a remote one awaits.
 *
 * @module
 */
import type { IHasher } from "npm:hash-wasm@4.13.0";
import { LRUCache } from "npm:lru-cache@11.2.7";
import { dataVersion } from "./data_version.ts";
import { Hasher } from "./hasher.ts";
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
  /**
   * About how many bytes the value holds: the size of the form its data
   * version was hashed from. Stores that bound their size count it.
   */
  readonly size?: number;
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

/** Options of {@linkcode MemoryCacheStore}: its bounds. */
export interface MemoryCacheStoreOptions {
  /**
   * How many cache keys it keeps; past that, the least recently used go.
   *
   * @default {100000}
   */
  readonly maxEntries?: number;
  /**
   * About how many bytes of values it keeps; past that, the least recently
   * used keys go. A value counts as the size of its canonical form (what
   * its data version was hashed from: 8 bytes a number, 1 or 2 a
   * character, a typed array's bytes) plus 200 bytes for its entry; a value
   * with a `[cacheKey]()` counts as that key. A value larger than this is
   * not stored.
   *
   * @default {268435456} (256 MiB)
   */
  readonly maxBytes?: number;
}

/**
 * Keeps results in memory, by reference: for tests and long-lived
 * handlers. Bounded by entries and bytes, least recently used first (see
 * {@linkcode MemoryCacheStoreOptions}). Treat cached values as immutable,
 * since later hits return the same object.
 *
 * @example
 * ```ts
 * import { Builder, MemoryCacheStore } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * let calls = 0;
 * const store = new MemoryCacheStore({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
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
  /** The bound on entries. */
  readonly maxEntries: number;
  /** The bound on bytes. */
  readonly maxBytes: number;
  // Made once per key and per data version: a hit allocates nothing. A
  // result is shared by the keys that name it, and goes with the last.
  // Lookups read #slots, a plain map; the LRU cache bounds and evicts. A hit
  // tells the LRU cache once per stretch between two stores (its slot
  // stamped with #epoch), so a warm run costs one map read per node: which
  // key goes first is exact up to the order of first hits in a stretch.
  readonly #slots = new Map<string, Slot>();
  readonly #lru: LRUCache<string, Slot>;
  #epoch = 0;
  readonly #results = new Map<string, Shared>();
  // Whether lookup may skip getVersion and getResult: not when a subclass
  // overrides them.
  readonly #direct =
    this.getVersion === MemoryCacheStore.prototype.getVersion &&
    this.getResult === MemoryCacheStore.prototype.getResult;

  /** Creates an empty store with the given bounds. */
  constructor(options: MemoryCacheStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 100_000;
    const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    for (
      const [name, bound] of [["maxEntries", maxEntries], [
        "maxBytes",
        maxBytes,
      ]] as const
    ) {
      if (!Number.isSafeInteger(bound) || bound < 1) {
        throw new RangeError(
          `'${name}' must be a positive integer: received ${bound}`,
        );
      }
    }
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.#lru = new LRUCache<string, Slot>({
      max: maxEntries,
      maxSize: maxBytes,
      dispose: (slot, key) => {
        if (this.#slots.get(key) === slot) this.#slots.delete(key);
        this.#release(slot.dataVersion);
      },
    });
  }

  /** How many distinct results are stored. */
  get size(): number {
    return this.#results.size;
  }

  /** How many bytes the stored entries count for (see `maxBytes`). */
  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  /** The data version stored under `key`. */
  getVersion(key: string): string | undefined {
    return this.#hit(key)?.dataVersion;
  }

  /** The result stored for `dataVersion`. */
  getResult(dataVersion: string): CacheRead {
    return this.#results.get(dataVersion)?.read ?? NOT_FOUND;
  }

  /** The data version under `key` and its result. */
  lookup(key: string): CacheHit | undefined {
    if (this.#direct) return this.#hit(key);
    const dataVersion = this.getVersion(key);
    return dataVersion === undefined
      ? undefined
      : { dataVersion, read: this.getResult(dataVersion) };
  }

  /**
   * Stores `entry`, and `value` once per data version. Throws when the
   * value alone is larger than `maxBytes`.
   */
  set(entry: CacheEntry, value: unknown): void {
    const size = ENTRY_BYTES + (entry.size ?? estimateBytes(value));
    if (size > this.maxBytes) {
      throw new RangeError(
        `a value of about ${size} bytes is larger than the memory cache's maxBytes (${this.maxBytes})`,
      );
    }
    const version = entry.dataVersion;
    if (this.#slots.get(entry.key)?.dataVersion === version) return;
    let shared = this.#results.get(version);
    if (shared === undefined) {
      shared = { read: Object.freeze({ found: true, value }), keys: 0 };
      this.#results.set(version, shared);
    }
    shared.keys++;
    const slot: Slot = {
      dataVersion: version,
      read: shared.read,
      epoch: ++this.#epoch,
    };
    this.#lru.set(entry.key, slot, { size });
    this.#slots.set(entry.key, slot);
  }

  /** Drops every entry. */
  clear(): void {
    this.#lru.clear();
  }

  #hit(key: string): CacheHit | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (slot.epoch !== this.#epoch) {
      slot.epoch = this.#epoch;
      this.#lru.get(key, GET); // now the most recently used
    }
    return slot;
  }

  // A key that named `dataVersion` is gone; the result goes with the last.
  #release(dataVersion: string): void {
    const shared = this.#results.get(dataVersion);
    if (shared !== undefined && --shared.keys === 0) {
      this.#results.delete(dataVersion);
    }
  }
}

// A key's hit, as lookups return it, and the stretch between stores in
// which the LRU cache last heard of it.
interface Slot extends CacheHit {
  epoch: number;
}

interface Shared {
  readonly read: CacheRead;
  keys: number; // how many keys name it
}

// What an entry costs beyond its value: its key, version and map slots.
const ENTRY_BYTES = 200;

const NOT_FOUND: CacheRead = Object.freeze({ found: false });
const GET = {};

// Counts the bytes of a value's canonical form instead of hashing them: the
// size of a value given without one (a store used by hand).
let counter: Hasher | undefined;

function estimateBytes(value: unknown): number {
  counter ??= new Hasher(countingHash());
  return dataVersion(value, counter).unhashable === undefined
    ? counter.length
    : 0;
}

function countingHash(): IHasher {
  return {
    init() {},
    update() {},
    digest: () => "",
  } as unknown as IHasher;
}
