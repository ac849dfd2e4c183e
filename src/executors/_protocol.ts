// The messages between the pool and its workers. Plain data only: every
// message crosses by structured clone.
import type { CallStyle, Tags } from "../node.ts";

/** How a worker finds and calls one node's function. */
export interface TaskNode {
  /** The module to import. */
  readonly url: string;
  /** The export holding the function (or its node() definition). */
  readonly exportName: string;
  /** The node's name, for its context. */
  readonly nodeName: string;
  readonly callStyle: CallStyle;
  readonly ctxIndex: number;
  readonly tags: Tags;
}

/** One node call: positional arguments, or one argument object. */
export interface CallTask {
  readonly type: "call";
  readonly id: number;
  /**
   * The node. On the wire: the descriptor with a `ref` the first time a
   * worker gets it, then that ref alone (see `CallMessage`).
   */
  readonly node: TaskNode;
  readonly args: unknown[] | Record<string, unknown>;
  readonly runId: string;
  readonly item?: number | undefined;
  /** Set by a pool that times its tasks: the worker says when it starts. */
  readonly timed?: boolean;
  /** The node span's W3C trace context, when an adapter traces: `ctx.traceparent`. */
  readonly traceparent?: string;
}

/** A call as sent: its node as a descriptor with a ref, or a known ref. */
export type CallMessage = Omit<CallTask, "node"> & {
  readonly node: SentNode | number;
};

/** A node descriptor as first sent to a worker. */
export interface SentNode extends TaskNode {
  /** How later calls name it. */
  readonly ref: number;
  /** Set when the worker must first forget every descriptor it keeps. */
  readonly forget?: boolean;
}

/** A whole plan, run once per item of a chunk (the parallel map). */
export interface ChunkTask {
  readonly type: "chunk";
  readonly id: number;
  readonly runId: string;
  readonly nodes: readonly TaskNode[];
  /** Per node: its argument keys and slots, as in the plan. */
  readonly argKeys: readonly (readonly string[])[];
  readonly argSlots: readonly Int32Array[];
  /** Slot values shared by every item (overrides, config). */
  readonly base: readonly unknown[];
  /** The slots of the inputs that vary per item. */
  readonly inputSlots: Int32Array;
  /**
   * Per input slot, its value for each item: a few long arrays clone much
   * faster than one short array per item.
   */
  readonly columns: readonly (readonly unknown[])[];
  /** How many items. */
  readonly count: number;
  /** The index of the chunk's first item in the whole map. */
  readonly firstItem: number;
  readonly outputSlots: Int32Array;
  /** Set by a pool that times its tasks: the worker says when it starts. */
  readonly timed?: boolean;
  /**
   * Shared with a worker thread: the item (from the chunk's first) and the
   * node (by position in `nodes`) the chunk is at, written before each
   * call, so that a chunk that times out or ends its worker names them.
   */
  readonly at?: Int32Array;
}

/**
 * A call of a no-op function of the worker's own (`WorkerPool.warm()` has
 * each worker answer a few, so that the first node calls find their path
 * compiled in both threads). Sent as a call of the node `WARM_REF`, which
 * every worker knows from the start: it takes a known node's path.
 */
export interface WarmTask {
  readonly type: "warm";
}

/** The ref of the warm-up node (see `WarmTask`). */
export const WARM_REF = -1;

export type Task = CallTask | ChunkTask | WarmTask;

/** A task as sent to a worker. */
export type TaskMessage = CallMessage | ChunkTask;

/**
 * From the pool: import these modules now, and find the functions of these
 * nodes (importing their modules too), ahead of the calls that need them.
 * The nodes' refs stand for them in later calls.
 */
export interface PreloadMessage {
  readonly type: "preload";
  /** Answered with a `preloaded` reply of the same number. */
  readonly seq: number;
  readonly urls: readonly string[];
  readonly nodes: readonly SentNode[];
}

/** From the pool: abort the running task's `ctx.signal`. */
export interface AbortMessage {
  readonly type: "abort";
  readonly id: number;
}

/** An error as it crosses back: enough to rebuild message and stack. */
export interface SentError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
}

/** From a worker. */
export type Reply =
  | { readonly type: "ok"; readonly id: number; readonly value: unknown }
  | {
    readonly type: "error";
    readonly id: number;
    readonly error: SentError;
    /** Set when the node succeeded but its value could not be cloned. */
    readonly uncloneable?: boolean;
    /** Set when the node's module could not be imported. */
    readonly loading?: boolean;
    /** For chunks: the failing item (in the whole map) and node index. */
    readonly item?: number;
    readonly node?: number;
  }
  | {
    readonly type: "log";
    readonly id: number;
    readonly nodeName: string;
    readonly message: string;
    readonly data?: unknown;
    readonly item?: number | undefined;
    /** Set for `ctx.warn`. */
    readonly warning?: boolean;
  }
  /**
   * A timed task starts: its modules are loaded and its first node is being
   * called. Its timeout counts from here.
   */
  | { readonly type: "started"; readonly id: number }
  /** The worker has loaded its entry script: it takes tasks at once. */
  | { readonly type: "ready" }
  /** The modules of a preload message are imported (or one failed). */
  | {
    readonly type: "preloaded";
    readonly seq: number;
    readonly error?: SentError | undefined;
  }
  | { readonly type: "exit"; readonly how: string };
