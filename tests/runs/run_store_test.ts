import assert from "node:assert/strict";
import {
  Builder,
  Engine,
  MemoryCacheStore,
  MemoryRunStore,
  named,
  node,
  Pipeline,
  retry,
  type RunStore,
  SqliteCacheStore,
  SqliteRunStore,
  tag,
} from "../../mod.ts";
import { tempDir } from "./_helpers.ts";

const features = {
  a: ({ x }: { x: number }) => x + 1,
  b: ({ a }: { a: number }) => a * 2,
  boom: ({ a }: { a: number }): number => {
    throw new RangeError(`no ${a}`);
  },
  chatty: (
    { a, ctx }: { a: number; ctx: { log(m: string, d?: unknown): void } },
  ) => {
    ctx.log("hello", { a });
    return a;
  },
};

Deno.test("execute() records the run: request, plan, status and every node", async () => {
  const store = new MemoryRunStore();
  await using dr = await new Builder().withModules(features)
    .withConfig({ region: "eu" }).withRunStore({ store }).build();
  const out = await dr.execute(["b"], { inputs: { x: 1 } });
  assert.deepEqual(out, { b: 4 });
  const [run] = await dr.runs.list();
  assert.ok(run !== undefined);
  assert.equal(run.kind, "execute");
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.finalVars, ["b"]);
  assert.deepEqual(run.inputs.map((i) => i.name), ["x"]);
  assert.match(run.inputs[0]!.dataVersion!, /^[0-9a-f]{32}$/);
  assert.deepEqual(run.config, { region: "eu" });
  assert.equal(run.planSignature, dr.planSignature);
  assert.ok(run.endedAt! >= run.startedAt);
  assert.deepEqual(
    run.plan.nodes.map((n) => [n.name, n.kind]),
    [["x", "input"], ["a", "node"], ["b", "node"]],
  );
  assert.deepEqual(run.plan.edges, [["x", "a"], ["a", "b"]]);
  const nodes = await dr.runs.nodes(run.id);
  assert.deepEqual(nodes.map((n) => [n.name, n.status, n.executor]), [
    ["a", "succeeded", "sequential"],
    ["b", "succeeded", "sequential"],
  ]);
  assert.ok(
    nodes.every((n) => n.attempts === 1 && n.startedAt! >= run.startedAt),
  );
});

Deno.test("a failed run is stored failed, with the node's error name, message and stack", async () => {
  const store = new MemoryRunStore();
  await using dr = await new Builder().withModules(features)
    .withRunStore({ store }).build();
  await assert.rejects(dr.execute(["boom", "b"], { inputs: { x: 1 } }));
  const [run] = await dr.runs.list({ status: "failed" });
  assert.equal(run?.status, "failed");
  assert.equal(run?.error?.name, "NodeExecutionError");
  const boom = (await dr.runs.nodes(run!.id)).find((n) => n.name === "boom");
  assert.equal(boom?.status, "failed");
  assert.equal(boom?.error?.name, "RangeError");
  assert.equal(boom?.error?.message, "no 2");
  assert.match(boom?.error?.stack ?? "", /RangeError: no 2\n\s+at /);
  assert.equal(run?.error?.cause?.message, "no 2");
});

Deno.test("user logs, retries and cache outcomes with data versions are stored per node", async () => {
  let calls = 0;
  const flaky = node(({ a }: { a: number }) => {
    if (++calls === 1) throw new Error("once");
    return a;
  }, retry({ attempts: 2 }));
  await using dr = await new Builder()
    .withModules({ ...features, flaky })
    .withCache({ store: new MemoryCacheStore() })
    .withRunStore({ store: new MemoryRunStore() }).build();
  const { runId } = await dr.run(["chatty", "flaky"], { inputs: { x: 1 } });
  const nodes = new Map((await dr.runs.nodes(runId)).map((n) => [n.name, n]));
  assert.deepEqual(nodes.get("chatty")?.logs?.map((l) => [l.message, l.data]), [
    ["hello", { a: 2 }],
  ]);
  assert.equal(nodes.get("flaky")?.attempts, 2);
  assert.equal(nodes.get("flaky")?.status, "succeeded");
  assert.equal(nodes.get("flaky")?.error, undefined);
  assert.equal(nodes.get("a")?.cache, "miss");
  assert.match(nodes.get("a")?.dataVersion ?? "", /^[0-9a-f]{32}$/);
  assert.match(nodes.get("a")?.cacheKey ?? "", /^[0-9a-f]{32}$/);
  assert.match(nodes.get("a")?.codeVersion ?? "", /^[0-9a-f]+$/);
  const again = await dr.run(["a"], { inputs: { x: 1 } });
  const [hit] = await dr.runs.nodes(again.runId);
  assert.equal(hit?.cache, "hit");
  assert.equal(hit?.dataVersion, nodes.get("a")?.dataVersion);
});

