/**
 * The events `stream()` yields: a discriminated union on `type`.
 *
 * @module
 */
import Queue from "npm:yocto-queue@1.2.2";
import type { CacheOutcome } from "./cache/cache.ts";
import type { MapItemEvent } from "./hooks.ts";

/**
 * A run's tags (Dagster's run tags): what `execute(vars, { tags })` (or
 * `run`, `stream`, `map`) was given, for telling runs apart in traces,
 * logs and stored runs. Never changes what a run computes.
 */
export type RunTags = Readonly<Record<string, string | number | boolean>>;

/** What every event carries. */
export interface EventBase {
  /** The run's id. */
  readonly runId: string;
  /** When it happened, in milliseconds since the epoch. */
  readonly timestamp: number;
  /** The run's tags: `{}` when it was given none. */
  readonly tags: RunTags;
}

/** What every node event carries. */
export interface NodeEventBase extends EventBase {
  /** The node concerned. */
  readonly nodeName: string;
  /** The map item index, when the run is one item of a map. */
  readonly item?: number;
}

/** A run started. */
export interface RunStartedEvent extends EventBase {
  /** Discriminant. */
  readonly type: "runStarted";
  /** The requested names. */
  readonly finalVars: readonly string[];
}

/** A node started. */
export interface NodeStartedEvent extends NodeEventBase {
  /** Discriminant. */
  readonly type: "nodeStarted";
  /** Which attempt this is, from the second on (a `retry` policy's). */
  readonly attempt?: number;
  /**
   * The worker it ran on, when its executor names one (the remote
   * executor: the worker's id).
   */
  readonly worker?: string;
  /**
   * The executor it runs on, by its name among `executors`, when nodes are
   * routed (`withExecutors`, `Engine({ executors })`).
   */
  readonly executor?: string;
}

/** A node returned a value. */
export interface NodeSucceededEvent extends NodeEventBase {
  /** Discriminant. */
  readonly type: "nodeSucceeded";
  /** How long it ran. */
  readonly durationMs: number;
  /**
   * The worker it ran on, when its executor names one (the remote
   * executor: the worker's id).
   */
  readonly worker?: string;
  /**
   * What the cache did, when the driver has one. Never `"hit"`: a hit is a
   * `"nodeCached"` event instead of `"nodeStarted"` and `"nodeSucceeded"`.
   */
  readonly cache?: CacheOutcome;
  /**
   * What a loader or saver node reported about the data it read or wrote
   * (path, rows, bytes, content hash, ...).
   */
  readonly metadata?: NodeMetadata;
}

/** The cache answered for a node: its function did not run. */
export interface NodeCachedStreamEvent extends NodeEventBase {
  /** Discriminant. */
  readonly type: "nodeCached";
  /** How long the cache took to answer. */
  readonly durationMs: number;
}

/** A node threw. */
export interface NodeFailedEvent extends NodeEventBase {
  /** Discriminant. */
  readonly type: "nodeFailed";
  /** How long it ran. */
  readonly durationMs: number;
  /**
   * The worker it ran on, when its executor names one (the remote
   * executor: the worker's id).
   */
  readonly worker?: string;
  /** What it threw. */
  readonly error: unknown;
}

/** Why a planned node did not run. */
export type SkipReason =
  | "override"
  | "input"
  | "not-reached"
  | "upstream-failed";

/** A node of the plan did not run. */
export interface NodeSkippedEvent extends NodeEventBase {
  /** Discriminant. */
  readonly type: "nodeSkipped";
  /**
   * `"override"`/`"input"`: a provided value replaced it; `"not-reached"`:
   * the run failed or was cancelled before it started; `"upstream-failed"`:
   * with `onFailure: "continue"`, a node it depends on failed.
   */
  readonly reason: SkipReason;
}

/** A node called `ctx.log`. */
export interface NodeLogStreamEvent extends NodeEventBase {
  /** Discriminant. */
  readonly type: "log";
  /** The message. */
  readonly message: string;
  /** Extra data given with it. */
  readonly data?: unknown;
}

/** One item of a map is done (item progress): what `afterMapItem` receives. */
export interface MapItemStreamEvent extends MapItemEvent, EventBase {
  /** Discriminant. */
  readonly type: "mapItem";
}

/** A run ended. */
export interface RunFinishedEvent extends EventBase {
  /** Discriminant. */
  readonly type: "runFinished";
  /** Whether it succeeded. */
  readonly success: boolean;
  /** Why it failed. */
  readonly error?: unknown;
  /** How long it took. */
  readonly durationMs: number;
}

