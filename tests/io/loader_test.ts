// loader() and saver(): metadata on run records, events and hooks; a
// loader's data version follows what it read, so an edited file is seen.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type AfterNodeExecutionEvent,
  Builder,
  checkOutput,
  type ExecutionEvent,
  extractColumns,
  type FileMetadata,
  loader,
  MemoryCacheStore,
  node,
  NodeExecutionError,
  type NodeMetadata,
  readWithMetadata,
  saver,
} from "../../mod.ts";

const ORDERS = {
  orders: node(
    ({ text }: { text: string }): [number[], NodeMetadata] => [
      text.split(",").map(Number),
      { rows: text.split(",").length },
    ],
    loader(),
  ),
  total: ({ orders }: { orders: number[] }) =>
    orders.reduce((a, b) => a + b, 0),
};

Deno.test("a loader's value goes downstream and its metadata onto run().nodes", async () => {
  const dr = await new Builder().withModules(ORDERS).build();
  const run = await dr.run(["total"], { inputs: { text: "1,2,3" } });
  assert.deepEqual(run.outputs, { total: 6 });
  const orders = run.nodes.find((n) => n.name === "orders");
  assert.deepEqual(orders?.metadata, { rows: 3 });
  const total = run.nodes.find((n) => n.name === "total");
  assert.equal(total?.metadata, undefined);
});

Deno.test("a loader's nodeSucceeded event carries its metadata", async () => {
  const dr = await new Builder().withModules(ORDERS).withExecutor("async")
    .build();
  const events: ExecutionEvent[] = [];
  for await (const e of dr.stream(["total"], { inputs: { text: "4,5" } })) {
    events.push(e);
  }
  const succeeded = events.filter((e) => e.type === "nodeSucceeded");
  assert.deepEqual(
    succeeded.map((e) => [e.nodeName, e.metadata]),
    [["orders", { rows: 2 }], ["total", undefined]],
  );
});

Deno.test("afterNodeExecution of a loader carries its metadata", async () => {
  const seen: [string, unknown][] = [];
  const dr = await new Builder().withModules(ORDERS).withAdapters({
    afterNodeExecution: (e: AfterNodeExecutionEvent) => {
      seen.push([e.nodeName, e.metadata]);
    },
  }).build();
  await dr.execute(["total"], { inputs: { text: "7" } });
  assert.deepEqual(seen, [["orders", { rows: 1 }], ["total", undefined]]);
});

Deno.test("an async loader taking ctx, written positionally, reports its metadata", async () => {
  const dr = await new Builder().withModules({
    // deno-lint-ignore no-explicit-any
    greeting: node(async function (name: string, ctx: any) {
      await null;
      return [`hello ${name} from ${ctx.nodeName}`, { length: name.length }];
    }, loader()),
  }).build();
  const run = await dr.run(["greeting"], { inputs: { name: "ada" } });
  assert.deepEqual(run.outputs, { greeting: "hello ada from greeting" });
  assert.deepEqual(run.nodes[0]?.metadata, { length: 3 });
});

Deno.test("a loader that does not return [value, metadata] fails naming the node", async () => {
  const dr = await new Builder().withModules({
    broken: node(() => 42, loader()),
  }).build();
  await assert.rejects(
    dr.execute(["broken"]),
    (error: unknown) =>
      error instanceof NodeExecutionError && error.nodeName === "broken" &&
      /loader "broken" must return \[value, metadata\]/.test(
        String((error.cause as Error).message),
      ),
  );
});

Deno.test("a saver returns its metadata, which is its value and its record's metadata", async () => {
  const written: number[] = [];
  const dr = await new Builder().withModules({
    ...ORDERS,
    save_total: node(({ total }: { total: number }) => {
      written.push(total);
      return { path: "memory", rows: 1 };
    }, saver()),
  }).build();
  const run = await dr.run(["save_total"], { inputs: { text: "1,1" } });
  assert.deepEqual(written, [2]);
  assert.deepEqual(run.outputs, { save_total: { path: "memory", rows: 1 } });
  const record = run.nodes.find((n) => n.name === "save_total");
  assert.deepEqual(record?.metadata, { path: "memory", rows: 1 });
});

Deno.test("a saver that returns no object fails naming the node", async () => {
  const dr = await new Builder().withModules({
    save: node(() => "done", saver()),
  }).build();
  await assert.rejects(
    dr.execute(["save"]),
    (error: unknown) =>
      error instanceof NodeExecutionError &&
      /saver "save" must return its metadata/.test(
        String((error.cause as Error).message),
      ),
  );
});

Deno.test("loaders and savers are tagged materializer and found by tag", async () => {
  const dr = await new Builder().withModules({
    ...ORDERS,
    save_total: node(({ total }: { total: number }) => ({ total }), saver()),
  }).build();
  const names = (value: string) =>
    dr.listAvailableVariables({ tagFilter: { materializer: value } }).map((
      v,
    ) => v.name);
  assert.deepEqual(names("loader"), ["orders"]);
  assert.deepEqual(names("saver"), ["save_total"]);
});

