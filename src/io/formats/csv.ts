// CSV files, parsed by npm:papaparse (imported on first use): an Arrow
// Table with typed columns (numbers as Float64, true/false as Bool, else
// Utf8; empty fields are nulls), or with `as: "rows"` an array of row
// objects (papaparse's dynamic typing). Saved from a Table, rows or an
// object of columns.
import type { Table, Vector } from "apache-arrow";
import { loadArrow } from "../../frames/_arrow.ts";
import { columnsOf, toTable } from "../../frames/tables.ts";
import { readWithMetadata, writeWithMetadata } from "../file_metadata.ts";
import type { MaterializerFormat } from "../format.ts";

type Papa = typeof import("papaparse");

let loading: Promise<Papa> | undefined;

function loadPapa(): Promise<Papa> {
  return loading ??= import("papaparse").then((m) =>
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
    const [[bytes, metadata], papa] = await Promise.all([
      readWithMetadata(path),
      loadPapa(),
    ]);
    const text = utf8.decode(bytes);
    if (as === "rows") {
      const parsed = papa.parse<Record<string, unknown>>(text, {
        header: true,
        dynamicTyping: true,
        skipEmptyLines: true,
        ...(typeof delimiter === "string" ? { delimiter } : {}),
      });
      failOn(parsed.errors, path);
      return [parsed.data, { ...metadata, rows: parsed.data.length }] as const;
    }
    const table = await parseTable(papa, text, path, delimiter);
    return [table, { ...metadata, rows: table.numRows }] as const;
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

/** Parses CSV `text` (header row first) into a Table of typed columns. */
export async function parseTable(
  papa: Papa,
  text: string,
  path: string,
  delimiter?: unknown,
): Promise<Table> {
  const arrow = await loadArrow();
  const parsed = papa.parse<string[]>(text, {
    skipEmptyLines: true,
    ...(typeof delimiter === "string" ? { delimiter } : {}),
  });
  failOn(parsed.errors, path);
  const rows = parsed.data;
  const names = rows[0] ?? [];
  const columns: Record<string, Vector> = {};
  for (let j = 0; j < names.length; j++) {
    columns[names[j]!] = typedColumn(arrow, rows, j);
  }
  return new arrow.Table(columns);
}

// Column j of the rows after the header: Float64 when every field that is
// not empty reads as a number, Bool when each is true or false, else Utf8;
// empty fields are nulls. The Arrow data is laid out here, buffer by
// buffer: building vectors value by value (vectorFromArray) costs several
// times what papaparse takes to parse the file.
function typedColumn(
  arrow: typeof import("apache-arrow"),
  rows: readonly (readonly string[])[],
  j: number,
): Vector {
  const n = rows.length - 1;
  const valid = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const field = rows[i + 1]![j];
    if (field === undefined || field === "") nulls++;
    else valid[i >> 3]! |= 1 << (i & 7);
  }
  const nullBitmap = nulls === 0 ? undefined : valid;
  const numbers = new Float64Array(n);
  let numeric = true;
  for (let i = 0; i < n; i++) {
    const field = rows[i + 1]![j];
    if (field === undefined || field === "") continue;
    const x = +field;
    if (x !== x) {
      numeric = false;
      break;
    }
    numbers[i] = x;
  }
  if (numeric) {
    return arrow.makeVector(arrow.makeData({
      type: new arrow.Float64(),
      length: n,
      nullCount: nulls,
      ...(nullBitmap === undefined ? {} : { nullBitmap }),
      data: numbers,
    }));
  }
  const booleans = new Uint8Array((n + 7) >> 3);
  let boolean = true;
  for (let i = 0; i < n; i++) {
    const field = rows[i + 1]![j];
    if (field === "true") booleans[i >> 3]! |= 1 << (i & 7);
    else if (field !== "false" && field !== undefined && field !== "") {
      boolean = false;
      break;
    }
  }
  if (boolean) {
    return arrow.makeVector(arrow.makeData({
      type: new arrow.Bool(),
      length: n,
      nullCount: nulls,
      ...(nullBitmap === undefined ? {} : { nullBitmap }),
      data: booleans,
    }));
  }
  return utf8Column(arrow, rows, j, n, nulls, nullBitmap);
}

// A Utf8 column: the fields' UTF-8 bytes back to back, and their offsets.
// ASCII is copied code unit by code unit (most CSV text), anything else
// goes through TextEncoder.encodeInto.
function utf8Column(
  arrow: typeof import("apache-arrow"),
  rows: readonly (readonly string[])[],
  j: number,
  n: number,
  nulls: number,
  nullBitmap: Uint8Array | undefined,
): Vector {
  const offsets = new Int32Array(n + 1);
  let bytes = new Uint8Array(1024);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const field = rows[i + 1]![j] ?? "";
    const length = field.length;
    if (at + 3 * length > bytes.length) {
      const grown = new Uint8Array(Math.max(2 * bytes.length, at + 3 * length));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
    }
    let k = 0;
    while (k < length) {
      const code = field.charCodeAt(k);
      if (code >= 0x80) break;
      bytes[at + k] = code;
      k++;
    }
    if (k === length) at += length;
    else at += encoder.encodeInto(field, bytes.subarray(at)).written;
    offsets[i + 1] = at;
  }
  return arrow.makeVector(arrow.makeData({
    type: new arrow.Utf8(),
    length: n,
    nullCount: nulls,
    ...(nullBitmap === undefined ? {} : { nullBitmap }),
    valueOffsets: offsets,
    data: bytes.subarray(0, at),
  }));
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
