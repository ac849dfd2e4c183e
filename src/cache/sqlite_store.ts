/**
 * The default store: metadata (cache key → data version) in an embedded
 * `node:sqlite` database, results in content-addressed files named by their
 * data version, so identical results are stored once.
 *
 * Safe for several processes on one directory: SQLite serializes metadata
 * writes (WAL journal, busy timeout), and a result file is written to a
 * temporary name and renamed into place, so a reader sees a whole file or
 * none. A corrupt, truncated or missing file is a miss with a warning; the
 * node then runs again and its result is rewritten. Reads and writes are
 * synchronous: a warm run answers each node without a trip through the
 * event loop.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { join } from "node:path";
import { decodeResult, encodeResult } from "./_result_bytes.ts";
import { whileBusy } from "./_busy.ts";
import { type Hasher, loadHasher } from "./hasher.ts";
import type { MaybePromise } from "../hooks.ts";
import type { CacheEntry, CacheRead, CacheStore } from "./store.ts";

/** Options of {@linkcode SqliteCacheStore}. */
export interface SqliteCacheStoreOptions {
  /** How long to wait for another process's write to finish, in ms. @default {10000} */
  readonly busyTimeoutMs?: number;
}

const KNOWN_KEYS = 100_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cache_keys (
  key TEXT PRIMARY KEY,
  data_version TEXT NOT NULL,
  node_name TEXT NOT NULL,
  code_version TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID`;

/**
 * A file cache under `path` (created if needed): `metadata.sqlite` and a
 * `results/` directory. Needs read and write permission on `path`.
 *
 * @example
 * ```ts ignore
 * import { Builder, SqliteCacheStore } from "@braid/braid";
 * const store = new SqliteCacheStore(".braid_cache");
 * const dr = await new Builder().withModules({ a: () => 1 }).withCache({ store }).build();
 * ```
 */
export class SqliteCacheStore implements CacheStore {
  /** The cache directory. */
  readonly path: string;
  readonly #results: string;
  readonly #db: DatabaseSync;
  readonly #select: StatementSync;
  readonly #insert: StatementSync;
  // Keys found in the database, remembered: a key's data version is valid
  // for every process (another process may only add an equally valid one),
  // and a warm run then skips a query per node. Misses are always asked.
  readonly #known = new Map<string, string>();
  #hasher: Hasher | undefined;
  readonly #ready: Promise<Hasher>;
  #closed = false;

  /** Opens (or creates) the cache in `path`. */
  constructor(path = ".braid_cache", options: SqliteCacheStoreOptions = {}) {
    if (typeof path !== "string" || path === "") {
      throw new TypeError(
        `'path' must be a non-empty string: received ${path}`,
      );
    }
    this.path = path;
    this.#results = join(path, "results");
    Deno.mkdirSync(this.#results, { recursive: true });
    this.#db = new DatabaseSync(join(path, "metadata.sqlite"));
    // The timeout first: the statements after it may wait on another process.
    const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.#db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const db = this.#db;
    whileBusy(() => db.exec("PRAGMA journal_mode = WAL"), busyTimeoutMs);
    this.#db.exec("PRAGMA synchronous = NORMAL");
    whileBusy(() => db.exec(SCHEMA), busyTimeoutMs);
    this.#select = this.#db.prepare(
      "SELECT data_version FROM cache_keys WHERE key = ?",
    );
    this.#insert = this.#db.prepare(
      "INSERT OR REPLACE INTO cache_keys VALUES (?, ?, ?, ?, ?)",
    );
    this.#ready = loadHasher().then((hasher) => this.#hasher = hasher);
  }

  /** The data version stored under `key`. */
  getVersion(key: string): string | undefined {
    const known = this.#known.get(key);
    if (known !== undefined) return known;
    const row = this.#select.get(key) as { data_version: string } | undefined;
    if (row !== undefined) this.#remember(key, row.data_version);
    return row?.data_version;
  }

  /** The result file for `dataVersion`, checked and deserialized. */
  getResult(dataVersion: string): MaybePromise<CacheRead> {
    const hasher = this.#hasher;
    if (hasher === undefined) {
      return this.#ready.then(() => this.getResult(dataVersion));
    }
    const file = this.#file(dataVersion);
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        return { found: false, warning: `result file ${file} is missing` };
      }
      return {
        found: false,
        warning: `result file ${file} cannot be read: ${
          (error as Error).message
        }`,
      };
    }
    const read = decodeResult(bytes, hasher, `result file ${file}`);
    if (!read.found) {
      // Removed, so that the recomputed result is written in its place.
      try {
        Deno.removeSync(file);
      } catch { /* another process got there first */ }
    }
    return read;
  }

  /** Writes the result file (unless present) atomically, then the metadata. */
  set(entry: CacheEntry, value: unknown): MaybePromise<void> {
    const hasher = this.#hasher;
    if (hasher === undefined) {
      return this.#ready.then(() => this.set(entry, value));
    }
    const file = this.#file(entry.dataVersion);
    if (!exists(file)) {
      const bytes = encodeResult(value, hasher);
      const temporary = `${file}.${crypto.randomUUID()}.tmp`;
      try {
        Deno.writeFileSync(temporary, bytes);
        Deno.renameSync(temporary, file);
      } catch (error) {
        try {
          Deno.removeSync(temporary);
        } catch { /* never written */ }
        throw error;
      }
    }
    this.#insert.run(
      entry.key,
      entry.dataVersion,
      entry.nodeName,
      entry.codeVersion,
      Date.now(),
    );
    this.#remember(entry.key, entry.dataVersion);
  }

  /** Closes the database. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #remember(key: string, dataVersion: string): void {
    if (this.#known.size >= KNOWN_KEYS) this.#known.clear();
    this.#known.set(key, dataVersion);
  }

  #file(dataVersion: string): string {
    return join(this.#results, dataVersion);
  }
}

function exists(file: string): boolean {
  try {
    Deno.statSync(file);
    return true;
  } catch {
    return false;
  }
}
