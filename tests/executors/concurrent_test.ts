import assert from "node:assert/strict";
import { Builder, inputs, node, NodeExecutionError } from "../../mod.ts";
import { conformance } from "./_conformance.ts";

conformance("async");
conformance("async", { concurrency: 2 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("[async] 8 independent 100 ms nodes finish well under 800 ms", async () => {
  const mod: Record<string, unknown> = {};
  for (let i = 0; i < 8; i++) {
    mod[`s${i}`] = node(() => sleep(100).then(() => i), inputs([]));
  }
  const dr = await new Builder().withModules(mod).withExecutor("async").build();
  const t0 = performance.now();
  const out = await dr.execute(Object.keys(mod));
  const elapsed = performance.now() - t0;
  assert.equal(Object.keys(out).length, 8);
  assert.ok(elapsed < 400, `took ${elapsed} ms`);
});

Deno.test("[async] a node starts as soon as its own inputs are ready, not when its generation is done", async () => {
  const log: string[] = [];
  const mod = {
    fast: async () => (await sleep(5), log.push("fast done"), 1),
    slow: async () => (await sleep(150), log.push("slow done"), 2),
    after_fast: ({ fast }: { fast: number }) => (log.push("after_fast"), fast),
    both: ({ after_fast, slow }: { after_fast: number; slow: number }) =>
      after_fast + slow,
  };
  const dr = await new Builder().withModules(mod).withExecutor("async").build();
  assert.deepEqual(await dr.execute(["both"]), { both: 3 });
  assert.deepEqual(log, ["fast done", "after_fast", "slow done"]);
});

Deno.test("[async] the concurrency limit bounds how many nodes run at once", async () => {
  let running = 0;
  let peak = 0;
  const mod: Record<string, unknown> = {};
  for (let i = 0; i < 12; i++) {
    mod[`t${i}`] = node(async () => {
      peak = Math.max(peak, ++running);
      await sleep(5);
      running--;
      return i;
    }, inputs([]));
  }
  const dr = await new Builder().withModules(mod).withExecutor("async", {
    concurrency: 3,
  }).build();
  await dr.execute(Object.keys(mod));
  assert.equal(peak, 3);
});

Deno.test("[async] with a limit, nodes on the longest remaining path start first", async () => {
  const started: string[] = [];
  const task =
    (name: string) => async () => (started.push(name), await sleep(2), name);
  const mod = {
    short: task("short"),
    long1: task("long1"),
    long2: (
      { long1 }: { long1: string },
    ) => (started.push("long2"), sleep(2).then(() => long1)),
    long3: ({ long2 }: { long2: string }) => (started.push("long3"), long2),
  };
  const dr = await new Builder().withModules(mod).withExecutor("async", {
    concurrency: 1,
  }).build();
  await dr.execute(["short", "long3"]);
  assert.equal(started[0], "long1");
});

Deno.test("[async] when one branch fails, no new node starts, the run rejects with that node's error and siblings see ctx.signal abort", async () => {
  const started: string[] = [];
  let siblingAborted = false;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const mod = {
    fails: async (): Promise<number> => {
      started.push("fails");
      await sleep(5);
      throw new Error("branch failed");
    },
    sibling: async ({ ctx }: { ctx: { signal: AbortSignal } }) => {
      started.push("sibling");
      ctx.signal.addEventListener("abort", () => (siblingAborted = true));
      await new Promise((r) => timers.push(setTimeout(r, 50)));
      return 1;
    },
    after_sibling: (
      { sibling }: { sibling: number },
    ) => (started.push("after_sibling"), sibling),
    sink: (
      { fails, after_sibling }: { fails: number; after_sibling: number },
    ) => fails + after_sibling,
  };
  const dr = await new Builder().withModules(mod).withExecutor("async").build();
  const t0 = performance.now();
  await assert.rejects(
    dr.execute(["sink"]),
    (e: unknown) => e instanceof NodeExecutionError && e.nodeName === "fails",
  );
  assert.ok(
    performance.now() - t0 < 45,
    "rejected before the sibling finished",
  );
  assert.equal(siblingAborted, true);
  await sleep(60); // let the sibling finish: its dependent must not start
  timers.forEach(clearTimeout);
  assert.deepEqual(started.sort(), ["fails", "sibling"]);
});

Deno.test("[async] map items run concurrently", async () => {
  const dr = await new Builder()
    .withModules({
      slow: async ({ x }: { x: number }) => (await sleep(100), x),
    })
    .withExecutor("async")
    .build();
  const t0 = performance.now();
  const out = await dr.map(["slow"], {
    inputs: { x: [1, 2, 3, 4, 5, 6, 7, 8] },
    mapOver: "x",
  });
  assert.ok(performance.now() - t0 < 400);
  assert.deepEqual(out.map((o) => o.slow), [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("[async] map items respect the concurrency limit", async () => {
  let running = 0;
  let peak = 0;
  const dr = await new Builder()
    .withModules({
      t: async ({ x }: { x: number }) => {
        peak = Math.max(peak, ++running);
        await sleep(3);
        running--;
        return x;
      },
    })
    .withExecutor("async", { concurrency: 2 })
    .build();
  await dr.map(["t"], { inputs: { x: [1, 2, 3, 4, 5, 6] }, mapOver: "x" });
  assert.equal(peak, 2);
});

Deno.test("[async] an unbounded map starts every item at once: 1,000 items each waiting 50 ms take well under a second", async () => {
  const dr = await new Builder()
    .withModules({ wait: async ({ x }: { x: number }) => (await sleep(50), x) })
    .withExecutor("async")
    .build();
  const xs = Array.from({ length: 1000 }, (_, i) => i);
  const t0 = performance.now();
  const out = await dr.map(["wait"], { inputs: { x: xs }, mapOver: "x" });
  const elapsed = performance.now() - t0;
  assert.ok(elapsed < 500, `took ${elapsed} ms`);
  assert.deepEqual(out.map((o) => o.wait), xs);
});
