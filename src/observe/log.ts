/**
 * `LogAdapter`: one structured JSON line per event, for servers and log
 * collectors: each node's start and end (or cache hit), each `ctx.log`
 * message, each run and map start and end, and each hook error.
 *
 * @module
 */
import { HookError } from "../errors.ts";
import {
  type Adapter,
  type AfterGraphExecutionEvent,
  type AfterMapEvent,
  type AfterNodeExecutionEvent,
  type BeforeGraphExecutionEvent,
  type BeforeMapEvent,
  type BeforeNodeExecutionEvent,
  IGNORES_INPUTS,
  type NodeCachedEvent,
  type NodeLogEvent,
  SYNC_LOGS,
} from "../hooks.ts";
import { type SyncWriter, writeAll } from "./writer.ts";
import { hookErrorIn } from "./_hook_error.ts";

/** How much a line matters. */
export type LogLevel = "debug" | "info" | "error";

/** What a line tells of. */
export type LogEventName =
  | "run.started"
  | "run.finished"
  | "map.started"
  | "map.finished"
  | "node.started"
  | "node.succeeded"
  | "node.failed"
  | "node.cached"
  | "log"
  | "hook.error";

/** One line, as written (fields that do not apply are left out). */
export interface LogRecord {
  /** When, as an ISO 8601 string. */
  readonly time: string;
  /** `"error"` for failures, `"debug"` for starts, else `"info"`. */
  readonly level: LogLevel;
  /** What happened. */
  readonly event: LogEventName;
  /** The run's (or map's) id. */
  readonly runId: string;
  /** The node concerned. */
  readonly nodeName?: string;
  /** The node execution's id. */
  readonly taskId?: string;
  /** The item index, inside a map or a fan-out block. */
  readonly item?: number;
  /** Which attempt a node's start or end is, from the second on (a `retry` policy's). */
  readonly attempt?: number;
  /** How long it took, in milliseconds. */
  readonly durationMs?: number;
  /** What the cache did. */
  readonly cache?: string;
  /** Whether the run or map succeeded. */
  readonly success?: boolean;
  /** The requested names of a run. */
  readonly finalVars?: readonly string[];
  /** The item count of a map. */
  readonly items?: number;
  /** A `ctx.log` message. */
  readonly message?: string;
  /** The data logged with it. */
  readonly data?: unknown;
  /** What failed: its name and message (and, for a hook error, the hook). */
  readonly error?: {
    readonly name: string;
    readonly message: string;
    readonly hook?: string;
  };
}

/** Options of {@linkcode LogAdapter}. */
export interface LogAdapterOptions {
  /** Where the lines go. @default {Deno.stderr} */
  readonly stream?: SyncWriter;
  /** Fields added to every line (a service name, a host). @default {none} */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Log each node's start too, at level `"debug"`. @default {true} */
  readonly nodeStarts?: boolean;
}

/**
 * Writes one JSON line per node event, `ctx.log` message, run or map start
 * and end, and hook error.
 *
 * @example
 * ```ts
 * import { Builder, LogAdapter } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * let text = "";
 * const stream = {
 *   writeSync: (p: Uint8Array) => (text += new TextDecoder().decode(p), p.length),
 * };
 * const dr = await new Builder()
 *   .withModules({ double: ({ x }: { x: number }) => 2 * x })
 *   .withAdapters(new LogAdapter({ stream, fields: { service: "api" } }))
 *   .build();
 * await dr.execute(["double"], { inputs: { x: 4 } });
 * const events = text.trim().split("\n").map((line) => JSON.parse(line).event);
 * assert.deepEqual(events, ["run.started", "node.started", "node.succeeded", "run.finished"]);
 * ```
 */
export class LogAdapter implements Adapter {
  /** Shown in hook errors. */
  readonly name = "LogAdapter";
  /** Its node hooks never read the node's inputs. */
  readonly [IGNORES_INPUTS] = true;
  /** Its `onLog` is sync. */
  readonly [SYNC_LOGS] = true;
  readonly #stream: SyncWriter;
  readonly #fields: Readonly<Record<string, unknown>>;
  readonly #starts: boolean;
  // Hook errors already written: one reaches a map's item and the map.
  readonly #reported = new WeakSet<object>();
  #broken = false;

