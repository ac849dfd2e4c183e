// A run's node records as the SQLite store writes them: by column, numbers
// rounded to the microsecond and times relative to the run's start, the
// rare fields (errors, logs, cache keys) beside them by position. About a
// quarter of the bytes of the records as JSON objects, and written in a
// quarter of the time: per node, what a run store adds to a run is mostly
// the bytes it writes.
import type { StoredNode, StoredNodeStatus } from "./types.ts";

const STATUSES: readonly StoredNodeStatus[] = [
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  "reused",
  "running",
  "pending",
];

// The fields kept by column; the others go to `rest`.
const COLUMNS = new Set([
  "name",
  "status",
  "startedAt",
  "durationMs",
  "seq",
  "endSeq",
  "attempts",
  "executor",
]);

interface Columns {
  readonly v: 1;
  readonly name: string[];
  readonly status: number[];
  /** Ms after `origin`, or null. */
  readonly startedAt: (number | null)[];
  readonly durationMs: (number | null)[];
  readonly seq: (number | null)[];
  readonly endSeq: (number | null)[];
  readonly attempts: (number | null)[];
  /** Index into `executors`, or -1. */
  readonly executor: number[];
  readonly executors: string[];
  readonly origin: number;
  readonly rest: Record<number, Record<string, unknown>>;
}

const micro = (ms: number) => Math.round(ms * 1000) / 1000;

/** `nodes` as one JSON text of columns, times after `origin`. */
export function encodeNodes(
  nodes: readonly StoredNode[],
  origin: number,
): string {
  const n = nodes.length;
  const columns: Columns = {
    v: 1,
    name: new Array(n),
    status: new Array(n),
    startedAt: new Array(n),
    durationMs: new Array(n),
    seq: new Array(n),
    endSeq: new Array(n),
    attempts: new Array(n),
    executor: new Array(n),
    executors: [],
    origin,
    rest: {},
  };
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    columns.name[i] = node.name;
    columns.status[i] = STATUSES.indexOf(node.status);
    columns.startedAt[i] = node.startedAt === undefined
      ? null
      : micro(node.startedAt - origin);
    columns.durationMs[i] = node.durationMs === undefined
      ? null
      : micro(node.durationMs);
    columns.seq[i] = node.seq ?? null;
    columns.endSeq[i] = node.endSeq ?? null;
    columns.attempts[i] = node.attempts ?? null;
    let executor = -1;
    if (node.executor !== undefined) {
      executor = columns.executors.indexOf(node.executor);
      if (executor < 0) executor = columns.executors.push(node.executor) - 1;
    }
    columns.executor[i] = executor;
    let rest: Record<string, unknown> | undefined;
    for (const key in node) {
      if (COLUMNS.has(key)) continue;
      (rest ??= {})[key] = (node as unknown as Record<string, unknown>)[key];
    }
    if (rest !== undefined) columns.rest[i] = rest;
  }
  return JSON.stringify(columns);
}

/** The node records `encodeNodes` wrote. */
export function decodeNodes(text: string): StoredNode[] {
  const columns = JSON.parse(text) as Columns;
  const nodes: StoredNode[] = new Array(columns.name.length);
  for (let i = 0; i < nodes.length; i++) {
    const node: Record<string, unknown> = {
      name: columns.name[i],
      status: STATUSES[columns.status[i]!],
    };
    const startedAt = columns.startedAt[i];
    if (startedAt !== null && startedAt !== undefined) {
      node.startedAt = columns.origin + startedAt;
    }
    const fields = ["durationMs", "seq", "endSeq", "attempts"] as const;
    for (const field of fields) {
      const value = columns[field][i];
      if (value !== null && value !== undefined) node[field] = value;
    }
    const executor = columns.executor[i]!;
    if (executor >= 0) node.executor = columns.executors[executor];
    Object.assign(node, columns.rest[i]);
    nodes[i] = node as unknown as StoredNode;
  }
  return nodes;
}
