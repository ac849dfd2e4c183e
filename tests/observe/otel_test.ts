import assert from "node:assert/strict";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import {
  Builder,
  Engine,
  MemoryCacheStore,
  named,
  node,
  OpenTelemetryAdapter,
  Pipeline,
  retry,
  tag,
  traceContext,
} from "../../mod.ts";

// A tracer whose finished spans the test reads.
function tracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const adapter = new OpenTelemetryAdapter({
    tracer: provider.getTracer("test"),
  });
  return {
    adapter,
    // The exporter hands spans over on a timer: flushing waits for it.
    spans: async () => {
      await provider.forceFlush();
      return exporter.getFinishedSpans();
    },
    tracer: provider.getTracer("inside"),
  };
}

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const named_ = (spans: readonly ReadableSpan[], name: unknown) =>
  spans.filter((s) => s.attributes["braid.node.name"] === name);
const one = (spans: readonly ReadableSpan[], name: unknown) => {
  const found = named_(spans, name);
  assert.equal(found.length, 1, `one span of node ${name}`);
  return found[0]!;
};

const chain = {
  a: node(({ x }: { x: number }) => x + 1, tag({ team: "data" })),
  b: ({ a }: { a: number }) => a * 2,
};

Deno.test("OpenTelemetryAdapter makes a braid.run span and a braid.node child per node, with their attributes", async () => {
  const t = tracing();
  const dr = await new Builder().withModules(chain).withAdapters(t.adapter)
    .build();
  await dr.execute(["b"], {
    inputs: { x: 1 },
    tags: { env: "test", shard: 3, dry: false },
  });
  const spans = await t.spans();
  assert.deepEqual(spans.map((s) => s.name), [
    "braid.node",
    "braid.node",
    "braid.run",
  ]);
  const run = spans[2]!;
  const runId = run.attributes["braid.run.id"];
  assert.equal(typeof runId, "string");
  assert.deepEqual(run.attributes["braid.run.final_vars"], ["b"]);
  assert.equal(run.attributes["braid.run.tag.env"], "test");
  assert.equal(run.attributes["braid.run.tag.shard"], 3);
  assert.equal(run.attributes["braid.run.tag.dry"], false);
  assert.equal(run.status.code, SpanStatusCode.UNSET);
  const a = one(spans, "a");
  assert.equal(parentOf(a), idOf(run));
  assert.equal(a.spanContext().traceId, run.spanContext().traceId);
  assert.equal(a.attributes["braid.task.id"], `${runId}/a`);
  assert.equal(a.attributes["braid.run.id"], runId);
  assert.equal(a.attributes["braid.executor"], "sequential");
  assert.equal(a.attributes["braid.attempt"], 1);
  assert.equal(a.attributes["braid.node.tag.team"], "data");
  assert.equal(a.attributes["braid.item"], undefined);
  assert.equal(parentOf(one(spans, "b")), idOf(run));
});

Deno.test("OpenTelemetryAdapter: nodes of concurrent branches and concurrent runs each have their own run's span as parent, across awaits", async () => {
  const t = tracing();
  // Each branch waits on a promise the test settles, in an order that
  // interleaves the two runs' nodes.
  const gates = new Map<string, PromiseWithResolvers<void>>();
  const gate = (key: string) => {
    if (!gates.has(key)) gates.set(key, Promise.withResolvers());
    return gates.get(key)!;
  };
  const dr = await new Builder().withModules({
    left: async ({ k }: { k: string }) => {
      await gate(`left ${k}`).promise;
      return `l${k}`;
    },
    right: async ({ k }: { k: string }) => {
      await gate(`right ${k}`).promise;
      return `r${k}`;
    },
    both: ({ left, right }: { left: string; right: string }) => left + right,
  }).withExecutor("async").withAdapters(t.adapter).build();
  const one_ = dr.run(["both"], { inputs: { k: "1" }, tags: { k: "1" } });
  const two = dr.run(["both"], { inputs: { k: "2" }, tags: { k: "2" } });
  for (const key of ["right 2", "left 1", "left 2", "right 1"]) {
    await Promise.resolve();
    gate(key).resolve();
  }
  const [r1, r2] = await Promise.all([one_, two]);
  const spans = await t.spans();
  for (const result of [r1, r2]) {
    assert.equal(result.success, true);
    const run = spans.find((s) =>
      s.name === "braid.run" && s.attributes["braid.run.id"] === result.runId
    )!;
    const nodes = spans.filter((s) =>
      s.attributes["braid.run.id"] === result.runId && s.name === "braid.node"
    );
    assert.equal(nodes.length, 3);
    for (const span of nodes) {
      assert.equal(
        parentOf(span),
        idOf(run),
        `${span.attributes["braid.node.name"]}`,
      );
    }
  }
});

