import assert from "node:assert/strict";
import {
  type Adapter,
  Builder,
  Engine,
  HookError,
  named,
  node,
  NodeExecutionError,
  Pipeline,
} from "../mod.ts";
import type { AfterMapEvent, BeforeMapEvent } from "../src/hooks.ts";

const mod = {
  double: ({ x }: { x: number }) => x * 2,
  inverse: ({ x }: { x: number }): number => {
    if (x === 0) throw new Error("division by zero");
    return 1 / x;
  },
};

// Records each map hook as `before`/`after` with its event.
function mapSpy(): {
  adapter: Adapter;
  seen: (["before", BeforeMapEvent] | ["after", AfterMapEvent])[];
} {
  const seen: (["before", BeforeMapEvent] | ["after", AfterMapEvent])[] = [];
  return {
    seen,
    adapter: {
      beforeMap: (e) => void seen.push(["before", e]),
      afterMap: (e) => void seen.push(["after", e]),
    },
  };
}

Deno.test("driver.map calls beforeMap and afterMap once, with the item count, map mode, run id and tags", async () => {
  const { adapter, seen } = mapSpy();
  let itemRunId: string | undefined;
  const dr = await new Builder().withModules(mod).withAdapters(adapter, {
    afterMapItem: (e) => void (itemRunId = e.runId),
  }).build();
  const out = await dr.map(["double"], {
    inputs: { x: [1, 2], y: ["a", "b", "c"] },
    mapOver: ["x", "y"],
    mapMode: "product",
    tags: { team: "growth" },
  });
  assert.equal(out.length, 6);
  assert.deepEqual(seen.map(([kind]) => kind), ["before", "after"]);
  const [[, before], [, after]] = seen as [
    ["before", BeforeMapEvent],
    ["after", AfterMapEvent],
  ];
  assert.deepEqual(before, {
    runId: itemRunId,
    items: 6,
    mapMode: "product",
    tags: { team: "growth" },
  });
  assert.equal(after.success, true);
  assert.equal("error" in after, false);
  assert.equal(after.items, 6);
  assert.ok(after.durationMs >= 0);
});

Deno.test("a map without tags gives its map hooks an empty frozen tags object", async () => {
  const { adapter, seen } = mapSpy();
  const dr = await new Builder().withModules(mod).withAdapters(adapter)
    .build();
  await dr.map(["double"], { inputs: { x: [1] }, mapOver: "x" });
  const tags = seen[0]![1].tags;
  assert.deepEqual(tags, {});
  assert.ok(Object.isFrozen(tags));
  assert.equal(seen[0]![1].mapMode, "zip");
});

Deno.test("afterMap sees a failed map's error; with onError collect the map succeeds", async () => {
  const { adapter, seen } = mapSpy();
  const dr = await new Builder().withModules(mod).withAdapters(adapter)
    .build();
  const failure = await dr.map(["inverse"], {
    inputs: { x: [1, 0, 2] },
    mapOver: "x",
  }).catch((error) => error);
  assert.ok(failure instanceof NodeExecutionError);
  const failed = seen[1]![1] as AfterMapEvent;
  assert.equal(failed.success, false);
  assert.equal(failed.error, failure);

  seen.length = 0;
  const collected = await dr.map(["inverse"], {
    inputs: { x: [1, 0] },
    mapOver: "x",
    onError: "collect",
  });
  assert.equal(collected[1]!.ok, false);
  assert.deepEqual(seen.map(([kind, e]) => [kind, e.items]), [
    ["before", 2],
    ["after", 2],
  ]);
  assert.equal((seen[1]![1] as AfterMapEvent).success, true);
});

Deno.test("a map over no items still calls beforeMap and afterMap, with 0 items", async () => {
  const { adapter, seen } = mapSpy();
  const dr = await new Builder().withModules(mod).withAdapters(adapter)
    .build();
  assert.deepEqual(
    await dr.map(["double"], { inputs: { x: [] }, mapOver: "x" }),
    [],
  );
  assert.deepEqual(seen.map(([kind, e]) => [kind, e.items]), [
    ["before", 0],
    ["after", 0],
  ]);
});

Deno.test("a beforeMap that throws fails the map with a HookError naming it, before any item runs", async () => {
  let ran = 0;
  const dr = await new Builder()
    .withModules({ counted: ({ x }: { x: number }) => (ran++, x) })
    .withAdapters({
      beforeMap() {
        throw new Error("quota exceeded");
      },
    }).build();
  await assert.rejects(
    dr.map(["counted"], { inputs: { x: [1, 2] }, mapOver: "x" }),
    (e: unknown) =>
      e instanceof HookError && e.hook === "beforeMap" &&
      /Hook "beforeMap" .* threw: quota exceeded/.test(e.message),
  );
  assert.equal(ran, 0);
});

Deno.test("an afterMap that throws fails a map that succeeded", async () => {
  const dr = await new Builder().withModules(mod).withAdapters({
    afterMap: async () => {
      await Promise.resolve();
      throw new Error("sink down");
    },
  }).build();
  await assert.rejects(
    dr.map(["double"], { inputs: { x: [1] }, mapOver: "x" }),
    (e: unknown) => e instanceof HookError && e.hook === "afterMap",
  );
});

Deno.test("Pipeline.map and stream() with mapOver call the map hooks once each", async () => {
  const { adapter, seen } = mapSpy();
  const pipeline = new Pipeline({
    nodes: [node(({ x }: { x: number }) => x + 1, named("y"))],
    engine: new Engine({ adapters: [adapter] }),
  });
  await pipeline.map({ inputs: { x: [1, 2, 3] }, mapOver: "x" });
  assert.deepEqual(seen.map(([kind, e]) => [kind, e.items]), [
    ["before", 3],
    ["after", 3],
  ]);

  seen.length = 0;
  const dr = await new Builder().withModules(mod).withAdapters(adapter)
    .build();
  const types: string[] = [];
  for await (
    const e of dr.stream(["double"], {
      inputs: { x: [1, 2] },
      mapOver: "x",
      tags: { via: "stream" },
    })
  ) types.push(e.type);
  assert.equal(types.filter((t) => t === "mapItem").length, 2);
  assert.deepEqual(seen.map(([kind, e]) => [kind, e.items, e.tags]), [
    ["before", 2, { via: "stream" }],
    ["after", 2, { via: "stream" }],
  ]);
});
