/**
 * Data versions: a deterministic hash of a value to its full depth, the same
 * in every process. Plain objects hash with their keys sorted; arrays, Map
 * and Set in their order; Date, RegExp, bigint, boxed primitives, typed
 * arrays, DataView and ArrayBuffer by content; class instances by their name
 * and own enumerable properties. A reference to an enclosing object (a
 * cycle) hashes as a back-reference to it, so cycles end; an object met
 * again elsewhere hashes by its content again, unless the value has so many
 * such repeats that this would take too long (then every repeated object
 * is a back-reference). A value with a `[cacheKey]()` method is hashed by
 * what that method returns.
 *
 * The value is written into the hasher as it is walked, in a binary form
 * (a tag byte per value, lengths and counts as 32-bit integers, numbers as
 * 64-bit floats, strings as their code units): no string is built per
 * value, and typed arrays go to the hasher as they are.
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

// A value whose objects, counted once per path to them, are too many: it
// shares objects so much that encoding it as a tree could take exponential
// time. It is encoded again with every object remembered.
class TooShared extends Error {}

// Tree mode encodes a repeated object once per path to it: no object is
// remembered, which is most of the cost of hashing small objects. A value
// with more object visits than this is encoded in shared mode instead,
// where each object is encoded once and repeats are back-references.
const TREE_BUDGET = 1 << 20;
// How many of the open (enclosing) objects are compared one by one when
// looking for a cycle; deeper ones are looked up in a set.
const OPEN_SCAN = 32;
const SHARED_MODE = 0x01;

// Tags of the canonical form, one byte each. Lengths and counts follow as
// 32-bit integers, numbers as 64-bit floats, so no two values share a form.
const ASCII = 0x73; // s: a string of code units below 0x80, one byte each
const WIDE = 0x77; // w: any other string, two bytes per UTF-16 code unit
const NUMBER = 0x64; // d
const BIGINT = 0x62; // b
const TRUE = 0x54; // T
const FALSE = 0x46; // F
const UNDEFINED = 0x75; // u
const NULL = 0x6e; // n
const SYMBOL = 0x79; // y
const SEEN = 0x5e; // ^: a back-reference to an object met before
const OWN_KEY = 0x4b; // K: what [cacheKey]() returned
const ARRAY = 0x61; // a
const VIEW = 0x76; // v: a typed array or DataView
const BUFFER = 0x42; // B: an ArrayBuffer or SharedArrayBuffer
const DATE = 0x44; // D
const REGEXP = 0x52; // R
const MAP = 0x4d; // M
const SET = 0x5a; // Z
const BOXED = 0x50; // P
const CLASS = 0x43; // C
const RECORD = 0x6f; // o
const HOLE = 0x68; // h: an array slot with nothing in it (not undefined)
const EXTRA = 0x45; // E: own properties beside an object's content (a record follows)
const BARE = 0x4e; // N: a plain object with no prototype (a record follows)
const SUBCLASS = 0x53; // S: after an array or built-in's content, its class

// Strings up to this length are written in one reservation.
const SHORT = 256;
// Longer strings are written in pieces of this many code units.
const PIECE = 4096;
// Any code unit past ASCII (a range from NUL, which the lint rule flags).
// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
const utf8 = new TextEncoder();

// Writes a value's canonical form straight into the hasher's buffer: no
// string or array is made per value (but the sorted keys of an object
// whose keys are not in order already).
class Encoder {
  readonly #h: Hasher;
  // Objects met so far by position (shared mode), or undefined: then only
  // the objects being encoded, outermost first, are looked at (tree mode).
  readonly #seen: Map<object, number> | undefined;
  readonly #open: object[] = [];
  #deepOpen: Set<object> | undefined; // the open objects past the first OPEN_SCAN
  #budget = TREE_BUDGET;
  // The last object's keys as Object.keys gave them, and in sorted order:
  // objects of one shape follow each other in arrays.
  #lastKeys: readonly string[] = [];
  #lastSorted: readonly string[] = [];
  lossy: string | undefined;

  constructor(hasher: Hasher, shared: boolean) {
    this.#h = hasher;
    this.#seen = shared ? new Map() : undefined;
    if (shared) hasher.byte(SHARED_MODE);
  }

  value(value: unknown): void {
    switch (typeof value) {
      case "string":
        return string(this.#h, value);
      case "number":
        return number(this.#h, NUMBER, value);
      case "bigint":
        this.#h.byte(BIGINT);
        return string(this.#h, value.toString(16));
      case "boolean":
        return this.#h.byte(value ? TRUE : FALSE);
      case "undefined":
        return this.#h.byte(UNDEFINED);
      case "symbol": {
        const key = Symbol.keyFor(value);
        if (key === undefined) {
          throw new Unhashable(`${String(value)} is not a registered symbol`);
        }
        this.#h.byte(SYMBOL);
        return string(this.#h, key);
      }
      case "function":
        throw new Unhashable(
          `function ${value.name || "<anonymous>"} has no data version`,
        );
    }
    if (value === null) return this.#h.byte(NULL);
    this.#object(value as object);
  }

  #object(value: object): void {
    const seen = this.#seen;
    if (seen !== undefined) {
      const id = seen.get(value);
      if (id !== undefined) return this.#h.tagged(SEEN, id);
      seen.set(value, seen.size);
      return this.#content(value);
    }
    const open = this.#open;
    const depth = open.length;
    const scan = depth < OPEN_SCAN ? depth : OPEN_SCAN;
    for (let i = 0; i < scan; i++) {
      if (open[i] === value) return this.#h.tagged(SEEN, i);
    }
    if (depth > OPEN_SCAN && this.#deepOpen!.has(value)) {
      return this.#h.tagged(SEEN, open.lastIndexOf(value));
    }
    if (--this.#budget === 0) throw new TooShared();
    open.push(value);
    if (depth >= OPEN_SCAN) (this.#deepOpen ??= new Set()).add(value);
    this.#content(value);
    if (depth >= OPEN_SCAN) this.#deepOpen!.delete(value);
    open.pop();
  }

  #content(value: object): void {
    const h = this.#h;
    // Plain objects and arrays first, told by their prototype: most values
    // are made of them, and the checks below cost more than their content.
    const proto = Object.getPrototypeOf(value);
    if (
      proto === Object.prototype &&
      Object.getOwnPropertySymbols(value).length === 0
    ) {
      return this.#record(value, true);
    }
    const own = (value as { [cacheKey]?: unknown })[cacheKey];
    if (typeof own === "function") {
      this.lossy ??= `${describe(value)} defines [cacheKey]()`;
      h.byte(OWN_KEY);
      return this.value(own.call(value));
    }
    if (Array.isArray(value)) return this.#array(value, proto);
    if (ArrayBuffer.isView(value)) {
      h.byte(VIEW);
      string(h, value.constructor.name);
      return bytes(
        h,
        new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
      );
    }
    if (
      value instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer === "function" &&
        value instanceof SharedArrayBuffer)
    ) {
      h.byte(BUFFER);
      string(h, value.constructor.name);
      return bytes(h, new Uint8Array(value));
    }
    if (value instanceof Date) {
      number(h, DATE, value.getTime());
      return this.#extras(value, proto, Object.keys(value));
    }
    if (value instanceof RegExp) {
      h.byte(REGEXP);
      string(h, value.source);
      string(h, value.flags);
      // lastIndex is state a serialized copy loses: a value of its own.
      const keys = Object.keys(value);
      if (value.lastIndex !== 0) keys.push("lastIndex");
      return this.#extras(value, proto, keys);
    }
    if (value instanceof Map) {
      h.tagged(MAP, value.size);
      for (const [k, v] of value) {
        this.value(k);
        this.value(v);
      }
      return this.#extras(value, proto, Object.keys(value));
    }
    if (value instanceof Set) {
      h.tagged(SET, value.size);
      for (const v of value) this.value(v);
      return this.#extras(value, proto, Object.keys(value));
    }
    if (
      value instanceof Number || value instanceof String ||
      value instanceof Boolean || value instanceof BigInt
    ) {
      h.byte(BOXED);
      const primitive = value.valueOf();
      this.value(primitive);
      const keys = Object.keys(value);
      // A String object's characters are its own index properties.
      const own = typeof primitive === "string"
        ? keys.slice(primitive.length)
        : keys;
      return this.#extras(value, proto, own);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new Unhashable("it has symbol-keyed properties");
    }
    if (proto === null) {
      this.lossy ??= "it holds an object without a prototype";
      h.byte(BARE);
      return this.#record(value, true);
    }
    if (value instanceof Error) return this.#error(value, proto);
    this.#record(value, proto === Object.prototype);
  }

  // Elements in order, a hole apart from undefined, then any own
  // properties beside the elements (structured clone keeps those).
  #array(value: unknown[], proto: unknown): void {
    const h = this.#h;
    const n = value.length;
    h.tagged(ARRAY, n);
    let holes = 0;
    for (let i = 0; i < n; i++) {
      const item = value[i];
      if (item === undefined && !(i in value)) {
        h.byte(HOLE);
        holes++;
      } else {
        this.value(item);
      }
    }
    // Object.keys lists the elements' indices first, then the others.
    const keys = Object.keys(value);
    if (keys.length > n - holes) {
      this.#extra(value, keys.slice(n - holes));
    }
    if (proto !== Array.prototype) this.#subclass(value, proto);
  }

  // The class of an array, Date, Map... made by a subclass, after its
  // content: a serialized copy would be of the built-in class.
  #subclass(value: object, proto: unknown): void {
    this.#h.byte(SUBCLASS);
    string(this.#h, classIdentity(proto as object));
    this.lossy ??= `it holds an instance of class ${describe(value)}`;
  }

  // Own properties of a Date, Map, Set, RegExp or boxed primitive, and its
  // class when it is a subclass: a serialized copy loses both.
  #extras(value: object, proto: unknown, keys: readonly string[]): void {
    if (keys.length > 0) {
      this.#extra(value, keys);
      this.lossy ??= `it holds a ${describe(value)} with own properties`;
    }
    if (!isBuiltinPrototype(proto)) this.#subclass(value, proto);
  }

  #extra(value: object, keys: readonly string[]): void {
    const h = this.#h;
    const sorted = [...keys].sort();
    h.byte(EXTRA);
    h.tagged(RECORD, sorted.length);
    const record = value as Record<string, unknown>;
    for (let i = 0; i < sorted.length; i++) {
      const key = sorted[i]!;
      string(h, key);
      this.value(record[key]);
    }
  }

  // The class of an instance, as far as it can be told: its name and
  // source, and which of the classes this process met with that name and
  // source it is (see classIdentity).
  #classOf(proto: unknown): void {
    this.#h.byte(CLASS);
    string(this.#h, classIdentity(proto as object));
  }

  // An error: its class, name and message, then every other own property
  // but its stack (cause, an AggregateError's errors, fields), enumerable
  // or not. Stored by a serializing store only when a copy would be the
  // same error: structured clone keeps the class of a built-in error, the
  // message and the cause, nothing else.
  #error(value: Error, proto: object): void {
    const h = this.#h;
    this.#classOf(proto);
    const record = value as unknown as Record<string, unknown>;
    this.value(record.name);
    this.value(record.message);
    const names = Object.getOwnPropertyNames(value).filter((name) =>
      name !== "stack" && name !== "message"
    ).sort();
    h.tagged(RECORD, names.length);
    let faithful = SERIALIZABLE_ERRORS.has(proto);
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name !== "cause") faithful = false;
      string(h, name);
      this.value(record[name]);
    }
    if (!faithful) {
      this.lossy ??= `it holds a ${
        describe(value)
      } whose class or fields a stored copy would lose`;
    }
  }

  // Plain objects and class instances: own enumerable string keys, sorted.
  #record(value: object, plain: boolean): void {
    const h = this.#h;
    const keys = this.#sorted(Object.keys(value));
    if (!plain) {
      const name = describe(value);
      if (keys.length === 0) {
        // Its state, if any, is private or native: give it a [cacheKey]().
        throw new Unhashable(
          `${name} has no own enumerable properties to hash (define [cacheKey]())`,
        );
      }
      if (isOpaque(value)) throw new Unhashable(`${name} cannot be hashed`);
      this.#classOf(Object.getPrototypeOf(value));
      this.lossy ??= `it holds an instance of class ${name}`;
    }
    const n = keys.length;
    h.tagged(RECORD, n);
    const record = value as Record<string, unknown>;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      string(h, key);
      this.value(record[key]);
    }
  }

  // `keys` in sorted order (by UTF-16 code units, as Array.prototype.sort).
  #sorted(keys: string[]): readonly string[] {
    const n = keys.length;
    let inOrder = true;
    for (let i = 1; i < n; i++) {
      if (keys[i - 1]! > keys[i]!) {
        inOrder = false;
        break;
      }
    }
    if (inOrder) return keys;
    const last = this.#lastKeys;
    if (last.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (last[i] !== keys[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#lastSorted;
    }
    this.#lastKeys = keys;
    return this.#lastSorted = [...keys].sort();
  }
}

function number(h: Hasher, tag: number, value: number): void {
  const at = h.reserve(9);
  h.buffer[at] = tag;
  // Every NaN is the same value; its bits need not be.
  h.view.setFloat64(at + 1, value === value ? value : NaN, true);
}

// A string: its length, then its code units as bytes when all are below
// 0x80, else two bytes each. Either way every code unit is kept (UTF-8
// would turn lone surrogates into U+FFFD, making different strings equal).
function string(h: Hasher, text: string): void {
  const n = text.length;
  if (n <= SHORT) {
    const at = h.reserve(5 + n);
    const buffer = h.buffer;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) {
        h.unreserve(5 + n);
        return wide(h, text);
      }
      buffer[at + 5 + i] = c;
    }
    buffer[at] = ASCII;
    h.view.setUint32(at + 1, n, true);
    return;
  }
  if (NON_ASCII.test(text)) return wide(h, text);
  h.tagged(ASCII, n);
  for (let from = 0; from < n; from += PIECE) {
    const piece = text.slice(from, from + PIECE);
    const at = h.reserve(piece.length);
    utf8.encodeInto(piece, h.buffer.subarray(at, at + piece.length));
  }
}

function wide(h: Hasher, text: string): void {
  const n = text.length;
  h.tagged(WIDE, n);
  for (let from = 0; from < n; from += PIECE) {
    const to = Math.min(n, from + PIECE);
    const at = h.reserve(2 * (to - from));
    const view = h.view;
    for (let i = from, o = at; i < to; i++, o += 2) {
      view.setUint16(o, text.charCodeAt(i), true);
    }
  }
}

function bytes(h: Hasher, data: Uint8Array): void {
  const at = h.reserve(8);
  h.view.setFloat64(at, data.byteLength, true);
  h.update(data);
}

function describe(value: object): string {
  return (value.constructor as { name?: string } | undefined)?.name ||
    "an object";
}

// The prototypes of errors that structured clone brings back as they were.
const SERIALIZABLE_ERRORS: ReadonlySet<unknown> = new Set([
  Error.prototype,
  EvalError.prototype,
  RangeError.prototype,
  ReferenceError.prototype,
  SyntaxError.prototype,
  TypeError.prototype,
  URIError.prototype,
]);

function isBuiltinPrototype(proto: unknown): boolean {
  return proto === Date.prototype || proto === Map.prototype ||
    proto === Set.prototype || proto === RegExp.prototype ||
    proto === Number.prototype || proto === String.prototype ||
    proto === Boolean.prototype || proto === BigInt.prototype;
}

// A class's identity, by prototype: its name and a digest of its source,
// the same in every process, and a count when this process has met other
// classes with that name and source (two classes made by one factory): the
// first keeps the plain identity.
const identities = new WeakMap<object, string>();
const namesakes = new Map<string, number>();

function classIdentity(proto: object): string {
  let identity = identities.get(proto);
  if (identity !== undefined) return identity;
  const ctor = (proto as { constructor?: unknown }).constructor;
  const name = (typeof ctor === "function" && ctor.name) || "an object";
  let source = "";
  if (typeof ctor === "function") {
    try {
      source = Function.prototype.toString.call(ctor);
    } catch { /* a revoked proxy: its name alone */ }
  }
  // The chain above it too: the same subclass of two different bases differs.
  const parent = Object.getPrototypeOf(proto);
  const above = parent === null || parent === Object.prototype ||
      isBuiltinPrototype(parent) || SERIALIZABLE_ERRORS.has(parent) ||
      parent === Array.prototype
    ? ""
    : `<${classIdentity(parent)}`;
  const base = `${name}#${fnv(source)}${above}`;
  const seen = namesakes.get(base) ?? 0;
  namesakes.set(base, seen + 1);
  identity = seen === 0 ? base : `${base}~${seen}`;
  identities.set(proto, identity);
  return identity;
}

// FNV-1a, 32 bits, over UTF-16 code units: a short digest of a source.
function fnv(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16);
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
  hasher.begin();
  // The commonest values skip the encoder.
  if (typeof value === "number") {
    number(hasher, NUMBER, value);
    return { version: hasher.end() };
  }
  if (typeof value === "string") {
    string(hasher, value);
    return { version: hasher.end() };
  }
  let encoder = new Encoder(hasher, false);
  try {
    try {
      encoder.value(value);
    } catch (error) {
      if (!(error instanceof TooShared)) throw error;
      hasher.begin();
      encoder = new Encoder(hasher, true);
      encoder.value(value);
    }
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
