/**
 * `extractColumns`: a node per column of the Arrow Table a node returns
 * (Hamilton's `@extract_columns`).
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import { derivedSpec } from "../_code.ts";
import type { FieldsModifier, NodeSpec } from "../node.ts";

/** The nodes `extractColumns(...names)` adds: typed `unknown` (a Vector). */
export type ExtractedColumns<A extends readonly string[]> = {
  readonly [K in A[number]]: `braid.column.${K}`;
};

/** A table as `extractColumns` reads it: anything with Arrow's `getChild`. */
interface ColumnSource {
  getChild(name: string): unknown;
}

/**
 * Adds a node per named column of the Arrow Table the node returns, whose
 * value is that column (an Arrow Vector); the node itself stays, returning
 * the whole table. A column the table lacks fails its node, naming it.
 *
 * @example
 * ```ts
 * import { Builder, extractColumns, node } from "@braid/braid";
 * import { tableFromArrays, type Vector } from "npm:apache-arrow@21.2.0";
 * import assert from "node:assert/strict";
 *
 * const orders = node(
 *   () => tableFromArrays({ amount: new Float64Array([5, 7]), qty: new Int32Array([1, 2]) }),
 *   extractColumns("amount", "qty"),
 * );
 * const total = ({ amount }: { amount: Vector }) =>
 *   amount.toArray().reduce((a: number, b: number) => a + b, 0);
 * const dr = await new Builder().withModules({ orders, total }).build();
 * assert.deepEqual(await dr.execute(["total"]), { total: 12 });
 * ```
 */
export function extractColumns<const A extends readonly string[]>(
  ...names: A
): FieldsModifier<ExtractedColumns<A>> {
  if (names.length === 0) {
    throw new TypeError("'extractColumns' needs at least one column name");
  }
  for (const name of names) {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `'extractColumns' takes column names: received ${name}`,
      );
    }
  }
  return Object.freeze({
    kind: "extractColumns",
    phase: "expand" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      const owner = spec.name;
      if (names.includes(owner)) {
        throw new InvalidNodeError(
          owner,
          "extractColumns cannot name a column after the node itself",
        );
      }
      // Reading a column is cheap plumbing a worker could not import: it
      // runs here under every executor.
      const columns = names.map((column): NodeSpec =>
        derivedSpec(
          spec,
          (args: Record<string, unknown>) =>
            readColumn(args[owner], column, owner),
          [readColumn, owner, column],
          {
            name: column,
            inputs: [{ name: owner, optional: false }],
            callStyle: "declared",
            ctxIndex: -1,
            local: true,
          },
        )
      );
      return [spec, ...columns];
    },
  }) as FieldsModifier<ExtractedColumns<A>>;
}

function readColumn(table: unknown, column: string, owner: string): unknown {
  if (
    typeof table !== "object" || table === null ||
    typeof (table as Partial<ColumnSource>).getChild !== "function"
  ) {
    throw new TypeError(
      `extractColumns expected node "${owner}" to return an Arrow Table: received ${
        table === null ? "null" : typeof table
      }`,
    );
  }
  const vector = (table as ColumnSource).getChild(column);
  if (vector === null || vector === undefined) {
    throw new Error(`No column "${column}" in the table of "${owner}"`);
  }
  return vector;
}
