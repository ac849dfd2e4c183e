/**
 * `withColumns`: a column-level subDAG over an Arrow Table (Hamilton's
 * `@with_columns`). Plain functions of columns compute new columns, which
 * are appended to the table (or replace columns of the same name) before
 * the decorated function receives it.
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import { derivedSpec } from "../_code.ts";
import { collectSpecs } from "../_load.ts";
import type { BindingModifier, ModifierContext, NodeSpec } from "../node.ts";
import { loadArrow } from "../frames/_arrow.ts";
import { toVector } from "../frames/tables.ts";
import { type Binding, rebind, source } from "./_bind.ts";
import type { Table, Vector } from "npm:apache-arrow@21.2.0";

/** Options of {@linkcode withColumns}. */
export interface WithColumnsOptions {
  /** The parameter of the decorated function that takes the Table (and the node or input it reads). */
  readonly table: string;
  /**
   * The table's columns the column functions may take as parameters;
   * other parameters read column functions, or nodes and inputs of the
   * graph.
   */
  readonly columnsToPass: readonly string[];
  /**
   * The column functions whose values are added to the table, in order.
   * @default {every column function}
   */
  readonly select?: readonly string[];
  /**
   * How passed columns reach the column functions: `"vectors"` (Arrow
   * Vectors) or `"arrays"` (`vector.toArray()`: the typed array itself for a
   * numeric column without nulls in one chunk, else a copy).
   * @default {"vectors"}
   */
  readonly pass?: "vectors" | "arrays";
  /** The prefix of the nodes it adds. @default {the decorated node's name} */
  readonly namespace?: string;
}

/**
 * Runs `columnFns` (an object of functions, as a module) as a subDAG of
 * column nodes named `<namespace>.<name>`: their parameters are passed
 * columns (`columnsToPass`, read from the table), other column functions,
 * or nodes and inputs of the graph (a column function named like a passed
 * column reads the passed column as its parameter of that name, and
 * replaces it: the other column functions read the new one). Each
 * returns a column (a typed array,
 * an array or an Arrow Vector as long as the table). The `select`ed ones
 * are appended to the table, a name the table has already replacing that
 * column in place, and the decorated function receives the new table as
 * its `table` parameter. apache-arrow is loaded on the first run.
 *
 * @example
 * ```ts
 * import { Builder, node, withColumns } from "@braid/braid";
 * import { type Table, tableFromArrays } from "npm:apache-arrow@21.2.0";
 * import assert from "node:assert/strict";
 *
 * const orders = () =>
 *   tableFromArrays({ price: new Float64Array([2, 3]), qty: new Float64Array([5, 1]) });
 * const columns = {
 *   revenue: ({ price, qty }: { price: Float64Array; qty: Float64Array }) =>
 *     price.map((p, i) => p * qty[i]!),
 *   taxed: ({ revenue, rate }: { revenue: Float64Array; rate: number }) =>
 *     revenue.map((r) => r * (1 + rate)),
 * };
 * const enriched = node(
 *   ({ orders }: { orders: Table }) => orders,
 *   withColumns(columns, { table: "orders", columnsToPass: ["price", "qty"], pass: "arrays" }),
 * );
 * const dr = await new Builder().withModules({ orders, enriched }).build();
 * const { enriched: table } = await dr.execute(["enriched"], { inputs: { rate: 0.5 } });
 * assert.deepEqual(table.schema.names, ["price", "qty", "revenue", "taxed"]);
 * assert.deepEqual([...table.getChild("taxed")!], [15, 4.5]);
 * ```
 */