Deno.test("OpenTelemetryAdapter makes a braid.map span with its item count, parent of every item's node spans", async () => {
  const t = tracing();
  const dr = await new Builder().withModules(chain).withExecutor("async")
    .withAdapters(t.adapter).build();
  await dr.map(["b"], {
    inputs: { x: [1, 2, 3] },
    mapOver: "x",
    tags: { batch: "nightly" },
  });
  const spans = await t.spans();
  const maps = spans.filter((s) => s.name === "braid.map");
  assert.equal(maps.length, 1);
  const map = maps[0]!;
  assert.equal(map.attributes["braid.map.items"], 3);
  assert.equal(map.attributes["braid.map.mode"], "zip");
  assert.equal(map.attributes["braid.run.tag.batch"], "nightly");
  assert.equal(spans.filter((s) => s.name === "braid.run").length, 0);
  const nodes = spans.filter((s) => s.name === "braid.node");
  assert.equal(nodes.length, 6);
  for (const span of nodes) assert.equal(parentOf(span), idOf(map));
  assert.deepEqual(
    named_(nodes, "b").map((s) => s.attributes["braid.item"]).sort(),
    [0, 1, 2],
  );
});

Deno.test("OpenTelemetryAdapter records a failure on the node's span and the run's, with status ERROR", async () => {
  const t = tracing();
  const dr = await new Builder().withModules({
    bad: (): number => {
      throw new RangeError("too big");
    },
  }).withAdapters(t.adapter).build();
  const result = await dr.run(["bad"]);
  assert.equal(result.success, false);
  const spans = await t.spans();
  const bad = one(spans, "bad");
  assert.equal(bad.status.code, SpanStatusCode.ERROR);
  assert.match(bad.status.message!, /too big/);
  const exception = bad.events.find((e) => e.name === "exception")!;
  assert.equal(exception.attributes?.["exception.type"], "RangeError");
  assert.equal(exception.attributes?.["exception.message"], "too big");
  const run = spans.find((s) => s.name === "braid.run")!;
  assert.equal(run.status.code, SpanStatusCode.ERROR);
  assert.equal(run.attributes["braid.run.cancelled"], undefined);
});

Deno.test("OpenTelemetryAdapter marks a cancelled run, and ends the span of the node it cut short", async () => {
  const t = tracing();
  const started = Promise.withResolvers<void>();
  // A node that does not listen to its signal: the run ends without it.
  const release = Promise.withResolvers<void>();
  const dr = await new Builder().withModules({
    slow: async () => {
      started.resolve();
      await release.promise;
      return 1;
    },
    quick: () => 2,
    both: ({ slow, quick }: { slow: number; quick: number }) => slow + quick,
  }).withExecutor("async").withAdapters(t.adapter).build();
  const controller = new AbortController();
  const pending = dr.run(["both"], { signal: controller.signal });
  await started.promise;
  controller.abort("enough");
  const result = await pending;
  assert.equal(result.success, false);
  const spans = await t.spans();
  const run = spans.find((s) => s.name === "braid.run")!;
  assert.equal(run.attributes["braid.run.cancelled"], true);
  assert.equal(run.status.code, SpanStatusCode.ERROR);
  assert.match(run.status.message!, /cancelled/);
  const slow = one(spans, "slow");
  assert.equal(slow.attributes["braid.node.cancelled"], true);
  assert.equal(slow.status.code, SpanStatusCode.ERROR);
  // Its late end changes nothing.
  release.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(named_(await t.spans(), "slow").length, 1);
});

