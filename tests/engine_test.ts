import assert from "node:assert/strict";
import { Builder, Engine, named, node, Pipeline } from "../mod.ts";

Deno.test("Engine defaults to sequential nodes, sequential items, no limit and no adapters", () => {
  const engine = new Engine();
  assert.equal(engine.nodeExecutor, "sequential");
  assert.equal(engine.mapExecutor, "sequential");
  assert.equal(engine.concurrency, Infinity);
  assert.deepEqual(engine.adapters, []);
  assert.ok(Object.isFrozen(engine));
});

Deno.test("Engine rejects an unknown executor name with a TypeError listing the known ones", () => {
  assert.throws(
    () => new Engine({ nodeExecutor: "gpu" as never }),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message ===
        `'nodeExecutor' must be one of "sequential", "async", "threaded", "process": received "gpu"`,
  );
  assert.throws(
    () => new Engine({ mapExecutor: "cluster" as never }),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message ===
        `'mapExecutor' must be one of "sequential", "async", "threaded", "parallel": received "cluster"`,
  );
});

Deno.test("Engine rejects a bad concurrency or adapters in std style", () => {
  assert.throws(
    () => new Engine({ concurrency: 0 }),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message === "'concurrency' must be a positive integer: received 0",
  );
  assert.throws(
    () => new Engine({ adapters: [null as never] }),
    /'adapters' must be objects/,
  );
});

Deno.test("Builder.withExecutor reports unknown executors the same way", () => {
  assert.throws(
    () => new Builder().withExecutor("gpu" as never),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message ===
        `'executor' must be one of "sequential", "async", "threaded", "process": received "gpu"`,
  );
});

Deno.test("Engine adapters see every node of a pipeline run", async () => {
  const seen: string[] = [];
  const engine = new Engine({
    adapters: [{ beforeNodeExecution: (e) => void seen.push(e.nodeName) }],
  });
  const pipeline = new Pipeline({
    nodes: [
      node(({ x }: { x: number }) => x + 1, named("a")),
      node(({ a }: { a: number }) => a * 2, named("b")),
    ],
    engine,
  });
  assert.deepEqual(await pipeline.run({ inputs: { x: 1 } }), { a: 2, b: 4 });
  assert.deepEqual(seen, ["a", "b"]);
});

Deno.test("an async map executor runs items concurrently, bounded by concurrency", async () => {
  let running = 0;
  let peak = 0;
  const slow = node(async ({ x }: { x: number }) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 10));
    running--;
    return x;
  }, named("y"));
  const items = { inputs: { x: [1, 2, 3, 4, 5, 6] }, mapOver: "x" } as const;
  const unbounded = new Pipeline({
    nodes: [slow],
    engine: new Engine({ mapExecutor: "async" }),
  });
  assert.deepEqual(
    (await unbounded.map(items)).map((o) => o.y),
    [1, 2, 3, 4, 5, 6],
  );
  assert.equal(peak, 6);
  peak = 0;
  await unbounded.withEngine(
    new Engine({ mapExecutor: "async", concurrency: 2 }),
  ).map(items);
  assert.equal(peak, 2);
  peak = 0;
  await unbounded.withEngine(new Engine({ mapExecutor: "sequential" })).map(
    items,
  );
  assert.equal(peak, 1);
});

Deno.test("Engine adapters' validateNode and validateGraph check a pipeline before it first runs", async () => {
  let checks = 0;
  const engine = new Engine({
    adapters: [{
      validateNode: ({ node }) => {
        checks++;
        return node.name !== "forbidden" || "not allowed here";
      },
    }],
  });
  const ok = new Pipeline({
    nodes: [node(({ x }: { x: number }) => x, named("fine"))],
    engine,
  });
  assert.deepEqual(await ok.run({ inputs: { x: 1 } }), { fine: 1 });
  await ok.run({ inputs: { x: 2 } });
  assert.equal(checks, 2); // the node and the input, once
  const bad = new Pipeline({
    nodes: [node(({ x }: { x: number }) => x, named("forbidden"))],
    engine,
  });
  await assert.rejects(
    bad.run({ inputs: { x: 1 } }),
    /node "forbidden" was rejected: not allowed here/,
  );
  await assert.rejects(
    bad.map({ inputs: { x: [1] }, mapOver: "x" }),
    /node "forbidden" was rejected/,
  );
});

Deno.test("Builder.withMapExecutor chooses how items run, whatever runs their nodes", async () => {
  let running = 0;
  let peak = 0;
  const modules = {
    y: async ({ x }: { x: number }) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return x;
    },
  };
  const request = { inputs: { x: [1, 2, 3, 4] }, mapOver: "x" } as const;
  const concurrent = await new Builder().withModules(modules)
    .withMapExecutor("async").build();
  assert.deepEqual((await concurrent.map(["y"], request)).map((o) => o.y), [
    1,
    2,
    3,
    4,
  ]);
  assert.equal(peak, 4);
  peak = 0;
  const oneByOne = await new Builder().withModules(modules)
    .withExecutor("async").withMapExecutor("sequential").build();
  await oneByOne.map(["y"], request);
  assert.equal(peak, 1);
  assert.throws(
    () => new Builder().withMapExecutor("gpu" as never),
    /'mapExecutor' must be one of "sequential", "async", "threaded", "parallel": received "gpu"/,
  );
});
