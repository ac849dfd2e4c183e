// What the remote executor and its workers agree on: the Redis keys beside
// BullMQ's, a job's data, and the entries of a reply stream.
//
// A task is a call in a BullMQ job, whose data names the stream its
// replies go to and carries one call, or up to `chunkSize` calls of one run
// sent together (map items, say), each with an id of its own. A call is
// the task (_task_protocol.ts: the node by module URL and export, its
// arguments, the run's facts) as v8-serialized bytes in base64, the node
// apart (made once per node, decoded once per node by a worker): job data
// is JSON, and base64 is a third larger than the bytes where a
// Buffer's JSON form is three to four times larger and 5-80x slower to
// write (measured on 0.2-400 KB tasks). Arguments and values of 256 KiB
// and more go by reference instead: the bytes under a key of their own,
// arguments named by their content hash (the same ones are stored once,
// whatever run or item sends them), a value by its call (the driver deletes
// it once read); both expire.
//
// Replies go to the driver's own stream (XADD): a worker says when it
// starts a task (which start of it that is, and where), what the node
// logs, and how it ended. One command costs far more than its bytes, so a
// stream entry carries every reply a worker had for that stream in one
// turn (or, while it runs several tasks, in one macrotask). A start is
// sent at once, before the node runs, when the job asks (`s`): the driver
// asks unless the node's last call took under a millisecond, so that a
// node that blocks its worker cannot hide its start, while a tiny node's
// start is its end's reply (sent at its first log, if it logs). A stream keeps what a driver has not read
// yet, so a reply sent while the driver's connection blinks is read once
// it is back; the driver trims what it has read.
import { deserialize, serialize } from "node:v8";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type {
  ChunkTask,
  NodeTask,
  SentError,
  TaskNode,
} from "./_task_protocol.ts";

/** The prefix of every key braid adds beside BullMQ's. */
const PREFIX = "braid";

/** The stream a driver reads its replies from. */
export function replyKey(queue: string, client: string): string {
  return `${PREFIX}:${queue}:replies:${client}`;
}

/** The channel that tells workers to abort tasks. */
export function abortChannel(queue: string): string {
  return `${PREFIX}:${queue}:abort`;
}

/**
 * Values whose v8 bytes reach this size go by reference: stored under a
 * key of their own (`blobKey`), the job or reply naming the key.
 */
export const LARGE_BYTES = 256 * 1024;

/** How long a stored value outlives its last use, in ms. */
export const BLOB_TTL_MS = 60 * 60 * 1000;

/** The key of a value stored apart: `id` is its content hash or its call's. */
export function blobKey(queue: string, id: string): string {
  return `${PREFIX}:${queue}:blob:${id}`;
}

/** What a job carries: one or more calls (see `chunkSize`). */
export interface JobData {
  /** The reply stream. */
  readonly r: string;
  /** The calls, run at once by the worker that takes the job. */
  readonly c: readonly CallData[];
  /**
   * Or a chunk of map items (a `ChunkTask` without its number: every item
   * through the whole plan), v8-serialized, in base64, with its id.
   */
  readonly k?: { readonly i: string; readonly p: string };
}

/** A chunk of map items as a job carries it: `k` of its data. */
export function encodeChunk(
  id: string,
  chunk: Omit<ChunkTask, "id" | "timed">,
): { readonly i: string; readonly p: string } {
  return { i: id, p: base64(chunk) };
}

/** The chunk of map items a job carries. */
export function decodeChunk(
  k: { readonly p: string },
): Omit<ChunkTask, "id" | "timed"> {
  return deserialize(Buffer.from(k.p, "base64")) as Omit<
    ChunkTask,
    "id" | "timed"
  >;
}

/** One call of a job. */
export interface CallData {
  /** The call's id, which its replies name. */
  readonly i: string;
  /** The node (a `TaskNode`), v8-serialized, in base64: the same for each of its calls. */
  readonly n: string;
  /** The call (`CallPart`), v8-serialized, in base64 (without its arguments, when they are large:) */
  readonly p: string;
  /** The key a call's large arguments are stored under (see `LARGE_BYTES`). */
  readonly b?: string;
  /** Set when the worker is to say at once that the node starts (see `RemoteReply`). */
  readonly s?: 1;
}

/** A node call as a job carries it: a task without the sender's number. */
export type RemoteTask = Omit<NodeTask, "id" | "timed" | "node"> & {
  readonly node: TaskNode;
};

/** What a job carries besides its node. */
type CallPart = Omit<RemoteTask, "node" | "type">;

// The serialized form of each node, made once.
const nodeParts = new WeakMap<TaskNode, string>();

/** A call as a job carries it, and its large arguments, to be stored first. */
export interface EncodedCall {
  readonly data: CallData;
  readonly blob?: { readonly key: string; readonly bytes: Uint8Array };
}

/**
 * A call as a job carries it, with id `id` (`announce` sets `s`); large arguments go
 * by reference to their content hash. Throws when they cannot be
 * serialized.
 */
