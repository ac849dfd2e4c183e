/**
 * Data versions: a deterministic hash of a value to its full depth, the same
 * in every process. Plain objects hash with their keys sorted; arrays, Map
 * and Set in their order; Date, RegExp, bigint, boxed primitives, typed
 * arrays, DataView and ArrayBuffer by content; class instances by their name
 * and own enumerable properties. Shared and cyclic references hash as
 * back-references, so cycles end. A value with a `[cacheKey]()` method is
 * hashed by what that method returns.
 *
 * A value that cannot be hashed (a function, a promise, a WeakMap, an
 * unregistered symbol, symbol-keyed properties, a class instance with no
 * visible state, nesting too deep for the stack) gets a unique version and a
 * reason: it never matches anything, so it can never give a false hit.
 *
 * @module
 */
import type { Hasher } from "./hasher.ts";

/**
 * The method a value defines to give its own data version: return a string
 * (or any hashable value) that changes whenever the value does. Use it for
 * clients, handles and classes whose state is private.
 *
 * @example
 * ```ts
 * import { cacheKey } from "@braid/braid";
 * class Table {
 *   #rows: number[] = [1, 2];
 *   [cacheKey](): string {
 *     return `table:${this.#rows.join(",")}`;
 *   }
 * }
 * console.assert(typeof new Table()[cacheKey]() === "string");
 * ```
 */
export const cacheKey: unique symbol = Symbol.for("braid.cacheKey");

/** A value's data version, and why it is unique when it could not be hashed. */
export interface DataVersion {
  /** 32 hex digits, or `unhashable:<uuid>`. */
  readonly version: string;
  /** Why the value could not be hashed. */
  readonly unhashable?: string;
  /**
   * Why a serialized copy would not be the same value: structured clone
   * turns class instances into plain objects and drops `[cacheKey]()`.
   */
  readonly lossy?: string;
}

class Unhashable extends Error {}

const FLUSH_AT = 1 << 16;

// Writes a value's canonical form: short parts go into a string that is
// handed to the hasher in large pieces; bytes go to the hasher directly.
class Encoder {
  readonly #hasher: Hasher;
  readonly #seen = new Map<object, number>();
  #text = "";
  lossy: string | undefined;

  constructor(hasher: Hasher) {
    this.#hasher = hasher;
  }

  finish(): void {
    if (this.#text !== "") this.#hasher.update(this.#text);
    this.#text = "";
  }

  #write(text: string): void {
    this.#text += text;
    if (this.#text.length >= FLUSH_AT) this.finish();
  }

  #bytes(bytes: Uint8Array): void {
    this.#write(`${bytes.byteLength}:`);
    this.finish();
    this.#hasher.update(bytes);
  }

  value(value: unknown): void {
    switch (typeof value) {
      case "string":
        return this.#write(`s${value.length}:${value}`);
      case "number":
        return this.#write(`d${Object.is(value, -0) ? "-0" : value};`);
      case "bigint":
        return this.#write(`b${value};`);
      case "boolean":
        return this.#write(value ? "T" : "F");
      case "undefined":
        return this.#write("u");
      case "symbol": {
        const key = Symbol.keyFor(value);
        if (key === undefined) {
          throw new Unhashable(`${String(value)} is not a registered symbol`);
        }
        return this.#write(`y${key.length}:${key}`);
      }
      case "function":
        throw new Unhashable(
          `function ${value.name || "<anonymous>"} has no data version`,
        );
    }
    if (value === null) return this.#write("n");
    this.#object(value as object);
  }

