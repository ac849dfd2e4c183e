// No false cache hits: values that differ never share a data version (so
// a node can never be handed another node's value), and what a store gives
// back is the value it was given, or the value is not stored at all.
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { Builder, MemoryCacheStore } from "../../mod.ts";
import { dataVersion } from "../../src/cache/data_version.ts";
import { loadHasher } from "../../src/cache/hasher.ts";
import { tempDir } from "./_helpers.ts";

const hasher = await loadHasher();
const v = (value: unknown) => dataVersion(value, hasher).version;

function sparse(n: number, at: number): unknown[] {
  const array = new Array(n).fill(0);
  delete array[at];
  return array;
}

function withProps<T extends object>(value: T, props: object): T {
  return Object.assign(value, props);
}

// Two classes with one name and one shape, as a factory makes them.
function pointClass() {
  return class Point {
    constructor(readonly x: number) {}
  };
}

// The pairs the old encoding gave one version, each of two different values.
const collisions: [string, unknown, unknown][] = [
  [
    "errors that differ in cause",
    new Error("m", { cause: 1 }),
    new Error("m", { cause: 2 }),
  ],
  [
    "an error with a cause and one without",
    new Error("m", { cause: 1 }),
    new Error("m"),
  ],
  ["an array with an extra property", withProps([1, 2], { extra: 1 }), [1, 2]],
  [
    "arrays whose extras differ",
    withProps([1], { a: 1 }),
    withProps([1], { a: 2 }),
  ],
  ["a hole and undefined", sparse(3, 1), [0, undefined, 0]],
  [
    "a Date with an own property",
    withProps(new Date(0), { tz: "UTC" }),
    new Date(0),
  ],
  [
    "a Map with an own property",
    withProps(new Map([[1, 2]]), { p: 1 }),
    new Map([[1, 2]]),
  ],
  ["two classes named alike", new (pointClass())(1), new (pointClass())(1)],
  [
    "an error's own name",
    withProps(new Error("m"), { name: "Custom" }),
    new Error("m"),
  ],
  [
    "an AggregateError's errors",
    new AggregateError([1], "m"),
    new AggregateError([2], "m"),
  ],
  [
    "a plain object and one without a prototype",
    { a: 1 },
    withProps(Object.create(null), { a: 1 }),
  ],
  ["a RegExp's lastIndex", withProps(/a/g, { lastIndex: 1 }), /a/g],
  [
    "a String object with an own property",
    withProps(new String("ab"), { p: 1 }),
    new String("ab"),
  ],
];

for (const [what, a, b] of collisions) {
  Deno.test(`dataVersion: ${what} get different versions`, () => {
    assert.ok(!isDeepStrictEqual(a, b), "the pair is of different values");
    assert.notEqual(v(a), v(b));
  });
}

Deno.test("dataVersion: equal values still share a version (errors, holes, extras, classes)", () => {
  assert.equal(
    v(new Error("m", { cause: 1 })),
    v(new Error("m", { cause: 1 })),
  );
  assert.equal(v(sparse(3, 1)), v(sparse(3, 1)));
  assert.equal(v(withProps([1], { a: 1 })), v(withProps([1], { a: 1 })));
  const Point = pointClass();
  assert.equal(v(new Point(1)), v(new Point(1)));
});

Deno.test("MemoryCacheStore: two nodes returning equal-looking instances of two classes with one name each get their own", async () => {
  const A = pointClass();
  const B = pointClass();
  const dr = await new Builder()
    .withModules({ a: () => new A(1), b: () => new B(1) })
    .withCache({ store: new MemoryCacheStore() }).build();
  for (let run = 0; run < 2; run++) {
    const { a, b } = await dr.execute(["a", "b"]);
    assert.ok(a instanceof A, `run ${run}: a`);
    assert.ok(b instanceof B, `run ${run}: b`);
  }
  await dr.close();
});

Deno.test("a custom Error subclass, or an error with fields, is not stored by a serializing store: it never comes back as a plain Error", async () => {
  class HttpError extends Error {
    constructor(message: string, readonly status: number) {
      super(message);
    }
  }
  const path = await tempDir();
  let calls = 0;
  const dr = await new Builder()
    .withModules({
      custom: () => (calls++, new HttpError("gone", 410)),
      fields: () => withProps(new TypeError("t"), { code: "E_T" }),
      plain: () => new RangeError("r", { cause: { at: 3 } }),
    })
    .withCache({ path }).build();
  const first = await dr.run(["custom", "fields", "plain"]);
  const logs = dr.cache.logs(first.runId);
  assert.match(
    logs.find((e) => e.nodeName === "custom")!.notStored!,
    /HttpError/,
  );
  assert.match(
    logs.find((e) => e.nodeName === "fields")!.notStored!,
    /TypeError/,
  );
  assert.equal(logs.find((e) => e.nodeName === "plain")!.notStored, undefined);
  const again = await dr.run(["custom", "fields", "plain"]);
  const { custom, fields, plain } = again.outputs!;
  assert.ok(custom instanceof HttpError && custom.status === 410);
  assert.equal((fields as { code?: string }).code, "E_T");
  // A built-in error with a cause comes back from the store whole.
  const outcome = dr.cache.logs(again.runId).find((e) =>
    e.nodeName === "plain"
  );
  assert.equal(outcome!.outcome, "hit");
  assert.ok(plain instanceof RangeError);
  assert.deepEqual((plain as Error).cause, { at: 3 });
  assert.equal(calls, 2);
  await dr.close();
  await Deno.remove(path, { recursive: true });
});

// Values of (almost) every kind braid hashes.
const anything = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

const PAIRS = 3000;

Deno.test(`dataVersion (fast-check): ${PAIRS} random pairs of different values never share a version`, () => {
  fc.assert(
    fc.property(anything, anything, (a, b) => {
      if (isDeepStrictEqual(a, b)) return;
      assert.notEqual(v(a), v(b));
    }),
    { numRuns: PAIRS },
  );
});

function undefinedAt(items: unknown[], i: number): unknown[] {
  const copy = [...items];
  copy[i] = undefined;
  return copy;
}

function holeAt(items: unknown[], i: number): unknown[] {
  const copy = [...items];
  delete copy[i];
  return copy;
}

// A value and a near copy of it that differs in one of the ways that used
// to collide, somewhere inside a random value.
const nearPair = fc.tuple(
  anything,
  fc.array(anything, { minLength: 1, maxLength: 4 }),
  fc.nat(),
  anything,
  anything,
  fc.string(),
).chain(([context, items, at, one, two, key]) => {
  const i = at % items.length;
  const tweaks: [unknown, unknown][] = [
    [items, withProps([...items], { [`x${key}`]: one })],
    [undefinedAt(items, i), holeAt(items, i)],
    [new Error(key, { cause: one }), new Error(key, { cause: two })],
    [new Error(key, { cause: one }), new Error(key)],
    [withProps(new Date(at), { [`p${key}`]: one }), new Date(at)],
    [
      withProps([...items], { [`p${key}`]: one }),
      withProps([...items], { [`p${key}`]: two }),
    ],
  ];
  return fc.constantFrom(...tweaks).map(([a, b]) =>
    [
      { context, value: a },
      { context, value: b },
    ] as const
  );
});

Deno.test(`dataVersion (fast-check): ${PAIRS} near pairs (an extra property, a hole, a cause, a Date's property) never share a version`, () => {
  fc.assert(
    fc.property(nearPair, ([a, b]) => {
      if (isDeepStrictEqual(a, b)) return;
      assert.notEqual(v(a), v(b));
    }),
    { numRuns: PAIRS },
  );
});
