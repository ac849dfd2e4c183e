/**
 * The error of a cache that cannot be used as asked.
 *
 * @module
 */
import { BraidError } from "../errors.ts";

/**
 * The cache directory cannot be opened (corrupt, full, read-only, not a
 * cache): what `build()` rejects with under `withCache({ strict: true })`.
 * Without `strict`, the driver builds anyway with the cache disabled (or
 * read-only), and warns.
 *
 * @example
 * ```ts
 * import { CacheError } from "@braid/braid";
 * const error = new CacheError(".braid_cache", "file is not a database", "delete it");
 * console.assert(error.path === ".braid_cache");
 * ```
 */
export class CacheError extends BraidError {
  /** The cache directory. */
  readonly path: string;
  /** Creates the error for the cache in `path`: what is wrong and the fix. */
  constructor(
    path: string,
    reason: string,
    fix: string,
    options?: ErrorOptions,
  ) {
    super(`Cannot open the cache in ${path}: ${reason}; ${fix}`, options);
    this.path = path;
  }
}
