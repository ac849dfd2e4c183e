import assert from "node:assert/strict";
import { Builder, MemoryRunStore, type RouteTask } from "../../mod.ts";

const features = {
  slow: () => 1,
  quick: ({ slow }: { slow: number }) => slow + 1,
};

Deno.test("routing by cost starts from the durations the run store recorded of the same graph", async () => {
  await using plain = await new Builder().withModules(features).build();
  const store = new MemoryRunStore();
  // An earlier process ran this graph: slow took 500 ms, quick 2 ms.
  const earlier = {
    id: "earlier",
    kind: "run",
    status: "succeeded",
    startedAt: Date.now() - 1000,
    tags: {},
    finalVars: ["quick"],
    inputs: [],
    overrides: [],
    config: {},
    modules: [],
    planSignature: plain.planSignature,
    plan: { nodes: [], edges: [] },
  } as const;
  store.finish(earlier, [
    { name: "slow", status: "succeeded", durationMs: 500 },
    { name: "quick", status: "succeeded", durationMs: 2 },
  ]);
  // Another graph's run does not count.
  store.finish({ ...earlier, id: "other", planSignature: "else" }, [
    { name: "quick", status: "succeeded", durationMs: 900 },
  ]);
  const seen: [string, number | undefined, string][] = [];
  await using dr = await new Builder().withModules(features)
    .withExecutors({
      executors: { local: "sequential", heavy: "async" },
      route: (task: RouteTask) => {
        const lane = (task.cost ?? 0) > 100 ? "heavy" : "local";
        seen.push([task.name, task.cost, lane]);
        return lane;
      },
    })
    .withRunStore({ store }).build();
  assert.deepEqual(await dr.execute(["quick"]), { quick: 2 });
  assert.deepEqual(seen, [["slow", 500, "heavy"], ["quick", 2, "local"]]);
});
