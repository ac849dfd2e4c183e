/**
 * `OpenTelemetryAdapter`: a span per run (`braid.run`), per map
 * (`braid.map`), per node (`braid.node`) and per nested pipeline
 * (`braid.pipeline`), made through `@opentelemetry/api` alone: the
 * application brings the SDK, or Deno's built-in OpenTelemetry
 * (`OTEL_DENO=true`) answers the API with its own.
 *
 * Parents come from the adapter's own records, by run id and task id, and
 * never from the ambient context: a node's span is its run's (or map's)
 * child however many awaits, concurrent branches and map items lie
 * between them, and a nested pipeline's nodes are its span's children.
 * Only a run's own span takes the caller's active context as its parent,
 * so a run inside a request handler is part of the request's trace.
 *
 * @module
 */
import {
  type Attributes,
  type Context,
  context as contexts,
  type Span,
  SpanStatusCode,
  trace,
  type Tracer,
} from "npm:@opentelemetry/api@1.10.0";
import { CancelledError, type HookError } from "../errors.ts";
import type { RunTags } from "../events.ts";
import {
  type Adapter,
  type AfterGraphExecutionEvent,
  type AfterMapEvent,
  type AfterNodeExecutionEvent,
  type BeforeGraphExecutionEvent,
  type BeforeMapEvent,
  type BeforeNodeExecutionEvent,
  IGNORES_INPUTS,
  type MapItemEvent,
  type NodeCachedEvent,
  type NodeLogEvent,
  SKIPS_ITEM_RUNS,
  SYNC_LOGS,
  type TraceTaskEvent,
} from "../hooks.ts";
import type { Tags } from "../node.ts";
import { hookErrorIn } from "./_hook_error.ts";
import {
  formatTraceparent,
  type OpenTelemetryContext,
} from "./trace_context.ts";
import {
  attributeOf,
  dataOf,
  fail,
  hookEvent,
  messageOf,
  RunSpans,
} from "./_span_records.ts";

/**
 * An OpenTelemetry tracer: any `Tracer` of `@opentelemetry/api` (from an
 * SDK's provider, or `trace.getTracer(name)`) is one.
 */
export interface OpenTelemetryTracer {
  /** Starts a span named `name` in `context`. */
  startSpan(
    name: string,
    options?: object,
    context?: OpenTelemetryContext,
  ): object;
}

/** Options of {@linkcode OpenTelemetryAdapter}. */
export interface OpenTelemetryAdapterOptions {
  /**
   * The tracer that makes the spans.
   * @default {trace.getTracer("braid"): the global provider's (Deno's own with OTEL_DENO=true; a no-op without one)}
   */
  readonly tracer?: OpenTelemetryTracer;
}

/**
 * Traces runs with OpenTelemetry: `braid.run` (attributes `braid.run.id`,
 * `braid.run.final_vars` and each run tag as `braid.run.tag.<key>`),
 * `braid.map` (`braid.map.items`, `braid.map.mode`, the run tags),
 * `braid.node` (`braid.node.name`, `braid.task.id`, `braid.run.id`,
 * `braid.executor`, `braid.cache`, `braid.attempt`, `braid.item` and each
 * node tag as `braid.node.tag.<key>`) and `braid.pipeline` for a nested
 * pipeline's node (`braid.pipeline.name`), the parent of its nodes' spans.
 * A failure is recorded on its span (an exception event, status `ERROR`);
 * a cancelled run is marked `braid.run.cancelled`, and the nodes it cut
 * short `braid.node.cancelled`. `ctx.log` messages (`braid.log`) and hook
 * errors (`braid.hook_error`) become events of the node's span. Each
 * node's `ctx.traceparent` names its span, on workers and processes too.
 *
 * @example
 * ```ts
 * import { Builder, OpenTelemetryAdapter } from "@braid/braid";
 * import {
 *   BasicTracerProvider,
 *   InMemorySpanExporter,
 *   SimpleSpanProcessor,
 * } from "npm:@opentelemetry/sdk-trace-base@2.12.1";
 * import assert from "node:assert/strict";
 *
 * const exporter = new InMemorySpanExporter();
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [new SimpleSpanProcessor(exporter)],
 * });
 * const dr = await new Builder()
 *   .withModules({ double: ({ x }: { x: number }) => 2 * x })
 *   .withAdapters(new OpenTelemetryAdapter({ tracer: provider.getTracer("app") }))
 *   .build();
 * await dr.execute(["double"], { inputs: { x: 4 }, tags: { team: "data" } });
 * const [node, run] = exporter.getFinishedSpans();
 * assert.equal(node!.name, "braid.node");
 * assert.equal(node!.parentSpanContext?.spanId, run!.spanContext().spanId);
 * assert.equal(run!.attributes["braid.run.tag.team"], "data");
 * ```
 */
