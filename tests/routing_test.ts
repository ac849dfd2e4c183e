// Routing among several executors: the executor tag wins, then route(task),
// then the default; unknown names are ConfigErrors naming node and executor.
import assert from "node:assert/strict";
import {
  AsyncExecutor,
  Builder,
  ConfigError,
  inputs,
  node,
  type NodeDef,
  routeByCost,
  type RouteTask,
  tag,
} from "../mod.ts";
import { Recording } from "./fixtures/recording_executor.ts";

const nodes = () => ({
  tagged: node(() => 1, tag({ executor: "heavy" })),
  cheap: node(() => 2, tag({ cost: 1 })),
  costly: node(() => 3, tag({ cost: 500 })),
  plain: () => 4,
});

Deno.test("a node's executor tag wins over route(); route() decides the rest; nothing routed goes to the first executor", async () => {
  const local = new Recording("local");
  const heavy = new Recording("heavy");
  const seen: RouteTask[] = [];
  const dr = await new Builder().withModules(nodes()).withExecutors({
    executors: { local, heavy },
    route: (task) => {
      seen.push(task);
      return task.name === "costly" ? "heavy" : "local";
    },
  }).build();
  assert.deepEqual(
    await dr.execute(["tagged", "cheap", "costly", "plain"]),
    { tagged: 1, cheap: 2, costly: 3, plain: 4 },
  );
  assert.deepEqual(heavy.ran.sort(), ["costly", "tagged"]);
  assert.deepEqual(local.ran.sort(), ["cheap", "plain"]);
  // The tagged node never reached route().
  assert.deepEqual(seen.map((t) => t.name).sort(), [
    "cheap",
    "costly",
    "plain",
  ]);
});

Deno.test("route() receives the cost tag, the node's tags and its plan metrics", async () => {
  const seen = new Map<string, RouteTask>();
  const { cheap, costly } = nodes();
  const dr = await new Builder().withModules({ cheap, costly }).withExecutors({
    executors: { local: "sequential" },
    route: (task) => (seen.set(task.name, task), "local"),
  }).build();
  await dr.execute(["cheap", "costly"]);
  assert.equal(seen.get("costly")!.cost, 500);
  assert.deepEqual(seen.get("cheap")!.tags, { module: "module #1", cost: 1 });
  assert.equal(seen.get("costly")!.metrics.bottomLevel, 500);
  assert.equal(seen.get("costly")!.metrics.onCriticalPath, true);
  assert.equal(seen.get("cheap")!.metrics.onCriticalPath, false);
});

Deno.test("routeByCost sends tasks above the threshold to one executor, the rest and unknown costs to the other", async () => {
  const local = new Recording("local");
  const heavy = new Recording("heavy");
  const dr = await new Builder().withModules({
    cheap: nodes().cheap,
    costly: nodes().costly,
    plain: nodes().plain,
  }).withExecutors({
    executors: { local, heavy },
    route: routeByCost({ threshold: 100, above: "heavy", below: "local" }),
  }).build();
  await dr.execute(["cheap", "costly", "plain"]);
  assert.deepEqual(heavy.ran, ["costly"]);
  assert.deepEqual(local.ran.sort(), ["cheap", "plain"]);
});

Deno.test("without a cost tag, a task's cost is its mean duration over the driver's earlier runs", async () => {
  const costs: (number | undefined)[] = [];
  let release!: () => void;
  const dr = await new Builder().withModules({
    slow: async () => {
      await new Promise<void>((r) => release = r);
      return 1;
    },
  }).withExecutors({
    executors: { local: new AsyncExecutor() },
    route: (task) => (costs.push(task.cost), "local"),
  }).build();
  for (let i = 0; i < 2; i++) {
    const done = dr.execute(["slow"]);
    await new Promise((r) => setTimeout(r, 5));
    release();
    await done;
  }
  assert.equal(costs[0], undefined);
  assert.ok(typeof costs[1] === "number" && costs[1] > 0, String(costs[1]));
});

Deno.test("an executor tag naming no executor is a ConfigError at build(), naming the node and the executor", async () => {
  await assert.rejects(
    new Builder().withModules({ x: node(() => 1, tag({ executor: "gpu" })) })
      .withExecutors({ executors: { local: "sequential" } }).build(),
    (e: unknown) =>
      e instanceof ConfigError && /"x"/.test(e.message) &&
      /"gpu"/.test(e.message),
  );
});

Deno.test("route() naming no executor fails the run with a ConfigError naming the node and the executor", async () => {
  const dr = await new Builder().withModules({ x: () => 1 }).withExecutors({
    executors: { local: "sequential" },
    route: () => "nowhere",
  }).build();
  await assert.rejects(
    dr.execute(["x"]),
    (e: unknown) =>
      e instanceof ConfigError && /"x"/.test(e.message) &&
      /"nowhere"/.test(e.message),
  );
});

Deno.test("withExecutors() rejects an empty set, a default that is not one of them, and a route that is not a function", () => {
  assert.throws(
    () => new Builder().withExecutors({ executors: {} }),
    TypeError,
  );
  assert.throws(
    () =>
      new Builder().withExecutors({
        executors: { a: "async" },
        default: "b",
      }),
    ConfigError,
  );
  assert.throws(
    () =>
      new Builder().withExecutors({
        executors: { a: "async" },
        route: "a" as unknown as () => string,
      }),
    TypeError,
  );
});

Deno.test("map items are routed as nodes are", async () => {
  const heavy = new Recording("heavy");
  const dr = await new Builder().withModules({
    double: node(({ x }: { x: number }) => 2 * x, tag({ executor: "heavy" })),
  }).withExecutors({ executors: { local: "sequential", heavy } }).build();
  const out = await dr.map(["double"], {
    inputs: { x: [1, 2, 3] },
    mapOver: "x",
  });
  assert.deepEqual(out.map((o) => o.double), [2, 4, 6]);
  assert.deepEqual(heavy.ran, ["double", "double", "double"]);
});

Deno.test("nodes are timed for task.cost only while the route reads costs: a route that never does adds no clock reads", async () => {
  // A 50-node chain; the third run is counted, after the route has run.
  const chain: Record<string, NodeDef> = { n0: node(() => 0) };
  for (let i = 1; i < 50; i++) {
    const dep = `n${i - 1}`;
    chain[`n${i}`] = node(
      (a: Record<string, number>) => a[dep]! + 1,
      inputs([dep]),
    );
  }
  const clockReads = async (route?: (task: RouteTask) => string) => {
    const dr = await new Builder().withModules(chain).withExecutors({
      executors: { a: "sequential", b: "async" },
      ...(route === undefined ? {} : { route }),
    }).build();
    await dr.execute(["n49"]);
    await dr.execute(["n49"]);
    const now = performance.now;
    let reads = 0;
    performance.now = () => (reads++, now.call(performance));
    try {
      assert.deepEqual(await dr.execute(["n49"]), { n49: 49 });
    } finally {
      performance.now = now;
    }
    return reads;
  };
  const unrouted = await clockReads();
  assert.equal(await clockReads(() => "a"), unrouted);
  // Reading an untagged cost turns the timing on: two reads per node.
  const reading = await clockReads((task) => (void task.cost, "a"));
  assert.ok(reading >= unrouted + 100, `${reading} vs ${unrouted}`);
});
