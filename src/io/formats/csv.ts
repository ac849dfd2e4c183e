// CSV files, parsed by npm:papaparse (imported on first use): an Arrow
// Table with typed columns (numbers as Float64, true/false as Bool, else
// Utf8; empty fields are nulls), or with `as: "rows"` an array of row
// objects (papaparse's dynamic typing). Saved from a Table, rows or an
// object of columns.
import type { Table } from "npm:apache-arrow@21.2.0";
import { csvColumns } from "./_csv_columns.ts";
import { loadArrow } from "../../frames/_arrow.ts";
import { columnsOf, toTable } from "../../frames/tables.ts";
import {
  describeFile,
  type FileMetadata,
  readWithMetadata,
  writeWithMetadata,
} from "../file_metadata.ts";
import type { MaterializerFormat } from "../format.ts";
import type * as PapaTypes from "npm:@types/papaparse@5.5.2";

// papaparse ships no types: they come from @types/papaparse.
type Papa = typeof PapaTypes;

let loading: Promise<Papa> | undefined;

function loadPapa(): Promise<Papa> {
  return loading ??= import("npm:papaparse@5.7.1").then((m) =>
    (m as unknown as { default: Papa }).default ?? m
  );
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** `from.csv` / `to.csv`. */
export const csv: MaterializerFormat = Object.freeze<MaterializerFormat>({
  name: "csv",
  async load({ path, as = "table", delimiter }) {
    if (as !== "table" && as !== "rows") {
      throw new TypeError(`'as' must be "table" or "rows": received ${as}`);
    }
    const papa = await loadPapa();
    if (as === "table") return await loadTable(papa, path, delimiter);
    const [bytes, metadata] = await readWithMetadata(path);
    const parsed = papa.parse<Record<string, unknown>>(utf8.decode(bytes), {
      header: true,
      dynamicTyping: true,
      skipEmptyLines: true,
      ...(typeof delimiter === "string" ? { delimiter } : {}),
    });
    failOn(parsed.errors, path);
    return [parsed.data, { ...metadata, rows: parsed.data.length }] as const;
  },
  async save(value, { path, delimiter }) {
    const [table, papa] = await Promise.all([
      toTable(value, `the value saved to ${path}`),
      loadPapa(),
    ]);
    const columns = columnsOf(table);
    const rows: unknown[][] = new Array(table.numRows);
    for (let i = 0; i < rows.length; i++) {
      const row = new Array(columns.length);
      for (let j = 0; j < columns.length; j++) row[j] = columns[j]![1][i];
      rows[i] = row;
    }
    const text = papa.unparse(
      { fields: columns.map(([name]) => name), data: rows },
      typeof delimiter === "string" ? { delimiter } : {},
    );
    const metadata = await writeWithMetadata(path, encoder.encode(text));
    return { ...metadata, rows: table.numRows };
  },
});

// The file as a Table of typed columns, read and parsed a few MB at a
// time, and its metadata (the content hash made as it is read).
async function loadTable(
  papa: Papa,
  path: string,
  delimiter: unknown,
): Promise<readonly [Table, FileMetadata & { rows: number }]> {
  const [arrow, info] = await Promise.all([loadArrow(), Deno.stat(path)]);
  const [columns, contentHash] = await csvColumns(
    arrow,
    papa,
    path,
    typeof delimiter === "string" ? delimiter : undefined,
    (errors) => failOn(errors, path),
  );
  const table = new arrow.Table(columns);
  return [table, {
    ...describeFile(path, info.size, info, contentHash),
    rows: table.numRows,
  }] as const;
}

function failOn(
  errors: readonly { message: string; row?: number | undefined }[],
  path: string,
): void {
  const first = errors[0];
  if (first === undefined) return;
  throw new SyntaxError(
    `Cannot parse CSV ${path}${
      first.row === undefined ? "" : ` at row ${first.row + 1}`
    }: ${first.message}${
      errors.length > 1 ? ` (and ${errors.length - 1} more errors)` : ""
    }`,
  );
}
