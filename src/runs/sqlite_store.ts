/**
 * The run store in one `node:sqlite` file (the CLI's is `.braid/runs.db`).
 * A run is one row: its record as JSON, its nodes as one JSON array and a
 * map's items by column, written in one transaction when the run ends (and
 * a row when it starts, so that a viewer sees it running). Several
 * processes may share the file: SQLite serializes their writes (WAL
 * journal, busy timeout).
 *
 * `node:sqlite` is loaded when the first store opens, not with braid.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { builtins } from "../cache/_builtins.ts";
import { whileBusy } from "../cache/_busy.ts";
import { decodeNodes, encodeNodes } from "./_node_columns.ts";
import {
  checkQuery,
  checkRetention,
  expandItems,
  keptSince,
} from "./_query.ts";
import type {
  ItemRecords,
  RetentionOptions,
  RunQuery,
  RunStore,
  StoredError,
  StoredItem,
  StoredNode,
  StoredPlan,
  StoredRun,
} from "./types.ts";

interface RunRow {
  readonly record: string;
  readonly plan_key: string | null;
}

// A run's record without its plan, which is stored once by key.
function recordText(run: StoredRun): string {
  return JSON.stringify(
    run,
    (key, value) => key === "plan" ? undefined : value,
  );
}

/** Options of {@linkcode SqliteRunStore}. */
export interface SqliteRunStoreOptions {
  /** How many runs, or how many days of runs, to keep. @default {every run} */
  readonly keep?: RetentionOptions;
  /** How long to wait for another process's write, in ms. @default {10000} */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  started_at REAL NOT NULL,
  tags TEXT NOT NULL,
  record TEXT NOT NULL,
  nodes TEXT,
  node_numbers BLOB,
  item_ends BLOB,
  item_failures TEXT,
  plan_key TEXT
);
CREATE TABLE IF NOT EXISTS plans (
  key TEXT PRIMARY KEY,
  plan TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_status ON runs (status, seq);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at);`;

// A tag filter: the run's tag equals the value, or is a list holding it.
// Parameters ?K (the key) and ?V (the value) are numbered per tag.
const tagMatch = (k: number, v: number) =>
  `EXISTS (SELECT 1 FROM json_each(runs.tags) t
  WHERE t.key = ?${k} AND (CAST(t.value AS TEXT) = ?${v} OR (t.type = 'array'
  AND EXISTS (SELECT 1 FROM json_each(t.value) v
    WHERE CAST(v.value AS TEXT) = ?${v}))))`;

/**
 * A run store in a SQLite file (created, with its directory, if needed).
 * Needs read and write permission on it.
 *
 * @example
 * ```ts ignore
 * import { Builder, SqliteRunStore } from "@braid/braid";
 * const store = new SqliteRunStore(".braid/runs.db", { keep: { runs: 1000 } });
 * const dr = await new Builder().withModules({ a: () => 1 })
 *   .withRunStore({ store }).build();
 * ```
 */
export class SqliteRunStore implements RunStore {
  /** The database file. */
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #keep: RetentionOptions | undefined;
  readonly #start: StatementSync;
  readonly #finish: StatementSync;
  readonly #get: StatementSync;
  readonly #nodes: StatementSync;
  readonly #items: StatementSync;
  readonly #lists = new Map<number, StatementSync>();
  readonly #plan: StatementSync;
  readonly #insertPlan: StatementSync;
  // Plans are stored once (many runs share one) and kept here by key once
  // read or written: a run's row holds its plan's key.
  readonly #planKeys = new WeakMap<object, string>();
  readonly #plans = new Map<string, StoredPlan>();
  #dropBeyond: StatementSync | undefined;
  #dropBefore: StatementSync | undefined;
  #closed = false;

  /** Opens (or creates) the store in file `path`. */
  constructor(path: string, options: SqliteRunStoreOptions = {}) {
    if (typeof path !== "string" || path === "") {
      throw new TypeError(
        `'path' must be a non-empty string: received ${path}`,
      );
    }
    this.#keep = checkRetention(options.keep);
    const { path: paths, sqlite } = builtins();
    const directory = paths.dirname(path);
    if (directory !== "") Deno.mkdirSync(directory, { recursive: true });
    this.path = path;
    const db = this.#db = new sqlite.DatabaseSync(path);
    const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    whileBusy(() => db.exec("PRAGMA journal_mode = WAL"), busyTimeoutMs);
    db.exec("PRAGMA synchronous = NORMAL");
    whileBusy(() => db.exec(SCHEMA), busyTimeoutMs);
    this.#start = db.prepare(
      `INSERT OR REPLACE INTO runs (id, status, started_at, tags, record,
         plan_key) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.#finish = db.prepare(
      `INSERT INTO runs (id, status, started_at, tags, record, nodes,
         node_numbers, item_ends, item_failures, plan_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status,
         tags = excluded.tags, record = excluded.record,
         nodes = excluded.nodes, node_numbers = excluded.node_numbers,
         item_ends = excluded.item_ends,
         item_failures = excluded.item_failures`,
    );
    this.#get = db.prepare(
      "SELECT record, plan_key FROM runs WHERE id = ?",
    );
    this.#plan = db.prepare("SELECT plan FROM plans WHERE key = ?");
    this.#insertPlan = db.prepare(
      "INSERT OR IGNORE INTO plans (key, plan) VALUES (?, ?)",
    );
    this.#nodes = db.prepare(
      "SELECT nodes, node_numbers FROM runs WHERE id = ?",
    );
    this.#items = db.prepare(
      "SELECT item_ends, item_failures FROM runs WHERE id = ?",
    );
  }

  /** Records that `run` started. */
  start(run: StoredRun): void {
    this.#start.run(
      run.id,
      run.status,
      run.startedAt,
      JSON.stringify(run.tags),
      recordText(run),
      this.#planKey(run.plan),
    );
  }

  /** Records how `run` ended: one transaction, retention applied. */
  finish(
    run: StoredRun,
    nodes: readonly StoredNode[],
    items?: ItemRecords,
  ): void {
    const db = this.#db;
    const encoded = encodeNodes(nodes, run.startedAt);
    db.exec("BEGIN IMMEDIATE");
    try {
      this.#finish.run(
        run.id,
        run.status,
        run.startedAt,
        JSON.stringify(run.tags),
        recordText(run),
        encoded.text,
        encoded.numbers,
        items === undefined ? null : new Uint8Array(
          items.endedMs.buffer,
          items.endedMs.byteOffset,
          items.endedMs.byteLength,
        ),
        items === undefined ? null : JSON.stringify(items.failures),
        this.#planKey(run.plan),
      );
      this.#retain();
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Runs matching `query`, the newest first. */
  list(query?: RunQuery): StoredRun[] {
    const { status, tag, since, limit } = checkQuery(query);
    let statement = this.#lists.get(tag.length);
    if (statement === undefined) {
      statement = this.#db.prepare(
        `SELECT record, plan_key FROM runs WHERE (?1 IS NULL OR status = ?1)
         AND started_at >= ?2 ${
          tag.map((_, i) => `AND ${tagMatch(4 + 2 * i, 5 + 2 * i)}`).join(" ")
        } ORDER BY seq DESC LIMIT ?3`,
      );
      this.#lists.set(tag.length, statement);
    }
    const parameters: (string | number | null)[] = [
      status ?? null,
      since,
      limit,
    ];
    for (const [key, value] of tag) parameters.push(key, value);
    const rows = statement.all(...parameters) as unknown as RunRow[];
    return rows.map((row) => this.#runOf(row));
  }

  /** The run `id`. */
  get(id: string): StoredRun | undefined {
    const row = this.#get.get(id) as RunRow | undefined;
    return row === undefined ? undefined : this.#runOf(row);
  }

  /** The nodes of run `id`. */
  nodes(id: string): StoredNode[] {
    const row = this.#nodes.get(id) as
      | { nodes: string | null; node_numbers: Uint8Array | null }
      | undefined;
    return row?.nodes == null || row.node_numbers === null
      ? []
      : decodeNodes(row.nodes, row.node_numbers);
  }

  /** The items of map run `id`. */
  items(id: string): StoredItem[] {
    const row = this.#items.get(id) as {
      item_ends: Uint8Array | null;
      item_failures: string | null;
    } | undefined;
    if (row?.item_ends == null) return [];
    const bytes = row.item_ends.slice(); // aligned for the Float64Array
    return expandItems({
      endedMs: new Float64Array(bytes.buffer, 0, bytes.byteLength / 8),
      failures: JSON.parse(row.item_failures ?? "[]") as {
        item: number;
        error: StoredError;
      }[],
    });
  }

  /** Closes the database. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  // The key of `plan`, stored under it once: a hash of its text.
  #planKey(plan: StoredPlan): string {
    let key = this.#planKeys.get(plan);
    if (key === undefined) {
      const text = JSON.stringify(plan);
      key = builtins().crypto.createHash("sha256").update(text).digest("hex");
      this.#insertPlan.run(key, text);
      this.#planKeys.set(plan, key);
    }
    return key;
  }

  #runOf(row: RunRow): StoredRun {
    const run = JSON.parse(row.record) as Record<string, unknown>;
    if (row.plan_key !== null) {
      let plan = this.#plans.get(row.plan_key);
      if (plan === undefined) {
        const found = this.#plan.get(row.plan_key) as
          | { plan: string }
          | undefined;
        plan = found === undefined
          ? { nodes: [], edges: [] }
          : JSON.parse(found.plan) as StoredPlan;
        this.#plans.set(row.plan_key, plan);
      }
      run.plan = plan;
    }
    return run as unknown as StoredRun;
  }

  // Drops the oldest runs beyond the retention limits (inside finish's
  // transaction: by the `seq` key and the start-time index, not a scan).
  #retain(): void {
    const keep = this.#keep;
    if (keep === undefined) return;
    if (keep.runs !== undefined) {
      (this.#dropBeyond ??= this.#db.prepare(
        `DELETE FROM runs WHERE seq <= (SELECT seq FROM runs
           ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      )).run(keep.runs);
    }
    const since = keptSince(keep);
    if (since !== undefined) {
      (this.#dropBefore ??= this.#db.prepare(
        "DELETE FROM runs WHERE started_at < ?",
      )).run(since);
    }
  }
}
