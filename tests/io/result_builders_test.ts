// Result builders: what execute() and Pipeline.run() return, at run time
// and in their static types.
import assert from "node:assert/strict";
import {
  arrowTableResult,
  Builder,
  dictResult,
  Engine,
  HookError,
  listResult,
  named,
  node,
  Pipeline,
} from "../../mod.ts";
import type { Table } from "apache-arrow";

const mod = {
  a: () => 1,
  b: ({ a }: { a: number }) => `b${a}`,
};

Deno.test("listResult gives the requested values in request order, typed", async () => {
  const dr = await new Builder().withModules(mod)
    .withResultBuilder(listResult()).build();
  const values: (number | string)[] = await dr.execute(["b", "a"]);
  assert.deepEqual(values, ["b1", 1]);
});

Deno.test("dictResult is the default: values by name", async () => {
  const dr = await new Builder().withModules(mod)
    .withResultBuilder(listResult())
    .withResultBuilder(dictResult()).build();
  const out: { a: number; b: string } = await dr.execute(["a", "b"]);
  assert.deepEqual(out, { a: 1, b: "b1" });
});

Deno.test("a custom result builder's value is what execute returns, typed", async () => {
  const dr = await new Builder().withModules(mod).withResultBuilder({
    buildResult: (e) => e.finalVars.join("+"),
  }).build();
  const joined: string = await dr.execute(["a", "b"]);
  assert.equal(joined, "a+b");
});

Deno.test("whichever of withResultBuilder and an adapter's buildResult comes last wins", async () => {
  const adapter = { buildResult: () => "adapter" as const };
  const builderLast = await new Builder().withModules(mod)
    .withAdapters(adapter).withResultBuilder(listResult()).build();
  const list: unknown[] = await builderLast.execute(["a"]);
  assert.deepEqual(list, [1]);
  const adapterLast = await new Builder().withModules(mod)
    .withResultBuilder(listResult()).withAdapters(adapter).build();
  const word: "adapter" = await adapterLast.execute(["a"]);
  assert.equal(word, "adapter");
});

Deno.test("a result builder that throws is a HookError naming it", async () => {
  const dr = await new Builder().withModules(mod).withResultBuilder({
    name: "Broken",
    buildResult: (): number => {
      throw new Error("no");
    },
  }).build();
  await assert.rejects(
    dr.execute(["a"]),
    (e: unknown) =>
      e instanceof HookError && /Broken threw: no/.test(e.message),
  );
});

Deno.test("withResultBuilder refuses an object without buildResult", () => {
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => new Builder().withResultBuilder({} as any),
    /'builder' must have a buildResult\(event\) method/,
  );
});

Deno.test("arrowTableResult makes columns of arrays, typed arrays and vectors, and broadcasts scalars", async () => {
  const { vectorFromArray } = await import("apache-arrow");
  const dr = await new Builder().withModules({
    price: () => new Float64Array([1.5, 2.5, 3.5]),
    qty: () => [1, 2, 3],
    sku: () => vectorFromArray(["x", "y", "z"]),
    currency: () => "EUR",
    rate: () => 2,
  }).withResultBuilder(arrowTableResult()).build();
  const table: Table = await dr.execute([
    "sku",
    "price",
    "qty",
    "currency",
    "rate",
  ]);
  assert.deepEqual(table.schema.fields.map((f) => f.name), [
    "sku",
    "price",
    "qty",
    "currency",
    "rate",
  ]);
  assert.equal(table.numRows, 3);
  assert.deepEqual([...table.getChild("price")!.toArray()], [1.5, 2.5, 3.5]);
  assert.deepEqual([...table.getChild("qty")!], [1, 2, 3]);
  assert.deepEqual([...table.getChild("sku")!], ["x", "y", "z"]);
  assert.deepEqual([...table.getChild("currency")!], ["EUR", "EUR", "EUR"]);
  assert.deepEqual([...table.getChild("rate")!.toArray()], [2, 2, 2]);
});

Deno.test("arrowTableResult of scalars alone is one row", async () => {
  const dr = await new Builder().withModules(mod)
    .withResultBuilder(arrowTableResult()).build();
  const table = await dr.execute(["a", "b"]);
  assert.equal(table.numRows, 1);
  assert.deepEqual(table.get(0)?.toJSON(), { a: 1, b: "b1" });
});

Deno.test("arrowTableResult names the outputs whose lengths differ", async () => {
  const dr = await new Builder().withModules({
    long: () => [1, 2, 3],
    short: () => new Int32Array([1, 2]),
  }).withResultBuilder(arrowTableResult()).build();
  await assert.rejects(
    dr.execute(["long", "short"]),
    (e: unknown) =>
      e instanceof HookError &&
      /outputs differ in length \("long" has 3, "short" has 2\)/.test(
        e.message,
      ),
  );
});

Deno.test("Engine({ resultBuilder }) makes Pipeline.run return the builder's value, typed", async () => {
  const pipeline = new Pipeline({
    nodes: [
      node(() => 2, named("x")),
      node(({ x }: { x: number }) => x * 10, named("y")),
    ],
    engine: new Engine({ resultBuilder: listResult() }),
  });
  const values: unknown[] = await pipeline.run({ outputs: ["y", "x"] });
  assert.deepEqual(values, [20, 2]);
  const plain = await pipeline.withEngine(new Engine()).run({
    outputs: ["y"],
  });
  const y: number = plain.y;
  assert.equal(y, 20);
});

Deno.test("Engine refuses a resultBuilder without buildResult", () => {
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => new Engine({ resultBuilder: {} as any }),
    /'resultBuilder' must have a buildResult\(event\) method/,
  );
});
