// A CSV file read in pieces: each piece is hashed as it arrives and cut
// after its last line break outside quotes, so that papaparse parses whole
// rows (a few MB at a time) and the file is never held whole, as bytes or
// as text.
import type { IHasher } from "npm:hash-wasm@4.13.0";

const PIECE = 4 << 20;

/**
 * The text of the file at `path`, a few MB at a time, in whole rows;
 * `hash`, when given, sees every byte read.
 */
export async function* csvPieces(
  path: string,
  hash?: IHasher,
): AsyncGenerator<string, void, undefined> {
  const file = await Deno.open(path);
  try {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(PIECE);
    // What follows the last cut, and whether its end is inside quotes (a
    // line break there is inside a field, not between rows).
    let carry = "";
    let quoted = false;
    for (;;) {
      const read = await file.read(buffer);
      if (read === null) break;
      const bytes = buffer.subarray(0, read);
      hash?.update(bytes);
      const text = carry + decoder.decode(bytes, { stream: true });
      let cut = -1;
      for (let i = carry.length; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code === 34) quoted = !quoted; // an escaped "" flips it twice
        else if (code === 10 && !quoted) cut = i;
      }
      // Outside quotes at the cut, so `quoted` is now the state at the
      // end of what follows it.
      if (cut < 0) {
        carry = text;
        continue;
      }
      carry = text.slice(cut + 1);
      yield text.slice(0, cut + 1);
    }
    const last = carry + decoder.decode();
    if (last.length > 0) yield last;
  } finally {
    file.close();
  }
}