export function encodeCall(
  queue: string,
  id: string,
  task: RemoteTask,
  announce: boolean,
): EncodedCall {
  let n = nodeParts.get(task.node);
  if (n === undefined) nodeParts.set(task.node, n = base64(task.node));
  const call: CallPart = task.item === undefined
    ? { args: task.args, runId: task.runId }
    : { args: task.args, runId: task.runId, item: task.item };
  const whole = task.trace === undefined
    ? call
    : { ...call, trace: task.trace };
  const bytes = serialize(whole);
  const s = announce ? { s: 1 as const } : {};
  if (bytes.byteLength < LARGE_BYTES) {
    return { data: { i: id, n, p: toBase64(bytes), ...s } };
  }
  const args = serialize(task.args);
  const key = blobKey(queue, createHash("sha256").update(args).digest("hex"));
  const p = base64({ ...whole, args: undefined });
  return { data: { i: id, n, p, b: key, ...s }, blob: { key, bytes: args } };
}

/** Decodes the nodes of jobs, keeping the last few thousand decoded. */
export class JobDecoder {
  readonly #nodes = new Map<string, TaskNode>();

  /**
   * The task a call carries; `args` are its arguments' bytes, for a call
   * that names them by reference (`b`).
   */
  decode(data: CallData, args?: Uint8Array): RemoteTask {
    let node = this.#nodes.get(data.n);
    if (node === undefined) {
      if (this.#nodes.size >= 4096) this.#nodes.clear();
      node = deserialize(Buffer.from(data.n, "base64")) as TaskNode;
      this.#nodes.set(data.n, node);
    }
    const call = deserialize(Buffer.from(data.p, "base64")) as CallPart;
    if (args !== undefined) {
      return {
        ...call,
        args: deserialize(args) as CallPart["args"],
        type: "call",
        node,
      };
    }
    return { ...call, type: "call", node };
  }
}

function base64(value: unknown): string {
  return toBase64(serialize(value));
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString("base64");
}

/** What a worker says about a task, as a reply stream entry. */
export type RemoteReply =
  /** It starts: the `attempt`-th start of the task, on `worker`. */
  | {
    readonly kind: "start";
    readonly call: string;
    readonly worker: string;
    readonly attempt: number;
  }
  /** The node called ctx.log. */
  | {
    readonly kind: "log";
    readonly call: string;
    readonly message: string;
    readonly data?: unknown;
    /** Set for `ctx.warn`. */
    readonly warning?: boolean;
  }
  /**
   * The node returned a value: `bytes`, v8-serialized (see `valueOf`), or,
   * when large, the key they are stored under, for the driver to take.
   * `ms`: how long it ran, from its call (once its module was loaded).
   */
  | {
    readonly kind: "ok";
    readonly call: string;
    readonly bytes?: Uint8Array;
    readonly blob?: string;
    readonly ms?: number;
    /** Set (with `attempt`) when no start was sent: this is the start too. */
    readonly worker?: string;
    readonly attempt?: number;
  }
  /**
   * The node threw (or its module could not be imported: `loading`; or its
   * value could not be sent back: `uncloneable`).
   */
  | {
    readonly kind: "error";
    readonly call: string;
    readonly worker: string;
    readonly error: SentError;
    readonly loading?: boolean;
    readonly uncloneable?: boolean;
    readonly ms?: number;
    /** Set when no start was sent: this is the start too. */
    readonly attempt?: number;
    /** For chunks of map items: the failing item (in the map) and node index. */
    readonly item?: number;
    readonly node?: number;
  }
  /** The job failed outside the node (BullMQ gave up on it). */
  | {
    readonly kind: "failed";
    readonly call: string;
    readonly worker: string;
    readonly message: string;
  };

/**
 * The fields of one stream entry holding `replies` (of one or more tasks,
 * in order): v8-serialized, in base64 (ioredis sends a string argument
 * faster than a Buffer). Throws when a value cannot be serialized.
 */
export function encodeReplies(replies: readonly RemoteReply[]): string[] {
  const bytes = serialize(replies);
  return [
    "m",
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      .toString("base64"),
  ];
}

/** The replies of a stream entry (as `encodeReplies` made its fields). */
export function decodeReplies(fields: readonly string[]): RemoteReply[] {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === "m") {
      return deserialize(
        Buffer.from(fields[i + 1]!, "base64"),
      ) as RemoteReply[];
    }
  }
  return [];
}

/**
 * A node's value as an "ok" reply carries it (serialized apart, so that a
 * value that cannot be sent fails its own task, not a batch of replies).
 * Throws when it cannot be serialized.
 */
export function valueBytes(value: unknown): Uint8Array {
  return serialize(value);
}

/** A value from its v8 bytes. */
export function valueOf(bytes: Uint8Array): unknown {
  return deserialize(bytes);
}

/** How a task ended: its last reply. */
export type RemoteEnd = Exclude<RemoteReply, { kind: "start" | "log" }>;
