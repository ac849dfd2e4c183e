/**
 * What a materializer format implements: how to load a value from a path
 * and how to save one there.
 *
 * @module
 */
import type { NodeMetadata } from "../events.ts";
import type { MaybePromise } from "../hooks.ts";

/** What a format's `load` receives: the path, and the options given to `from.<name>(...)`. */
export interface LoadOptions {
  /** Where to read. */
  readonly path: string;
  /** Format options, as given to `from.<name>(...)` (sources resolved). */
  readonly [option: string]: unknown;
}

/** What a format's `save` receives: the path, and the options given to `to.<name>(...)`. */
export interface SaveOptions {
  /** Where to write. */
  readonly path: string;
  /** Format options, as given to `to.<name>(...)` (sources resolved). */
  readonly [option: string]: unknown;
}

/**
 * A way to read and write data (`registerMaterializer` takes one): `load`
 * returns `[value, metadata]`, `save` writes a value and returns metadata.
 * Metadata with a `contentHash` versions a loaded value in the cache by
 * that hash (see `readWithMetadata`).
 */
export interface MaterializerFormat {
  /** Its name: `from.<name>` and `to.<name>`. */
  readonly name: string;
  /** Reads a value; absent for a format that only saves. */
  readonly load?: (
    options: LoadOptions,
  ) => MaybePromise<readonly [unknown, NodeMetadata]>;
  /** Writes a value; absent for a format that only loads. */
  readonly save?: (
    value: unknown,
    options: SaveOptions,
  ) => MaybePromise<NodeMetadata>;
}
