/**
 * Cache lineage (CodeAnatomy's export): per node of a stored run, its cache
 * key, its code version, the data version of its value, the data versions
 * of the values it consumed, what the cache did, and the plan signature:
 * enough to tell why a node ran or was served, and from what. Read from the
 * run store, so a run of another process (or of yesterday) has it too.
 *
 * @module
 */
import type { CacheOutcome, CacheView } from "../cache/cache.ts";
import type { RunsView } from "./runs.ts";
import type { StoredNode, StoredRun } from "./types.ts";

/** One node's lineage in a run. */
export interface LineageRow {
  /** The node. */
  readonly node: string;
  /** Its cache key (absent when the cache did not key it: disabled, ignored). */
  readonly cacheKey?: string;
  /** Its code version. */
  readonly codeVersion?: string;
  /** The data version of its value. */
  readonly dataVersion?: string;
  /**
   * The data versions of the values it consumed, by name (nodes, inputs,
   * overrides, config); `null` where the run store has none.
   */
  readonly dependencies: Readonly<Record<string, string | null>>;
  /** What the cache did. */
  readonly outcome: CacheOutcome;
  /** The plan signature of the driver that ran it. */
  readonly planSignature: string;
}

/** Options of `dr.cache.lineage`. */
export interface LineageOptions {
  /** Export as CSV (one row per node, dependencies as JSON) or JSON Lines. */
  readonly format: "csv" | "jsonl";
}

/** `dr.cache`: what the cache did, and each stored run's cache lineage. */
export interface DriverCacheView extends CacheView {
  /**
   * The cache lineage of stored run `runId`: one row per node the cache
   * answered for or stored, in plan order. Needs a run store
   * (`withRunStore`); rejects for a run it does not hold.
   *
   * @example
   * ```ts
   * import { Builder, MemoryCacheStore, MemoryRunStore } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const dr = await new Builder()
   *   .withModules({ double: ({ x }: { x: number }) => 2 * x })
   *   .withCache({ store: new MemoryCacheStore() })
   *   .withRunStore({ store: new MemoryRunStore() })
   *   .build();
   * const { runId } = await dr.run(["double"], { inputs: { x: 1 } });
   * const [row] = await dr.cache.lineage(runId);
   * assert.equal(row?.outcome, "miss");
   * assert.deepEqual(Object.keys(row?.dependencies ?? {}), ["x"]);
   * ```
   */
  lineage(runId: string): Promise<LineageRow[]>;
  /** The lineage of run `runId` exported as CSV or JSON Lines text. */
  lineage(runId: string, options: LineageOptions): Promise<string>;
}

/** `cache` with `lineage` read from `runs`. */
export function withLineage(
  cache: CacheView,
  runs: RunsView,
): DriverCacheView {
  const lineage = async (runId: string, options?: LineageOptions) => {
    if (options !== undefined) checkFormat(options);
    if (!runs.enabled) {
      throw new TypeError(
        "Cache lineage is read from the run store: build the driver with withRunStore({ path }) or withRunStore({ store })",
      );
    }
    const run = await runs.get(runId);
    if (run === undefined) {
      throw new TypeError(`Run "${runId}" is not in the run store`);
    }
    const rows = lineageOf(run, await runs.nodes(runId));
    if (options === undefined) return rows;
    return await lineageText(rows, options.format);
  };
  return Object.freeze({
    get enabled() {
      return cache.enabled;
    },
    get store() {
      return cache.store;
    },
    logs: (runId: string) => cache.logs(runId),
    lineage,
  }) as DriverCacheView;
}

function checkFormat(options: LineageOptions): void {
  const format = (options as { format?: unknown })?.format;
  if (format !== "csv" && format !== "jsonl") {
    throw new TypeError(
      `'format' must be "csv" or "jsonl": received ${format}`,
    );
  }
}

/** The lineage rows of a stored run. */
export function lineageOf(
  run: StoredRun,
  nodes: readonly StoredNode[],
): LineageRow[] {
  const versions = new Map<string, string | undefined>();
  for (const [name, version] of Object.entries(configVersionsOf(run))) {
    versions.set(name, version);
  }
  for (const value of [...run.inputs, ...run.overrides]) {
    versions.set(value.name, value.dataVersion);
  }
  for (const node of nodes) {
    if (node.dataVersion !== undefined) {
      versions.set(node.name, node.dataVersion);
    }
  }
  const planned = new Set(run.plan.nodes.map((n) => n.name));
  const inputsOf = new Map<string, string[]>();
  for (const [from, to] of run.plan.edges) {
    if (!planned.has(from)) continue; // an optional input not given
    const list = inputsOf.get(to);
    if (list === undefined) inputsOf.set(to, [from]);
    else list.push(from);
  }
  const rows: LineageRow[] = [];
  for (const node of nodes) {
    if (node.cache === undefined) continue;
    const dependencies: Record<string, string | null> = {};
    for (const name of inputsOf.get(node.name) ?? []) {
      dependencies[name] = versions.get(name) ?? null;
    }
    const row: { -readonly [K in keyof LineageRow]: LineageRow[K] } = {
      node: node.name,
      dependencies,
      outcome: node.cache,
      planSignature: run.planSignature,
    };
    if (node.cacheKey !== undefined) row.cacheKey = node.cacheKey;
    if (node.codeVersion !== undefined) row.codeVersion = node.codeVersion;
    if (node.dataVersion !== undefined) row.dataVersion = node.dataVersion;
    rows.push(row);
  }
  return rows;
}

function configVersionsOf(run: StoredRun): Readonly<Record<string, string>> {
  return run.configVersions ?? {};
}

/** `rows` as CSV or JSON Lines text. */
export async function lineageText(
  rows: readonly LineageRow[],
  format: "csv" | "jsonl",
): Promise<string> {
  return format === "jsonl"
    ? rows.map((row) => JSON.stringify(row) + "\n").join("")
    : await csv(rows);
}

// CSV by npm:csv-stringify (quoting by RFC 4180), loaded on first export.
async function csv(rows: readonly LineageRow[]): Promise<string> {
  const { stringify } = await import("npm:csv-stringify@6.9.0/sync");
  return stringify(
    rows.map((row) => [
      row.node,
      row.cacheKey ?? "",
      row.codeVersion ?? "",
      row.dataVersion ?? "",
      JSON.stringify(row.dependencies),
      row.outcome,
      row.planSignature,
    ]),
    {
      header: true,
      columns: [
        "node",
        "cacheKey",
        "codeVersion",
        "dataVersion",
        "dependencies",
        "outcome",
        "planSignature",
      ],
    },
  );
}
