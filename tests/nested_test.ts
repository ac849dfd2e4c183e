import assert from "node:assert/strict";
import {
  type Adapter,
  Builder,
  CancelledError,
  Engine,
  InvalidNodeError,
  MemoryCacheStore,
  named,
  node,
  NodeExecutionError,
  Pipeline,
} from "../mod.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const clean = node(
  ({ passage }: { passage: string }) => passage.trim().toLowerCase(),
  named("cleaned"),
);
const size = node(
  async ({ cleaned }: { cleaned: string }) => (await sleep(1), cleaned.length),
  named("size"),
);
const textPipeline = new Pipeline({ nodes: [clean, size] });

Deno.test("asNode exposes every inner output to the outer pipeline", async () => {
  const outer = new Pipeline({
    nodes: [
      textPipeline.asNode({ name: "text" }),
      node(({ size }: { size: number }) => size * 10, named("scaled")),
    ],
  });
  assert.deepEqual(await outer.run({ inputs: { passage: " AB " } }), {
    cleaned: "ab",
    size: 2,
    scaled: 20,
  });
  assert.deepEqual(outer.inputs, ["passage"]);
  assert.deepEqual(
    await outer.run({ inputs: { passage: "x" }, outputs: ["scaled"] }),
    {
      scaled: 10,
    },
  );
});

Deno.test("asNode renames inputs (outer: inner) and exposes only mapped outputs (inner: outer)", async () => {
  const outer = new Pipeline({
    nodes: [
      textPipeline.asNode({
        name: "text",
        inputMapping: { doc: "passage" },
        outputMapping: { size: "doc_size" },
      }),
    ],
  });
  assert.deepEqual(outer.inputs, ["doc"]);
  assert.deepEqual(await outer.run({ inputs: { doc: "abc" } }), {
    doc_size: 3,
  });
});

Deno.test("asNode with mapOver exposes the list of per-item values, in item order", async () => {
  const outer = new Pipeline({
    nodes: [
      textPipeline.asNode({
        name: "texts",
        mapOver: "corpus",
        inputMapping: { corpus: "passage" },
        outputMapping: { size: "sizes", cleaned: "cleaned_corpus" },
      }),
      node(
        ({ sizes }: { sizes: number[] }) => sizes.reduce((a, b) => a + b, 0),
        named("total"),
      ),
    ],
    engine: new Engine({ nodeExecutor: "async", mapExecutor: "async" }),
  });
  assert.deepEqual(
    await outer.run({ inputs: { corpus: [" A ", "bcd", "ef"] } }),
    { cleaned_corpus: ["a", "bcd", "ef"], sizes: [1, 3, 2], total: 6 },
  );
});

Deno.test("nested pipelines work to any depth, mapping at several levels", async () => {
  const word = new Pipeline({
    nodes: [node(({ w }: { w: string }) => w.length, named("len"))],
  });
  const sentence = new Pipeline({
    nodes: [
      node(({ s }: { s: string }) => s.split(" "), named("words")),
      word.asNode({
        name: "per_word",
        mapOver: "words",
        inputMapping: { words: "w" },
        outputMapping: { len: "lens" },
      }),
    ],
  });
  const doc = new Pipeline({
    nodes: [
      sentence.asNode({
        name: "per_sentence",
        mapOver: "sentences",
        inputMapping: { sentences: "s" },
        outputMapping: { lens: "all_lens" },
      }),
    ],
  });
  const outer = new Pipeline({ nodes: [doc.asNode({ name: "doc" })] });
  assert.deepEqual(
    await outer.run({ inputs: { sentences: ["a bb", "ccc d ee"] } }),
    { all_lens: [[1, 2], [3, 1, 2]] },
  );
});

Deno.test("an inner pipeline's bound inputs are not inputs of its node", async () => {
  const scale = new Pipeline({
    nodes: [node(({ x, k }: { x: number; k: number }) => x * k, named("y"))],
  }).bind({ k: 3 });
  const outer = new Pipeline({ nodes: [scale.asNode({ name: "scale" })] });
  assert.deepEqual(outer.inputs, ["x"]);
  assert.deepEqual(await outer.run({ inputs: { x: 2 } }), { y: 6 });
});

