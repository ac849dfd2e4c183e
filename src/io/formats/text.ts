// Text files: a string (UTF-8 unless `encoding` says otherwise).
import { readWithMetadata, writeWithMetadata } from "../file_metadata.ts";
import type { MaterializerFormat } from "../format.ts";

const encoder = new TextEncoder();

/** `from.text` / `to.text`. */
export const text: MaterializerFormat = Object.freeze<MaterializerFormat>({
  name: "text",
  async load({ path, encoding = "utf-8" }) {
    const [bytes, metadata] = await readWithMetadata(path);
    return [
      new TextDecoder(encoding as string).decode(bytes),
      metadata,
    ] as const;
  },
  async save(value, { path }) {
    if (typeof value !== "string") {
      throw new TypeError(
        `to.text saves a string to ${path}: received ${typeof value}`,
      );
    }
    return await writeWithMetadata(path, encoder.encode(value));
  },
});
