// What the stores share: checking a query, matching a run against it in
// memory, and turning thrown values and logged data into plain JSON.
import type {
  ItemRecords,
  RetentionOptions,
  RunQuery,
  StoredError,
  StoredItem,
  StoredRun,
} from "./types.ts";

const STATUSES = ["running", "succeeded", "failed", "cancelled"];
const DAY_MS = 24 * 60 * 60 * 1000;

/** A query checked in std style, with its defaults applied. */
export interface CheckedQuery {
  readonly status: string | undefined;
  readonly tag: readonly (readonly [string, string])[];
  readonly since: number;
  readonly limit: number;
}

/** Checks `query`; throws a TypeError or RangeError for a bad field. */
export function checkQuery(query: RunQuery = {}): CheckedQuery {
  if (typeof query !== "object" || query === null) {
    throw new TypeError(`'query' must be an object: received ${query}`);
  }
  const { status, tag = {}, since, limit = 100 } = query;
  if (status !== undefined && !STATUSES.includes(status)) {
    throw new TypeError(
      `'status' must be one of ${STATUSES.join(", ")}: received ${status}`,
    );
  }
  if (typeof tag !== "object" || tag === null) {
    throw new TypeError(`'tag' must be an object: received ${tag}`);
  }
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(
      `'limit' must be a positive integer: received ${limit}`,
    );
  }
  const from = since instanceof Date ? since.getTime() : since ?? 0;
  if (typeof from !== "number" || Number.isNaN(from)) {
    throw new TypeError(
      `'since' must be a Date or a number: received ${since}`,
    );
  }
  return {
    status,
    tag: Object.entries(tag).map(([k, v]) => [k, String(v)] as const),
    since: from,
    limit,
  };
}

/** Whether `run` answers `query`. */
export function matches(run: StoredRun, query: CheckedQuery): boolean {
  if (query.status !== undefined && run.status !== query.status) return false;
  if (run.startedAt < query.since) return false;
  for (const [key, value] of query.tag) {
    const tagged = run.tags[key];
    const ok = Array.isArray(tagged)
      ? tagged.some((t) => String(t) === value)
      : tagged !== undefined && String(tagged) === value;
    if (!ok) return false;
  }
  return true;
}

/** Checks retention options; returns them. */
export function checkRetention(
  keep: RetentionOptions | undefined,
): RetentionOptions | undefined {
  if (keep === undefined) return undefined;
  if (typeof keep !== "object" || keep === null) {
    throw new TypeError(`'keep' must be an object: received ${keep}`);
  }
  if (
    keep.runs !== undefined && (!Number.isInteger(keep.runs) || keep.runs < 1)
  ) {
    throw new RangeError(
      `'keep.runs' must be a positive integer: received ${keep.runs}`,
    );
  }
  if (
    keep.days !== undefined && (typeof keep.days !== "number" ||
      !(keep.days > 0))
  ) {
    throw new RangeError(
      `'keep.days' must be a positive number: received ${keep.days}`,
    );
  }
  return keep;
}

/** The oldest start time `keep` retains, or undefined for no limit by age. */
export function keptSince(
  keep: RetentionOptions | undefined,
  now = Date.now(),
): number | undefined {
  return keep?.days === undefined ? undefined : now - keep.days * DAY_MS;
}

/** `error` as plain JSON: name, message, stack, the node it names, its cause. */
export function storedError(error: unknown, depth = 0): StoredError {
  if (!(error instanceof Error)) {
    return { name: typeof error, message: describe(error) };
  }
  const stored: {
    -readonly [K in keyof StoredError]: StoredError[K];
  } = { name: error.name, message: error.message };
  if (typeof error.stack === "string") stored.stack = error.stack;
  const nodeName = (error as { nodeName?: unknown }).nodeName;
  if (typeof nodeName === "string") stored.nodeName = nodeName;
  // A cause chain is short in practice; a cycle must not recurse forever.
  if (error.cause !== undefined && depth < 4) {
    stored.cause = storedError(error.cause, depth + 1);
  }
  return stored;
}

/** `value` as JSON holds it: what it cannot hold is described. */
export function plainJson(value: unknown): unknown {
  try {
    const text = JSON.stringify(
      value,
      (_key, v) =>
        typeof v === "bigint"
          ? `${v}n`
          : typeof v === "function"
          ? `[function ${v.name}]`
          : v,
    );
    return text === undefined ? describe(value) : JSON.parse(text);
  } catch {
    return describe(value);
  }
}

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A map's item columns as one record per item. */
export function expandItems(records: ItemRecords | undefined): StoredItem[] {
  if (records === undefined) return [];
  const errors = new Map(records.failures.map((f) => [f.item, f.error]));
  const { endedMs } = records;
  const items: StoredItem[] = new Array(endedMs.length);
  for (let item = 0; item < endedMs.length; item++) {
    const ended = endedMs[item]!;
    const error = errors.get(item);
    items[item] = error !== undefined
      ? ended === ended
        ? { item, status: "failed", endedMs: ended, error }
        : { item, status: "failed", error }
      : ended === ended
      ? { item, status: "succeeded", endedMs: ended }
      : { item, status: "not-run" };
  }
  return items;
}