Deno.test("stream() records the events it yields, and a stream left early is stored cancelled", async () => {
  await using dr = await new Builder().withModules(features)
    .withRunStore({ store: new MemoryRunStore() }).build();
  let runId = "";
  for await (const event of dr.stream(["b"], { inputs: { x: 1 } })) {
    runId = event.runId;
  }
  assert.equal((await dr.runs.get(runId))?.status, "succeeded");
  assert.equal((await dr.runs.get(runId))?.kind, "stream");
  for await (const event of dr.stream(["b"], { inputs: { x: 1 } })) {
    runId = event.runId;
    break; // after runStarted
  }
  assert.equal((await dr.runs.get(runId))?.status, "cancelled");
});

Deno.test("a cancelled run is stored cancelled", async () => {
  const controller = new AbortController();
  const gate = Promise.withResolvers<void>();
  await using dr = await new Builder()
    .withModules({
      slow: async ({ ctx }: { ctx: { signal: AbortSignal } }) => {
        gate.resolve();
        await new Promise((r) => ctx.signal.addEventListener("abort", r));
        return 1;
      },
    })
    .withExecutor("async")
    .withRunStore({ store: new MemoryRunStore() }).build();
  const running = dr.run(["slow"], { signal: controller.signal });
  await gate.promise;
  controller.abort();
  const { runId } = await running;
  assert.equal((await dr.runs.get(runId))?.status, "cancelled");
});

Deno.test("map() stores one record per item: when it ended and why it failed", async () => {
  await using dr = await new Builder()
    .withModules({
      half: ({ x }: { x: number }) => {
        if (x === 3) throw new Error("odd three");
        return x / 2;
      },
    })
    .withRunStore({ store: new MemoryRunStore() }).build();
  const out = await dr.map(["half"], {
    inputs: { x: [2, 3, 4] },
    mapOver: "x",
    onError: "collect",
    tags: { team: "data" },
  });
  assert.equal(out.length, 3);
  const [run] = await dr.runs.list({ tag: { team: "data" } });
  assert.equal(run?.kind, "map");
  assert.equal(run?.items, 3);
  assert.deepEqual(run?.inputs, [{ name: "x", items: 3 }]);
  const items = await dr.runs.items(run!.id);
  assert.deepEqual(items.map((i) => i.status), [
    "succeeded",
    "failed",
    "succeeded",
  ]);
  assert.ok(items.every((i) => i.endedMs! >= 0));
  assert.match(items[1]?.error?.message ?? "", /odd three/);
});

Deno.test("runs.list filters by status, tag, since and limit, newest first", async () => {
  await using dr = await new Builder().withModules(features)
    .withRunStore({ store: new MemoryRunStore() }).build();
  const first = await dr.map(["a"], {
    inputs: { x: [1] },
    mapOver: "x",
    tags: { env: "dev" },
  });
  assert.equal(first.length, 1);
  await dr.map(["a"], {
    inputs: { x: [1] },
    mapOver: "x",
    tags: { env: "prod" },
  });
  await dr.run(["boom"], { inputs: { x: 1 } });
  const all = await dr.runs.list();
  assert.equal(all.length, 3);
  assert.equal(all[0]?.status, "failed"); // the newest
  assert.deepEqual((await dr.runs.list({ tag: { env: "dev" } })).length, 1);
  assert.deepEqual((await dr.runs.list({ status: "failed" })).length, 1);
  const oldest = all.at(-1)!.startedAt;
  assert.deepEqual((await dr.runs.list({ since: oldest })).length, 3);
  assert.deepEqual(
    (await dr.runs.list({ since: new Date(Date.now() + 60_000) })).length,
    0,
  );
  assert.deepEqual((await dr.runs.list({ limit: 1 })).length, 1);
  await assert.rejects(
    dr.runs.list({ limit: 0 }),
    /'limit' must be a positive integer: received 0/,
  );
});

