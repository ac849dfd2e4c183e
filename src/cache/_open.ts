// Opening the default file cache, whatever state its directory is in. A
// corrupt, full or read-only cache must not stop a driver from building:
// it builds without the cache (or with it read-only) and says so once,
// naming the directory and the fix; `strict` turns that into a CacheError.
import { CacheError } from "./cache_error.ts";
import { SqliteCacheStore } from "./sqlite_store.ts";
import type { CacheRead, CacheStore } from "./store.ts";

/** The store to use and, when it is not the cache asked for, why. */
export interface OpenedStore {
  /** The sqlite store (maybe read-only), or one that holds nothing. */
  readonly store: CacheStore;
  /** Whether the cache is off: every node runs, nothing is read or stored. */
  readonly off: boolean;
  /** What went wrong and the fix, when something did. */
  readonly warning?: string;
}

/** Opens the sqlite store in `path`, or the best that can be had of it. */
export function openSqlite(path: string, strict: boolean): OpenedStore {
  let failure: unknown;
  try {
    return { store: new SqliteCacheStore(path), off: false };
  } catch (error) {
    failure = error;
  }
  const { reason, fix, writeDenied } = diagnose(failure, path);
  if (strict) throw new CacheError(path, reason, fix, { cause: failure });
  let readOnly: SqliteCacheStore | undefined;
  if (writeDenied) {
    try {
      readOnly = new SqliteCacheStore(path, { readOnly: true });
    } catch { /* nothing readable there either: off */ }
  }
  const state = readOnly === undefined
    ? "the cache is disabled for this driver (every node runs)"
    : "the cache is read-only for this driver (results are read, not stored)";
  const warning =
    `braid cache: cannot use the cache in ${path}: ${reason}; ${state}. Fix: ${fix}`;
  console.warn(warning);
  return readOnly === undefined
    ? { store: OFF, off: true, warning }
    : { store: readOnly, off: false, warning };
}

function diagnose(
  error: unknown,
  path: string,
): { reason: string; fix: string; writeDenied: boolean } {
  const reason = error instanceof Error ? error.message : String(error);
  if (
    error instanceof Deno.errors.NotCapable ||
    error instanceof Deno.errors.PermissionDenied ||
    /readonly|read-only|permission denied|write access/i.test(reason)
  ) {
    return {
      reason,
      fix:
        `allow writing to ${path} (--allow-write=${path} and the directory's permissions), or give withCache({ path }) a writable directory`,
      writeDenied: true,
    };
  }
  if (/disk is full|no space left/i.test(reason)) {
    return {
      reason,
      fix:
        `free space on the disk that holds ${path}, or give withCache({ path }) a directory on another disk`,
      writeDenied: false,
    };
  }
  return {
    reason,
    fix:
      `delete ${path} (braid starts a new cache there), or give withCache({ path }) another directory`,
    writeDenied: false,
  };
}

const NOT_FOUND: CacheRead = Object.freeze({ found: false });

// The store of a cache that is off: never asked, since every node's
// behaviour is then "disable"; it holds nothing if it is.
const OFF: CacheStore = Object.freeze({
  getVersion: () => undefined,
  getResult: () => NOT_FOUND,
  set: () => {
    throw new Error("the cache is disabled");
  },
});
