/**
 * A run store in memory: for tests and short-lived processes. Its records
 * die with the process (and a re-execution refuses to start from them only
 * when the values it needs are not persisted, which is the cache's concern).
 *
 * @module
 */
import {
  checkQuery,
  checkRetention,
  expandItems,
  keptSince,
  matches,
} from "./_query.ts";
import type {
  ItemRecords,
  RetentionOptions,
  RunQuery,
  RunStore,
  StoredItem,
  StoredNode,
  StoredRun,
} from "./types.ts";

/** Options of {@linkcode MemoryRunStore}. */
export interface MemoryRunStoreOptions {
  /** How many runs, or how many days of runs, to keep. @default {every run} */
  readonly keep?: RetentionOptions;
}

interface Entry {
  run: StoredRun;
  nodes: readonly StoredNode[];
  items: ItemRecords | undefined;
}

/**
 * Keeps runs in memory, newest last.
 *
 * @example
 * ```ts
 * import { Builder, MemoryRunStore } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryRunStore();
 * const dr = await new Builder()
 *   .withModules({ double: ({ x }: { x: number }) => 2 * x })
 *   .withRunStore({ store })
 *   .build();
 * const { runId } = await dr.run(["double"], { inputs: { x: 2 } });
 * assert.equal((await dr.runs.get(runId))?.status, "succeeded");
 * assert.equal((await dr.runs.nodes(runId))[0]?.name, "double");
 * ```
 */
export class MemoryRunStore implements RunStore {
  readonly #runs = new Map<string, Entry>();
  readonly #keep: RetentionOptions | undefined;

  /** Creates an empty store. */
  constructor(options: MemoryRunStoreOptions = {}) {
    this.#keep = checkRetention(options.keep);
  }

  /** How many runs are stored. */
  get size(): number {
    return this.#runs.size;
  }

  /** Records that `run` started. */
  start(run: StoredRun): void {
    this.#runs.set(run.id, { run, nodes: [], items: undefined });
    this.#retain();
  }

  /** Records how `run` ended. */
  finish(
    run: StoredRun,
    nodes: readonly StoredNode[],
    items?: ItemRecords,
  ): void {
    const entry = this.#runs.get(run.id);
    if (entry === undefined) this.#runs.set(run.id, { run, nodes, items });
    else Object.assign(entry, { run, nodes, items });
  }

  /** Runs matching `query`, the newest first. */
  list(query?: RunQuery): StoredRun[] {
    const checked = checkQuery(query);
    const found: StoredRun[] = [];
    const all = [...this.#runs.values()];
    for (let i = all.length - 1; i >= 0 && found.length < checked.limit; i--) {
      const run = all[i]!.run;
      if (matches(run, checked)) found.push(run);
    }
    return found;
  }

  /** The run `id`. */
  get(id: string): StoredRun | undefined {
    return this.#runs.get(id)?.run;
  }

  /** The nodes of run `id`. */
  nodes(id: string): StoredNode[] {
    return [...this.#runs.get(id)?.nodes ?? []];
  }

  /** The items of map run `id`. */
  items(id: string): StoredItem[] {
    return expandItems(this.#runs.get(id)?.items);
  }

  // Drops the oldest runs beyond the retention limits.
  #retain(): void {
    const keep = this.#keep;
    if (keep === undefined) return;
    const since = keptSince(keep);
    for (const [id, { run }] of this.#runs) {
      const tooMany = keep.runs !== undefined && this.#runs.size > keep.runs;
      const tooOld = since !== undefined && run.startedAt < since;
      if (!tooMany && !tooOld) break;
      this.#runs.delete(id);
    }
  }
}