Deno.test("OpenTelemetryAdapter names a nested pipeline's span braid.pipeline, the parent of its nodes' spans", async () => {
  const t = tracing();
  const inner = new Pipeline({
    nodes: [
      node(({ doc }: { doc: string }) => doc.length, named("size")),
      node(({ size }: { size: number }) => size * 2, named("twice")),
    ],
  });
  const dr = await new Builder().withModules({
    measure: inner.asNode({ name: "measure" }),
  }).withAdapters(t.adapter).build();
  await dr.execute(["twice"], { inputs: { doc: "abc" } });
  const spans = await t.spans();
  const run = spans.find((s) => s.name === "braid.run")!;
  const pipeline = spans.find((s) => s.name === "braid.pipeline")!;
  assert.equal(pipeline.attributes["braid.pipeline.name"], "measure");
  assert.equal(pipeline.attributes["braid.node.name"], "measure");
  assert.equal(parentOf(pipeline), idOf(run));
  for (const name of ["measure.size", "measure.twice"]) {
    assert.equal(parentOf(one(spans, name)), idOf(pipeline), name);
  }
});

Deno.test("OpenTelemetryAdapter shared by a nested pipeline's own engine keeps one run span, ended last", async () => {
  const t = tracing();
  const inner = new Pipeline({
    nodes: [node(({ doc }: { doc: string }) => doc.length, named("size"))],
    engine: new Engine({ adapters: [t.adapter] }),
  });
  const outer = new Pipeline({
    nodes: [
      inner.asNode({ name: "measure" }),
      node(({ size }: { size: number }) => size + 1, named("after")),
    ],
    engine: new Engine({ adapters: [t.adapter] }),
  });
  const out = await outer.run({ inputs: { doc: "abc" }, outputs: ["after"] });
  assert.equal(out.after, 4);
  const spans = await t.spans();
  const runs = spans.filter((s) => s.name === "braid.run");
  assert.equal(runs.length, 1);
  assert.equal(spans.at(-1), runs[0]);
  assert.equal(parentOf(one(spans, "after")), idOf(runs[0]!));
});

Deno.test("OpenTelemetryAdapter gives a nested pipeline's map items' spans the pipeline's span as parent", async () => {
  const t = tracing();
  const inner = new Pipeline({
    nodes: [node(({ doc }: { doc: string }) => doc.length, named("size"))],
  });
  const dr = await new Builder().withModules({
    measure: inner.asNode({ name: "measure", mapOver: "doc" }),
  }).withExecutor("async").withAdapters(t.adapter).build();
  const out = await dr.execute(["size"], { inputs: { doc: ["a", "bb"] } });
  assert.deepEqual(out.size, [1, 2]);
  const spans = await t.spans();
  const pipeline = spans.find((s) => s.name === "braid.pipeline")!;
  assert.equal(pipeline.attributes["braid.map.items"], 2);
  const sizes = named_(spans, "measure.size");
  assert.equal(sizes.length, 2);
  for (const span of sizes) assert.equal(parentOf(span), idOf(pipeline));
});

Deno.test("OpenTelemetryAdapter puts the node span's traceparent on ctx, so spans made in the node are its children", async () => {
  const t = tracing();
  const seen: string[] = [];
  const dr = await new Builder().withModules({
    work: ({ ctx }: { ctx: { traceparent?: string } }) => {
      seen.push(ctx.traceparent!);
      t.tracer.startSpan("inside", {}, traceContext(ctx.traceparent)).end();
      return 1;
    },
  }).withAdapters(t.adapter).build();
  await dr.execute(["work"]);
  const spans = await t.spans();
  const work = one(spans, "work");
  const { traceId, spanId } = work.spanContext();
  assert.deepEqual(seen, [`00-${traceId}-${spanId}-01`]);
  const inside = spans.find((s) => s.name === "inside")!;
  assert.equal(parentOf(inside), spanId);
  assert.equal(inside.spanContext().traceId, traceId);
});