Deno.test("SqliteRunStore keeps runs across processes' stores, and list filters in SQL", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/nested/runs.db`;
  let runId: string;
  {
    await using dr = await new Builder().withModules(features)
      .withRunStore({ path }).build();
    runId = (await dr.run(["chatty", "boom"], {
      inputs: { x: 1 },
      onFailure: "continue",
    })).runId;
    await dr.map(["a"], {
      inputs: { x: [1, 2] },
      mapOver: "x",
      tags: { team: "a", tier: 2 },
    });
  }
  const store = new SqliteRunStore(path);
  try {
    const run = store.get(runId);
    assert.equal(run?.status, "failed");
    const nodes = store.nodes(runId);
    assert.deepEqual(
      nodes.map((n) => [n.name, n.status]),
      [["a", "succeeded"], ["boom", "failed"], ["chatty", "succeeded"]],
    );
    assert.equal(nodes[2]?.logs?.[0]?.message, "hello");
    assert.equal(nodes[1]?.error?.message, "no 2");
    assert.equal(store.list({ tag: { tier: "2" } }).length, 1);
    assert.equal(store.list({ tag: { team: "c" } }).length, 0);
    assert.equal(store.list({ status: "failed" })[0]?.id, runId);
    const [map] = store.list({ tag: { team: "a" } });
    assert.deepEqual(store.items(map!.id).map((i) => i.status), [
      "succeeded",
      "succeeded",
    ]);
  } finally {
    store.close();
  }
});

Deno.test("retention keeps the newest N runs (memory and SQLite)", async () => {
  await using dir = await tempDir();
  for (
    const store of [
      new MemoryRunStore({ keep: { runs: 2 } }),
      new SqliteRunStore(`${dir.path}/runs.db`, { keep: { runs: 2 } }),
    ]
  ) {
    await using dr = await new Builder().withModules(features)
      .withRunStore({ store }).build();
    const ids = [];
    for (let x = 0; x < 4; x++) {
      ids.push((await dr.run(["a"], { inputs: { x } })).runId);
    }
    assert.deepEqual(
      (await dr.runs.list()).map((r) => r.id),
      [ids[3], ids[2]],
      store.constructor.name,
    );
    (store as { close?(): void }).close?.();
  }
  assert.throws(
    () => new MemoryRunStore({ keep: { runs: 0 } }),
    /'keep.runs' must be a positive integer: received 0/,
  );
});

Deno.test("retention by days drops runs started earlier", () => {
  const store = new MemoryRunStore({ keep: { days: 1 } });
  const old = {
    id: "old",
    kind: "run",
    status: "succeeded",
    startedAt: Date.now() - 2 * 86_400_000,
    tags: {},
    finalVars: [],
    inputs: [],
    overrides: [],
    config: {},
    modules: [],
    planSignature: "",
    plan: { nodes: [], edges: [] },
  } as const;
  store.start(old);
  store.start({ ...old, id: "new", startedAt: Date.now() });
  assert.deepEqual(store.list().map((r) => r.id), ["new"]);
});

Deno.test("a failing store never fails the run: it warns, and stream() yields a warning event", async () => {
  const broken: RunStore = {
    start() {
      throw new Error("disk full");
    },
    finish: () => Promise.reject(new Error("disk still full")),
    list: () => [],
    get: () => undefined,
    nodes: () => [],
    items: () => [],
  };
  const warnings: string[] = [];
  await using dr = await new Builder().withModules(features)
    .withRunStore({ store: broken, onWarning: (w) => warnings.push(w.message) })
    .build();
  assert.deepEqual(await dr.execute(["b"], { inputs: { x: 1 } }), { b: 4 });
  await dr.runs.list(); // waits for the pending write
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /could not record the start of run .*: disk full/);
  assert.match(
    warnings[1]!,
    /could not record the end of run .*: disk still full/,
  );
  const types: string[] = [];
  for await (const event of dr.stream(["b"], { inputs: { x: 1 } })) {
    types.push(event.type);
  }
  // The start's warning at once, the end's once its write failed.
  assert.equal(types[1], "warning");
  assert.equal(types.filter((t) => t === "warning").length, 2);
  assert.ok(types.includes("runFinished"));
});

Deno.test("a driver without a run store says how to get one", async () => {
  await using dr = await new Builder().withModules(features).build();
  assert.equal(dr.runs.enabled, false);
  await assert.rejects(dr.runs.list(), /withRunStore/);
  assert.throws(
    () => new Builder().withRunStore({}),
    /Exactly one of 'path' and 'store' must be given/,
  );
});

Deno.test("runs.events replays a stored run's events in order", async () => {
  await using dr = await new Builder().withModules(features)
    .withRunStore({ store: new MemoryRunStore() }).build();
  const live: string[] = [];
  let runId = "";
  for await (const e of dr.stream(["chatty"], { inputs: { x: 1 } })) {
    runId = e.runId;
    live.push(`${e.type}:${"nodeName" in e ? e.nodeName : ""}`);
  }
  const replayed: string[] = [];
  for await (const e of dr.runs.events(runId)) {
    replayed.push(`${e.type}:${"nodeName" in e ? e.nodeName : ""}`);
  }
  assert.deepEqual(replayed, live);
});

Deno.test("a Pipeline records its runs through its Engine's runStore", async () => {
  const store = new MemoryRunStore();
  await using engine = new Engine({ runStore: { store } });
  const pipeline = new Pipeline({
    nodes: [
      node(({ x }: { x: number }) => x + 1, named("y"), tag({ owner: "me" })),
    ],
    engine,
  });
  assert.deepEqual(await pipeline.run({ inputs: { x: 1 } }), { y: 2 });
  await pipeline.map({ inputs: { x: [1, 2] }, mapOver: "x" });
  const runs = store.list();
  assert.deepEqual(runs.map((r) => r.kind), ["map", "execute"]);
  assert.deepEqual(store.nodes(runs[1]!.id).map((n) => n.name), ["y"]);
});

Deno.test("the run store records the modules a driver was built from", async () => {
  await using dir = await tempDir();
  const module = `${dir.path}/m.ts`;
  await Deno.writeTextFile(module, "export const one = () => 1;\n");
  await using dr = await new Builder().withModules(module)
    .withCache({ store: new SqliteCacheStore(`${dir.path}/cache`) })
    .withRunStore({ store: new MemoryRunStore() }).build();
  const { runId } = await dr.run(["one"]);
  assert.deepEqual((await dr.runs.get(runId))?.modules, [
    new URL(`file://${module}`).href,
  ]);
  (dr.cache.store as SqliteCacheStore).close();
});

