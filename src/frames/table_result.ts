/**
 * `arrowTableResult()`: `execute()` returns an Arrow Table of the
 * requested values (Hamilton's `PandasDataFrameResult`, on Apache Arrow).
 *
 * @module
 */
import type { Table, Vector } from "npm:apache-arrow@21.2.0";
import type { BuildResultEvent } from "../hooks.ts";
import type { ResultBuilder } from "../result_builders.ts";
import { loadArrow } from "./_arrow.ts";

/**
 * `execute()` returns an Arrow Table with a column per requested value, in
 * request order: arrays, typed arrays and Arrow Vectors become columns, a
 * requested Table gives its columns, and scalars are repeated down the
 * table (a table of scalars alone has one row). Columns of different
 * lengths are an error naming the outputs and their lengths. apache-arrow
 * is loaded on the first build.
 *
 * @example
 * ```ts
 * import { arrowTableResult, Builder } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const dr = await new Builder()
 *   .withModules({
 *     price: () => new Float64Array([10, 20]),
 *     qty: () => [1, 3],
 *     currency: () => "EUR",
 *   })
 *   .withResultBuilder(arrowTableResult())
 *   .build();
 * const table = await dr.execute(["price", "qty", "currency"]);
 * assert.equal(table.numRows, 2);
 * assert.deepEqual(table.getChild("currency")?.toArray(), ["EUR", "EUR"]);
 * ```
 */
export function arrowTableResult(): ResultBuilder<Table> {
  return ARROW_TABLE;
}

const ARROW_TABLE: ResultBuilder<Table> = Object.freeze({
  name: "arrowTableResult",
  buildResult: (event: BuildResultEvent) => toTable(event),
});

async function toTable(
  { finalVars, outputs }: BuildResultEvent,
): Promise<Table> {
  const arrow = await loadArrow();
  const columns: Record<string, Vector> = {};
  const scalars: string[] = [];
  // Which output gave each length, for the error.
  const lengths: [string, number][] = [];
  for (const name of finalVars) {
    // An optional input requested but not provided has no value.
    if (!Object.hasOwn(outputs, name)) continue;
    const value = outputs[name];
    if (value instanceof arrow.Table) {
      for (const field of value.schema.fields) {
        columns[field.name] = value.getChild(field.name)!;
      }
      lengths.push([name, value.numRows]);
    } else if (value instanceof arrow.Vector) {
      columns[name] = value;
      lengths.push([name, value.length]);
    } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      columns[name] = arrow.makeVector(value as Float64Array);
      lengths.push([name, (value as Float64Array).length]);
    } else if (Array.isArray(value)) {
      columns[name] = arrow.vectorFromArray(value);
      lengths.push([name, value.length]);
    } else {
      scalars.push(name);
    }
  }
  const rows = lengths.length === 0 ? 1 : lengths[0]![1];
  if (lengths.some(([, n]) => n !== rows)) {
    throw new RangeError(
      `Cannot build an Arrow table: the outputs differ in length (${
        lengths.map(([name, n]) => `"${name}" has ${n}`).join(", ")
      }); request outputs of one length, or scalars`,
    );
  }
  for (const name of scalars) {
    columns[name] = broadcast(arrow, outputs[name], rows);
  }
  // Request order, whatever the kind of each value.
  const ordered: Record<string, Vector> = {};
  for (const name of finalVars) {
    const value = outputs[name];
    if (value instanceof arrow.Table) {
      for (const field of value.schema.fields) {
        ordered[field.name] = columns[field.name]!;
      }
    } else if (columns[name] !== undefined) ordered[name] = columns[name];
  }
  return new arrow.Table(ordered);
}

function broadcast(
  arrow: typeof import("npm:apache-arrow@21.2.0"),
  value: unknown,
  rows: number,
): Vector {
  if (typeof value === "number") {
    return arrow.makeVector(new Float64Array(rows).fill(value));
  }
  if (typeof value === "bigint") {
    return arrow.makeVector(new BigInt64Array(rows).fill(value));
  }
  return arrow.vectorFromArray(new Array(rows).fill(value));
}
