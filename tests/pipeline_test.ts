import assert from "node:assert/strict";
import {
  CancelledError,
  CycleError,
  DuplicateNodeError,
  Engine,
  InvalidNodeError,
  MissingInputError,
  named,
  node,
  NodeExecutionError,
  Pipeline,
  UnknownNodeError,
} from "../mod.ts";

const clean = node(
  ({ text }: { text: string }) => text.trim().toLowerCase(),
  named("cleaned"),
);
const count = node(
  ({ cleaned }: { cleaned: string }) => cleaned.split(" ").length,
  named("word_count"),
);
function shout({ cleaned }: { cleaned: string }) {
  return cleaned.toUpperCase();
}

Deno.test("Pipeline.run returns every output, from definitions and plain functions", async () => {
  const pipeline = new Pipeline({ nodes: [clean, count, shout] });
  assert.deepEqual(await pipeline.run({ inputs: { text: " Hello World " } }), {
    cleaned: "hello world",
    word_count: 2,
    shout: "HELLO WORLD",
  });
  assert.deepEqual(pipeline.outputs, ["cleaned", "word_count", "shout"]);
  assert.deepEqual(pipeline.inputs, ["text"]);
});

Deno.test("Pipeline.run with outputs returns only those and runs only their upstream", async () => {
  const calls: string[] = [];
  const pipeline = new Pipeline({
    nodes: [
      node(({ x }: { x: number }) => (calls.push("a"), x + 1), named("a")),
      node(({ a }: { a: number }) => (calls.push("b"), a * 2), named("b")),
      node(({ x }: { x: number }) => (calls.push("c"), -x), named("c")),
    ],
  });
  assert.deepEqual(await pipeline.run({ inputs: { x: 1 }, outputs: ["b"] }), {
    b: 4,
  });
  assert.deepEqual(calls, ["a", "b"]);
  await assert.rejects(
    pipeline.run({ inputs: { x: 1 }, outputs: ["nope"] }),
    UnknownNodeError,
  );
  await assert.rejects(pipeline.run(), MissingInputError);
});

Deno.test("Pipeline is immutable: bind and withEngine return new pipelines", async () => {
  const pipeline = new Pipeline({ nodes: [clean, count] });
  const bound = pipeline.bind({ text: "a b c" });
  assert.notEqual(bound, pipeline);
  assert.deepEqual(pipeline.bound, {});
  assert.deepEqual(bound.bound, { text: "a b c" });
  assert.deepEqual(pipeline.inputs, ["text"]);
  assert.deepEqual(bound.inputs, []);
  assert.deepEqual(await bound.run(), { cleaned: "a b c", word_count: 3 });
  // Run inputs win over bound ones; later binds win over earlier ones.
  assert.deepEqual(await bound.run({ inputs: { text: "x" } }), {
    cleaned: "x",
    word_count: 1,
  });
  assert.equal((await bound.bind({ text: "p q" }).run()).word_count, 2);
  await assert.rejects(pipeline.run(), MissingInputError);

  const engine = new Engine({ nodeExecutor: "async" });
  const moved = bound.withEngine(engine);
  assert.equal(moved.engine, engine);
  assert.equal(bound.engine, undefined);
  assert.deepEqual(moved.bound, { text: "a b c" });
  assert.deepEqual(await moved.run(), { cleaned: "a b c", word_count: 3 });
  assert.ok(Object.isFrozen(pipeline.nodes));
  assert.throws(
    () => pipeline.withEngine({} as never),
    /'engine' must be an Engine/,
  );
  assert.throws(
    () => pipeline.bind(null as never),
    /'inputs' must be an object/,
  );
});

Deno.test("Pipeline rejects bad nodes when it is created", () => {
  assert.throws(
    () =>
      new Pipeline({
        nodes: [clean, node((s: string) => s, named("cleaned"))],
      }),
    (e: unknown) => e instanceof DuplicateNodeError && e.nodeName === "cleaned",
  );
  assert.throws(
    () =>
      new Pipeline({
        nodes: [
          node(({ b }: { b: number }) => b, named("a")),
          node(({ a }: { a: number }) => a, named("b")),
        ],
      }),
    CycleError,
  );
  assert.throws(() => new Pipeline({ nodes: [42 as never] }), /index 0/);
  assert.throws(
    () => new Pipeline({ nodes: [function _helper() {}] }),
    InvalidNodeError,
  );
  assert.throws(
    () => new Pipeline({ nodes: [(() => 1) as never].map((f) => node(f)) }),
    InvalidNodeError,
  );
});

Deno.test("Pipeline nodes may share one function under different names", async () => {
  const inc = ({ x }: { x: number }) => x + 1;
  const pipeline = new Pipeline({
    nodes: [node(inc, named("one")), node(inc, named("two"))],
  });
  assert.deepEqual(await pipeline.run({ inputs: { x: 1 } }), {
    one: 2,
    two: 2,
  });
});