Deno.test("a run's progress is recorded while it runs (every progressMs), so a viewer can follow it", async () => {
  const store = new MemoryRunStore();
  const gate = Promise.withResolvers<void>();
  const reached = Promise.withResolvers<void>();
  await using dr = await new Builder()
    .withModules({
      first: () => 1,
      second: async ({ first }: { first: number }) => {
        reached.resolve();
        await gate.promise;
        return first + 1;
      },
    })
    .withExecutor("async")
    .withRunStore({ store, progressMs: 0 }).build();
  const running = dr.run(["second"]);
  await reached.promise;
  const [run] = store.list();
  assert.equal(run?.status, "running");
  assert.ok(run!.updatedAt! >= run!.startedAt);
  assert.deepEqual(store.nodes(run!.id).map((n) => [n.name, n.status]), [
    ["first", "succeeded"],
    ["second", "pending"],
  ]);
  gate.resolve();
  await running;
  assert.equal(store.get(run!.id)?.status, "succeeded");
  assert.deepEqual(store.nodes(run!.id).map((n) => n.status), [
    "succeeded",
    "succeeded",
  ]);
  assert.throws(
    () => new Builder().withRunStore({ store, progressMs: -1 }),
    /'progressMs' must be a non-negative number: received -1/,
  );
});

Deno.test("stream() over a map records each item's end and failure too", async () => {
  await using dr = await new Builder()
    .withModules({
      half: ({ x }: { x: number }) => {
        if (x === 3) throw new Error("odd three");
        return x / 2;
      },
    })
    .withRunStore({ store: new MemoryRunStore() }).build();
  let runId = "";
  for await (
    const event of dr.stream(["half"], {
      inputs: { x: [2, 3, 4] },
      mapOver: "x",
      onError: "collect",
    })
  ) runId = event.runId;
  const run = await dr.runs.get(runId);
  assert.equal(run?.kind, "stream");
  assert.equal(run?.items, 3);
  const items = await dr.runs.items(runId);
  assert.deepEqual(items.map((i) => i.status), [
    "succeeded",
    "failed",
    "succeeded",
  ]);
  assert.match(items[1]?.error?.message ?? "", /odd three/);
  const [half] = await dr.runs.nodes(runId);
  assert.equal(half?.status, "failed"); // the first failure of its items
});

Deno.test("a node routed by a route function is recorded with the executor routing gave it, as its nodeStarted event says", async () => {
  await using dr = await new Builder()
    .withModules({
      a: () => 1,
      b: ({ a }: { a: number }) => a + 1,
      c: node(({ b }: { b: number }) => b * 2, tag({ executor: "light" })),
    })
    .withExecutors({
      executors: { light: "sequential", heavy: "async" },
      route: (task) => task.name === "b" ? "heavy" : "light",
    })
    .withRunStore({ store: new MemoryRunStore() }).build();
  const started = new Map<string, string | undefined>();
  let runId = "";
  for await (const e of dr.stream(["c"])) {
    if (e.type === "nodeStarted") started.set(e.nodeName, e.executor);
    runId = e.runId;
  }
  assert.deepEqual(Object.fromEntries(started), {
    a: "light",
    b: "heavy",
    c: "light",
  });
  const nodes = await dr.runs.nodes(runId);
  assert.deepEqual(
    Object.fromEntries(nodes.map((n) => [n.name, n.executor])),
    { a: "light", b: "heavy", c: "light" },
  );
});