Deno.test("asNode rejects mappings that name nothing in the inner pipeline", () => {
  assert.throws(
    () => textPipeline.asNode({ name: "t", inputMapping: { doc: "nope" } }),
    /'inputMapping' maps "doc" to "nope", which is not an input of the nested pipeline \(its inputs: "passage"\)/,
  );
  assert.throws(
    () => textPipeline.asNode({ name: "t", outputMapping: { nope: "x" } }),
    /'outputMapping' names "nope", which is not an output/,
  );
  assert.throws(
    () => textPipeline.asNode({ name: "t", mapOver: "docs" }),
    /'mapOver' names "docs", which is not an input/,
  );
  assert.throws(
    () => textPipeline.asNode({ name: "size" }),
    InvalidNodeError,
  );
  assert.throws(() => textPipeline.asNode({ name: "" }), /'name' must be/);
  assert.throws(
    () =>
      textPipeline.asNode({
        name: "t",
        outputMapping: { size: "x", cleaned: "x" },
      }),
    /'outputMapping' gives two outputs the name "x"/,
  );
});

Deno.test("a failing inner node fails the outer run, naming the nested node, the inner node and the item", async () => {
  const inner = new Pipeline({
    nodes: [node(({ x }: { x: number }) => {
      if (x === 2) throw new RangeError("bad x");
      return x;
    }, named("checked"))],
  });
  const outer = new Pipeline({
    nodes: [inner.asNode({ name: "check_all", mapOver: "x" })],
  });
  await assert.rejects(
    outer.run({ inputs: { x: [1, 2, 3] } }),
    (e: unknown) =>
      e instanceof NodeExecutionError && e.nodeName === "check_all" &&
      e.cause instanceof NodeExecutionError && e.cause.nodeName === "checked" &&
      /item 1/.test(e.cause.message),
  );
});

Deno.test("outer adapters see inner nodes as <node>.<inner>, with unique task ids and item progress", async () => {
  const seen: string[] = [];
  const tasks = new Set<string>();
  const progress: string[] = [];
  const adapter: Adapter = {
    beforeNodeExecution: (e) => {
      seen.push(e.item === undefined ? e.nodeName : `${e.nodeName}#${e.item}`);
      tasks.add(e.taskId);
    },
    afterMapItem: (e) =>
      void progress.push(`${e.nodeName}:${e.done}/${e.total}`),
  };
  const outer = new Pipeline({
    nodes: [textPipeline.asNode({ name: "texts", mapOver: "passage" })],
    engine: new Engine({ adapters: [adapter] }),
  });
  await outer.run({ inputs: { passage: ["a", "b"] } });
  assert.deepEqual(seen, [
    "texts",
    "texts.cleaned#0",
    "texts.size#0",
    "texts.cleaned#1",
    "texts.size#1",
    "cleaned",
    "size",
  ]);
  assert.equal(tasks.size, seen.length);
  assert.deepEqual(progress, ["texts:1/2", "texts:2/2"]);
});

Deno.test("stream() of an outer pipeline yields inner node events and nested item progress", async () => {
  const outer = new Pipeline({
    nodes: [textPipeline.asNode({ name: "texts", mapOver: "passage" })],
  });
  const events = [];
  for await (
    const e of outer.stream({ inputs: { passage: ["a", "b", "c"] } })
  ) {
    events.push(e);
  }
  const inner = events.flatMap((e) =>
    e.type === "nodeSucceeded" && e.nodeName.startsWith("texts.")
      ? [`${e.nodeName}#${e.item}`]
      : []
  );
  assert.equal(inner.length, 6);
  assert.ok(inner.includes("texts.size#2"));
  const items = events.flatMap((e) =>
    e.type === "mapItem" ? [[e.nodeName, e.done, e.total]] : []
  );
  assert.deepEqual(items, [["texts", 1, 3], ["texts", 2, 3], ["texts", 3, 3]]);
  assert.equal(events.at(-1)!.type, "runFinished");
});

Deno.test("cancelling the outer run cancels the inner runs", async () => {
  let aborted = 0;
  const inner = new Pipeline({
    nodes: [node(
      ({ x, ctx }: { x: number; ctx: { signal: AbortSignal } }) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => {
            aborted++;
            reject(new Error(`stopped ${x}`));
          })
        ),
      named("waits"),
    )],
  });
  const outer = new Pipeline({
    nodes: [inner.asNode({ name: "all", mapOver: "x" })],
    engine: new Engine({ mapExecutor: "async" }),
  });
  const controller = new AbortController();
  const running = outer.run({
    inputs: { x: [1, 2, 3] },
    signal: controller.signal,
  });
  await sleep(5);
  controller.abort();
  await assert.rejects(running, CancelledError);
  assert.equal(aborted, 3);
});

