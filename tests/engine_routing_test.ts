// Engine({ executors, route, default }): a pipeline's nodes, its map items and
// its nested pipelines' nodes are routed as Builder.withExecutors routes them.
import assert from "node:assert/strict";
import {
  Builder,
  ConfigError,
  Engine,
  named,
  node,
  NodeExecutionError,
  Pipeline,
  type RouteTask,
  tag,
} from "../mod.ts";
import { Recording } from "./fixtures/recording_executor.ts";

const tagged = node(
  ({ x }: { x: number }) => x + 1,
  named("tagged"),
  tag({
    executor: "heavy",
  }),
);
const costly = node(({ x }: { x: number }) => x + 2, named("costly"));
const plain = node(({ x }: { x: number }) => x + 3, named("plain"));

Deno.test("Engine routing: a node's executor tag wins, route() decides the rest, the first executor takes what nobody routed", async () => {
  const local = new Recording("local");
  const heavy = new Recording("heavy");
  const seen: RouteTask[] = [];
  const engine = new Engine({
    executors: { local, heavy },
    route: (task) => {
      seen.push(task);
      return task.name === "costly" ? "heavy" : "local";
    },
  });
  assert.equal(engine.nodeExecutor, "local");
  const pipeline = new Pipeline({ nodes: [tagged, costly, plain], engine });
  assert.deepEqual(await pipeline.run({ inputs: { x: 0 } }), {
    tagged: 1,
    costly: 2,
    plain: 3,
  });
  assert.deepEqual(heavy.ran.sort(), ["costly", "tagged"]);
  assert.deepEqual(local.ran, ["plain"]);
  assert.deepEqual(seen.map((t) => t.name).sort(), ["costly", "plain"]);
});

Deno.test("Engine routing: without route(), untagged nodes go to 'default' when given", async () => {
  const local = new Recording("local");
  const heavy = new Recording("heavy");
  const engine = new Engine({ executors: { local, heavy }, default: "heavy" });
  assert.equal(engine.nodeExecutor, "heavy");
  const pipeline = new Pipeline({ nodes: [costly, plain], engine });
  await pipeline.run({ inputs: { x: 0 } });
  assert.deepEqual(heavy.ran.sort(), ["costly", "plain"]);
  assert.deepEqual(local.ran, []);
});

Deno.test("Engine routing: Pipeline.map items are routed per node, as a single run's nodes are", async () => {
  for (const mapExecutor of ["sequential", "async"] as const) {
    const local = new Recording("local");
    const heavy = new Recording("heavy");
    const pipeline = new Pipeline({
      nodes: [tagged, plain],
      engine: new Engine({ executors: { local, heavy }, mapExecutor }),
    });
    const out = await pipeline.map({ inputs: { x: [0, 10] }, mapOver: "x" });
    assert.deepEqual(out, [{ tagged: 1, plain: 3 }, {
      tagged: 11,
      plain: 13,
    }]);
    assert.deepEqual(heavy.ran, ["tagged", "tagged"], mapExecutor);
    assert.deepEqual(local.ran, ["plain", "plain"], mapExecutor);
  }
});

Deno.test("Engine routing: a nested pipeline without an engine of its own has its nodes routed by the outer engine", async () => {
  const local = new Recording("local");
  const heavy = new Recording("heavy");
  const inner = new Pipeline({ nodes: [tagged, plain] });
  const outer = new Pipeline({
    nodes: [
      inner.asNode({ name: "inner", mapOver: "xs", inputMapping: { xs: "x" } }),
    ],
    engine: new Engine({
      executors: { local, heavy },
      route: (task) => task.name === "plain" ? "heavy" : "local",
    }),
  });
  assert.deepEqual(await outer.run({ inputs: { xs: [0, 1] } }), {
    tagged: [1, 2],
    plain: [3, 4],
  });
  // Inner nodes are routed; the outer "inner" node and the outer nodes
  // that pick its outputs out are routed among the same executors.
  assert.deepEqual(heavy.ran.filter((n) => n === "tagged"), [
    "tagged",
    "tagged",
  ]);
  assert.deepEqual(local.ran.sort(), ["inner", "tagged"]);
  assert.deepEqual(heavy.ran.sort(), [
    "plain",
    "plain",
    "plain",
    "tagged",
    "tagged",
  ]);
});

