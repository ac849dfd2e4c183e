import assert from "node:assert/strict";
import { Builder, MemoryCacheStore, MemoryRunStore } from "../../mod.ts";
import { tempDir } from "./_helpers.ts";

const features = {
  a: ({ x }: { x: number }) => x + 1,
  b: ({ a, scale }: { a: number; scale: number }) => a * scale,
};

Deno.test("cache.lineage gives each node's key, code and data versions, and its dependencies' data versions", async () => {
  await using dr = await new Builder().withModules(features)
    .withConfig({ scale: 3 })
    .withCache({ store: new MemoryCacheStore() })
    .withRunStore({ store: new MemoryRunStore() }).build();
  const { runId } = await dr.run(["b"], { inputs: { x: 1 } });
  const rows = await dr.cache.lineage(runId);
  assert.deepEqual(rows.map((r) => [r.node, r.outcome]), [
    ["a", "miss"],
    ["b", "miss"],
  ]);
  const logs = dr.cache.logs(runId);
  const [a, b] = rows;
  assert.equal(a?.cacheKey, logs[0]?.key);
  assert.equal(a?.dataVersion, logs[0]?.dataVersion);
  assert.equal(b?.dependencies.a, a?.dataVersion);
  const run = await dr.runs.get(runId);
  assert.equal(a?.dependencies.x, run?.inputs[0]?.dataVersion);
  assert.match(b?.dependencies.scale ?? "", /^[0-9a-f]{32}$/);
  assert.match(a?.codeVersion ?? "", /^[0-9a-f]+$/);
  assert.notEqual(a?.codeVersion, b?.codeVersion);
  assert.equal(a?.planSignature, dr.planSignature);

  // The same request again: served, with the same lineage.
  const again = await dr.run(["b"], { inputs: { x: 1 } });
  const served = await dr.cache.lineage(again.runId);
  assert.deepEqual(served.map((r) => r.outcome), ["hit", "hit"]);
  assert.deepEqual(
    served.map((r) => [r.cacheKey, r.dataVersion, r.dependencies]),
    rows.map((r) => [r.cacheKey, r.dataVersion, r.dependencies]),
  );
  // Another input: new versions all the way down.
  const other = await dr.run(["b"], { inputs: { x: 2 } });
  const changed = await dr.cache.lineage(other.runId);
  assert.notEqual(changed[0]?.dependencies.x, a?.dependencies.x);
  assert.notEqual(changed[1]?.cacheKey, b?.cacheKey);
});

Deno.test("cache.lineage exports CSV and JSON Lines", async () => {
  await using dr = await new Builder().withModules(features)
    .withConfig({ scale: 3 })
    .withCache({ store: new MemoryCacheStore() })
    .withRunStore({ store: new MemoryRunStore() }).build();
  const { runId } = await dr.run(["b"], { inputs: { x: 1 } });
  const rows = await dr.cache.lineage(runId);
  const jsonl = await dr.cache.lineage(runId, { format: "jsonl" });
  assert.deepEqual(
    jsonl.trimEnd().split("\n").map((line) => JSON.parse(line)),
    rows,
  );
  const csv = await dr.cache.lineage(runId, { format: "csv" });
  const lines = csv.trimEnd().split("\n");
  assert.equal(
    lines[0],
    "node,cacheKey,codeVersion,dataVersion,dependencies,outcome,planSignature",
  );
  assert.equal(lines.length, 3);
  // The dependencies' JSON is one quoted field, its quotes doubled.
  assert.ok(
    lines[2]!.includes(
      `"{""a"":""${rows[1]!.dependencies.a}"",""scale"":""${
        rows[1]!.dependencies.scale
      }""}"`,
    ),
    lines[2],
  );
  await assert.rejects(
    dr.cache.lineage(runId, { format: "xml" as "csv" }),
    /'format' must be "csv" or "jsonl": received xml/,
  );
});

Deno.test("cache.lineage reads another driver's runs from a shared SQLite run store", async () => {
  await using dir = await tempDir();
  const runs = `${dir.path}/runs.db`;
  const cache = `${dir.path}/cache`;
  let runId: string;
  let expected: unknown;
  {
    await using first = await new Builder().withModules(features)
      .withConfig({ scale: 2 }).withCache({ path: cache })
      .withRunStore({ path: runs }).build();
    runId = (await first.run(["b"], { inputs: { x: 5 } })).runId;
    expected = await first.cache.lineage(runId);
  }
  await using second = await new Builder().withModules(features)
    .withConfig({ scale: 2 }).withRunStore({ path: runs }).build();
  assert.deepEqual(await second.cache.lineage(runId), expected);
});

Deno.test("cache.lineage says why it cannot answer", async () => {
  await using bare = await new Builder().withModules(features).build();
  await assert.rejects(bare.cache.lineage("x"), /withRunStore/);
  await using dr = await new Builder().withModules(features)
    .withRunStore({ store: new MemoryRunStore() }).build();
  await assert.rejects(
    dr.cache.lineage("nope"),
    /Run "nope" is not in the run store/,
  );
  // A run without a cache has no cache lineage.
  const { runId } = await dr.run(["a"], { inputs: { x: 1 } });
  assert.deepEqual(await dr.cache.lineage(runId), []);
});
