// CSV text to typed Arrow columns, chunk by chunk: papaparse parses a few
// MB at a time and each chunk's fields go at once into their columns (a
// number into a Float64Array, true/false into a bitmap, text into a list),
// so the rows of the whole file are never held at once. A column is
// Float64 while every field that is not empty reads as a number, Bool
// while each is true or false, else Utf8; empty fields are nulls. A column
// found to be text after it looked numeric or boolean is read again from
// the text in a second pass (its earlier fields were kept as numbers).
import type { Vector } from "apache-arrow";

type Arrow = typeof import("apache-arrow");
type Papa = typeof import("papaparse");
interface Chunk {
  readonly data: readonly (readonly string[])[];
  readonly errors: readonly { message: string; row?: number }[];
}
// papaparse's `chunk` callback works on strings too (its typings allow it
// for files only).
type ChunkedParse = (
  text: string,
  config: { readonly chunk: (results: Chunk) => void } & object,
) => void;

const CHUNK = 4 << 20;
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

/** The columns of CSV `text` (a header row first), by name, in order. */
export function csvColumns(
  arrow: Arrow,
  papa: Papa,
  text: string,
  delimiter: string | undefined,
  fail: (errors: readonly { message: string; row?: number }[]) => void,
): Record<string, Vector> {
  let names: string[] | undefined;
  let columns: Column[] = [];
  let capacity = 0;
  let n = 0;
  const options = {
    skipEmptyLines: true,
    chunkSize: CHUNK,
    ...(delimiter === undefined ? {} : { delimiter }),
  };
  (papa.parse as unknown as ChunkedParse)(text, {
    ...options,
    chunk(results) {
      fail(results.errors);
      const rows = results.data;
      let r = 0;
      if (names === undefined) {
        const header = [...rows[0] ?? []];
        names = header;
        r = 1;
        // A first guess from the first chunk's rows per byte.
        capacity = Math.ceil(rows.length * text.length / CHUNK) + 16;
        columns = header.map(() => new Column(capacity));
      }
      if (n + rows.length > capacity) {
        capacity = Math.max(2 * capacity, n + rows.length);
        for (const column of columns) column.grow(capacity);
      }
      for (; r < rows.length; r++, n++) {
        const row = rows[r]!;
        for (let j = 0; j < columns.length; j++) columns[j]!.add(n, row[j]);
      }
    },
  });
  const again = columns.flatMap((c, j) => c.kind === AGAIN ? [j] : []);
  if (again.length > 0) readAgain(papa, text, options, columns, again);
  const out: Record<string, Vector> = {};
  (names ?? []).forEach((name, j) => {
    out[name] = vectorOf(arrow, columns[j]!, n);
  });
  return out;
}

// The second pass: the text of columns that turned out to be text.
function readAgain(
  papa: Papa,
  text: string,
  options: object,
  columns: Column[],
  again: readonly number[],
): void {
  for (const j of again) {
    columns[j]!.kind = TEXT;
    columns[j]!.texts = [];
  }
  let header = true;
  (papa.parse as unknown as ChunkedParse)(text, {
    ...options,
    chunk(results) {
      const rows = results.data;
      for (let r = header ? 1 : 0; r < rows.length; r++) {
        for (const j of again) {
          const field = rows[r]![j];
          columns[j]!.texts!.push(
            field === undefined || field === "" ? null : field,
          );
        }
      }
      header = false;
    },
  });
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