Deno.test("Builder routing reaches the nodes of a nested pipeline in a module", async () => {
  const local = new Recording("local");
  const heavy = new Recording("heavy");
  const inner = new Pipeline({ nodes: [tagged, plain] });
  const dr = await new Builder()
    .withModules({ inner: inner.asNode({ name: "inner" }) })
    .withExecutors({ executors: { local, heavy } }).build();
  assert.deepEqual(
    await dr.execute(["tagged", "plain"], { inputs: { x: 0 } }),
    {
      tagged: 1,
      plain: 3,
    },
  );
  // The inner "tagged" node ran on heavy; the outer nodes that pick the
  // outputs out of "inner" are untagged, so they ran on local.
  assert.deepEqual(heavy.ran, ["tagged"]);
  assert.deepEqual(local.ran.sort(), ["inner", "plain", "plain", "tagged"]);
});

const namesNodeAndExecutor = (e: unknown) =>
  e instanceof ConfigError && /"tagged"/.test(e.message) &&
  /"heavy"/.test(e.message);

Deno.test("Engine routing: an executor tag naming no executor is a ConfigError when the pipeline is created, naming the node and the executor", () => {
  const engine = new Engine({ executors: { local: "sequential" } });
  assert.throws(
    () => new Pipeline({ nodes: [tagged, plain], engine }),
    namesNodeAndExecutor,
  );
  // Given later, the engine is checked by withEngine().
  const pipeline = new Pipeline({ nodes: [tagged, plain] });
  assert.throws(() => pipeline.withEngine(engine), namesNodeAndExecutor);
});

Deno.test("Engine routing: a nested pipeline's node tagged with no outer executor fails its first run, with a ConfigError naming node and executor as the cause", async () => {
  const inner = new Pipeline({ nodes: [tagged] });
  const outer = new Pipeline({
    nodes: [inner.asNode({ name: "inner" })],
    engine: new Engine({ executors: { local: "sequential" } }),
  });
  await assert.rejects(
    outer.run({ inputs: { x: 0 } }),
    (e: unknown) =>
      e instanceof NodeExecutionError && e.nodeName === "inner" &&
      namesNodeAndExecutor(e.cause),
  );
});

Deno.test("Engine routing: route() naming no executor fails the run with a ConfigError naming the node and the executor", async () => {
  const pipeline = new Pipeline({
    nodes: [plain],
    engine: new Engine({
      executors: { local: "sequential" },
      route: () => "nowhere",
    }),
  });
  await assert.rejects(
    pipeline.run({ inputs: { x: 0 } }),
    (e: unknown) =>
      e instanceof ConfigError && /"plain"/.test(e.message) &&
      /"nowhere"/.test(e.message),
  );
});

Deno.test("Engine rejects nodeExecutor with executors, and route or default without executors, with a TypeError", () => {
  assert.throws(
    () =>
      new Engine({
        nodeExecutor: "async",
        executors: { local: "sequential" },
      }),
    (e: unknown) =>
      e instanceof TypeError && /'nodeExecutor'/.test(e.message) &&
      /'executors'/.test(e.message),
  );
  assert.throws(() => new Engine({ route: () => "a" }), TypeError);
  assert.throws(() => new Engine({ default: "a" }), TypeError);
  assert.throws(() => new Engine({ executors: {} }), TypeError);
  assert.throws(
    () => new Engine({ executors: { a: "async" }, default: "b" }),
    ConfigError,
  );
});

Deno.test("Engine routing: executors given by name take the engine's concurrency limit", async () => {
  let running = 0;
  let peak = 0;
  const waits = (name: string) =>
    node(async () => {
      peak = Math.max(peak, ++running);
      await Promise.resolve();
      running--;
      return name;
    }, named(name));
  const nodes = [waits("a"), waits("b"), waits("c")];
  const peakWith = async (concurrency?: number) => {
    running = peak = 0;
    const engine = new Engine({
      executors: { local: "async", other: "sequential" },
      ...(concurrency === undefined ? {} : { concurrency }),
    });
    await new Pipeline({ nodes, engine }).run();
    return peak;
  };
  assert.equal(await peakWith(), 3);
  assert.equal(await peakWith(1), 1);
});

Deno.test("Engine.close() closes every executor it routes to", async () => {
  const local = new Recording("local");
  const heavy = new Recording("heavy");
  const engine = new Engine({ executors: { local, heavy } });
  await engine.close();
  assert.equal(local.closed, 1);
  assert.equal(heavy.closed, 1);
});
