import assert from "node:assert/strict";
import { cacheKey } from "../../mod.ts";
import { dataVersion } from "../../src/cache/data_version.ts";
import { loadHasher } from "../../src/cache/hasher.ts";
import { runDeno } from "../_deno.ts";

const hasher = await loadHasher();
const v = (value: unknown) => dataVersion(value, hasher).version;

Deno.test("dataVersion: equal content gives equal versions, plain object keys in any order", () => {
  assert.equal(v({ a: 1, b: [2, "x"] }), v({ b: [2, "x"], a: 1 }));
  assert.notEqual(v({ a: 1 }), v({ a: "1" }));
  assert.notEqual(v([1, 2]), v([2, 1]));
  assert.notEqual(v(0), v(-0));
  assert.notEqual(v(null), v(undefined));
  assert.notEqual(v(["ab", "c"]), v(["a", "bc"]));
});

Deno.test("dataVersion: Map, Set, Date, bigint and typed arrays hash by content", () => {
  assert.equal(v(new Map([["a", 1]])), v(new Map([["a", 1]])));
  assert.notEqual(v(new Map([["a", 1]])), v(new Map([["a", 2]])));
  assert.equal(v(new Set([1, 2])), v(new Set([1, 2])));
  assert.notEqual(v(new Set([1, 2])), v(new Set([1, 3])));
  assert.notEqual(v(new Set([1])), v([1]));
  assert.equal(v(new Date(5)), v(new Date(5)));
  assert.notEqual(v(new Date(5)), v(new Date(6)));
  assert.equal(v(10n ** 30n), v(10n ** 30n));
  assert.notEqual(v(1n), v(1));
  assert.equal(v(new Float64Array([1, 2])), v(new Float64Array([1, 2])));
  assert.notEqual(v(new Float64Array([1, 2])), v(new Float64Array([1, 3])));
  // Same bytes, different element type: different values.
  assert.notEqual(v(new Uint8Array(8)), v(new Int8Array(8)));
  const big = new Uint8Array(1 << 20);
  const other = big.slice();
  other[other.length - 1] = 1;
  assert.notEqual(v(big), v(other));
  assert.equal(v(big.subarray(0, 4)), v(new Uint8Array(4)));
});

Deno.test("dataVersion: a change at depth 12 (or 100) gives a new version", () => {
  const nest = (depth: number, leaf: number): unknown => {
    let value: unknown = { leaf };
    for (let d = 0; d < depth; d++) value = { child: value, list: [d] };
    return value;
  };
  assert.notEqual(v(nest(12, 1)), v(nest(12, 2)));
  assert.notEqual(v(nest(100, 1)), v(nest(100, 2)));
  assert.equal(v(nest(12, 1)), v(nest(12, 1)));
});

Deno.test("dataVersion: cycles end and hash by structure", () => {
  const a: Record<string, unknown> = { x: 1 };
  a.self = a;
  const b: Record<string, unknown> = { x: 1 };
  b.self = b;
  const c: Record<string, unknown> = { x: 2 };
  c.self = c;
  assert.equal(v(a), v(b));
  assert.notEqual(v(a), v(c));
});

Deno.test("dataVersion: a [cacheKey]() method gives the value's version", () => {
  class Client {
    #secret: string;
    constructor(secret: string) {
      this.#secret = secret;
    }
    [cacheKey]() {
      return `client:${this.#secret.length}`;
    }
  }
  assert.equal(v(new Client("abc")), v(new Client("xyz")));
  assert.notEqual(v(new Client("abc")), v(new Client("abcd")));
});

Deno.test("dataVersion: unhashable values get a unique version and a reason", () => {
  class Opaque {
    #state = 1;
    get state() {
      return this.#state;
    }
  }
  for (
    const value of [
      () => 1,
      Symbol("s"),
      { s: Symbol("inner") },
      { [Symbol("k")]: 1 },
      new Opaque(),
      Promise.resolve(1),
      new WeakMap(),
    ]
  ) {
    const first = dataVersion(value, hasher);
    const second = dataVersion(value, hasher);
    assert.match(first.version, /^unhashable:/);
    assert.notEqual(first.version, second.version);
    assert.equal(typeof first.unhashable, "string");
  }
  assert.match(dataVersion(() => 1, hasher).unhashable!, /function/);
  // The hasher is left clean: the next value hashes as before.
  assert.equal(v({ a: 1 }), v({ a: 1 }));
});

Deno.test("dataVersion: class instances hash by name and own properties", () => {
  class Point {
    constructor(readonly x: number, readonly y: number) {}
  }
  class Pair {
    constructor(readonly x: number, readonly y: number) {}
  }
  assert.equal(v(new Point(1, 2)), v(new Point(1, 2)));
  assert.notEqual(v(new Point(1, 2)), v(new Point(1, 3)));
  assert.notEqual(v(new Point(1, 2)), v(new Pair(1, 2)));
  assert.notEqual(v(new Point(1, 2)), v({ x: 1, y: 2 }));
});

Deno.test("dataVersion: versions are the same in another process", async () => {
  const script = `
    import { dataVersion } from "${new URL(
    "../../src/cache/data_version.ts",
    import.meta.url,
  )}";
    import { loadHasher } from "${new URL(
    "../../src/cache/hasher.ts",
    import.meta.url,
  )}";
    const hasher = await loadHasher();
    const value = { m: new Map([[1, new Set(["a"])]]), d: new Date(7), b: 3n, t: new Int16Array([1, -1]), z: [{ y: 1, x: 2 }] };
    console.log(dataVersion(value, hasher).version);
  `;
  const output = await runDeno(["eval", script]);
  assert.equal(output.code, 0, output.stderr);
  const value = {
    z: [{ x: 2, y: 1 }],
    t: new Int16Array([1, -1]),
    b: 3n,
    d: new Date(7),
    m: new Map([[1, new Set(["a"])]]),
  };
  assert.equal(output.stdout.trim(), v(value));
});

Deno.test("dataVersion: every UTF-16 code unit counts (a lone surrogate is not U+FFFD)", () => {
  assert.notEqual(v("\ud800"), v("\ufffd"));
  assert.notEqual(v({ k: "\udc00x" }), v({ k: "\ufffdx" }));
  assert.equal(v("é".repeat(5000)), v("é".repeat(5000)));
  assert.notEqual(v("é".repeat(5000)), v("é".repeat(4999) + "e"));
  assert.notEqual(v("a".repeat(5000)), v("a".repeat(4999) + "b"));
  assert.notEqual(v("ab"), v(["ab"]));
});

Deno.test("dataVersion: an object met twice hashes by content; heavy sharing stays fast", () => {
  const x = { n: 1 };
  assert.equal(v({ a: x, b: x }), v({ a: { n: 1 }, b: { n: 1 } }));
  assert.notEqual(v({ a: x, b: x }), v({ a: x, b: { n: 2 } }));
  // 2^60 paths through 61 objects: hashed with back-references instead.
  const shared = (leaf: number) => {
    let value: Record<string, unknown> = { leaf };
    for (let i = 0; i < 60; i++) value = { a: value, b: value };
    return value;
  };
  const t0 = performance.now();
  assert.equal(v(shared(1)), v(shared(1)));
  assert.notEqual(v(shared(1)), v(shared(2)));
  assert.ok(performance.now() - t0 < 30_000);
});
