// CSV to typed Arrow columns, piece by piece: papaparse parses a few MB
// at a time and each piece's fields go at once into their columns (a
// number into a Float64Array, true/false into a bitmap, text into a list),
// so the rows of the whole file are never held at once. A column is
// Float64 while every field that is not empty reads as a number, Bool
// while each is true or false, else Utf8; empty fields are nulls. A column
// found to be text after it looked numeric or boolean is read again from
// the file in a second pass (its earlier fields were kept as numbers).
import type { Vector } from "npm:apache-arrow@21.2.0";
import { csvPieces } from "./_csv_stream.ts";
import type * as PapaTypes from "npm:@types/papaparse@5.5.2";

type Arrow = typeof import("npm:apache-arrow@21.2.0");
// papaparse ships no types: they come from @types/papaparse.
type Papa = typeof PapaTypes;
const NUMBER = 0;
const BOOL = 1;
const TEXT = 2;
const AGAIN = 3; // text found late: read again in a second pass

class Column {
  kind = NUMBER;
  seen = 0; // fields that are not empty
  nulls = 0;
  valid: Uint8Array;
  numbers: Float64Array;
  bits: Uint8Array;
  texts: (string | null)[] | undefined;
  constructor(capacity: number) {
    this.valid = new Uint8Array((capacity + 7) >> 3);
    this.numbers = new Float64Array(capacity);
    this.bits = new Uint8Array((capacity + 7) >> 3);
  }
  grow(capacity: number): void {
    this.valid = grown(this.valid, (capacity + 7) >> 3);
    if (this.kind === NUMBER) this.numbers = grown(this.numbers, capacity);
    if (this.kind === BOOL) this.bits = grown(this.bits, (capacity + 7) >> 3);
  }
  add(i: number, field: string | undefined): void {
    if (field === undefined || field === "") {
      this.nulls++;
      if (this.kind === TEXT) this.texts!.push(null);
      return;
    }
    this.valid[i >> 3]! |= 1 << (i & 7);
    const kind = this.kind;
    if (kind === NUMBER) {
      const x = +field;
      if (x === x) {
        this.numbers[i] = x;
        this.seen++;
        return;
      }
      this.becomes(i, field);
    } else if (kind === BOOL) {
      if (field === "true") this.bits[i >> 3]! |= 1 << (i & 7);
      else if (field !== "false") this.becomes(i, field);
      this.seen++;
    } else if (kind === TEXT) {
      this.texts!.push(field);
    }
  }
  // The first field that does not fit the column's kind.
  becomes(i: number, field: string): void {
    if (this.seen === 0 && this.kind === NUMBER) {
      if (field === "true" || field === "false") {
        this.kind = BOOL;
        this.bits = new Uint8Array(this.valid.length);
        if (field === "true") this.bits[i >> 3]! |= 1 << (i & 7);
        this.numbers = new Float64Array(0);
      } else {
        this.kind = TEXT;
        this.texts = new Array<string | null>(i).fill(null);
        this.texts.push(field);
        this.numbers = new Float64Array(0);
      }
      this.seen++;
      return;
    }
    this.kind = AGAIN;
    this.numbers = new Float64Array(0);
    this.bits = new Uint8Array(0);
  }
}

function grown<T extends Uint8Array | Float64Array>(array: T, size: number): T {
  if (array.length >= size) return array;
  const next = new (array.constructor as new (n: number) => T)(
    Math.max(size, 2 * array.length),
  );
  next.set(array);
  return next;
}

/**
 * Typed columns filled from parsed rows, chunk after chunk: the first row
 * it is given is the header. Columns that turn to text late are listed by
 * `again()` and filled by a second pass through `addAgain`.
 */
export class CsvColumns {
  #names: string[] | undefined;
  #columns: Column[] = [];
  #capacity = 0;
  #rows = 0;
  #again: number[] = [];
  #againRow = 0;

