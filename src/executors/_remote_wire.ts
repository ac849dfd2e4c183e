// What the remote executor and its workers agree on: the Redis keys beside
// BullMQ's, a job's data, and the entries of a reply stream.
//
// A task is a BullMQ job whose data names the stream its replies go to and
// carries the task (_task_protocol.ts: the node by module URL and export,
// its arguments, the run's facts) as v8-serialized bytes in base64: job
// data is JSON, and base64 is a third larger than the bytes where a
// Buffer's JSON form is three to four times larger and 5-80x slower to
// write (measured on 0.2-400 KB tasks). Replies are entries that the
// worker appends to the driver's own stream (XADD), raw bytes and all: the
// worker says when it starts a task (and which start of it that is, and
// where), what the node logs, and how it ended. A stream keeps what a
// driver has not read yet, so a reply sent while the driver's connection
// blinks is read once it is back; the driver trims what it has read.
import { deserialize, serialize } from "node:v8";
import { Buffer } from "node:buffer";
import type { NodeTask, SentError } from "./_task_protocol.ts";

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

/** What a task job carries. */
export interface JobData {
  /** The reply stream. */
  readonly r: string;
  /** The task, v8-serialized, in base64. */
  readonly p: string;
}

/** A node call as a job carries it: a task without the sender's number. */
export type RemoteTask = Omit<NodeTask, "id" | "timed">;

/** A task's job data. Throws when its arguments cannot be serialized. */
export function encodeJob(reply: string, task: RemoteTask): JobData {
  const bytes = serialize(task);
  return {
    r: reply,
    p: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      .toString("base64"),
  };
}

/** The task a job carries. */
export function decodeJob(data: JobData): RemoteTask {
  return deserialize(Buffer.from(data.p, "base64")) as RemoteTask;
}

/** What a worker says about a task, as a reply stream entry. */
export type RemoteReply =
  /** It starts: the `attempt`-th start of the task, on `worker`. */
  | {
    readonly kind: "start";
    readonly job: string;
    readonly worker: string;
    readonly attempt: number;
  }
  /** The node called ctx.log. */
  | {
    readonly kind: "log";
    readonly job: string;
    readonly message: string;
    readonly data?: unknown;
  }
  /** The node returned `value`. */
  | { readonly kind: "ok"; readonly job: string; readonly value: unknown }
  /**
   * The node threw (or its module could not be imported: `loading`; or its
   * value could not be sent back: `uncloneable`).
   */
  | {
    readonly kind: "error";
    readonly job: string;
    readonly worker: string;
    readonly error: SentError;
    readonly loading?: boolean;
    readonly uncloneable?: boolean;
  }
  /** The job failed outside the node (BullMQ gave up on it). */
  | {
    readonly kind: "failed";
    readonly job: string;
    readonly worker: string;
    readonly message: string;
  };

/**
 * The fields of a stream entry for `reply`: the job and the kind as text,
 * the rest v8-serialized. Throws when a value cannot be serialized.
 */
export function encodeReply(reply: RemoteReply): (string | Buffer)[] {
  const { kind, job, ...rest } = reply;
  const bytes = serialize(rest);
  return [
    "j",
    job,
    "k",
    kind,
    "v",
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  ];
}

/** A reply from the fields of a stream entry (as `encodeReply` made them). */
export function decodeReply(fields: readonly Buffer[]): RemoteReply {
  let job = "";
  let kind = "";
  let rest: object = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    const value = fields[i + 1]!;
    if (name === "j") job = value.toString();
    else if (name === "k") kind = value.toString();
    else if (name === "v") rest = deserialize(value) as object;
  }
  return { kind, job, ...rest } as RemoteReply;
}

/** How a task ended: its last reply. */
export type RemoteEnd = Exclude<RemoteReply, { kind: "start" | "log" }>;
