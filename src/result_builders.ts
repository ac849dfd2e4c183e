/**
 * Result builders: what `execute()` makes of the requested values
 * (Hamilton's `ResultBuilder`s). Given with `Builder.withResultBuilder` or
 * `new Engine({ resultBuilder })`; `arrowTableResult()` lives in
 * `frames/table_result.ts`, as it loads apache-arrow.
 *
 * @module
 */
import type { BuildResultEvent, MaybePromise } from "./hooks.ts";
import type { DictResult } from "./driver.ts";

/**
 * Turns the requested values of one `execute()` into what it returns. The
 * same method an adapter may implement (`buildResult`), as a value of its
 * own.
 */
export interface ResultBuilder<T = unknown> {
  /** Shown in the error when it throws. */
  readonly name?: string;
  /** What `execute()` returns, made from the requested values. */
  buildResult(event: BuildResultEvent): MaybePromise<T>;
}

/** What `dictResult()` returns: `execute()` gives the plain object of values. */
export interface DictResultBuilder
  extends ResultBuilder<Record<string, unknown>> {
  /** Type-level brand: the result type follows the request. */
  readonly "braid.result": "dict";
}

/** What `listResult()` returns: `execute()` gives the values in request order. */
export interface ListResultBuilder extends ResultBuilder<unknown[]> {
  /** Type-level brand: the result type follows the request. */
  readonly "braid.result": "list";
}

/**
 * Marks the list result type: `execute` resolves to the requested values
 * in request order. Never a runtime value.
 */
export interface ListResult {
  /** A brand no real result has. */
  readonly "braid.listResult": true;
}

/**
 * The default: `execute()` returns `{ name: value }` for the requested
 * names (Hamilton's `DictResult`). Give it to replace a result builder set
 * earlier (or an adapter's `buildResult`).
 *
 * @example
 * ```ts
 * import { Builder, dictResult } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const dr = await new Builder()
 *   .withModules({ a: () => 1, b: () => 2 })
 *   .withResultBuilder(dictResult())
 *   .build();
 * assert.deepEqual(await dr.execute(["b", "a"]), { a: 1, b: 2 });
 * ```
 */
export function dictResult(): DictResultBuilder {
  return DICT;
}

/**
 * `execute()` returns the requested values as a list, in request order.
 *
 * @example
 * ```ts
 * import { Builder, listResult } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const dr = await new Builder()
 *   .withModules({ a: () => 1, b: () => 2 })
 *   .withResultBuilder(listResult())
 *   .build();
 * const [b, a] = await dr.execute(["b", "a"]);
 * assert.deepEqual([b, a], [2, 1]);
 * ```
 */
export function listResult(): ListResultBuilder {
  return LIST;
}

/** Whether `builder` is the default, `dictResult()`. */
export function isDictResult(builder: unknown): boolean {
  return builder === DICT;
}

const DICT: DictResultBuilder = Object.freeze({
  name: "dictResult",
  "braid.result": "dict" as const,
  buildResult: (event: BuildResultEvent) => ({ ...event.outputs }),
});

const LIST: ListResultBuilder = Object.freeze({
  name: "listResult",
  "braid.result": "list" as const,
  // An optional input requested but not provided is absent from the
  // outputs: its place in the list holds undefined, so positions stay.
  buildResult: (event: BuildResultEvent) =>
    event.finalVars.map((name) => event.outputs[name]),
});

/**
 * The result type a builder gives `execute()`: {@linkcode DictResult} and
 * {@linkcode ListResult} follow the request; any other builder's is what
 * its `buildResult` resolves to. The bare `ResultBuilder` type (what an
 * `Engine` given none has) means the default.
 */
export type ResultTypeOf<B> =
  // The bare interface: an engine given none (its type's default).
  [ResultBuilder] extends [B] ? DictResult
    : B extends DictResultBuilder ? DictResult
    : B extends ListResultBuilder ? ListResult
    : B extends ResultBuilder<infer T> ? Awaited<T>
    : never;
