/**
 * A store on Deno KV, for Deno Deploy (locally it needs `--unstable-kv`).
 * KV values hold at most 64 KiB, so a result is serialized (checksummed, as
 * in the file store) and split into chunks; its head entry, written last,
 * says how many, so a reader never sees half a result.
 *
 * @module
 */
import { decodeResult, encodeResult } from "./_result_bytes.ts";
import { loadHasher } from "./hasher.ts";
import type { CacheEntry, CacheRead, CacheStore } from "./store.ts";

/** The part of `Deno.Kv` the store uses (so no unstable types are needed). */
export interface KvLike {
  /** Reads one entry. */
  get(key: readonly unknown[]): Promise<{ readonly value: unknown }>;
  /** Writes one entry. */
  set(key: readonly unknown[], value: unknown): Promise<unknown>;
  /** Deletes one entry. */
  delete(key: readonly unknown[]): Promise<void>;
  /** Closes the database. */
  close(): void;
}

/** Options of {@linkcode DenoKvCacheStore}. */
export interface DenoKvCacheStoreOptions {
  /** The key prefix every entry goes under. @default {["braid_cache"]} */
  readonly prefix?: readonly (string | number)[];
  /** Whether `close()` closes the KV database too. @default {false} */
  readonly closeKv?: boolean;
}

const CHUNK = 60_000;
const VERSION = /^[0-9a-f]{32}$/;

interface Head {
  readonly chunks: number;
  readonly bytes: number;
}

// The largest result the store reads: a Uint8Array's limit in V8.
const MAX_BYTES = 2 ** 32;

// A head as `set` writes it: a whole number of bytes, and as many chunks
// as those bytes fill.
function isHead(value: unknown): value is Head {
  if (typeof value !== "object" || value === null) return false;
  const { chunks, bytes } = value as Partial<Head>;
  return Number.isSafeInteger(bytes) && bytes! > 0 && bytes! <= MAX_BYTES &&
    chunks === Math.ceil(bytes! / CHUNK);
}

/**
 * Caches results in a Deno KV database.
 *
 * @example
 * ```ts ignore
 * import { Builder, DenoKvCacheStore } from "@braid/braid";
 * const store = new DenoKvCacheStore(await Deno.openKv());
 * const dr = await new Builder().withModules({ a: () => 1 }).withCache({ store }).build();
 * ```
 */
export class DenoKvCacheStore implements CacheStore {
  readonly #kv: KvLike;
  readonly #prefix: readonly (string | number)[];
  readonly #closeKv: boolean;

  /** Uses `kv` (from `await Deno.openKv(...)`). */
  constructor(kv: KvLike, options: DenoKvCacheStoreOptions = {}) {
    if (typeof kv?.get !== "function" || typeof kv.set !== "function") {
      throw new TypeError(`'kv' must be a Deno.Kv: received ${kv}`);
    }
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["braid_cache"];
    this.#closeKv = options.closeKv ?? false;
  }

  /** The data version stored under `key`. */
  async getVersion(key: string): Promise<string | undefined> {
    const entry = await this.#kv.get([...this.#prefix, "key", key]);
    return typeof entry.value === "string" ? entry.value : undefined;
  }

  /** The result stored for `dataVersion`, checked. */
  async getResult(dataVersion: string): Promise<CacheRead> {
    if (!VERSION.test(dataVersion)) {
      // Not one braid wrote: its result is not looked for.
      return {
        found: false,
        warning: `data version "${dataVersion}" in KV is malformed`,
      };
    }
    const where = `KV result ${dataVersion}`;
    const head = (await this.#kv.get(this.#head(dataVersion))).value;
    if (head === null) return { found: false, warning: `${where} is missing` };
    if (!isHead(head)) {
      // Nothing is read on a head's word that it could not have written.
      return this.#corrupt(dataVersion, `${where} is corrupt (bad head)`);
    }
    const chunks = await Promise.all(
      Array.from(
        { length: head.chunks },
        (_, i) => this.#kv.get(this.#chunk(dataVersion, i)),
      ),
    );
    const bytes = new Uint8Array(head.bytes);
    let offset = 0;
    for (const { value } of chunks) {
      if (
        !(value instanceof Uint8Array) || offset + value.length > head.bytes
      ) {
        return this.#corrupt(dataVersion, `${where} is corrupt`);
      }
      bytes.set(value, offset);
      offset += value.length;
    }
    if (offset !== head.bytes) {
      return this.#corrupt(dataVersion, `${where} is truncated`);
    }
    const read = decodeResult(bytes, await loadHasher(), where);
    return read.found ? read : this.#corrupt(dataVersion, read.warning!);
  }

  /** Writes the chunks (unless present), then the head, then the key. */
  async set(entry: CacheEntry, value: unknown): Promise<void> {
    const head = this.#head(entry.dataVersion);
    if ((await this.#kv.get(head)).value === null) {
      const bytes = encodeResult(value, await loadHasher());
      const chunks = Math.ceil(bytes.length / CHUNK);
      await Promise.all(
        Array.from({ length: chunks }, (_, i) =>
          this.#kv.set(
            this.#chunk(entry.dataVersion, i),
            bytes.subarray(i * CHUNK, (i + 1) * CHUNK),
          )),
      );
      await this.#kv.set(head, { chunks, bytes: bytes.length } satisfies Head);
    }
    await this.#kv.set([...this.#prefix, "key", entry.key], entry.dataVersion);
  }

  /** Closes the KV database if the store was told to. */
  close(): void {
    if (this.#closeKv) this.#kv.close();
  }

  // A bad result is deleted, so that the recomputed one is written.
  async #corrupt(dataVersion: string, warning: string): Promise<CacheRead> {
    await this.#kv.delete(this.#head(dataVersion));
    return { found: false, warning };
  }

  #head(dataVersion: string): unknown[] {
    return [...this.#prefix, "result", dataVersion];
  }

  #chunk(dataVersion: string, i: number): unknown[] {
    return [...this.#prefix, "chunk", dataVersion, i];
  }
}
