import assert from "node:assert/strict";
import {
  Builder,
  MemoryCacheStore,
  MemoryRunStore,
  ReexecutionError,
} from "../../mod.ts";
import { tempDir } from "./_helpers.ts";

// x -> a -> b -> c, counting calls.
function chain(calls: Record<string, number>, bScale = 10) {
  const count = (name: string) => calls[name] = (calls[name] ?? 0) + 1;
  return {
    a: ({ x }: { x: number }) => (count("a"), x + 1),
    b: ({ a }: { a: number }) => (count("b"), a * bScale),
    c: ({ b }: { b: number }) => (count("c"), b + 0.5),
  };
}

async function driver(
  dir: string,
  calls: Record<string, number>,
  bScale = 10,
) {
  return await new Builder().withModules(chain(calls, bScale))
    .withCache({ path: `${dir}/cache` })
    .withRunStore({ path: `${dir}/runs.db` }).build();
}

Deno.test("reexecute runs the selected node and what is downstream, taking the parent's stored values for the rest", async () => {
  await using dir = await tempDir();
  const calls: Record<string, number> = {};
  await using dr = await driver(dir.path, calls);
  const parent = await dr.run(["c"], { inputs: { x: 1 } });
  assert.deepEqual(parent.outputs, { c: 20.5 });
  const child = await dr.reexecute(parent.runId, { select: ["b+"] });
  assert.equal(child.success, true);
  assert.deepEqual(child.outputs?.c, 20.5);
  // a came from the parent; b and c ran again, not served by the cache.
  assert.deepEqual(calls, { a: 1, b: 2, c: 2 });
  const run = await dr.runs.get(child.runId);
  assert.equal(run?.parentRunId, parent.runId);
  assert.deepEqual(run?.selected, ["b", "c"]);
  const nodes = await dr.runs.nodes(child.runId);
  assert.deepEqual(nodes.map((n) => [n.name, n.status, n.cache]), [
    ["a", "reused", undefined],
    ["b", "succeeded", "recompute"],
    ["c", "succeeded", "recompute"],
  ]);
});

Deno.test("reexecute of a changed function gives its new value downstream (not the parent's result: Dagster #4014)", async () => {
  await using dir = await tempDir();
  const before: Record<string, number> = {};
  let parentId: string;
  {
    await using dr = await driver(dir.path, before);
    parentId = (await dr.run(["c"], { inputs: { x: 1 } })).runId;
  }
  const after: Record<string, number> = {};
  await using changed = await driver(dir.path, after, 100);
  const child = await changed.reexecute(parentId, { select: ["b+"] });
  // The parent's requested values and the selected nodes'.
  assert.deepEqual(child.outputs, { c: 200.5, b: 200 });
  assert.deepEqual(after, { b: 1, c: 1 });
});

Deno.test("reexecute with an override of a reused node computes from it", async () => {
  await using dir = await tempDir();
  const calls: Record<string, number> = {};
  await using dr = await driver(dir.path, calls);
  const parent = await dr.run(["c"], { inputs: { x: 1 } });
  const child = await dr.reexecute(parent.runId, {
    select: ["b+"],
    overrides: { a: 7 },
  });
  assert.deepEqual(child.outputs, { c: 70.5, b: 70 });
  assert.equal(calls.a, 1);
});

Deno.test("reexecute selects upstream with +node, needing the inputs again", async () => {
  await using dir = await tempDir();
  const calls: Record<string, number> = {};
  await using dr = await driver(dir.path, calls);
  const parent = await dr.run(["c"], { inputs: { x: 1 } });
  // c is requested and not selected: the parent's value.
  await assert.rejects(
    dr.reexecute(parent.runId, { select: ["+b"] }),
    (error: unknown) =>
      error instanceof ReexecutionError &&
      /input "x" is needed by "a".*pass it in 'inputs'/.test(error.message) &&
      error.nodes.includes("x"),
  );
  const child = await dr.reexecute(parent.runId, {
    select: ["+b"],
    inputs: { x: 2 },
  });
  // c reused from the parent; a and b computed from the new input.
  assert.deepEqual(child.outputs, { c: 20.5, a: 3, b: 30 });
  assert.deepEqual(calls, { a: 2, b: 2, c: 1 });
  const [b] = (await dr.runs.nodes(child.runId)).filter((n) => n.name === "b");
  assert.equal(b?.status, "succeeded");
});

Deno.test("reexecute refuses before running when the parent's values are not persisted, naming the nodes", async () => {
  const calls: Record<string, number> = {};
  // A memory cache store: values die with the process.
  {
    await using dr = await new Builder().withModules(chain(calls))
      .withCache({ store: new MemoryCacheStore() })
      .withRunStore({ store: new MemoryRunStore() }).build();
    const parent = await dr.run(["c"], { inputs: { x: 1 } });
    await assert.rejects(
      dr.reexecute(parent.runId, { select: ["c"] }),
      (error: unknown) =>
        error instanceof ReexecutionError &&
        /the values of "b" would come from MemoryCacheStore/.test(
          error.message,
        ) && error.nodes.join() === "b",
    );
  }
  // No cache at all.
  {
    await using dr = await new Builder().withModules(chain(calls))
      .withRunStore({ store: new MemoryRunStore() }).build();
    const parent = await dr.run(["c"], { inputs: { x: 1 } });
    await assert.rejects(
      dr.reexecute(parent.runId, { select: ["c"] }),
      /the values of "b" come from the cache's result store, and this driver has no cache/,
    );
  }
  assert.deepEqual(calls, { a: 2, b: 2, c: 2 }); // the parents only
});

Deno.test("reexecute refuses a value the parent could not store (not serializable)", async () => {
  await using dir = await tempDir();
  let calls = 0;
  await using dr = await new Builder()
    .withModules({
      handle: () => ({ close: () => {} }), // functions cannot be serialized
      use: ({ handle }: { handle: object }) => (calls++, typeof handle),
    })
    .withCache({ path: `${dir.path}/cache` })
    .withRunStore({ path: `${dir.path}/runs.db` }).build();
  const parent = await dr.run(["use"]);
  assert.equal(parent.success, true);
  await assert.rejects(
    dr.reexecute(parent.runId, { select: ["use"] }),
    (error: unknown) =>
      error instanceof ReexecutionError &&
      /not persisted for "handle" \(its value was not stored/.test(
        error.message,
      ),
  );
  assert.equal(calls, 1);
});

Deno.test("reexecute checks its request", async () => {
  await using dir = await tempDir();
  await using dr = await driver(dir.path, {});
  const parent = await dr.run(["c"], { inputs: { x: 1 } });
  await assert.rejects(
    dr.reexecute(parent.runId, { select: ["nope+"] }),
    /'select' names "nope", which is not a node run by run/,
  );
  await assert.rejects(
    dr.reexecute(parent.runId, { select: [] }),
    /'select' must be a non-empty list of node names/,
  );
  await assert.rejects(
    dr.reexecute("missing", { select: ["c"] }),
    /Run "missing" is not in the run store/,
  );
  await using bare = await new Builder().withModules(chain({})).build();
  await assert.rejects(
    bare.reexecute(parent.runId, { select: ["c"] }),
    /withRunStore/,
  );
});
