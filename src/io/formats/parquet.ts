// Parquet files, read by npm:hyparquet and written by npm:hyparquet-writer
// (both pure JavaScript, imported on first use): an Arrow Table.
import { loadArrow } from "../../frames/_arrow.ts";
import { columnsOf, toTable } from "../../frames/tables.ts";
import { readWithMetadata, writeWithMetadata } from "../file_metadata.ts";
import type { MaterializerFormat } from "../format.ts";

/** `from.parquet` / `to.parquet`. */
export const parquet: MaterializerFormat = Object.freeze<MaterializerFormat>({
  name: "parquet",
  async load({ path }) {
    const [[bytes, metadata], reader, arrow] = await Promise.all([
      readWithMetadata(path),
      import("npm:hyparquet@1.31.5"),
      loadArrow(),
    ]);
    const file = bytes.buffer.slice(
      bytes.byteOffset,
      bytes.byteOffset + bytes.byteLength,
    ) as ArrayBuffer;
    const schema = reader.parquetSchema(reader.parquetMetadata(file));
    const names = schema.children.map((child) => child.element.name);
    const rows = await reader.parquetReadObjects({ file });
    const columns: Record<string, unknown[]> = {};
    for (const name of names) columns[name] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      for (const name of names) columns[name]![i] = row[name];
    }
    const table = new arrow.Table(
      Object.fromEntries(
        names.map((name) => [name, arrow.vectorFromArray(columns[name]!)]),
      ),
    );
    return [table, { ...metadata, rows: table.numRows }] as const;
  },
  async save(value, { path }) {
    const [table, writer] = await Promise.all([
      toTable(value, `the value saved to ${path}`),
      import("npm:hyparquet-writer@0.17.0"),
    ]);
    const buffer = writer.parquetWriteBuffer({
      columnData: columnsOf(table).map(([name, data]) => ({
        name,
        data: data as unknown[],
      })),
    });
    const metadata = await writeWithMetadata(path, new Uint8Array(buffer));
    return { ...metadata, rows: table.numRows };
  },
});
