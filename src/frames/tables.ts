/**
 * Turning the values graphs hold into Arrow Tables and back: a Table, an
 * array of row objects, or an object of columns (arrays, typed arrays,
 * Vectors) all make a Table.
 *
 * @module
 */
import type { Table, Vector } from "npm:apache-arrow@21.2.0";
import { loadArrow } from "./_arrow.ts";

/**
 * A value that `toTable` accepts: an Arrow Table, an array of row objects,
 * or an object of equally long columns (arrays, typed arrays, Vectors).
 */
export type TableLike =
  | Table
  | readonly Readonly<Record<string, unknown>>[]
  | Readonly<Record<string, unknown>>;

/**
 * `value` as an Arrow Table; `what` names it in errors. Columns of
 * different lengths are a RangeError naming them.
 */
export async function toTable(value: unknown, what: string): Promise<Table> {
  const arrow = await loadArrow();
  if (value instanceof arrow.Table) return value;
  if (Array.isArray(value)) {
    if (value.some((row) => typeof row !== "object" || row === null)) {
      throw new TypeError(
        `${what} is an array whose items are not all row objects`,
      );
    }
    return arrow.tableFromJSON(value as Record<string, unknown>[]);
  }
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `${what} must be an Arrow Table, an array of rows or an object of columns: received ${typeof value}`,
    );
  }
  const columns: Record<string, Vector> = {};
  const lengths: [string, number][] = [];
  for (const [name, column] of Object.entries(value)) {
    const vector = toVector(arrow, column);
    if (vector === undefined) {
      throw new TypeError(
        `${what}: column "${name}" must be an array, a typed array or an Arrow Vector`,
      );
    }
    columns[name] = vector;
    lengths.push([name, vector.length]);
  }
  const rows = lengths[0]?.[1] ?? 0;
  if (lengths.some(([, n]) => n !== rows)) {
    throw new RangeError(
      `${what}: columns differ in length (${
        lengths.map(([name, n]) => `"${name}" has ${n}`).join(", ")
      })`,
    );
  }
  return new arrow.Table(columns);
}

/**
 * `column` as an Arrow Vector: a Vector as it is, a typed array or an array
 * made into one; undefined for anything else.
 */
export function toVector(
  arrow: Awaited<ReturnType<typeof loadArrow>>,
  column: unknown,
): Vector | undefined {
  return column instanceof arrow.Vector
    ? column
    : ArrayBuffer.isView(column) && !(column instanceof DataView)
    ? arrow.makeVector(column as Float64Array)
    : Array.isArray(column)
    ? arrow.vectorFromArray(column)
    : undefined;
}

/** The table's columns by name, as plain arrays or typed arrays. */
export function columnsOf(table: Table): [string, ArrayLike<unknown>][] {
  return table.schema.fields.map((field) => {
    const vector = table.getChild(field.name)!;
    // Numbers without nulls come out as the typed array itself; anything
    // else (strings, dictionaries, nulls) as a plain array of values.
    const array: unknown = vector.nullCount === 0
      ? vector.toArray()
      : [...vector];
    return [
      field.name,
      (ArrayBuffer.isView(array) && !(array instanceof DataView)) ||
        Array.isArray(array)
        ? array as ArrayLike<unknown>
        : [...vector],
    ];
  });
}