export function withColumns(
  columnFns: Readonly<Record<string, unknown>>,
  options: WithColumnsOptions,
): BindingModifier {
  if (typeof columnFns !== "object" || columnFns === null) {
    throw new TypeError(
      `'withColumns' takes an object of column functions: received ${columnFns}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      "'withColumns' needs options: { table, columnsToPass }",
    );
  }
  const { table, columnsToPass, select, pass = "vectors" } = options;
  if (typeof table !== "string" || table === "") {
    throw new TypeError(
      `'table' must name the parameter that takes the Table: received ${table}`,
    );
  }
  if (
    !Array.isArray(columnsToPass) ||
    columnsToPass.some((c) => typeof c !== "string" || c === "")
  ) {
    throw new TypeError("'columnsToPass' must be a list of column names");
  }
  if (pass !== "vectors" && pass !== "arrays") {
    throw new TypeError(
      `'pass' must be "vectors" or "arrays": received ${pass}`,
    );
  }
  return Object.freeze({
    kind: "withColumns",
    phase: "expand" as const,
    apply(spec: NodeSpec, context: ModifierContext): readonly NodeSpec[] {
      return expand(spec, columnFns, options, select, pass, context);
    },
  });
}

function expand(
  spec: NodeSpec,
  columnFns: Readonly<Record<string, unknown>>,
  options: WithColumnsOptions,
  select: readonly string[] | undefined,
  pass: "vectors" | "arrays",
  context: ModifierContext,
): NodeSpec[] {
  const owner = spec.name;
  const namespace = options.namespace ?? owner;
  const tableInput = options.table;
  if (!spec.inputs.some((input) => input.name === tableInput)) {
    throw new InvalidNodeError(
      owner,
      `withColumns: "${tableInput}" is not a parameter of it (give 'table' the parameter that takes the Table)`,
    );
  }
  const inner = collectSpecs(
    [{ label: `withColumns of "${owner}"`, exports: columnFns }],
    context,
    false,
  );
  const chosen = select ?? [...inner.keys()];
  for (const name of chosen) {
    if (!inner.has(name)) {
      throw new InvalidNodeError(
        owner,
        `withColumns: selected "${name}" is not one of its column functions`,
      );
    }
  }
  const columnNode = (name: string) => `${namespace}.${name}`;
  // A passed column's node; `.input` when a column function of the same
  // name replaces it.
  const passedNode = (column: string) =>
    inner.has(column) ? `${namespace}.${column}.input` : columnNode(column);
  const passed = new Set(options.columnsToPass);
  const out: NodeSpec[] = [];
  for (const column of passed) {
    out.push(derivedSpec(
      spec,
      (args: Record<string, unknown>) =>
        readColumn(args[tableInput], column, owner, pass),
      [readColumn, column, pass],
      {
        name: passedNode(column),
        inputs: [{ name: tableInput, optional: false }],
        callStyle: "declared",
        ctxIndex: -1,
        local: true,
        nonFinal: true,
      },
    ));
  }
  for (const fn of inner.values()) {
    const bindings: Record<string, Binding> = {};
    for (const input of fn.inputs) {
      const name = input.name;
      if (name === fn.name && passed.has(name)) {
        bindings[name] = source(passedNode(name)); // replaces its column
      } else if (inner.has(name)) bindings[name] = source(columnNode(name));
      else if (passed.has(name)) bindings[name] = source(passedNode(name));
    }
    out.push({
      ...rebind(fn, bindings, "withColumns"),
      name: columnNode(fn.name),
      modifiers: Object.freeze([...fn.modifiers, "withColumns"]),
      ...(spec.module === undefined ? {} : { module: spec.module }),
      tags: spec.tags,
      nonFinal: true,
    });
  }
  const assembled = `${namespace}.with_columns`;
  out.push(derivedSpec(
    spec,
    (args: Record<string, unknown>) =>
      appendColumns(args[tableInput], chosen, args, columnNode, owner),
    [appendColumns, chosen],
    {
      name: assembled,
      inputs: [
        { name: tableInput, optional: false },
        ...chosen.map((name) => ({ name: columnNode(name), optional: false })),
      ],
      callStyle: "declared",
      ctxIndex: -1,
      local: true,
      nonFinal: true,
    },
  ));
  out.push(rebind(spec, { [tableInput]: source(assembled) }, "withColumns"));
  return out;
}

function readColumn(
  table: unknown,
  column: string,
  owner: string,
  pass: "vectors" | "arrays",
): unknown {
  const vector = (table as Partial<Table> | null)?.getChild?.(column);
  if (vector === undefined) {
    throw new TypeError(
      `withColumns of "${owner}" expected an Arrow Table: received ${
        table === null ? "null" : typeof table
      }`,
    );
  }
  if (vector === null) {
    throw new Error(`No column "${column}" in the table of "${owner}"`);
  }
  return pass === "arrays" ? vector.toArray() : vector;
}

async function appendColumns(
  table: unknown,
  chosen: readonly string[],
  args: Record<string, unknown>,
  columnNode: (name: string) => string,
  owner: string,
): Promise<Table> {
  const arrow = await loadArrow();
  if (!(table instanceof arrow.Table)) {
    throw new TypeError(`withColumns of "${owner}" expected an Arrow Table`);
  }
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields) {
    columns[field.name] = table.getChild(field.name)!;
  }
  for (const name of chosen) {
    const value = args[columnNode(name)];
    const vector = toVector(arrow, value);
    if (vector === undefined) {
      throw new TypeError(
        `withColumns of "${owner}": column function "${name}" must return a typed array, an array or an Arrow Vector`,
      );
    }
    if (vector.length !== table.numRows) {
      throw new RangeError(
        `withColumns of "${owner}": column "${name}" has ${vector.length} rows, the table ${table.numRows}`,
      );
    }
    columns[name] = vector;
  }
  return new arrow.Table(columns);
}
