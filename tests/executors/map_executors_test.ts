import assert from "node:assert/strict";
import {
  Builder,
  CancelledError,
  NodeExecutionError,
  WorkerError,
} from "../../mod.ts";
import { conformance } from "./_conformance.ts";
import { listen, reports } from "../fixtures/probe.ts";
import { open } from "../fixtures/workers/gates.ts";

conformance("sequential", {}, "threaded");
conformance("sequential", {}, "parallel");
conformance("threaded", {}, "parallel");
conformance("async", {}, "sequential");
conformance("sequential", {}, "async");

const NODES = new URL("../fixtures/workers/nodes.ts", import.meta.url).href;

for (const kind of ["threaded", "parallel"] as const) {
  Deno.test(`[${kind} map] gives the sequential map's results, in order, over many items`, async () => {
    const xs = Array.from({ length: 2000 }, (_, i) => i);
    await using sequential = await new Builder().withModules(NODES).build();
    await using workers = await new Builder().withModules(NODES)
      .withMapExecutor(kind, { workers: 2 }).build();
    assert.equal(workers.mapExecutor, kind);
    const request = { inputs: { x: xs }, mapOver: "x" };
    const expected = await sequential.map(["sum_both"] as never[], request);
    assert.deepEqual(
      await workers.map(["sum_both"] as never[], request),
      expected,
    );
  });

  Deno.test(`[${kind} map] CPU-bound items run on several workers at once`, async () => {
    await using dr = await new Builder().withModules(NODES)
      .withMapExecutor(kind, { workers: 2 }).build();
    // Start both workers first: a worker's start-up is not the point here.
    await dr.map(["span"] as never[], {
      inputs: { ms: [1, 1] },
      mapOver: "ms",
    });
    const out = await dr.map(["span"] as never[], {
      inputs: { ms: [150, 150] },
      mapOver: "ms",
    }) as { span: [number, number] }[];
    const [a, b] = [out[0]!.span, out[1]!.span];
    assert.ok(a[0] < b[1] && b[0] < a[1], `no overlap: ${a} ${b}`);
  });

  Deno.test(`[${kind} map] cancelling CPU-bound items returns within milliseconds`, async () => {
    await using dr = await new Builder().withModules(NODES)
      .withMapExecutor(kind, { workers: 2 }).build();
    await dr.map(["doubled"] as never[], { inputs: { x: [1] }, mapOver: "x" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const t0 = performance.now();
    await assert.rejects(
      dr.map(["spin_a"] as never[], {
        inputs: { ms: [10_000, 10_000, 10_000] },
        mapOver: "ms",
        signal: controller.signal,
      }),
      CancelledError,
    );
    assert.ok(performance.now() - t0 < 500, "cancelled late");
  });

  Deno.test(`[${kind} map] an inline closure is a WorkerError naming the node`, async () => {
    await using dr = await new Builder()
      .withModules({ inline: ({ x }: { x: number }) => x })
      .withMapExecutor(kind).build();
    await assert.rejects(
      dr.map(["inline"], { inputs: { x: [1, 2] }, mapOver: "x" }),
      (e: unknown) => e instanceof WorkerError && e.nodeName === "inline",
    );
  });
}

Deno.test("[parallel map] a chunk that times out or ends its worker names the node and the item it was at", async () => {
  for (
    const [name, options] of [
      ["hangs", { workers: 1, timeoutMs: 200 }],
      ["exits", { workers: 1 }],
    ] as const
  ) {
    await using dr = await new Builder().withModules(NODES)
      .withMapExecutor("parallel", options).build();
    const error = await dr.map(["doubled", name] as never[], {
      inputs: { x: [1, 2, 3] },
      mapOver: "x",
    }).then(() => assert.fail(`${name} succeeded`), (e: unknown) => e);
    assert.ok(error instanceof NodeExecutionError, String(error));
    assert.equal(error.nodeName, name);
    assert.equal(error.item, 0);
    assert.ok(error.cause instanceof WorkerError);
    assert.match(
      error.message,
      new RegExp(`^Node "${name}" \\(item 0\\) failed: Map items 0 to`),
    );
  }
});

Deno.test("[parallel map] with adapters, hooks see every node of every item", async () => {
  const seen: string[] = [];
  await using dr = await new Builder().withModules(NODES)
    .withMapExecutor("parallel")
    .withAdapters({
      afterNodeExecution: (e) => void seen.push(`${e.nodeName}@${e.item}`),
    })
    .build();
  await dr.map(["doubled"] as never[], { inputs: { x: [1, 2] }, mapOver: "x" });
  assert.deepEqual(seen.sort(), ["doubled@0", "doubled@1"]);
});

Deno.test("[parallel map] after an item fails, chunks waiting in the pool's queue are withdrawn and never start", async () => {
  using probe = await listen();
  await using dr = await new Builder()
    .withModules(new URL("../fixtures/workers/gates.ts", import.meta.url).href)
    .withExecutor("threaded", { workers: 2 })
    .withMapExecutor("parallel") // on the same two workers
    .build();
  // Another run holds one worker: of the map's first two chunks (one item
  // each), one runs on the other worker and fails, one waits in the queue.
  const holder = dr.execute(["held"] as never[], { inputs: { key: "m" } });
  await probe.seen((r) => r === "held:m");
  await assert.rejects(
    dr.map(["ran"] as never[], { inputs: { x: [-1, 1, 2, 3] }, mapOver: "x" }),
    (e: unknown) =>
      e instanceof NodeExecutionError && e.item === 0 &&
      (e.cause as Error).message === "x is -1",
  );
  open("m");
  await holder;
  // Each worker holds a fence: whatever either ran before has reported.
  const fences = ["f1", "f2"].map((key) =>
    dr.execute(["held"] as never[], { inputs: { key } })
  );
  await probe.seen((r) => r === "held:f1");
  await probe.seen((r) => r === "held:f2");
  open("f1");
  open("f2");
  await Promise.all(fences);
  assert.deepEqual(reports.filter((r) => r.startsWith("ran:")), ["ran:-1"]);
});

Deno.test("withMapExecutor rejects an unknown kind and bad options", () => {
  assert.throws(
    () => new Builder().withMapExecutor("fast" as never),
    /'mapExecutor' must be one of "sequential", "async", "threaded", "parallel": received "fast"/,
  );
  assert.throws(
    () => new Builder().withMapExecutor("parallel", { workers: 0 }),
    RangeError,
  );
});

// A node `t` that records how many of its calls ran at once, at most.
function overlapping() {
  const seen = { running: 0, peak: 0 };
  const t = async ({ x }: { x: number }) => {
    seen.peak = Math.max(seen.peak, ++seen.running);
    await new Promise((r) => setTimeout(r, 3));
    seen.running--;
    return x;
  };
  return { seen, module: { t } };
}

Deno.test("the sequential map executor runs one item at a time, whatever the node executor", async () => {
  const { seen, module } = overlapping();
  await using dr = await new Builder()
    .withModules(module)
    .withExecutor("async")
    .withMapExecutor("sequential")
    .build();
  const out = await dr.map(["t"], {
    inputs: { x: [1, 2, 3, 4] },
    mapOver: "x",
  });
  assert.deepEqual(out.map((o) => o.t), [1, 2, 3, 4]);
  assert.equal(seen.peak, 1);
});

Deno.test("the async map executor runs items at once, whatever the node executor", async () => {
  const { seen, module } = overlapping();
  await using dr = await new Builder()
    .withModules(module)
    .withMapExecutor("async", { concurrency: 3 })
    .build();
  await dr.map(["t"], { inputs: { x: [1, 2, 3, 4, 5, 6] }, mapOver: "x" });
  assert.equal(seen.peak, 3);
});
