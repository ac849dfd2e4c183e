// What the OpenTelemetryAdapter keeps of the spans it made (a run's or
// map's span and its open node spans, by task id), and how braid's facts
// become span attributes and events.
import {
  type Attributes,
  type AttributeValue,
  type Context,
  isSpanContextValid,
  type Span,
  SpanStatusCode,
  trace,
} from "npm:@opentelemetry/api@1.10.0";
import type { HookError } from "../errors.ts";
import type { Tags } from "../node.ts";

// One node execution's span, by task id.
export interface TaskSpan {
  readonly span: Span;
  readonly nodeName: string;
  // Made when the first span of a nested pipeline it runs needs it.
  context: Context | undefined;
}

// A run's (or map's) span and its open node spans.
export class RunSpans {
  readonly span: Span;
  readonly context: Context;
  readonly tasks = new Map<string, TaskSpan>();
  /**
   * True when the tracer made a no-op span for the run (no provider is
   * registered): its nodes' spans would be no-ops too, so none is made.
   */
  readonly noop: boolean;
  /**
   * Runs inside it under the same id that this adapter also sees whole (a
   * nested pipeline's own engine sharing the adapter): they end nothing.
   */
  inner = 0;
  readonly #prefix: number;

  constructor(span: Span, parent: Context, runId: string) {
    this.span = span;
    this.context = trace.setSpan(parent, span);
    this.noop = !span.isRecording() && !isSpanContextValid(span.spanContext());
    this.#prefix = runId.length;
  }

  // The open span of the nested pipeline whose node `taskId` is: the
  // longest task id that `taskId` extends (a nested node's inner nodes
  // have ids `<its task id>/[<item>/]<inner node>`).
  ownerOf(taskId: string): TaskSpan | undefined {
    for (
      let at = taskId.lastIndexOf("/");
      at > this.#prefix;
      at = taskId.lastIndexOf("/", at - 1)
    ) {
      const owner = this.tasks.get(taskId.slice(0, at));
      if (owner !== undefined) return owner;
    }
    return undefined;
  }

  // The open span of the node named `nodeName` (of item `item`): by task id
  // for the run's own nodes, else (a nested pipeline's node, whose events
  // name no task) the first open one of that name.
  find(
    runId: string,
    nodeName: string,
    item: number | undefined,
  ): TaskSpan | undefined {
    const id = item === undefined
      ? `${runId}/${nodeName}`
      : `${runId}/${item}/${nodeName}`;
    const task = this.tasks.get(id);
    if (task !== undefined) return task;
    for (const open of this.tasks.values()) {
      if (open.nodeName === nodeName) return open;
    }
    return undefined;
  }
}

export function fail(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  else span.recordException(String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
}

export function hookEvent(span: Span, error: HookError): void {
  const attributes: Attributes = {
    "braid.hook": error.hook,
    "exception.message": error.message,
  };
  if (error.nodeName !== undefined) {
    attributes["braid.node.name"] = error.nodeName;
  }
  span.addEvent("braid.hook_error", attributes);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// A tag value as an attribute: scalars as they are, lists of one type as
// arrays, mixed lists as JSON (attribute arrays must be homogeneous).
export function attributeOf(value: Tags[string]): AttributeValue {
  if (!Array.isArray(value)) return value as string | number | boolean;
  const first = value[0];
  return value.every((v) => typeof v === typeof first)
    ? [...value] as AttributeValue
    : JSON.stringify(value);
}

// Logged data as an attribute: strings as they are, anything else as JSON
// (or its String() when it has none).
export function dataOf(data: unknown): string {
  if (typeof data === "string") return data;
  try {
    return JSON.stringify(
      data,
      (_key, value) => typeof value === "bigint" ? value.toString() : value,
    ) ?? String(data);
  } catch {
    return String(data);
  }
}