Deno.test("a node's ctx has no traceparent without a tracing adapter, nor with a no-op tracer", async () => {
  const seen: unknown[] = [];
  const modules = {
    work: ({ ctx }: { ctx: object }) => {
      seen.push("traceparent" in ctx);
      return 1;
    },
  };
  await (await new Builder().withModules(modules).build()).execute(["work"]);
  const noop = new OpenTelemetryAdapter({
    tracer: trace.getTracerProvider().getTracer("none"),
  });
  await (await new Builder().withModules(modules).withAdapters(noop).build())
    .execute(["work"]);
  assert.deepEqual(seen, [false, false]);
});

Deno.test("OpenTelemetryAdapter turns ctx.log messages into braid.log events of the node's span", async () => {
  const t = tracing();
  const dr = await new Builder().withModules({
    talk: ({ ctx }: { ctx: { log(m: string, d?: unknown): void } }) => {
      ctx.log("plain");
      ctx.log("with data", { rows: 3 });
      return 1;
    },
  }).withAdapters(t.adapter).build();
  await dr.execute(["talk"]);
  const logs = one(await t.spans(), "talk").events.filter((e) =>
    e.name === "braid.log"
  );
  assert.deepEqual(
    logs.map((e) => [
      e.attributes?.["braid.log.message"],
      e.attributes?.["braid.log.data"],
    ]),
    [["plain", undefined], ["with data", '{"rows":3}']],
  );
});

Deno.test("OpenTelemetryAdapter records a hook error as a braid.hook_error event of the node's span, once", async () => {
  const t = tracing();
  const strict = {
    name: "Strict",
    beforeNodeExecution(event: { nodeName: string }) {
      if (event.nodeName === "b") throw new Error("no b today");
    },
  };
  const dr = await new Builder().withModules(chain)
    .withAdapters(t.adapter, strict).build();
  await assert.rejects(dr.execute(["b"], { inputs: { x: 1 } }), /no b today/);
  const spans = await t.spans();
  const b = one(spans, "b");
  const hooks = spans.flatMap((s) =>
    s.events.filter((e) => e.name === "braid.hook_error")
  );
  assert.equal(hooks.length, 1);
  assert.ok(b.events.some((e) => e.name === "braid.hook_error"));
  assert.equal(
    b.events.find((e) => e.name === "braid.hook_error")!.attributes?.[
      "braid.hook"
    ],
    "beforeNodeExecution",
  );
  assert.equal(b.status.code, SpanStatusCode.ERROR);
  assert.equal(one(spans, "a").status.code, SpanStatusCode.UNSET);
});

Deno.test("OpenTelemetryAdapter gives a cache hit a span with braid.cache hit, and a computed node its cache outcome", async () => {
  const t = tracing();
  const dr = await new Builder().withModules(chain)
    .withCache({ store: new MemoryCacheStore() })
    .withAdapters(t.adapter).build();
  await dr.execute(["b"], { inputs: { x: 1 } });
  await dr.execute(["b"], { inputs: { x: 1 } });
  const spans = await t.spans();
  assert.deepEqual(
    named_(spans, "a").map((s) => s.attributes["braid.cache"]),
    ["miss", "hit"],
  );
  const runs = spans.filter((s) => s.name === "braid.run");
  const hit = named_(spans, "a")[1]!;
  assert.equal(parentOf(hit), idOf(runs[1]!));
});

Deno.test("OpenTelemetryAdapter makes a span per attempt of a retried node, counting attempts", async () => {
  const t = tracing();
  let calls = 0;
  const dr = await new Builder().withModules({
    flaky: node(() => {
      if (++calls < 2) throw new Error("once");
      return calls;
    }, retry({ attempts: 3, backoffMs: 0 })),
  }).withAdapters(t.adapter).build();
  await dr.execute(["flaky"]);
  const attempts = named_(await t.spans(), "flaky");
  assert.deepEqual(
    attempts.map((s) => [s.attributes["braid.attempt"], s.status.code]),
    [[1, SpanStatusCode.ERROR], [2, SpanStatusCode.UNSET]],
  );
});

Deno.test("OpenTelemetryAdapter rejects a tracer that is not one", () => {
  assert.throws(
    () => new OpenTelemetryAdapter({ tracer: {} as never }),
    (e: unknown) => e instanceof TypeError && /'tracer'/.test(e.message),
  );
});
