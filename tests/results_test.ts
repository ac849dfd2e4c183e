// run() and stream() with onFailure "continue": every failed node is
// reported failed, and each dependent left out is skipped with reason
// "upstream-failed", on each executor that runs nodes in this thread.
import assert from "node:assert/strict";
import {
  Builder,
  type CacheRead,
  type ExecutionEvent,
  type ExecutorKind,
  type ExecutorOptions,
  MemoryCacheStore,
  type NodeExecutionError,
  type NodeResult,
  RunFailedError,
} from "../mod.ts";

const SETTINGS: [string, ExecutorKind, ExecutorOptions][] = [
  ["sequential", "sequential", {}],
  ["async", "async", {}],
  ["async, concurrency 1", "async", { concurrency: 1 }],
];

// bad_a (sync) and bad_b (async) fail; after_a and after_after_a depend on
// bad_a; good and after_good do not depend on any failure.
const failing = {
  bad_a: (): number => {
    throw new Error("a broke");
  },
  bad_b: async (): Promise<number> => {
    await null;
    throw new Error("b broke");
  },
  good: async () => (await null, 1),
  after_good: ({ good }: { good: number }) => good + 1,
  after_a: ({ bad_a }: { bad_a: number }) => bad_a,
  after_after_a: ({ after_a }: { after_a: number }) => after_a,
};
const VARS = ["after_good", "after_after_a", "bad_b"] as const;

function byName(nodes: readonly NodeResult[]): Record<string, NodeResult> {
  return Object.fromEntries(nodes.map((n) => [n.name, n]));
}

for (const [label, kind, options] of SETTINGS) {
  Deno.test(`[${label}] run() with onFailure "continue" reports each failed node failed and its dependents skipped as upstream-failed`, async () => {
    const dr = await new Builder().withModules(failing)
      .withExecutor(kind, options).build();
    const result = await dr.run(VARS, { onFailure: "continue" });
    assert.equal(result.success, false);
    assert.ok(result.error instanceof RunFailedError, String(result.error));
    const nodes = byName(result.nodes);
    assert.deepEqual(
      result.error.errors.map((e) => (e as NodeExecutionError).nodeName)
        .sort(),
      ["bad_a", "bad_b"],
    );
    for (
      const [name, message] of [["bad_a", "a broke"], ["bad_b", "b broke"]]
    ) {
      assert.equal(nodes[name!]?.status, "failed", name);
      // What the node threw, as for any failed node.
      assert.equal((nodes[name!]?.error as Error).message, message);
    }
    for (const name of ["after_a", "after_after_a"]) {
      assert.equal(nodes[name]?.status, "skipped", name);
      assert.equal(nodes[name]?.skipReason, "upstream-failed", name);
    }
    assert.equal(nodes.good?.status, "succeeded");
    assert.equal(nodes.after_good?.status, "succeeded");
    assert.equal(result.nodes.length, 6);
  });

  Deno.test(`[${label}] stream() with onFailure "continue" yields nodeFailed for each failure and nodeSkipped "upstream-failed" for each dependent`, async () => {
    const dr = await new Builder().withModules(failing)
      .withExecutor(kind, options).build();
    const events: ExecutionEvent[] = [];
    for await (const event of dr.stream(VARS, { onFailure: "continue" })) {
      events.push(event);
    }
    const failed = events.flatMap((e) =>
      e.type === "nodeFailed" ? [e.nodeName] : []
    );
    assert.deepEqual(failed.sort(), ["bad_a", "bad_b"]);
    const skipped = events.flatMap((e) =>
      e.type === "nodeSkipped" ? [`${e.nodeName}:${e.reason}`] : []
    );
    assert.deepEqual(skipped.sort(), [
      "after_a:upstream-failed",
      "after_after_a:upstream-failed",
    ]);
    const last = events.at(-1)!;
    assert.equal(last.type, "runFinished");
    assert.ok(last.type === "runFinished" && !last.success);
    assert.ok(
      last.type === "runFinished" && last.error instanceof RunFailedError,
    );
  });
}

Deno.test('with onFailure "stop" a node the failure kept from starting is "not-reached", not "upstream-failed"', async () => {
  const dr = await new Builder().withModules(failing)
    .withExecutor("sequential").build();
  const result = await dr.run(VARS);
  const nodes = byName(result.nodes);
  assert.equal(nodes.bad_a?.status, "failed");
  assert.equal(nodes.after_a?.skipReason, "not-reached");
  assert.equal(nodes.after_after_a?.skipReason, "not-reached");
});

// Spins for `ms` milliseconds of this thread's time.
function spin(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

Deno.test("run() times each of several sync nodes that run in one turn on the sequential executor", async () => {
  const dr = await new Builder().withModules({
    first: () => spin(5),
    second: ({ first }: { first: number }) => first + spin(5),
    third: ({ second }: { second: number }) => second + spin(5),
  }).build();
  const result = await dr.run(["third"]);
  for (const node of result.nodes) {
    assert.ok(node.durationMs >= 4, `${node.name}: ${node.durationMs} ms`);
    assert.ok(node.durationMs < 1_000, `${node.name}: ${node.durationMs} ms`);
  }
});

Deno.test("a run's durations do not reach back to the previous run's last clock reading", async () => {
  const dr = await new Builder().withModules({
    a: () => 1,
    b: ({ a }: { a: number }) => a + 1,
  }).build();
  await dr.run(["b"]);
  // Time passes between the runs (a wait, not an ordering device).
  await new Promise((resolve) => setTimeout(resolve, 40));
  const result = await dr.run(["b"]);
  for (const node of result.nodes) {
    assert.ok(node.durationMs < 30, `${node.name}: ${node.durationMs} ms`);
  }
});

Deno.test("run() times an async node from its start to its settling, on the async executor", async () => {
  const dr = await new Builder().withModules({
    quick: async () => (await null, 1),
    waits: async ({ quick }: { quick: number }) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return quick + 1;
    },
    after: ({ waits }: { waits: number }) => waits + 1,
  }).withExecutor("async").build();
  const nodes = byName((await dr.run(["after"])).nodes);
  assert.ok(nodes.waits!.durationMs >= 15, `${nodes.waits!.durationMs} ms`);
  assert.ok(nodes.quick!.durationMs < 15, `${nodes.quick!.durationMs} ms`);
  assert.ok(nodes.after!.durationMs < 15, `${nodes.after!.durationMs} ms`);
});

// A memory store that takes 5 ms of this thread's time to read a result.
class SlowStore extends MemoryCacheStore {
  override getResult(dataVersion: string): CacheRead {
    spin(5);
    return super.getResult(dataVersion);
  }
}

Deno.test("run() gives a cache hit the time a sync store took to answer", async () => {
  const dr = await new Builder().withModules({
    a: () => 1,
    b: ({ a }: { a: number }) => a + 1,
  }).withCache({ store: new SlowStore() }).build();
  await dr.run(["b"]);
  const nodes = (await dr.run(["b"])).nodes;
  for (const node of nodes) {
    assert.equal(node.cache, "hit", node.name);
    assert.ok(node.durationMs >= 4, `${node.name}: ${node.durationMs} ms`);
  }
});
