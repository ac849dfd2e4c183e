// A small counting pipeline for cache tests: each node counts its calls.
import type { CacheLogEntry, CacheOutcome } from "../../mod.ts";

export function counting() {
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  return { calls, count };
}

/** Each node's outcome, by name (map items: `name#item`). */
export function outcomes(
  logs: readonly CacheLogEntry[],
): Record<string, CacheOutcome> {
  const out: Record<string, CacheOutcome> = {};
  for (const entry of logs) {
    const name = entry.item === undefined
      ? entry.nodeName
      : `${entry.nodeName}#${entry.item}`;
    out[name] = entry.outcome;
  }
  return out;
}

export async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "braid_cache_test_" });
}

/** Runs `body` with `console.warn` captured: its result and the warnings. */
export async function withWarnings<T>(
  body: () => Promise<T>,
): Promise<[T, string[]]> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  try {
    return [await body(), warnings];
  } finally {
    console.warn = warn;
  }
}

/** Whether a file (or a link) exists at `path`, without following links. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