Deno.test("Pipeline.map maps over one input, broadcasting the others, in input order", async () => {
  const scale = node(
    async ({ x, k }: { x: number; k: number }) => {
      await new Promise((r) => setTimeout(r, 4 - x));
      return x * k;
    },
    named("scaled"),
  );
  for (const mapExecutor of ["sequential", "async"] as const) {
    const pipeline = new Pipeline({
      nodes: [scale],
      engine: new Engine({ mapExecutor }),
    });
    assert.deepEqual(
      await pipeline.map({ inputs: { x: [1, 2, 3], k: 10 }, mapOver: "x" }),
      [{ scaled: 10 }, { scaled: 20 }, { scaled: 30 }],
    );
  }
});

Deno.test("Pipeline.map zips lists (unequal lengths are a clear error) or takes their product", async () => {
  const join = node(({ a, b }: { a: string; b: string }) => a + b, named("ab"));
  const pipeline = new Pipeline({ nodes: [join] });
  assert.deepEqual(
    await pipeline.map({
      inputs: { a: ["x", "y"], b: ["1", "2"] },
      mapOver: ["a", "b"],
    }),
    [{ ab: "x1" }, { ab: "y2" }],
  );
  await assert.rejects(
    pipeline.map({ inputs: { a: ["x", "y"], b: ["1"] }, mapOver: ["a", "b"] }),
    (e: unknown) =>
      e instanceof RangeError && /"a" has 2, "b" has 1/.test(e.message) &&
      /mapMode "product"/.test(e.message),
  );
  const product = await pipeline.map({
    inputs: { a: ["x", "y"], b: ["1", "2", "3"] },
    mapOver: ["a", "b"],
    mapMode: "product",
  });
  assert.deepEqual(product.map((o) => o.ab), [
    "x1",
    "x2",
    "x3",
    "y1",
    "y2",
    "y3",
  ]);
});

Deno.test("Pipeline.map raises on the first failure naming the item and the node, or collects", async () => {
  const inv = node(({ x }: { x: number }) => {
    if (x === 0) throw new RangeError("zero");
    return 1 / x;
  }, named("inv"));
  const pipeline = new Pipeline({ nodes: [inv] });
  await assert.rejects(
    pipeline.map({ inputs: { x: [1, 0, 2] }, mapOver: "x" }),
    (e: unknown) =>
      e instanceof NodeExecutionError && e.nodeName === "inv" &&
      /Node "inv" \(item 1\)/.test(e.message),
  );
  const collected = await pipeline.map({
    inputs: { x: [1, 0, 2] },
    mapOver: "x",
    onError: "collect",
  });
  assert.deepEqual(collected[0], { ok: true, value: { inv: 1 } });
  assert.equal(collected[1]!.ok, false);
  assert.deepEqual(collected[2], { ok: true, value: { inv: 0.5 } });
});

Deno.test("Pipeline.map with outputs returns only those per item; bound inputs are broadcast", async () => {
  const pipeline = new Pipeline({ nodes: [clean, count, shout] }).bind({
    text: ["a b", "c"],
  });
  assert.deepEqual(
    await pipeline.map({ mapOver: "text", outputs: ["word_count"] }),
    [{ word_count: 2 }, { word_count: 1 }],
  );
});

Deno.test("Pipeline.stream yields run events, and item progress with mapOver", async () => {
  const pipeline = new Pipeline({ nodes: [clean, count] });
  const once = [];
  for await (const e of pipeline.stream({ inputs: { text: "a b" } })) {
    once.push(e.type);
  }
  assert.deepEqual(once, [
    "runStarted",
    "nodeStarted",
    "nodeSucceeded",
    "nodeStarted",
    "nodeSucceeded",
    "runFinished",
  ]);
  const progress = [];
  for await (
    const e of pipeline.stream({
      inputs: { text: ["a", "b c"] },
      mapOver: "text",
    })
  ) {
    if (e.type === "mapItem") progress.push([e.item, e.done, e.total]);
  }
  assert.deepEqual(progress, [[0, 1, 2], [1, 2, 2]]);
});

Deno.test("Pipeline.run and map are cancelled by their signal", async () => {
  const waits = node(
    ({ x, ctx }: { x: number; ctx: { signal: AbortSignal } }) =>
      new Promise((_, reject) =>
        ctx.signal.addEventListener("abort", () => reject(x))
      ),
    named("waits"),
  );
  const pipeline = new Pipeline({ nodes: [waits] });
  const controller = new AbortController();
  const running = pipeline.run({ inputs: { x: 1 }, signal: controller.signal });
  setTimeout(() => controller.abort(), 5);
  await assert.rejects(running, CancelledError);
  const stop = new AbortController();
  const mapping = pipeline.withEngine(new Engine({ mapExecutor: "async" }))
    .map({ inputs: { x: [1, 2, 3] }, mapOver: "x", signal: stop.signal });
  setTimeout(() => stop.abort(), 5);
  await assert.rejects(mapping, CancelledError);
});
