/**
 * The events `stream()` yields: a discriminated union on `type`.
 *
 * @module
 */
import type { CacheOutcome } from "./cache/cache.ts";
import type { MapItemEvent } from "./hooks.ts";

/** What every event carries. */
export interface EventBase {
  /** The run's id. */
  readonly runId: string;
  /** When it happened, in milliseconds since the epoch. */
  readonly timestamp: number;
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
}

/** A node returned a value. */
export interface NodeSucceededEvent extends NodeEventBase {
  /** Discriminant. */
  readonly type: "nodeSucceeded";
  /** How long it ran. */
  readonly durationMs: number;
  /** What the cache did, when the driver has one (`"hit"`: the function did not run). */
  readonly cache?: CacheOutcome;
}

/** A node threw. */
export interface NodeFailedEvent extends NodeEventBase {
  /** Discriminant. */
  readonly type: "nodeFailed";
  /** How long it ran. */
  readonly durationMs: number;
  /** What it threw. */
  readonly error: unknown;
}

/** Why a planned node did not run. */
export type SkipReason = "override" | "input" | "not-reached";

/** A node of the plan did not run. */
export interface NodeSkippedEvent extends NodeEventBase {
  /** Discriminant. */
  readonly type: "nodeSkipped";
  /**
   * `"override"`/`"input"`: a provided value replaced it; `"not-reached"`:
   * the run failed or was cancelled before it started.
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

/** Everything `stream()` yields. */
export type ExecutionEvent =
  | RunStartedEvent
  | NodeStartedEvent
  | NodeSucceededEvent
  | NodeFailedEvent
  | NodeSkippedEvent
  | NodeLogStreamEvent
  | MapItemStreamEvent
  | RunFinishedEvent;

/**
 * An unbounded queue that a run pushes events into and one consumer reads
 * with `for await`. Closing it ends the iteration after the queued events.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  readonly #queue: T[] = [];
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #closed = false;

  /** Adds an event (dropped once closed). */
  push(event: T): void {
    if (this.#closed) return;
    if (this.#waiting !== undefined) {
      const wake = this.#waiting;
      this.#waiting = undefined;
      wake({ value: event, done: false });
    } else {
      this.#queue.push(event);
    }
  }

  /** Ends the stream once the queued events are read. */
  close(): void {
    this.#closed = true;
    if (this.#waiting !== undefined) {
      const wake = this.#waiting;
      this.#waiting = undefined;
      wake({ value: undefined, done: true });
    }
  }

  /** Reads events in order until closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    while (true) {
      if (this.#queue.length > 0) {
        yield this.#queue.shift()!;
        continue;
      }
      if (this.#closed) return;
      const next = await new Promise<IteratorResult<T>>((resolve) => {
        this.#waiting = resolve;
      });
      if (next.done) return;
      yield next.value;
    }
  }
}
