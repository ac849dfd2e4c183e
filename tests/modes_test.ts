import assert from "node:assert/strict";
import { Builder, Engine, named, node, Pipeline, tag } from "../mod.ts";
import { Recording } from "./fixtures/recording_executor.ts";

const nodes = {
  cheap: node(() => 1, tag({ cost: 1 })),
  costly: node(() => 2, tag({ cost: 500 })),
  scan: node(() => 3, tag({ scan: true })),
  huge: node(() => 4, tag({ cost: 5_000 })),
};

Deno.test('withMode("deterministic-serial") runs nodes and map items one at a time', async () => {
  const dr = await new Builder().withModules(nodes)
    .withMode("deterministic-serial").build();
  assert.equal(dr.executor, "sequential");
  assert.equal(dr.mapExecutor, "sequential");
});

Deno.test('withMode("plan-parallel") sends tasks costlier than heavyMs to heavy and the rest to the event loop', async () => {
  const heavy = new Recording("heavy");
  await using dr = await new Builder().withModules(nodes)
    .withMode("plan-parallel", { heavy, heavyMs: 100 }).build();
  assert.equal(dr.executor, "async");
  assert.equal(dr.mapExecutor, "async");
  assert.deepEqual(await dr.execute(["cheap", "costly", "scan", "huge"]), {
    cheap: 1,
    costly: 2,
    scan: 3,
    huge: 4,
  });
  assert.deepEqual(heavy.ran.sort(), ["costly", "huge"]);
});

Deno.test('withMode("plan-parallel-remote") sends scans and the costliest tasks to remote, costly ones to heavy', async () => {
  const heavy = new Recording("heavy");
  const remote = new Recording("remote");
  await using dr = await new Builder().withModules(nodes)
    .withMode("plan-parallel-remote", {
      heavy,
      remote,
      heavyMs: 100,
      remoteMs: 1_000,
    }).build();
  await dr.execute(["cheap", "costly", "scan", "huge"]);
  assert.deepEqual(heavy.ran, ["costly"]);
  assert.deepEqual(remote.ran.sort(), ["huge", "scan"]);
});

Deno.test('"plan-parallel-remote" without a remote executor, and unknown modes, are refused at once', () => {
  assert.throws(
    () => new Builder().withMode("plan-parallel-remote"),
    /needs 'remote'/,
  );
  assert.throws(
    () => new Builder().withMode("fast" as never),
    /'mode' must be one of "deterministic-serial", "plan-parallel", "plan-parallel-remote": received "fast"/,
  );
  assert.throws(
    () => new Builder().withMode("plan-parallel", { heavyMs: -1 }),
    RangeError,
  );
});

Deno.test("an executor or map executor chosen by hand wins over the mode, whatever the order", async () => {
  for (
    const builder of [
      new Builder().withModules(nodes).withMode("plan-parallel")
        .withExecutor("sequential").withMapExecutor("sequential"),
      new Builder().withModules(nodes).withExecutor("sequential")
        .withMapExecutor("sequential").withMode("plan-parallel"),
    ]
  ) {
    const dr = await builder.build();
    assert.equal(dr.executor, "sequential");
    assert.equal(dr.mapExecutor, "sequential");
  }
});

Deno.test("Engine({ mode }) gives pipelines the mode's executors", async () => {
  const heavy = new Recording("heavy");
  await using engine = new Engine({
    mode: "plan-parallel",
    modeOptions: { heavy, heavyMs: 100 },
  });
  assert.equal(engine.nodeExecutor, "async");
  assert.equal(engine.mapExecutor, "async");
  const pipeline = new Pipeline({
    nodes: [node(() => 7, named("big"), tag({ cost: 500 }))],
    engine,
  });
  assert.deepEqual(await pipeline.run({}), { big: 7 });
  assert.deepEqual(heavy.ran, ["big"]);
});
