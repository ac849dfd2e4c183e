/**
 * The default store: an embedded `node:sqlite` database maps cache keys to
 * data versions and holds small results (up to `inlineMaxBytes` serialized)
 * beside them, so that a hit is one statement; larger results are
 * content-addressed files named by their data version. Either way a result
 * is stored once per data version.
 *
 * Safe for several processes on one directory: SQLite serializes writes
 * (WAL journal, busy timeout), a result is written before the key that
 * names it, and a result file is written to a temporary name and renamed
 * into place, so a reader sees a whole file or none. A corrupt, truncated
 * or missing result is a miss with a warning; the node then runs again and
 * its result is rewritten. Reads and writes are synchronous: a warm run
 * answers each node without a trip through the event loop.
 *
 * A cache directory written by an earlier braid (format 1: keys hashed
 * from text, every result in `results/`) is cleared when first opened:
 * its keys can never be asked for again.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { builtins } from "./_builtins.ts";
import { checksumOk, decodeResult, encodeResult } from "./_result_bytes.ts";
import { whileBusy } from "./_busy.ts";
import { checkInside, exists, writeAtomically } from "./_files.ts";
import { type Hasher, loadHasher } from "./hasher.ts";
import type { MaybePromise } from "../hooks.ts";
import { andThen } from "../_thenable.ts";
import type { CacheEntry, CacheHit, CacheRead, CacheStore } from "./store.ts";

/** Options of {@linkcode SqliteCacheStore}. */
export interface SqliteCacheStoreOptions {
  /** How long to wait for another process's write to finish, in ms. @default {10000} */
  readonly busyTimeoutMs?: number;
  /**
   * Results up to this many bytes (serialized) are kept in the database;
   * larger ones in files of their own.
   *
   * @default {65536}
   */
  readonly inlineMaxBytes?: number;
  /**
   * Opens an existing cache for reading only: nothing is created or
   * written, and `set` throws (the cache logs it and the run goes on). For
   * a cache directory this process may not write to.
   *
   * @default {false}
   */
  readonly readOnly?: boolean;
}