/**
 * Something the run should know of that did not stop it: a cache that
 * could not be opened as asked, and so is off or read-only; a node's
 * `ctx.warn` (a checkOutput validator that failed at "warn" importance).
 */
export interface WarningStreamEvent extends EventBase {
  /** Discriminant. */
  readonly type: "warning";
  /** What is wrong, and the fix. */
  readonly message: string;
  /** The node that warned, for a node's warning. */
  readonly nodeName?: string;
  /** Extra data given with it. */
  readonly data?: unknown;
  /** The map item index, when the run is one item of a map. */
  readonly item?: number;
}

/** Everything `stream()` yields. */
export type ExecutionEvent =
  | WarningStreamEvent
  | RunStartedEvent
  | NodeStartedEvent
  | NodeSucceededEvent
  | NodeCachedStreamEvent
  | NodeFailedEvent
  | NodeSkippedEvent
  | NodeLogStreamEvent
  | MapItemStreamEvent
  | RunFinishedEvent;

const DONE: IteratorResult<never, undefined> = Object.freeze({
  value: undefined,
  done: true,
});

/**
 * An unbounded queue that a run pushes events into and one consumer reads
 * with `for await`. Closing it ends the iteration after the queued events.
 * A run may push far faster than its consumer reads (a sync chain pushes
 * every event before the first is read): dequeuing is O(1).
 */
export class EventChannel<T> implements AsyncIterableIterator<T, undefined> {
  readonly #queue = new Queue<T>();
  // The read waiting for an event, if any: reads are awaited one at a time
  // (`for await`); one made while another waits queues behind it.
  #waiter: PromiseWithResolvers<IteratorResult<T, undefined>> | undefined;
  #behind: PromiseWithResolvers<IteratorResult<T, undefined>>[] | undefined;
  #closed = false;
  #error: { error: unknown } | undefined;
  // A producer waiting for the queue to shrink to `#low` events.
  #drained: PromiseWithResolvers<void> | undefined;
  #low = 0;

  /** How many events wait to be read. */
  get size(): number {
    return this.#queue.size;
  }

  /**
   * Resolves once at most `low` events wait (or the channel is closed): a
   * producer's backpressure. One producer waits at a time.
   */
  drained(low: number): Promise<void> {
    if (this.#closed || this.#queue.size <= low) return Promise.resolve();
    this.#low = low;
    return (this.#drained ??= Promise.withResolvers()).promise;
  }

  /** Adds an event (dropped once closed). */
  push(event: T): void {
    if (this.#closed) return;
    const waiter = this.#waiter;
    if (waiter === undefined) {
      this.#queue.enqueue(event);
      return;
    }
    this.#waiter = this.#behind?.shift();
    waiter.resolve({ value: event, done: false });
  }

  /** Ends the stream once the queued events are read. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    while (this.#waiter !== undefined) {
      const waiter = this.#waiter;
      this.#waiter = this.#behind?.shift();
      this.#end(waiter);
    }
  }

  /** Ends the stream: the read after the queued events rejects with `error`. */
  fail(error: unknown): void {
    if (!this.#closed) this.#error = { error };
    this.close();
  }

  /** The next event, in order; done once closed and drained. */
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#queue.size > 0) {
      const value = this.#queue.dequeue()!;
      if (this.#drained !== undefined && this.#queue.size <= this.#low) {
        this.#release();
      }
      return Promise.resolve({ value, done: false });
    }
    const read = Promise.withResolvers<IteratorResult<T, undefined>>();
    if (this.#closed) this.#end(read);
    else if (this.#waiter === undefined) this.#waiter = read;
    else (this.#behind ??= []).push(read);
    return read.promise;
  }

  // Lets a producer waiting in drained() go on.
  #release(): void {
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.resolve();
  }

  // Answers a read after the last event: done, or the error once.
  #end(read: PromiseWithResolvers<IteratorResult<T, undefined>>): void {
    const failure = this.#error;
    this.#error = undefined;
    if (failure === undefined) read.resolve(DONE);
    else read.reject(failure.error);
  }

  /** Reads events in order until closed. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * What a loader or saver node reports about the data it read or wrote: a
 * plain object (Hamilton's materialization metadata), such as `path`,
 * `rows`, `bytes`, `mtime` and `contentHash`.
 */
export type NodeMetadata = Readonly<Record<string, unknown>>;
