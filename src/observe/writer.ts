/**
 * Where observability adapters write: `Deno.stderr`, or anything with the
 * same synchronous `writeSync` (a file, a test's fake terminal).
 *
 * @module
 */

/** A synchronous byte sink, such as `Deno.stderr` or a `Deno.FsFile`. */
export interface SyncWriter {
  /** Writes some of `p` (at least one byte) and returns how many were written. */
  writeSync(p: Uint8Array): number;
}

/** A {@linkcode SyncWriter} that knows whether it is a terminal. */
export interface TerminalWriter extends SyncWriter {
  /** True when it is a terminal (a TTY): only then are bars drawn. */
  isTerminal(): boolean;
}

const encoder = new TextEncoder();

/** Writes all of `text` (a `writeSync` may take only part of it). */
export function writeAll(writer: SyncWriter, text: string): void {
  const bytes = encoder.encode(text);
  let at = 0;
  while (at < bytes.length) at += writer.writeSync(bytes.subarray(at));
}
