/**
 * `parameterizeFrame`: `parameterize` driven by a table of configurations,
 * one row per node (in the spirit of Hamilton's `@parameterize_frame`).
 *
 * @module
 */
import type { Table } from "npm:apache-arrow@21.2.0";
import type { BindingModifier } from "../node.ts";
import { type Binding, source, value } from "../modifiers/_bind.ts";
import { parameterize } from "../modifiers/parameterize.ts";

/** Which columns of a configuration table say what. */
export interface FrameColumns {
  /** The column holding each generated node's name. */
  readonly output: string;
  /** Parameters bound to the node (or input) a column names: `{ param: column }`. @default {{}} */
  readonly sources?: Readonly<Record<string, string>>;
  /** Parameters bound to a column's value as a literal: `{ param: column }`. @default {{}} */
  readonly values?: Readonly<Record<string, string>>;
}

/**
 * Makes one node per row of `frame` (an Arrow Table or an array of row
 * objects): named by the row's `output` column, with each parameter of
 * `sources` bound to the node its column names and each parameter of
 * `values` bound to its column's value. The function's own name is not a
 * node, as with `parameterize`.
 *
 * @example
 * ```ts
 * import { Builder, node, parameterizeFrame } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const plan = [
 *   { name: "eu_total", column: "eu", rate: 1.2 },
 *   { name: "us_total", column: "us", rate: 1 },
 * ];
 * const total = node(
 *   ({ amount, rate }: { amount: number; rate: number }) => amount * rate,
 *   parameterizeFrame(plan, {
 *     output: "name",
 *     sources: { amount: "column" },
 *     values: { rate: "rate" },
 *   }),
 * );
 * const dr = await new Builder()
 *   .withModules({ eu: () => 10, us: () => 5, total })
 *   .build();
 * assert.deepEqual(await dr.execute(["eu_total", "us_total"] as never[]), {
 *   eu_total: 12,
 *   us_total: 5,
 * });
 * ```
 */
export function parameterizeFrame(
  frame: Table | readonly Readonly<Record<string, unknown>>[],
  columns: FrameColumns,
): BindingModifier {
  const rows = rowsOf(frame);
  if (typeof columns !== "object" || columns === null) {
    throw new TypeError(
      "'parameterizeFrame' needs its columns: { output, sources, values }",
    );
  }
  const { output, sources = {}, values = {} } = columns;
  const assignments: Record<string, Record<string, Binding>> = {};
  rows.forEach((row, i) => {
    const name = row[output];
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `'parameterizeFrame': row ${i} has no node name in column "${output}"`,
      );
    }
    if (Object.hasOwn(assignments, name)) {
      throw new TypeError(
        `'parameterizeFrame': node "${name}" is named by two rows`,
      );
    }
    const bindings: Record<string, Binding> = {};
    for (const [param, column] of Object.entries(sources)) {
      const node = row[column];
      if (typeof node !== "string" || node === "") {
        throw new TypeError(
          `'parameterizeFrame': row ${i} ("${name}") names no node in column "${column}"`,
        );
      }
      bindings[param] = source(node);
    }
    for (const [param, column] of Object.entries(values)) {
      bindings[param] = value(row[column]);
    }
    assignments[name] = bindings;
  });
  return parameterize(assignments);
}

// The rows of an Arrow Table (as plain objects) or of an array of rows.
function rowsOf(
  frame: unknown,
): readonly Readonly<Record<string, unknown>>[] {
  if (Array.isArray(frame)) return frame;
  const table = frame as Partial<Table> | null;
  if (typeof table?.toArray === "function" && table.schema !== undefined) {
    return table.toArray().map((row) => row.toJSON());
  }
  throw new TypeError(
    "'parameterizeFrame' takes an Arrow Table or an array of row objects",
  );
}
