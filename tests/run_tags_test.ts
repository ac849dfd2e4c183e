import assert from "node:assert/strict";
import { Builder, type ExecutionEvent } from "../mod.ts";

const chain = {
  a: ({ x }: { x: number }) => x + 1,
  b: ({ a, ctx }: { a: number; ctx: { log(m: string): void } }) => {
    ctx.log("b runs");
    return a * 2;
  },
};

Deno.test("execute(vars, { tags }) gives the graph hooks the run's tags, and {} to a run given none", async () => {
  const seen: unknown[] = [];
  const dr = await new Builder().withModules(chain).withAdapters({
    beforeGraphExecution: ({ tags }) => void seen.push(["before", tags]),
    afterGraphExecution: ({ tags }) => void seen.push(["after", tags]),
  }).build();
  await dr.execute(["b"], { inputs: { x: 1 }, tags: { team: "data", n: 2 } });
  await dr.execute(["b"], { inputs: { x: 1 } });
  assert.deepEqual(seen, [
    ["before", { team: "data", n: 2 }],
    ["after", { team: "data", n: 2 }],
    ["before", {}],
    ["after", {}],
  ]);
});

Deno.test("every stream() event carries the run's tags, of a single run and of a map", async () => {
  const dr = await new Builder().withModules(chain).build();
  const tags = { source: "nightly", dry: true };
  const events: ExecutionEvent[] = [];
  for await (const event of dr.stream(["b"], { inputs: { x: 1 }, tags })) {
    events.push(event);
  }
  for await (
    const event of dr.stream(["b"], {
      inputs: { x: [1, 2] },
      mapOver: "x",
      tags,
    })
  ) {
    events.push(event);
  }
  const types = new Set(events.map((e) => e.type));
  for (const type of ["runStarted", "nodeStarted", "log", "mapItem"]) {
    assert.ok(types.has(type as ExecutionEvent["type"]), type);
  }
  for (const event of events) assert.deepEqual(event.tags, tags, event.type);
  for await (const event of dr.stream(["b"], { inputs: { x: 1 } })) {
    assert.deepEqual(event.tags, {});
  }
});

Deno.test("map({ tags }) gives the tags to beforeMap, afterMap and each item's graph hooks", async () => {
  const seen: unknown[] = [];
  const dr = await new Builder().withModules(chain).withAdapters({
    beforeMap: ({ tags }) => void seen.push(["beforeMap", tags]),
    beforeGraphExecution: ({ tags, item }) => void seen.push([item, tags]),
    afterMap: ({ tags }) => void seen.push(["afterMap", tags]),
  }).build();
  await dr.map(["b"], {
    inputs: { x: [1, 2] },
    mapOver: "x",
    tags: { batch: 7 },
  });
  assert.deepEqual(seen, [
    ["beforeMap", { batch: 7 }],
    [0, { batch: 7 }],
    [1, { batch: 7 }],
    ["afterMap", { batch: 7 }],
  ]);
});

Deno.test("run tags other than strings, numbers and booleans are refused before anything runs", async () => {
  let ran = false;
  const dr = await new Builder().withModules({ a: () => (ran = true) }).build();
  await assert.rejects(
    dr.execute(["a"], { tags: { owners: ["x"] } as never }),
    (e: unknown) =>
      e instanceof TypeError &&
      /'tags' must be an object of strings, numbers and booleans: tag "owners" is an array/
        .test(e.message),
  );
  await assert.rejects(
    dr.run(["a"], { tags: "nightly" as never }),
    (e: unknown) => e instanceof TypeError && /'tags' must be/.test(e.message),
  );
  assert.equal(ran, false);
});