  /** Adds a chunk's rows; `rowsHint` guesses the file's row count on the first. */
  add(rows: readonly (readonly string[])[], rowsHint: number): void {
    let r = 0;
    if (this.#names === undefined) {
      const header = [...rows[0] ?? []];
      this.#names = header;
      r = 1;
      this.#capacity = Math.max(rowsHint, rows.length) + 16;
      this.#columns = header.map(() => new Column(this.#capacity));
    }
    const columns = this.#columns;
    let n = this.#rows;
    if (n + rows.length > this.#capacity) {
      this.#capacity = Math.max(2 * this.#capacity, n + rows.length);
      for (const column of columns) column.grow(this.#capacity);
    }
    for (; r < rows.length; r++, n++) {
      const row = rows[r]!;
      for (let j = 0; j < columns.length; j++) columns[j]!.add(n, row[j]);
    }
    this.#rows = n;
  }

  /** Whether a second pass is needed (some column turned to text late). */
  again(): boolean {
    this.#again = this.#columns.flatMap((c, j) => c.kind === AGAIN ? [j] : []);
    for (const j of this.#again) {
      this.#columns[j]!.kind = TEXT;
      this.#columns[j]!.texts = [];
    }
    this.#againRow = 0;
    return this.#again.length > 0;
  }

  /** Adds a chunk's rows in the second pass (the header row included). */
  addAgain(rows: readonly (readonly string[])[]): void {
    const again = this.#again;
    for (let r = 0; r < rows.length; r++, this.#againRow++) {
      if (this.#againRow === 0) continue; // the header
      for (const j of again) {
        const field = rows[r]![j];
        this.#columns[j]!.texts!.push(
          field === undefined || field === "" ? null : field,
        );
      }
    }
  }

  /** The columns, by name, in order. */
  vectors(arrow: Arrow): Record<string, Vector> {
    const out: Record<string, Vector> = {};
    (this.#names ?? []).forEach((name, j) => {
      out[name] = vectorOf(arrow, this.#columns[j]!, this.#rows);
    });
    return out;
  }
}

/**
 * The columns of the CSV file at `path` (a header row first), by name, in
 * order, and the XXH128 hash of its bytes: the file is read and parsed a
 * few MB at a time, and read a second time only for columns that turn to
 * text late.
 */
export async function csvColumns(
  arrow: Arrow,
  papa: Papa,
  path: string,
  delimiter: string | undefined,
  fail: (
    errors: readonly { message: string; row?: number | undefined }[],
  ) => void,
): Promise<[Record<string, Vector>, string]> {
  const { createXXHash128 } = await import(
    "npm:hash-wasm@4.13.0/dist/index.esm.js"
  ) as typeof import("npm:hash-wasm@4.13.0");
  // A hasher of its own: the shared one hashes synchronously, between
  // these reads.
  const hash = await createXXHash128();
  hash.init();
  const size = (await Deno.stat(path)).size;
  const columns = new CsvColumns();
  let separator = delimiter;
  let first = true;
  for await (const piece of csvPieces(path, hash)) {
    const parsed = papa.parse<string[]>(piece, {
      skipEmptyLines: true,
      ...(separator === undefined ? {} : { delimiter: separator }),
    });
    fail(parsed.errors);
    // Every piece is split as the first was (papaparse guesses once).
    separator ??= parsed.meta.delimiter;
    // A first guess from the first piece's rows per character.
    const hint = first
      ? Math.ceil(parsed.data.length * size / Math.max(piece.length, 1))
      : 0;
    first = false;
    columns.add(parsed.data, hint);
  }
  if (columns.again()) {
    for await (const piece of csvPieces(path)) {
      columns.addAgain(
        papa.parse<string[]>(piece, {
          skipEmptyLines: true,
          ...(separator === undefined ? {} : { delimiter: separator }),
        }).data,
      );
    }
  }
  return [columns.vectors(arrow), hash.digest("hex")];
}

function vectorOf(arrow: Arrow, column: Column, n: number): Vector {
  const nullCount = column.nulls;
  const nullBitmap = nullCount === 0
    ? {}
    : { nullBitmap: column.valid.subarray(0, (n + 7) >> 3) };
  if (column.kind === NUMBER) {
    return arrow.makeVector(arrow.makeData({
      type: new arrow.Float64(),
      length: n,
      nullCount,
      ...nullBitmap,
      data: column.numbers.subarray(0, n),
    }));
  }
  if (column.kind === BOOL) {
    return arrow.makeVector(arrow.makeData({
      type: new arrow.Bool(),
      length: n,
      nullCount,
      ...nullBitmap,
      data: column.bits.subarray(0, (n + 7) >> 3),
    }));
  }
  return utf8Vector(arrow, column.texts!, nullCount, nullBitmap);
}

const encoder = new TextEncoder();

// A Utf8 column: the strings' UTF-8 bytes back to back, and their offsets.
// ASCII is copied code unit by code unit (most CSV text), anything else
// goes through TextEncoder.encodeInto.
function utf8Vector(
  arrow: Arrow,
  texts: readonly (string | null)[],
  nullCount: number,
  nullBitmap: { nullBitmap?: Uint8Array },
): Vector {
  const n = texts.length;
  const offsets = new Int32Array(n + 1);
  let bytes = new Uint8Array(1024);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const field = texts[i] ?? "";
    const length = field.length;
    if (at + 3 * length > bytes.length) {
      bytes = grown(bytes, at + 3 * length);
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
    nullCount,
    ...nullBitmap,
    valueOffsets: offsets,
    data: bytes.subarray(0, at),
  }));
}
