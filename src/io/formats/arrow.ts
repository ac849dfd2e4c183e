// Arrow IPC files (the "file" format, `.arrow`): an Arrow Table.
import { loadArrow } from "../../frames/_arrow.ts";
import { toTable } from "../../frames/tables.ts";
import { readWithMetadata, writeWithMetadata } from "../file_metadata.ts";
import type { MaterializerFormat } from "../format.ts";

/** `from.arrow` / `to.arrow`. */
export const arrow: MaterializerFormat = Object.freeze<MaterializerFormat>({
  name: "arrow",
  async load({ path }) {
    const [[bytes, metadata], { tableFromIPC }] = await Promise.all([
      readWithMetadata(path),
      loadArrow(),
    ]);
    const table = tableFromIPC(bytes);
    return [table, { ...metadata, rows: table.numRows }] as const;
  },
  async save(value, { path }) {
    const [table, { tableToIPC }] = await Promise.all([
      toTable(value, `the value saved to ${path}`),
      loadArrow(),
    ]);
    const metadata = await writeWithMetadata(path, tableToIPC(table, "file"));
    return { ...metadata, rows: table.numRows };
  },
});
