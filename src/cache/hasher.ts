/**
 * The hash behind every cache key and data version: 128-bit xxHash (XXH128)
 * from npm:hash-wasm, compiled to WebAssembly. It streams (a value is fed in
 * pieces, never copied whole), hashes several GB/s on one core, and needs no
 * permission; Web Crypto's SHA-256 would need the whole value in one buffer
 * and an await per hash.
 *
 * @module
 */
import { createXXHash128, type IHasher } from "hash-wasm";

/** A streaming hash: `begin`, any number of `update`s, then `end`. */
export class Hasher {
  readonly #wasm: IHasher;

  /** Use {@linkcode loadHasher}. */
  constructor(wasm: IHasher) {
    this.#wasm = wasm;
  }

  /** Starts a new hash. Calls never interleave: hashing is synchronous. */
  begin(): void {
    this.#wasm.init();
  }

  /** Adds text (as UTF-8) or bytes. */
  update(data: string | Uint8Array): void {
    this.#wasm.update(data);
  }

  /** The hash so far, as 32 hex digits. */
  end(): string {
    return this.#wasm.digest("hex");
  }

  /** The hash of one string. */
  hashText(text: string): string {
    this.#wasm.init();
    this.#wasm.update(text);
    return this.#wasm.digest("hex");
  }
}

let loading: Promise<Hasher> | undefined;

/** The shared hasher; the WebAssembly module is compiled on first use. */
export function loadHasher(): Promise<Hasher> {
  return loading ??= createXXHash128().then((wasm) => new Hasher(wasm));
}