Deno.test("toDot draws a loader as a cylinder and a saver as a folder", async () => {
  const dr = await new Builder().withModules({
    ...ORDERS,
    save_total: node(({ total }: { total: number }) => ({ total }), saver()),
  }).build();
  const dot = dr.toDot();
  assert.match(dot, /"orders" \[shape=cylinder\]/);
  assert.match(dot, /"save_total" \[shape=folder\]/);
  assert.match(dot, /"total" \[shape=box\]/);
  // The SVG's node groups say which they are, for styling.
  const run = await dr.run(["save_total"], { inputs: { text: "1" } });
  const classes = dr.toDot({ run });
  assert.match(
    classes,
    /"orders" \[shape=cylinder, .*class="braid-node braid-loader status-succeeded"/,
  );
  assert.match(
    classes,
    /"save_total" \[shape=folder, .*class="braid-node braid-saver status-succeeded"/,
  );
});

Deno.test("an edited file invalidates what depends on its loader; an unchanged one does not", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "numbers.txt");
  try {
    let summed = 0;
    const dr = await new Builder().withModules({
      numbers: node(
        async (
          { path }: { path: string },
        ): Promise<[number[], FileMetadata]> => {
          const [bytes, metadata] = await readWithMetadata(path);
          const text = new TextDecoder().decode(bytes);
          return [text.split(",").map(Number), metadata];
        },
        loader(),
      ),
      sum: ({ numbers }: { numbers: number[] }) => (
        summed++, numbers.reduce((a, b) => a + b, 0)
      ),
    }).withCache({ store: new MemoryCacheStore() }).build();
    await Deno.writeTextFile(path, "1,2,3");
    const first = await dr.run(["sum"], { inputs: { path } });
    assert.deepEqual(first.outputs, { sum: 6 });
    const second = await dr.run(["sum"], { inputs: { path } });
    assert.deepEqual(second.outputs, { sum: 6 });
    assert.equal(summed, 1, "unchanged content: sum is a cache hit");
    assert.equal(
      second.nodes.find((n) => n.name === "numbers")?.cache,
      "recompute",
    );
    await Deno.writeTextFile(path, "1,2,3,4");
    const third = await dr.run(["sum"], { inputs: { path } });
    assert.deepEqual(third.outputs, { sum: 10 });
    assert.equal(summed, 2, "changed content: sum runs again");
    const metadata = third.nodes.find((n) => n.name === "numbers")?.metadata;
    assert.equal(metadata?.path, path);
    assert.equal(metadata?.bytes, 7);
    assert.match(String(metadata?.contentHash), /^[0-9a-f]{32}$/);
    assert.notEqual(
      metadata?.contentHash,
      first.nodes.find((n) => n.name === "numbers")?.metadata?.contentHash,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a loader without a content hash is versioned by its value", async () => {
  let text = "1,2";
  let summed = 0;
  const dr = await new Builder().withModules({
    numbers: node(
      (): [number[], NodeMetadata] => [text.split(",").map(Number), {
        source: "memory",
      }],
      loader(),
    ),
    sum: ({ numbers }: { numbers: number[] }) => (
      summed++, numbers.reduce((a, b) => a + b, 0)
    ),
  }).withCache({ store: new MemoryCacheStore() }).build();
  assert.deepEqual(await dr.execute(["sum"]), { sum: 3 });
  assert.deepEqual(await dr.execute(["sum"]), { sum: 3 });
  assert.equal(summed, 1);
  text = "5,5";
  assert.deepEqual(await dr.execute(["sum"]), { sum: 10 });
  assert.equal(summed, 2);
});

Deno.test("a loader whose value is split by extractColumns or checked by checkOutput stays the one loader", async () => {
  const { tableFromArrays } = await import("apache-arrow");
  const dr = await new Builder().withModules({
    table: node(
      () => [tableFromArrays({ a: new Float64Array([1, 2]) }), { rows: 2 }],
      extractColumns("a"),
      loader(),
    ),
    checked: node(
      (): [number, NodeMetadata] => [5, { source: "memory" }],
      loader(),
      checkOutput((v: number) => v > 0 || "must be positive", {
        importance: "fail",
      }),
    ),
  }).build();
  const run = await dr.run(["a", "checked"]);
  assert.equal(run.success, true, String(run.error));
  assert.deepEqual([...(run.outputs!.a as Iterable<number>)], [1, 2]);
  assert.equal(run.outputs!.checked, 5);
  const loaders = dr.listAvailableVariables({
    tagFilter: { materializer: "loader" },
  }).map((v) => v.name).sort();
  assert.deepEqual(loaders, ["checked_raw", "table"]);
  const withMetadata = run.nodes.filter((n) => n.metadata !== undefined)
    .map((n) => [n.name, n.metadata]);
  assert.deepEqual(withMetadata.sort(), [
    ["checked_raw", { source: "memory" }],
    ["table", { rows: 2 }],
  ]);
});
