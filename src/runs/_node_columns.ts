// A run's node records as the SQLite store writes them: the numbers by
// column in one binary block (times relative to the run's start), and the
// names with the rare fields (errors, logs, cache keys) as JSON beside it,
// by position. Formatting numbers as JSON text was most of what storing a
// 10,000-node run cost; a block of typed arrays is copied, not formatted.
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

// The fields not kept by column: in `rest`, by position, when present.
const REST = [
  "skipReason",
  "worker",
  "error",
  "cache",
  "cacheKey",
  "codeVersion",
  "dataVersion",
  "logs",
] as const satisfies readonly (keyof StoredNode)[];

/** Node records as the store keeps them. */
export interface EncodedNodes {
  /** Names, executors, the run's start and the rare fields, as JSON. */
  readonly text: string;
  /** The numbers by column (see `columns`). */
  readonly numbers: Uint8Array;
}

interface Meta {
  readonly v: 2;
  readonly names: string[];
  readonly executors: string[];
  readonly origin: number;
  readonly rest: Record<number, Record<string, unknown>>;
}

// The columns of `n` nodes over one buffer: 8-byte ones first, so that each
// view is aligned.
function columns(buffer: ArrayBuffer, n: number) {
  let at = 0;
  const take = <T>(
    make: new (b: ArrayBuffer, o: number, l: number) => T,
    size: number,
  ): T => {
    const view = new make(buffer, at, n);
    at += size * n;
    return view;
  };
  return {
    startedAt: take(Float64Array, 8),
    durationMs: take(Float64Array, 8),
    seq: take(Uint32Array, 4),
    endSeq: take(Uint32Array, 4),
    attempts: take(Uint16Array, 2),
    executor: take(Int16Array, 2),
    status: take(Uint8Array, 1),
  };
}

const BYTES_PER_NODE = 8 + 8 + 4 + 4 + 2 + 2 + 1;

/** `nodes` encoded, times after `origin`. */
export function encodeNodes(
  nodes: readonly StoredNode[],
  origin: number,
): EncodedNodes {
  const n = nodes.length;
  const buffer = new ArrayBuffer(BYTES_PER_NODE * n);
  const c = columns(buffer, n);
  const meta: Meta = {
    v: 2,
    names: new Array(n),
    executors: [],
    origin,
    rest: {},
  };
  let lastExecutor: string | undefined;
  let lastIndex = -1;
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    meta.names[i] = node.name;
    c.status[i] = STATUSES.indexOf(node.status);
    c.startedAt[i] = node.startedAt === undefined
      ? NaN
      : node.startedAt - origin;
    c.durationMs[i] = node.durationMs ?? NaN;
    c.seq[i] = node.seq ?? 0;
    c.endSeq[i] = node.endSeq ?? 0;
    c.attempts[i] = node.attempts ?? 0;
    const name = node.executor;
    if (name !== lastExecutor) {
      lastExecutor = name;
      lastIndex = name === undefined ? -1 : meta.executors.indexOf(name);
      if (name !== undefined && lastIndex < 0) {
        lastIndex = meta.executors.push(name) - 1;
      }
    }
    c.executor[i] = lastIndex;
    let rest: Record<string, unknown> | undefined;
    for (let k = 0; k < REST.length; k++) {
      const key = REST[k]!;
      const value = node[key];
      if (value !== undefined) (rest ??= {})[key] = value;
    }
    if (rest !== undefined) meta.rest[i] = rest;
  }
  return { text: JSON.stringify(meta), numbers: new Uint8Array(buffer) };
}

/** The node records `encodeNodes` encoded. */
export function decodeNodes(text: string, numbers: Uint8Array): StoredNode[] {
  const meta = JSON.parse(text) as Meta;
  const n = meta.names.length;
  const c = columns(numbers.slice().buffer, n); // copied: aligned
  const nodes: StoredNode[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const node: Record<string, unknown> = {
      name: meta.names[i],
      status: STATUSES[c.status[i]!],
    };
    const startedAt = c.startedAt[i]!;
    if (startedAt === startedAt) node.startedAt = meta.origin + startedAt;
    const durationMs = c.durationMs[i]!;
    if (durationMs === durationMs) node.durationMs = durationMs;
    if (c.seq[i]! > 0) node.seq = c.seq[i];
    if (c.endSeq[i]! > 0) node.endSeq = c.endSeq[i];
    if (c.attempts[i]! > 0) node.attempts = c.attempts[i];
    const executor = c.executor[i]!;
    if (executor >= 0) node.executor = meta.executors[executor];
    Object.assign(node, meta.rest[i]);
    nodes[i] = node as unknown as StoredNode;
  }
  return nodes;
}