/** The layout this code writes, kept in the database's `user_version`. */
const FORMAT = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  key TEXT PRIMARY KEY,
  data_version TEXT NOT NULL,
  node_name TEXT NOT NULL,
  code_version TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (
  data_version TEXT PRIMARY KEY,
  bytes BLOB NOT NULL
);
DROP TABLE IF EXISTS cache_keys;
PRAGMA user_version = ${FORMAT};`;

const LOOKUP = `SELECT e.key AS k, e.data_version AS v, r.bytes AS b
  FROM entries e LEFT JOIN results r ON r.data_version = e.data_version`;

// Data versions name files: only 32 hex digits are taken for a file name.
const VERSION = /^[0-9a-f]{32}$/;

interface Row {
  readonly k: string;
  readonly v: string;
  readonly b: Uint8Array | null;
}

// Rows already read or written, kept for the next runs of this process
// (up to ROWS_KEPT rows, ROW_BYTES_KEPT result bytes): a key's data version
// and a data version's result never change, so a warm run reads nothing.
// Another process may only add rows as valid as these.
const ROWS_KEPT = 100_000;
const ROW_BYTES_KEPT = 32 * 1024 * 1024;

/**
 * A file cache under `path` (created if needed): `metadata.sqlite` and a
 * `values/` directory. Needs read and write permission on `path`.
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
  readonly #values: string;
  readonly #inlineMaxBytes: number;
  readonly #readOnly: boolean;
  readonly #db: DatabaseSync;
  #lookup!: StatementSync;
  #prefetch!: StatementSync;
  #version!: StatementSync;
  #result!: StatementSync;
  #insertEntry!: StatementSync;
  #insertResult!: StatementSync;
  #deleteResult!: StatementSync;
  // Rows read or written before, checked (see ROWS_KEPT).
  readonly #rows = new Map<string, Row>();
  #rowBytes = 0;
  #hasher: Hasher | undefined;
  readonly #ready: Promise<Hasher>;
  // Whether lookup may read rows itself: not when a subclass overrides
  // getVersion or getResult.
  readonly #direct = this.getVersion ===
      SqliteCacheStore.prototype.getVersion &&
    this.getResult === SqliteCacheStore.prototype.getResult;
  #closed = false;

  /** Opens (or creates) the cache in `path`. */
  constructor(path = ".braid_cache", options: SqliteCacheStoreOptions = {}) {
    if (typeof path !== "string" || path === "") {
      throw new TypeError(
        `'path' must be a non-empty string: received ${path}`,
      );
    }
    const inlineMaxBytes = options.inlineMaxBytes ?? 65_536;
    if (!Number.isInteger(inlineMaxBytes) || inlineMaxBytes < 0) {
      throw new RangeError(
        `'inlineMaxBytes' must be a non-negative integer: received ${inlineMaxBytes}`,
      );
    }
    const { path: paths, sqlite } = builtins();
    this.path = path;
    this.#inlineMaxBytes = inlineMaxBytes;
    this.#readOnly = options.readOnly === true;
    this.#values = paths.join(path, "values");
    if (!this.#readOnly) Deno.mkdirSync(this.#values, { recursive: true });
    checkInside(path, this.#values);
    const db = this.#db = new sqlite.DatabaseSync(
      paths.join(path, "metadata.sqlite"),
      { readOnly: this.#readOnly },
    );
    try {
      // The timeout first: the statements after it may wait on another process.
      const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
      if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
        throw new RangeError(
          `'busyTimeoutMs' must be a non-negative integer: received ${busyTimeoutMs}`,
        );
      }
      db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      if (this.#readOnly) {
        checkFormat(db, path);
      } else {
        whileBusy(() => db.exec("PRAGMA journal_mode = WAL"), busyTimeoutMs);
        db.exec("PRAGMA synchronous = NORMAL");
        whileBusy(() => upgrade(db, path), busyTimeoutMs);
      }
      this.#prepare(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.#ready = loadHasher().then((hasher) => this.#hasher = hasher);
  }

  #prepare(db: DatabaseSync): void {
    this.#lookup = db.prepare(`${LOOKUP} WHERE e.key = ?`);
    this.#prefetch = db.prepare(
      `${LOOKUP} WHERE e.key IN (SELECT value FROM json_each(?))`,
    );
    this.#version = db.prepare(
      "SELECT data_version AS v FROM entries WHERE key = ?",
    );
    this.#result = db.prepare(
      "SELECT bytes AS b FROM results WHERE data_version = ?",
    );
    this.#insertEntry = db.prepare(
      "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
    );
    this.#insertResult = db.prepare(
      "INSERT OR IGNORE INTO results VALUES (?, ?)",
    );
    this.#deleteResult = db.prepare(
      "DELETE FROM results WHERE data_version = ?",
    );
  }

  /** The data version stored under `key`. */
  getVersion(key: string): string | undefined {
    return (this.#version.get(key) as { v: string } | undefined)?.v;
  }

  /** The result stored for `dataVersion`, checked and deserialized. */
  getResult(dataVersion: string): MaybePromise<CacheRead> {
    if (this.#hasher === undefined) {
      return this.#ready.then(() => this.getResult(dataVersion));
    }
    const row = this.#result.get(dataVersion) as
      | { b: Uint8Array }
      | undefined;
    return this.#read(dataVersion, row === undefined ? null : row.b, false);
  }

  /** The data version under `key` and its result: one statement. */
  lookup(key: string): MaybePromise<CacheHit | undefined> {
    if (this.#hasher === undefined) {
      return this.#ready.then(() => this.lookup(key));
    }
    if (!this.#direct) {
      // A subclass's getVersion and getResult answer, as they would without lookup.
      const dataVersion = this.getVersion(key);
      if (dataVersion === undefined) return undefined;
      return andThen(
        this.getResult(dataVersion),
        (read) => ({ dataVersion, read }),
      );
    }
    let row = this.#rows.get(key);
    if (row !== undefined) {
      return { dataVersion: row.v, read: this.#read(row.v, row.b, true) };
    }
    row = this.#lookup.get(key) as Row | undefined;
    if (row === undefined) return undefined;
    const read = this.#read(row.v, row.b, false);
    if (read.found) this.#keep(row);
    return { dataVersion: row.v, read };
  }

  /**
   * Reads the entries of those of `keys` this process has not read yet, in
   * one statement, for the lookups to come.
   */
  prefetch(keys: readonly string[]): void {
    const unknown = keys.filter((key) => !this.#rows.has(key));
    if (unknown.length === 0) return;
    const rows = this.#prefetch.all(
      JSON.stringify(unknown),
    ) as unknown as Row[];
    const hasher = this.#hasher;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      // Kept only once checked: a damaged row is left for its lookup to find.
      if (
        VERSION.test(row.v) &&
        (row.b === null || (hasher !== undefined && checksumOk(row.b, hasher)))
      ) {
        this.#keep(row);
      }
    }
  }

  /** Writes the result (unless present), then the key. */
  set(entry: CacheEntry, value: unknown): MaybePromise<void> {
    const hasher = this.#hasher;
    if (hasher === undefined) {
      return this.#ready.then(() => this.set(entry, value));
    }
    if (this.#readOnly) {
      throw new Error(`the cache in ${this.path} is open read-only`);
    }
    const version = entry.dataVersion;
    // Only 32 hex digits name a file: any other version stays in the database.
    const named = VERSION.test(version);
    const file = named ? this.#file(version) : "";
    if (this.#result.get(version) === undefined && !(named && exists(file))) {
      const bytes = encodeResult(value, hasher);
      if (!named || bytes.byteLength <= this.#inlineMaxBytes) {
        this.#insertResult.run(version, bytes);
      } else {
        writeAtomically(file, bytes);
      }
    }
    this.#insertEntry.run(
      entry.key,
      version,
      entry.nodeName,
      entry.codeVersion,
      Date.now(),
    );
    this.#rows.delete(entry.key); // read again when next asked for
  }

  /** Closes the database. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #keep(row: Row): void {
    const bytes = row.b === null ? 0 : row.b.byteLength;
    if (
      this.#rows.size >= ROWS_KEPT || this.#rowBytes + bytes > ROW_BYTES_KEPT
    ) {
      this.#rows.clear();
      this.#rowBytes = 0;
    }
    this.#rows.set(row.k, row);
    this.#rowBytes += bytes;
  }

  // The result of a row: its inline bytes (`checked` once kept), else its file.
  #read(
    version: string,
    inline: Uint8Array | null,
    checked: boolean,
  ): CacheRead {
    const hasher = this.#hasher!;
    // A row's version names a file and goes into keys: only braid's own form
    // (checked once: rows kept in #rows were).
    if (!checked && !VERSION.test(version)) {
      return {
        found: false,
        warning: `data version "${version}" in ${this.path} is malformed`,
      };
    }
    if (inline !== null) {
      const where = `result ${version} in ${this.path}`;
      const read = decodeResult(inline, hasher, where, checked);
      // Removed, so that the recomputed result is written in its place.
      if (!read.found && !this.#readOnly) this.#deleteResult.run(version);
      return read;
    }
    const file = this.#file(version);
    let bytes: Uint8Array;
    try {
      // Never through a link: what it names may lie outside the cache, or
      // be a device or pipe that never ends.
      if (!Deno.lstatSync(file).isFile) {
        return {
          found: false,
          warning:
            `result file ${file} is not a regular file: left alone (remove it to let braid store the result again)`,
        };
      }
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
    const read = decodeResult(bytes, hasher, `result file ${file}`, false);
    if (!read.found && !this.#readOnly) {
      try {
        Deno.removeSync(file);
      } catch { /* another process got there first */ }
    }
    return read;
  }

  #file(dataVersion: string): string {
    return builtins().path.join(this.#values, dataVersion);
  }
}

// A cache opened read-only is used as it is: one of another layout cannot be.
function checkFormat(db: DatabaseSync, path: string): void {
  const row = db.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  if (row.user_version !== FORMAT) {
    throw new Error(
      `the cache in ${path} has layout ${row.user_version}, not ${FORMAT}, and cannot be upgraded read-only`,
    );
  }
}

// Brings a database of an earlier layout to this one. Format 1 keys were
// hashed from text and can never match again: its table and result files
// go (in one transaction, so that one process of several does it).
function upgrade(db: DatabaseSync, path: string): void {
  db.exec("BEGIN IMMEDIATE");
  let old = false;
  try {
    const row = db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    if (row.user_version !== FORMAT) {
      old = db.prepare(
        "SELECT 1 FROM sqlite_master WHERE name = 'cache_keys'",
      ).get() !== undefined;
      db.exec(SCHEMA);
    }
    db.exec("COMMIT");
  } catch (error) {
    // A failed write (a full disk) may have ended the transaction already:
    // the error that says why is the one to throw.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
  if (old) {
    try {
      Deno.removeSync(builtins().path.join(path, "results"), {
        recursive: true,
      });
    } catch { /* none, or another process removed it */ }
  }
}