export class OpenTelemetryAdapter implements Adapter {
  /** Shown in hook errors. */
  readonly name = "OpenTelemetryAdapter";
  /** Its node hooks never read the node's inputs. */
  readonly [IGNORES_INPUTS] = true;
  /** Its `onLog` is sync. */
  readonly [SYNC_LOGS] = true;
  /** Its graph hooks ignore a map's item runs. */
  readonly [SKIPS_ITEM_RUNS] = true;
  readonly #tracer: Tracer;
  readonly #runs = new Map<string, RunSpans>();
  // The run of the last event: a run's events mostly come in a row.
  #last: RunSpans | undefined;
  #lastId = "";
  // Hook errors already on a span: one may reach a node and its run.
  readonly #reported = new WeakSet<HookError>();
  // Span attributes of node tags and run tags, made once per tags object.
  readonly #tagAttributes = new WeakMap<object, Attributes>();

  /** An adapter making spans with `options.tracer` (the global provider's by default). */
  constructor(options: OpenTelemetryAdapterOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`'options' must be an object: received ${options}`);
    }
    const tracer = options.tracer;
    if (tracer !== undefined && typeof tracer?.startSpan !== "function") {
      throw new TypeError(
        `'tracer' must be an OpenTelemetry Tracer (with startSpan): received ${tracer}`,
      );
    }
    // Any Tracer of the API passes; the interface above only names it.
    this.#tracer = (tracer as Tracer | undefined) ?? trace.getTracer("braid");
  }

  /** Starts a run's span (a map's items are the map's). */
  beforeGraphExecution(event: BeforeGraphExecutionEvent): void {
    if (event.item !== undefined) return;
    const outer = this.#runs.get(event.runId);
    if (outer !== undefined) {
      outer.inner++;
      return;
    }
    const parent = contexts.active();
    const span = this.#tracer.startSpan("braid.run", {
      attributes: {
        "braid.run.id": event.runId,
        "braid.run.final_vars": [...event.finalVars],
        ...this.#tags(event.tags, "braid.run.tag."),
      },
    }, parent);
    this.#runs.set(event.runId, new RunSpans(span, parent, event.runId));
  }

  /** Ends a run's span, and what of its nodes is still open. */
  afterGraphExecution(event: AfterGraphExecutionEvent): void {
    if (event.item !== undefined) return;
    this.#close(event.runId, event, "braid.run.cancelled");
  }

  /** Starts a map's span; a nested pipeline's map marks its span. */
  beforeMap(event: BeforeMapEvent): void {
    if (event.nodeName !== undefined) {
      const owner = this.#run(event.runId)?.find(
        event.runId,
        event.nodeName,
        undefined,
      );
      owner?.span.setAttribute("braid.map.items", event.items);
      return;
    }
    const parent = contexts.active();
    const span = this.#tracer.startSpan("braid.map", {
      attributes: {
        "braid.run.id": event.runId,
        "braid.map.items": event.items,
        "braid.map.mode": event.mapMode,
        ...this.#tags(event.tags, "braid.run.tag."),
      },
    }, parent);
    this.#runs.set(event.runId, new RunSpans(span, parent, event.runId));
  }

  /** Ends a map's span. */
  afterMap(event: AfterMapEvent): void {
    if (event.nodeName !== undefined) return;
    this.#close(event.runId, event, "braid.map.cancelled");
  }

  /** Marks a failed item on its map's span. */
  afterMapItem(event: MapItemEvent): void {
    if (event.success || event.nodeName !== undefined) return;
    this.#run(event.runId)?.span.addEvent("braid.map.item_failed", {
      "braid.item": event.item,
      "exception.message": messageOf(event.error),
    });
  }

  /** Starts a node's span. */
  beforeNodeExecution(event: BeforeNodeExecutionEvent): void {
    const run = this.#run(event.runId);
    if (run?.noop === true) return;
    const span = this.#tracer.startSpan("braid.node", {
      attributes: this.#nodeAttributes(event),
    }, this.#parentOf(run, event));
    run?.tasks.set(event.taskId, {
      span,
      nodeName: event.nodeName,
      context: undefined,
    });
  }

  /** Ends a node's span: its cache outcome, or its failure. */
  afterNodeExecution(event: AfterNodeExecutionEvent): void {
    const run = this.#run(event.runId);
    if (run === undefined || run.noop) return;
    const task = run.tasks.get(event.taskId);
    if (task === undefined) return;
    run.tasks.delete(event.taskId);
    const span = task.span;
    if (event.cache !== undefined) {
      span.setAttribute("braid.cache", event.cache);
    }
    if (!event.success) {
      const hook = hookErrorIn(event.error);
      if (hook !== undefined) this.#hookEvent(span, hook);
      fail(span, event.error);
    }
    span.end();
  }

  /** A span for a node the cache answered for, as long as the cache took. */
  nodeCached(event: NodeCachedEvent): void {
    const run = this.#run(event.runId);
    if (run?.noop === true) return;
    const attributes = this.#nodeAttributes(event);
    attributes["braid.cache"] = "hit";
    const span = this.#tracer.startSpan("braid.node", {
      attributes,
      startTime: performance.timeOrigin + performance.now() -
        event.durationMs,
    }, this.#parentOf(run, event));
    span.end();
  }

  /** A `ctx.log` message, as an event of the node's span. */
  onLog(event: NodeLogEvent): void {
    const run = this.#run(event.runId);
    if (run === undefined || run.noop) return;
    const span = run.find(event.runId, event.nodeName, event.item)?.span ??
      run.span;
    const attributes: Attributes = {
      "braid.node.name": event.nodeName,
      "braid.log.message": event.message,
    };
    if (event.data !== undefined) {
      attributes["braid.log.data"] = dataOf(event.data);
    }
    span.addEvent("braid.log", attributes);
  }

  /** The `traceparent` of a node's span, for its `ctx`. */
  traceparent(event: TraceTaskEvent): string | undefined {
    const task = this.#run(event.runId)?.tasks.get(event.taskId);
    return task === undefined
      ? undefined
      : formatTraceparent(task.span.spanContext());
  }

  #run(runId: string): RunSpans | undefined {
    if (runId === this.#lastId) return this.#last;
    const run = this.#runs.get(runId);
    if (run !== undefined) {
      this.#last = run;
      this.#lastId = runId;
    }
    return run;
  }

  // A node span's parent: the nested pipeline running it, else its run's
  // (or map's) span. A nested pipeline's nodes are named
  // `<its node>.<inner node>`: only those look for an owner.
  #parentOf(
    run: RunSpans | undefined,
    event: BeforeNodeExecutionEvent,
  ): Context {
    if (run === undefined) return contexts.active();
    if (!event.nodeName.includes(".")) return run.context;
    const owner = run.ownerOf(event.taskId);
    if (owner === undefined) return run.context;
    if (owner.context === undefined) {
      // Its first inner node shows the owner runs a nested pipeline.
      owner.span.updateName("braid.pipeline");
      owner.span.setAttribute("braid.pipeline.name", owner.nodeName);
      owner.context = trace.setSpan(run.context, owner.span);
    }
    return owner.context;
  }

  #nodeAttributes(event: BeforeNodeExecutionEvent): Attributes {
    const attributes: Attributes = {
      "braid.node.name": event.nodeName,
      "braid.task.id": event.taskId,
      "braid.run.id": event.runId,
      "braid.attempt": event.attempt ?? 1,
    };
    if (event.item !== undefined) attributes["braid.item"] = event.item;
    if (event.executor !== undefined) {
      attributes["braid.executor"] = event.executor;
    }
    const tags = this.#tags(event.tags, "braid.node.tag.");
    for (const key in tags) attributes[key] = tags[key];
    return attributes;
  }

  // `tags` as span attributes named `<prefix><key>`, made once per object.
  #tags(tags: Tags | RunTags, prefix: string): Attributes {
    let attributes = this.#tagAttributes.get(tags);
    if (attributes === undefined) {
      attributes = {};
      for (const key of Object.keys(tags)) {
        attributes[prefix + key] = attributeOf(tags[key]!);
      }
      this.#tagAttributes.set(tags, attributes);
    }
    return attributes;
  }

  #hookEvent(span: Span, error: HookError): void {
    this.#reported.add(error);
    hookEvent(span, error);
  }

  // Ends a run's or map's span with its outcome; node spans it left open
  // (nodes cut short, or whose hooks failed before they ran) end with it.
  #close(
    runId: string,
    outcome: { readonly success: boolean; readonly error?: unknown },
    cancelledKey: string,
  ): void {
    const run = this.#runs.get(runId);
    if (run === undefined) return;
    if (run.inner > 0) {
      run.inner--;
      return;
    }
    this.#runs.delete(runId);
    if (this.#lastId === runId) {
      this.#last = undefined;
      this.#lastId = "";
    }
    const hook = outcome.success ? undefined : hookErrorIn(outcome.error);
    let reported = hook === undefined || this.#reported.has(hook);
    const cancelled = outcome.error instanceof CancelledError;
    for (const task of run.tasks.values()) {
      if (!reported && task.nodeName === hook!.nodeName) {
        this.#hookEvent(task.span, hook!);
        fail(task.span, hook);
        reported = true;
      } else {
        task.span.setAttribute("braid.node.cancelled", true);
        task.span.setStatus({
          code: SpanStatusCode.ERROR,
          message: "cut short: the run ended before the node did",
        });
      }
      task.span.end();
    }
    run.tasks.clear();
    const span = run.span;
    if (!reported) this.#hookEvent(span, hook!);
    if (cancelled) span.setAttribute(cancelledKey, true);
    if (!outcome.success) fail(span, outcome.error);
    span.end();
  }
}