  /** A log adapter writing to `options.stream` (stderr by default). */
  constructor(options: LogAdapterOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`'options' must be an object: received ${options}`);
    }
    const fields = options.fields ?? {};
    try {
      JSON.stringify(fields);
    } catch (error) {
      throw new TypeError(
        `'fields' must be JSON-serializable: ${(error as Error).message}`,
      );
    }
    this.#stream = options.stream ?? Deno.stderr;
    this.#fields = fields;
    this.#starts = options.nodeStarts ?? true;
  }

  /** Writes `run.started`. */
  beforeGraphExecution(event: BeforeGraphExecutionEvent): void {
    this.#write({
      level: "info",
      event: "run.started",
      runId: event.runId,
      finalVars: event.finalVars,
      ...item(event.item),
    });
  }

  /** Writes `run.finished`, and `hook.error` when a hook failed it. */
  afterGraphExecution(event: AfterGraphExecutionEvent): void {
    this.#finished("run.finished", event.runId, event, event.item);
  }

  /** Writes `map.started`. */
  beforeMap(event: BeforeMapEvent): void {
    this.#write({
      level: "info",
      event: "map.started",
      runId: event.runId,
      items: event.items,
      ...node(event.nodeName),
    });
  }

  /** Writes `map.finished`, and `hook.error` when a hook failed it. */
  afterMap(event: AfterMapEvent): void {
    this.#finished("map.finished", event.runId, event, undefined, {
      durationMs: event.durationMs,
      ...node(event.nodeName),
    });
  }

  /** Writes `node.started`. */
  beforeNodeExecution(event: BeforeNodeExecutionEvent): void {
    if (!this.#starts) return;
    this.#write({
      level: "debug",
      event: "node.started",
      runId: event.runId,
      nodeName: event.nodeName,
      taskId: event.taskId,
      ...item(event.item),
      ...attempt(event.attempt),
    });
  }

  /** Writes `node.succeeded` or `node.failed`. */
  afterNodeExecution(event: AfterNodeExecutionEvent): void {
    this.#write({
      level: event.success ? "info" : "error",
      event: event.success ? "node.succeeded" : "node.failed",
      runId: event.runId,
      nodeName: event.nodeName,
      taskId: event.taskId,
      ...item(event.item),
      ...attempt(event.attempt),
      durationMs: event.durationMs,
      ...(event.cache === undefined ? {} : { cache: event.cache }),
      ...(event.success ? {} : { error: errorOf(event.error) }),
    });
  }

  /** Writes `node.cached`. */
  nodeCached(event: NodeCachedEvent): void {
    this.#write({
      level: "info",
      event: "node.cached",
      runId: event.runId,
      nodeName: event.nodeName,
      taskId: event.taskId,
      ...item(event.item),
      durationMs: event.durationMs,
      cache: "hit",
    });
  }

  /** Writes a `ctx.log` message. */
  onLog(event: NodeLogEvent): void {
    this.#write({
      level: "info",
      event: "log",
      runId: event.runId,
      nodeName: event.nodeName,
      ...item(event.item),
      message: event.message,
      ...("data" in event ? { data: event.data } : {}),
    });
  }

  #finished(
    name: "run.finished" | "map.finished",
    runId: string,
    outcome: { readonly success: boolean; readonly error?: unknown },
    index: number | undefined,
    extra: Partial<LogRecord> = {},
  ): void {
    const hook = outcome.success ? undefined : hookErrorIn(outcome.error);
    if (hook !== undefined && !this.#reported.has(hook)) {
      this.#reported.add(hook);
      this.#write({
        level: "error",
        event: "hook.error",
        runId,
        ...node(hook.nodeName),
        ...item(index),
        error: errorOf(hook),
      });
    }
    this.#write({
      level: outcome.success ? "info" : "error",
      event: name,
      runId,
      ...item(index),
      ...extra,
      success: outcome.success,
      ...(outcome.success ? {} : { error: errorOf(outcome.error) }),
    });
  }

  #write(record: Omit<LogRecord, "time">): void {
    if (this.#broken) return;
    const line = {
      time: new Date().toISOString(),
      ...this.#fields,
      ...record,
    };
    try {
      writeAll(this.#stream, `${stringify(line)}\n`);
    } catch {
      // A closed or failing stream ends the log, never the run.
      this.#broken = true;
    }
  }
}

function item(index: number | undefined): { item?: number } {
  return index === undefined ? {} : { item: index };
}

function attempt(attempt: number | undefined): { attempt?: number } {
  return attempt === undefined ? {} : { attempt };
}

function node(nodeName: string | undefined): { nodeName?: string } {
  return nodeName === undefined ? {} : { nodeName };
}

function errorOf(error: unknown): NonNullable<LogRecord["error"]> {
  if (!(error instanceof Error)) {
    return { name: "Error", message: String(error) };
  }
  return error instanceof HookError
    ? { name: error.name, message: error.message, hook: error.hook }
    : { name: error.name, message: error.message };
}

// JSON that never throws: bigints as strings, errors by name and message,
// anything circular or otherwise unwritable as its String().
function stringify(line: object): string {
  const replacer = (_key: string, value: unknown) =>
    typeof value === "bigint"
      ? value.toString()
      : value instanceof Error
      ? { name: value.name, message: value.message }
      : value;
  try {
    return JSON.stringify(line, replacer);
  } catch {
    const { data, ...rest } = line as { data?: unknown };
    return JSON.stringify({ ...rest, data: String(data) }, replacer);
  }
}