  #object(value: object): void {
    const id = this.#seen.get(value);
    if (id !== undefined) return this.#write(`^${id};`);
    this.#seen.set(value, this.#seen.size);
    const own = (value as { [cacheKey]?: unknown })[cacheKey];
    if (typeof own === "function") {
      this.lossy ??= `${describe(value)} defines [cacheKey]()`;
      this.#write("K");
      return this.value(own.call(value));
    }
    if (Array.isArray(value)) {
      this.#write(`a${value.length}[`);
      for (let i = 0; i < value.length; i++) this.value(value[i]);
      return this.#write("]");
    }
    if (ArrayBuffer.isView(value)) {
      this.#write(`v${value.constructor.name}`);
      return this.#bytes(
        new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
      );
    }
    if (
      value instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer === "function" &&
        value instanceof SharedArrayBuffer)
    ) {
      this.#write(`B${value.constructor.name}`);
      return this.#bytes(new Uint8Array(value));
    }
    if (value instanceof Date) return this.#write(`D${value.getTime()};`);
    if (value instanceof RegExp) {
      return this.#write(
        `R${value.source.length}:${value.source}/${value.flags}`,
      );
    }
    if (value instanceof Map) {
      this.#write(`M${value.size}{`);
      for (const [k, v] of value) {
        this.value(k);
        this.value(v);
      }
      return this.#write("}");
    }
    if (value instanceof Set) {
      this.#write(`S${value.size}{`);
      for (const v of value) this.value(v);
      return this.#write("}");
    }
    if (
      value instanceof Number || value instanceof String ||
      value instanceof Boolean || value instanceof BigInt
    ) {
      this.#write("P");
      return this.value(value.valueOf());
    }
    this.#record(value);
  }

  // Plain objects and class instances: own enumerable string keys, sorted.
  #record(value: object): void {
    const proto = Object.getPrototypeOf(value);
    const plain = proto === Object.prototype || proto === null;
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new Unhashable("it has symbol-keyed properties");
    }
    const keys = Object.keys(value).sort();
    if (!plain) {
      const name = describe(value);
      if (keys.length === 0 && !(value instanceof Error)) {
        // Its state, if any, is private or native: give it a [cacheKey]().
        throw new Unhashable(
          `${name} has no own enumerable properties to hash (define [cacheKey]())`,
        );
      }
      if (isOpaque(value)) throw new Unhashable(`${name} cannot be hashed`);
      this.#write(`C${name.length}:${name}`);
      if (value instanceof Error) this.value(value.message);
      else this.lossy ??= `it holds an instance of class ${name}`;
    }
    this.#write(`o${keys.length}{`);
    const record = value as Record<string, unknown>;
    for (const key of keys) {
      this.#write(`${key.length}:${key}`);
      this.value(record[key]);
    }
    this.#write("}");
  }
}

function describe(value: object): string {
  return (value.constructor as { name?: string } | undefined)?.name ||
    "an object";
}

// Objects whose content no property shows, even when they have some.
function isOpaque(value: object): boolean {
  return value instanceof Promise || value instanceof WeakMap ||
    value instanceof WeakSet || value instanceof WeakRef;
}

/**
 * Hashes `value` to its full depth with `hasher`. Never throws: a value that
 * cannot be hashed gets a unique version and the reason.
 */
export function dataVersion(value: unknown, hasher: Hasher): DataVersion {
  // The commonest values skip the encoder.
  if (typeof value === "number" || typeof value === "string") {
    return {
      version: hasher.hashText(
        typeof value === "string"
          ? `s${value.length}:${value}`
          : `d${Object.is(value, -0) ? "-0" : value};`,
      ),
    };
  }
  hasher.begin();
  const encoder = new Encoder(hasher);
  try {
    encoder.value(value);
    encoder.finish();
  } catch (error) {
    hasher.begin(); // leave the hasher clean for the next value
    const reason = error instanceof Unhashable
      ? error.message
      : error instanceof RangeError
      ? "it is nested too deeply to hash"
      : `hashing it threw: ${error instanceof Error ? error.message : error}`;
    return { version: `unhashable:${crypto.randomUUID()}`, unhashable: reason };
  }
  const version = hasher.end();
  return encoder.lossy === undefined
    ? { version }
    : { version, lossy: encoder.lossy };
}
