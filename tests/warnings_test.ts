// Warnings that do not fail a node (ctx.warn, and so a checkOutput validator
// that fails at "warn" importance) are visible: a "warning" event, the
// adapters' onLog with level "warning", and with no adapter listening,
// console.warn once per node and run.
import assert from "node:assert/strict";
import {
  Builder,
  checkOutput,
  type ExecutionEvent,
  node,
  type NodeLogEvent,
} from "../mod.ts";

const negative = (v: number) => v < 0 ? "must not be negative" : true;
const odd = (v: number) => Math.abs(v) % 2 === 1 ? true : "must be odd";

const modules = {
  price: node(() => -1000, checkOutput(negative, odd)),
  doubled: ({ price }: { price: number }) => price * 2,
};

async function warnings(run: () => Promise<unknown>): Promise<string[]> {
  const warn = console.warn;
  const printed: string[] = [];
  console.warn = (...args: unknown[]) => void printed.push(args.join(" "));
  try {
    await run();
  } finally {
    console.warn = warn;
  }
  return printed;
}

Deno.test("a checkOutput warning with no adapter listening goes to console.warn once per node and run", async () => {
  const dr = await new Builder().withModules(modules).build();
  const printed = await warnings(() => dr.execute(["doubled"]));
  assert.equal(printed.length, 1, printed.join("\n"));
  assert.match(printed[0]!, /node "price": checkOutput: must not be negative/);
  // Another run warns again.
  assert.equal((await warnings(() => dr.execute(["doubled"]))).length, 1);
});

Deno.test("a checkOutput warning is a warning event in stream(), naming the node, and nothing is printed", async () => {
  const dr = await new Builder().withModules(modules).build();
  const events: ExecutionEvent[] = [];
  const printed = await warnings(async () => {
    for await (const e of dr.stream(["doubled"])) events.push(e);
  });
  assert.deepEqual(printed, []);
  const warned = events.filter((e) => e.type === "warning");
  assert.equal(warned.length, 2);
  for (const e of warned) {
    assert.ok(e.type === "warning");
    assert.equal(e.nodeName, "price");
  }
  assert.deepEqual(
    warned.map((e) => e.type === "warning" && e.message),
    ["checkOutput: must not be negative", "checkOutput: must be odd"],
  );
  assert.equal(events.filter((e) => e.type === "log").length, 0);
});

Deno.test("adapters hear warnings through onLog with level warning", async () => {
  const heard: NodeLogEvent[] = [];
  const dr = await new Builder().withModules(modules)
    .withAdapters({ onLog: (e) => void heard.push(e) }).build();
  const printed = await warnings(() => dr.execute(["doubled"]));
  assert.deepEqual(printed, []);
  assert.equal(heard.length, 2);
  assert.ok(
    heard.every((e) => e.level === "warning" && e.nodeName === "price"),
  );
});

Deno.test("ctx.warn in a worker reaches the run as a warning", async () => {
  await using dr = await new Builder()
    .withModules(new URL("./fixtures/workers/nodes.ts", import.meta.url).href)
    .withExecutor("threaded", { workers: 1 }).build();
  const events: ExecutionEvent[] = [];
  for await (
    const e of dr.stream(["warns"] as never[], { inputs: { x: 3 } } as never)
  ) events.push(e);
  const warned = events.find((e) => e.type === "warning");
  assert.ok(warned?.type === "warning");
  assert.equal(warned.nodeName, "warns");
  assert.equal(warned.message, "odd input");
  assert.deepEqual(warned.data, { x: 3 });
});