Deno.test("an inner pipeline with its own engine runs on it, and its adapters see its nodes", async () => {
  const own: string[] = [];
  const outerSeen: string[] = [];
  const inner = textPipeline.withEngine(
    new Engine({
      nodeExecutor: "async",
      adapters: [{ beforeNodeExecution: (e) => void own.push(e.nodeName) }],
    }),
  );
  const outer = new Pipeline({
    nodes: [inner.asNode({ name: "t" })],
    engine: new Engine({
      adapters: [{
        beforeNodeExecution: (e) => void outerSeen.push(e.nodeName),
      }],
    }),
  });
  assert.deepEqual(await outer.run({ inputs: { passage: "ab" } }), {
    cleaned: "ab",
    size: 2,
  });
  assert.deepEqual(own, ["cleaned", "size"]);
  assert.deepEqual(outerSeen.slice(0, 3), ["t", "t.cleaned", "t.size"]);
});

Deno.test("a nested pipeline is an ordinary node for the Builder front door too", async () => {
  const dr = await new Builder()
    .withModules({
      texts: textPipeline.asNode({ name: "texts", mapOver: "passage" }),
      total: ({ size }: { size: number[] }) => size.reduce((a, b) => a + b),
    })
    .withExecutor("async")
    .build();
  const out = await dr.execute(["total"], {
    inputs: { passage: ["ab", "cde"] },
  });
  assert.equal(out.total, 5);
});

