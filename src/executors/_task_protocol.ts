// The task protocol between braid and a worker process: what goes to the
// process (a node call, an abort, modules to import ahead of time) and what
// comes back (the value, the error, ctx.log messages). The node descriptor,
// the replies and the error shape are the worker pool's (_protocol.ts): a
// task names its node by module URL and export as a worker's does, so a
// node that runs on a thread runs in a process unchanged. A task carries
// all it needs, so any process may take it (the process executor's
// children today, workers on other machines later); on a channel to one
// process, a node's descriptor may be sent once with a ref, then the ref
// alone (what a tiny node's round trip spends most of its serializing on).
// Types only, and no imports at run time: the process entry loads this too.
import type {
  AbortMessage,
  ChunkTask,
  PreloadMessage,
  Reply,
  SentError,
  SentNode,
  TaskNode,
} from "./_protocol.ts";

export type {
  AbortMessage,
  ChunkTask,
  PreloadMessage,
  SentError,
  SentNode,
  TaskNode,
};

/**
 * The W3C trace context (`traceparent`, `tracestate`) of the run a task
 * belongs to, so that a trace spans the processes it crosses.
 */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** One node call, with the facts its `ctx` is made of. */
export interface NodeTask {
  readonly type: "call";
  /** Numbers the task among those of one sender. */
  readonly id: number;
  /**
   * Where the node's function is, and how it is called: the descriptor, the
   * descriptor with a ref, or a ref sent earlier on the same channel.
   */
  readonly node: TaskNode | SentNode | number;
  /** Positional arguments, or one argument object by input name (no `ctx`). */
  readonly args: unknown[] | Record<string, unknown>;
  readonly runId: string;
  /** The map item the call belongs to, if any. */
  readonly item?: number | undefined;
  /** When set, the process says when the node starts (a timeout counts from there). */
  readonly timed?: boolean;
  readonly trace?: TraceContext | undefined;
}

/** What a worker process is sent. */
export type TaskMessage = NodeTask | ChunkTask | AbortMessage | PreloadMessage;

/** What a worker process sends back: the worker pool's replies. */
export type TaskReply = Reply;
