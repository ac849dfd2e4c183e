/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) as braid
 * carries it: a node span's `traceparent` on `ctx`, across threads and
 * processes, where `@opentelemetry/api` alone gives no propagator to write
 * or read it.
 *
 * @module
 */
import {
  isSpanContextValid,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
} from "npm:@opentelemetry/api@1.10.0";

/**
 * An OpenTelemetry context, as `@opentelemetry/api` defines it (its
 * `Context`, which this is interchangeable with): what a span is started in.
 */
export interface OpenTelemetryContext {
  /** The value under `key`. */
  getValue(key: symbol): unknown;
  /** A copy with `value` under `key`. */
  setValue(key: symbol, value: unknown): OpenTelemetryContext;
  /** A copy without `key`. */
  deleteValue(key: symbol): OpenTelemetryContext;
}

/** The `traceparent` header value of `span`, or undefined for an invalid (no-op) one. */
export function formatTraceparent(span: SpanContext): string | undefined {
  if (!isSpanContextValid(span)) return undefined;
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

const TRACEPARENT =
  /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The span context a `traceparent` names (remote), or undefined when it is
 * not one: version `ff`, or all-zero ids, are invalid.
 */
export function parseTraceparent(
  traceparent: string,
): SpanContext | undefined {
  const match = TRACEPARENT.exec(traceparent.trim());
  if (match === null || match[1] === "ff") return undefined;
  const span: SpanContext = {
    traceId: match[2]!,
    spanId: match[3]!,
    traceFlags: parseInt(match[4]!, 16),
    isRemote: true,
  };
  return isSpanContextValid(span) ? span : undefined;
}

/**
 * The OpenTelemetry context whose parent span is the one `traceparent`
 * names: pass it to `tracer.startSpan(name, options, context)` inside a
 * node (on a worker too) so that its spans are the node span's children.
 * An absent or malformed `traceparent` gives the root context.
 *
 * @example
 * ```ts
 * import { traceContext } from "@braid/braid";
 * import { trace } from "npm:@opentelemetry/api@1.10.0";
 * import assert from "node:assert/strict";
 *
 * const parent = traceContext(
 *   "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 * );
 * assert.equal(trace.getSpanContext(parent)?.spanId, "b7ad6b7169203331");
 * ```
 */
export function traceContext(
  traceparent: string | undefined,
): OpenTelemetryContext {
  const span = traceparent === undefined
    ? undefined
    : parseTraceparent(traceparent);
  return span === undefined
    ? ROOT_CONTEXT
    : trace.setSpanContext(ROOT_CONTEXT, span);
}
