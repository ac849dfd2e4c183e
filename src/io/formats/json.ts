// JSON files: the parsed value; saved with JSON.stringify (`indent`
// option, default 2).
import { readWithMetadata, writeWithMetadata } from "../file_metadata.ts";
import type { MaterializerFormat } from "../format.ts";

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** `from.json` / `to.json`. */
export const json: MaterializerFormat = Object.freeze<MaterializerFormat>({
  name: "json",
  async load({ path }) {
    const [bytes, metadata] = await readWithMetadata(path);
    const value = JSON.parse(utf8.decode(bytes));
    return [
      value,
      Array.isArray(value) ? { ...metadata, rows: value.length } : metadata,
    ] as const;
  },
  async save(value, { path, indent = 2 }) {
    const text = JSON.stringify(value, null, indent as number);
    if (text === undefined) {
      throw new TypeError(`Cannot save ${typeof value} as JSON to ${path}`);
    }
    return await writeWithMetadata(path, encoder.encode(text));
  },
});
