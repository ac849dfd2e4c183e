/**
 * The hash behind every cache key and data version: 128-bit xxHash (XXH128)
 * from npm:hash-wasm, compiled to WebAssembly. It streams (a value is fed in
 * pieces, never copied whole), hashes several GB/s on one core, and needs no
 * permission; Web Crypto's SHA-256 would need the whole value in one buffer
 * and an await per hash.
 *
 * hash-wasm is imported when the first hasher is loaded (when a cache
 * opens), not with braid: a run without a cache never pays for it. Only
 * bytes are handed to it: its text path converts through Node's Buffer
 * layer, which costs more than the hash of a short key. Short parts are
 * written into one buffer here and handed over in pieces of up to 16 KiB.
 *
 * @module
 */
import type { IHasher } from "npm:hash-wasm@4.13.0";

// hash-wasm copies what it is given into its WebAssembly memory in pieces of
// this size: a fuller buffer would be split again.
const CHUNK = 16 * 1024;
// Bytes this long or longer go to hash-wasm as they are, not through the buffer.
const DIRECT = 1024;

/**
 * A streaming hash: `begin`, any number of writes, then `end`. Writers put
 * bytes straight into {@linkcode Hasher.buffer} at the offset
 * {@linkcode Hasher.reserve} gives, so that encoding a value builds no
 * intermediate strings or arrays.
 */
export class Hasher {
  /** The write buffer; valid from a `reserve()`d offset for the bytes reserved. */
  readonly buffer: Uint8Array = new Uint8Array(CHUNK);
  /** The same buffer, for numbers. */
  readonly view: DataView = new DataView(this.buffer.buffer);
  readonly #wasm: IHasher;
  #used = 0;

  /** Use {@linkcode loadHasher}. */
  constructor(wasm: IHasher) {
    this.#wasm = wasm;
  }

  /** Starts a new hash. Calls never interleave: hashing is synchronous. */
  begin(): void {
    this.#wasm.init();
    this.#used = 0;
  }

  /**
   * Makes room for `n` bytes (at most 16 KiB) and returns where to write
   * them in {@linkcode Hasher.buffer}.
   */
  reserve(n: number): number {
    let at = this.#used;
    if (at + n > CHUNK) {
      this.#flush();
      at = 0;
    }
    this.#used = at + n;
    return at;
  }

  /** Gives back the last `n` reserved bytes (a writer that changed its mind). */
  unreserve(n: number): void {
    this.#used -= n;
  }

  /** Adds one byte. */
  byte(value: number): void {
    this.buffer[this.reserve(1)] = value;
  }

  /** Adds a tag byte and a 32-bit unsigned integer (a length, a count). */
  tagged(tag: number, value: number): void {
    const at = this.reserve(5);
    this.buffer[at] = tag;
    this.view.setUint32(at + 1, value, true);
  }

  /** Adds bytes. */
  update(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    if (n >= DIRECT) {
      this.#flush();
      this.#wasm.update(bytes);
      return;
    }
    this.buffer.set(bytes, this.reserve(n));
  }

  /** The hash so far, as 32 hex digits. */
  end(): string {
    this.#flush();
    return this.#wasm.digest("hex");
  }

  /** The hash of `bytes` alone. */
  hashBytes(bytes: Uint8Array): string {
    this.#wasm.init();
    this.#used = 0;
    this.#wasm.update(bytes);
    return this.#wasm.digest("hex");
  }

  /** The hash of a string (as UTF-8). */
  hashText(text: string): string {
    return this.hashBytes(utf8.encode(text));
  }

  #flush(): void {
    if (this.#used === 0) return;
    this.#wasm.update(this.buffer.subarray(0, this.#used));
    this.#used = 0;
  }
}

const utf8 = new TextEncoder();

let loading: Promise<Hasher> | undefined;

/**
 * The shared hasher: hash-wasm is imported and its WebAssembly module
 * compiled on first use.
 */
export function loadHasher(): Promise<Hasher> {
  return loading ??= import("npm:hash-wasm@4.13.0/dist/index.esm.js").then(
    async ({ createXXHash128 }: typeof import("npm:hash-wasm@4.13.0")) =>
      new Hasher(await createXXHash128()),
  );
}
