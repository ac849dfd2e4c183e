/**
 * Reading a file together with what a loader reports about it: its path,
 * size, modification time and content hash.
 *
 * @module
 */
import { loadHasher } from "../cache/hasher.ts";

/**
 * What a loader that read a file reports (`run().nodes[i].metadata`). A
 * type rather than an interface, so that it is a `NodeMetadata`.
 */
export type FileMetadata = {
  /** The path read. */
  readonly path: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** When it was last modified (ISO 8601), where the file system says. */
  readonly mtime?: string;
  /**
   * The XXH128 hash of its content, 32 hex digits: a loader's value is
   * versioned by it in the cache, so a changed file is a new version.
   */
  readonly contentHash: string;
};

/**
 * Reads the file at `path` and describes it: for loaders written by hand
 * (`loader()`), whose metadata then carries the content hash that versions
 * their value in the cache. Hashes at several GB/s (XXH128 in WebAssembly,
 * loaded on first use).
 *
 * @example
 * ```ts
 * import { loader, node, readWithMetadata } from "@braid/braid";
 *
 * export const settings = node(async ({ path }: { path: string }) => {
 *   const [bytes, metadata] = await readWithMetadata(path);
 *   return [JSON.parse(new TextDecoder().decode(bytes)), metadata];
 * }, loader());
 * ```
 */
export async function readWithMetadata(
  path: string,
): Promise<[Uint8Array, FileMetadata]> {
  const [bytes, info, hasher] = await Promise.all([
    Deno.readFile(path),
    Deno.stat(path),
    loadHasher(),
  ]);
  return [
    bytes,
    describeFile(path, bytes.byteLength, info, hasher.hashBytes(bytes)),
  ];
}

/** The metadata of file `path` of `bytes` bytes, whose content hashes to `contentHash`. */
export function describeFile(
  path: string,
  bytes: number,
  info: Deno.FileInfo,
  contentHash: string,
): FileMetadata {
  const metadata: { -readonly [K in keyof FileMetadata]: FileMetadata[K] } = {
    path,
    bytes,
    contentHash,
  };
  if (info.mtime !== null) metadata.mtime = info.mtime.toISOString();
  return metadata;
}

/**
 * Writes `bytes` to the file at `path` and describes what was written, as
 * a saver reports it (path, bytes, content hash).
 */
export async function writeWithMetadata(
  path: string,
  bytes: Uint8Array,
): Promise<FileMetadata> {
  const [hasher] = await Promise.all([
    loadHasher(),
    Deno.writeFile(path, bytes),
  ]);
  return {
    path,
    bytes: bytes.byteLength,
    contentHash: hasher.hashBytes(bytes),
  };
}