Deno.test("toDot() draws nested pipelines as clusters holding their nodes, at any depth", () => {
  const twice = new Pipeline({
    nodes: [textPipeline.asNode({ name: "inner" })],
  });
  const outer = new Pipeline({
    nodes: [
      twice.asNode({ name: "texts", mapOver: "passage" }),
      node(({ size }: { size: number[] }) => size.length, named("count")),
    ],
  });
  const dot = outer.toDot();
  assert.match(
    dot,
    /subgraph "cluster_texts" \{\n\s+label="texts \(map over passage\)";/,
  );
  assert.match(dot, /subgraph "cluster_texts\/inner" \{/);
  assert.match(dot, /"texts\/inner\/cleaned" -> "texts\/inner\/size";/);
  assert.match(dot, /"passage" -> "texts";/);
  assert.match(dot, /"size" -> "count";/);
  assert.equal(dot.split("{").length, dot.split("}").length);
});

Deno.test("inner ctx.log messages and executeNode wrappers reach the outer adapters", async () => {
  const logs: string[] = [];
  const wrapped: string[] = [];
  const inner = new Pipeline({
    nodes: [node(
      ({ x, ctx }: { x: number; ctx: { log(m: string): void } }) => {
        ctx.log(`saw ${x}`);
        return x + 1;
      },
      named("y"),
    )],
  });
  const outer = new Pipeline({
    nodes: [inner.asNode({ name: "step", mapOver: "x" })],
    engine: new Engine({
      nodeExecutor: "async",
      adapters: [{
        onLog: (e) => void logs.push(`${e.nodeName}: ${e.message}`),
        executeNode: async (e, next) => {
          wrapped.push(e.nodeName);
          return await next();
        },
      }],
    }),
  });
  assert.deepEqual(await outer.run({ inputs: { x: [1, 2] } }), { y: [2, 3] });
  assert.deepEqual(logs, ["step.y: saw 1", "step.y: saw 2"]);
  assert.deepEqual(wrapped, ["step", "step.y", "step.y", "y"]);
});

Deno.test("an engine's cache serves pipelines and the nodes of nested pipelines", async () => {
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const inner = new Pipeline({
    nodes: [
      node(
        ({ word }: { word: string }) => (count("upper"), word.toUpperCase()),
        named("upper"),
      ),
    ],
  });
  await using engine = new Engine({
    mapExecutor: "async",
    cache: { store: new MemoryCacheStore() },
  });
  const outer = new Pipeline({
    nodes: [
      inner.asNode({ name: "shout", mapOver: "word" }),
      node(
        ({ upper }: { upper: string[] }) => (count("joined"), upper.join(" ")),
        named("joined"),
      ),
    ],
    engine,
  });
  const first = await outer.run({ inputs: { word: ["a", "b"] } });
  const second = await outer.run({ inputs: { word: ["a", "b"] } });
  assert.deepEqual(second, first);
  assert.equal(first.joined, "A B");
  assert.deepEqual(calls, { upper: 2, joined: 1 });
  await outer.run({ inputs: { word: ["a", "b", "c"] } });
  assert.deepEqual(calls, { upper: 3, joined: 2 });
});

Deno.test("outer adapters see an inner node's cache hits as nodeCached, and the inner map through beforeMap/afterMap, named after the nested node", async () => {
  const calls: string[] = [];
  const inner = new Pipeline({
    nodes: [
      node(
        ({ word }: { word: string }) => (calls.push(word), word.toUpperCase()),
        named("upper"),
      ),
    ],
  });
  const cached: string[] = [];
  const maps: string[] = [];
  const adapter: Adapter = {
    nodeCached: (e) => {
      cached.push(`${e.nodeName}#${e.item}:${e.result}`);
      assert.ok(e.taskId.includes("/shout/"), e.taskId);
    },
    beforeMap: (e) => void maps.push(`before ${e.nodeName} ${e.items}`),
    afterMap: (e) =>
      void maps.push(`after ${e.nodeName} ${e.items} ${e.success}`),
  };
  await using engine = new Engine({
    adapters: [adapter],
    cache: { store: new MemoryCacheStore() },
  });
  const outer = new Pipeline({
    nodes: [inner.asNode({ name: "shout", mapOver: "word" })],
    engine,
  });
  await outer.run({ inputs: { word: ["a", "b"] } });
  assert.deepEqual(cached, []);
  assert.deepEqual(maps, ["before shout 2", "after shout 2 true"]);
  // A third item: the outer node misses, the first two inner items hit.
  await outer.run({ inputs: { word: ["a", "b", "c"] } });
  assert.deepEqual(calls, ["a", "b", "c"]);
  assert.deepEqual(cached, ["shout.upper#0:A", "shout.upper#1:B"]);
  assert.deepEqual(maps.slice(2), ["before shout 3", "after shout 3 true"]);
});

Deno.test("stream() of an outer pipeline yields nodeCached for the inner nodes the cache answers", async () => {
  const inner = new Pipeline({
    nodes: [
      node(({ word }: { word: string }) => word.toUpperCase(), named("upper")),
    ],
  });
  await using engine = new Engine({ cache: { store: new MemoryCacheStore() } });
  const outer = new Pipeline({
    nodes: [inner.asNode({ name: "shout", mapOver: "word" })],
    engine,
  });
  await outer.run({ inputs: { word: ["a"] } });
  const cached: string[] = [];
  for await (const e of outer.stream({ inputs: { word: ["a", "b"] } })) {
    if (e.type === "nodeCached") cached.push(`${e.nodeName}#${e.item}`);
  }
  assert.deepEqual(cached, ["shout.upper#0"]);
});

Deno.test("a pipeline's name names its node when asNode is given none", async () => {
  const named_ = new Pipeline({ name: "text", nodes: [clean, size] });
  assert.equal(named_.name, "text");
  assert.equal(textPipeline.name, undefined);
  const outer = new Pipeline({ nodes: [named_.asNode()] });
  assert.deepEqual(await outer.run({ inputs: { passage: " Ab " } }), {
    cleaned: "ab",
    size: 2,
  });
  assert.match(outer.toDot(), /label="text";/);
  // An explicit name wins; a pipeline without a name needs one.
  assert.match(
    new Pipeline({ nodes: [named_.asNode({ name: "other" })] }).toDot(),
    /label="other";/,
  );
  assert.throws(() => textPipeline.asNode(), /'name' is needed/);
  assert.throws(
    () => new Pipeline({ name: "", nodes: [clean] }),
    /'name' must be a non-empty string/,
  );
  // bind and unbind keep the name.
  assert.equal(named_.bind({ passage: "x" }).unbind().name, "text");
});

Deno.test("unbind(...names) removes those bound inputs and unbind() removes them all (HyperNodes)", async () => {
  const add = node(({ x, y }: { x: number; y: number }) => x + y, named("sum"));
  const bound = new Pipeline({ nodes: [add] }).bind({ x: 5, y: 10 });
  assert.deepEqual(await bound.run(), { sum: 15 });
  const partly = bound.unbind("x", "nonexistent");
  assert.deepEqual(partly.bound, { y: 10 });
  assert.deepEqual(partly.inputs, ["x"]);
  assert.deepEqual(await partly.run({ inputs: { x: 1 } }), { sum: 11 });
  const none = bound.unbind();
  assert.deepEqual(none.bound, {});
  assert.deepEqual(none.inputs, ["x", "y"]);
  assert.deepEqual(bound.bound, { x: 5, y: 10 }); // immutable
  assert.deepEqual(new Pipeline({ nodes: [add] }).unbind().bound, {});
});

Deno.test("a nested node exposes the inner pipeline's bound inputs, the inputs it still needs and its outputs (HyperNodes)", () => {
  const add = node(({ x, y }: { x: number; y: number }) => x + y, named("sum"));
  const inner = new Pipeline({ nodes: [add] }).bind({ x: 5 });
  const nested = inner.asNode({
    name: "adder",
    inputMapping: { outer_y: "y" },
    outputMapping: { sum: "total" },
  });
  assert.deepEqual(nested.bound, { x: 5 });
  assert.deepEqual(nested.inputs, ["outer_y"]);
  assert.deepEqual(nested.outputs, ["total"]);
  const full = new Pipeline({ nodes: [add] }).bind({ x: 5, y: 10 }).asNode({
    name: "full",
  });
  assert.deepEqual(full.bound, { x: 5, y: 10 });
  assert.deepEqual(full.inputs, []);
});

Deno.test("a nested pipeline whose outputs are partly used computes only those (HyperNodes prunes them)", async () => {
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const inner = new Pipeline({
    nodes: [
      node(({ x }: { x: number }) => (count("cheap"), x + 1), named("cheap")),
      node(({ x }: { x: number }) => (count("dear"), x * 100), named("dear")),
    ],
  });
  const outer = new Pipeline({
    nodes: [
      inner.asNode({ name: "inner" }),
      node(({ cheap }: { cheap: number }) => cheap * 2, named("doubled")),
    ],
  });
  assert.deepEqual(
    await outer.run({ inputs: { x: 1 }, outputs: ["doubled"] }),
    { doubled: 4 },
  );
  assert.deepEqual(calls, { cheap: 1 });
  // Mapped over, too.
  const mapped = new Pipeline({
    nodes: [inner.asNode({ name: "inner", mapOver: "x" })],
  });
  assert.deepEqual(
    await mapped.run({ inputs: { x: [1, 2] }, outputs: ["cheap"] }),
    { cheap: [2, 3] },
  );
  assert.deepEqual(calls, { cheap: 3 });
  // Everything is computed when every output (or the node itself) is used.
  assert.deepEqual(await outer.run({ inputs: { x: 1 } }), {
    cheap: 2,
    dear: 100,
    doubled: 4,
  });
  assert.deepEqual(calls, { cheap: 4, dear: 1 });
  const dr = await new Builder().withModules({
    inner: inner.asNode({ name: "inner" }),
  }).build();
  assert.deepEqual(
    await dr.execute(["inner"] as never[], { inputs: { x: 1 } }),
    {
      inner: { cheap: 2, dear: 100 },
    },
  );
  assert.deepEqual(calls, { cheap: 5, dear: 2 });
});

Deno.test("a nested pipeline with an engine of its own uses that engine's cache", async () => {
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  await using engine = new Engine({
    cache: { store: new MemoryCacheStore() },
  });
  const inner = new Pipeline({
    nodes: [
      node(
        ({ word }: { word: string }) => (count("upper"), word.toUpperCase()),
        named("upper"),
      ),
    ],
    engine,
  });
  const outer = new Pipeline({ nodes: [inner.asNode({ name: "shout" })] });
  assert.deepEqual(await outer.run({ inputs: { word: "a" } }), { upper: "A" });
  assert.deepEqual(await outer.run({ inputs: { word: "a" } }), { upper: "A" });
  assert.deepEqual(calls, { upper: 1 });
  await outer.run({ inputs: { word: "b" } });
  assert.deepEqual(calls, { upper: 2 });
  // The inner pipeline run alone hits the same cache.
  assert.deepEqual(await inner.run({ inputs: { word: "b" } }), { upper: "B" });
  assert.deepEqual(calls, { upper: 2 });
});

Deno.test("a node's ctx carries only its documented fields, in a run whose nested pipeline still reaches the caller's adapters", async () => {
  const seen: string[] = [];
  let keys: (string | symbol)[] = [];
  const inner = new Pipeline({
    nodes: [node(({ x }: { x: number }) => x + 1, named("y"))],
  });
  const dr = await new Builder().withModules({
    probe: node((
      { ctx }: { ctx: { [key: string | symbol]: unknown } },
    ) => (keys = Reflect.ownKeys(ctx), 1)),
    inner: inner.asNode({ name: "inner" }),
  }).withAdapters({
    beforeNodeExecution: (e) => void seen.push(e.nodeName),
  }).build();
  assert.deepEqual(
    await dr.execute(["probe", "y"] as never[], {
      inputs: { x: 1 },
    }),
    { probe: 1, y: 2 },
  );
  assert.deepEqual(
    keys.map(String).sort(),
    ["log", "nodeName", "runId", "signal", "tags", "warn"],
  );
  assert.ok(seen.includes("inner.y"), `seen: ${seen}`);
});
