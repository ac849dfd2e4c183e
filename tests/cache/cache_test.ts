import assert from "node:assert/strict";
import {
  Builder,
  cache,
  cacheKey,
  checkOutput,
  collect,
  type ExecutionEvent,
  MemoryCacheStore,
  node,
  parallelizable,
  parameterize,
  pipeInput,
  source,
  step,
  value,
} from "../../mod.ts";
import { counting, outcomes, tempDir } from "./_helpers.ts";

for (const executor of ["sequential", "async"] as const) {
  const build = (
    modules: Record<string, unknown>,
    store = new MemoryCacheStore(),
  ) =>
    new Builder().withModules(modules).withExecutor(executor).withCache({
      store,
    }).build();

  Deno.test(`cache (${executor}): a second identical execute runs no node and returns equal values`, async () => {
    const { calls, count } = counting();
    const dr = await build({
      raw: ({ n }: { n: number }) => (count("raw"), { list: [n, n + 1] }),
      total: async ({ raw }: { raw: { list: number[] } }) => {
        count("total");
        await Promise.resolve();
        return raw.list.reduce((a, b) => a + b, 0);
      },
    });
    const first = await dr.execute(["raw", "total"], { inputs: { n: 3 } });
    const second = await dr.execute(["raw", "total"], { inputs: { n: 3 } });
    assert.deepEqual(second, first);
    assert.deepEqual(calls, { raw: 1, total: 1 });
    await dr.execute(["total"], { inputs: { n: 4 } });
    assert.deepEqual(calls, { raw: 2, total: 2 });
  });

  Deno.test(`cache (${executor}): a new driver on the same path hits`, async () => {
    const path = await tempDir();
    const { calls, count } = counting();
    const modules = {
      a: ({ x }: { x: number }) => (count("a"), new Map([["x", x]])),
      b: ({ a }: { a: Map<string, number> }) => (count("b"), a.get("x")! * 2),
    };
    const make = () =>
      new Builder().withModules(modules).withExecutor(executor).withCache({
        path,
      }).build();
    const first = await make();
    assert.deepEqual(await first.execute(["b"], { inputs: { x: 5 } }), {
      b: 10,
    });
    await first.close();
    const second = await make();
    const result = await second.run(["a", "b"], { inputs: { x: 5 } });
    assert.deepEqual(result.outputs, { a: new Map([["x", 5]]), b: 10 });
    assert.deepEqual(calls, { a: 1, b: 1 });
    assert.deepEqual(outcomes(second.cache.logs(result.runId)), {
      a: "hit",
      b: "hit",
    });
    await second.close();
    await Deno.remove(path, { recursive: true });
  });

  Deno.test(`cache (${executor}): a code change invalidates the node and its dependents, not its upstream`, async () => {
    const store = new MemoryCacheStore();
    const up = ({ x }: { x: number }) => x + 1;
    const down = ({ mid }: { mid: number }) => mid * 10;
    const before = await build({
      up,
      mid: ({ up }: { up: number }) => up * 2,
      down,
    }, store);
    await before.execute(["down"], { inputs: { x: 1 } });
    const after = await build({
      up,
      mid: ({ up }: { up: number }) => up * 3,
      down,
    }, store);
    const result = await after.run(["down"], { inputs: { x: 1 } });
    assert.equal(result.outputs?.down, 60);
    assert.deepEqual(outcomes(after.cache.logs(result.runId)), {
      up: "hit",
      mid: "miss",
      down: "miss",
    });
    // Comments and formatting are not a change.
    const reformatted = await build({
      up,
      // deno-fmt-ignore
      mid: ({ up }: { up: number }) =>   /* triple */ up  *  3,
      down,
    }, store);
    const again = await reformatted.run(["down"], { inputs: { x: 1 } });
    assert.deepEqual(outcomes(reformatted.cache.logs(again.runId)), {
      up: "hit",
      mid: "hit",
      down: "hit",
    });
  });

  Deno.test(`cache (${executor}): cache({ version }) bumps the code version`, async () => {
    const store = new MemoryCacheStore();
    const { calls, count } = counting();
    const fn = () => (count("v"), 1);
    await (await build({ v: node(fn, cache({ version: "1" })) }, store))
      .execute(["v"]);
    await (await build({ v: node(fn, cache({ version: "1" })) }, store))
      .execute(["v"]);
    await (await build({ v: node(fn, cache({ version: "2" })) }, store))
      .execute(["v"]);
    assert.equal(calls.v, 2);
  });

  Deno.test(`cache (${executor}): a change at depth 12 of an input misses`, async () => {
    const { calls, count } = counting();
    const dr = await build({
      deep: ({ tree }: { tree: unknown }) => (count("deep"), typeof tree),
    });
    const nest = (leaf: number) => {
      let value: unknown = { leaf };
      for (let d = 0; d < 12; d++) value = { child: value };
      return value;
    };
    await dr.execute(["deep"], { inputs: { tree: nest(1) } });
    await dr.execute(["deep"], { inputs: { tree: nest(1) } });
    assert.equal(calls.deep, 1);
    await dr.execute(["deep"], { inputs: { tree: nest(2) } });
    assert.equal(calls.deep, 2);
  });

  Deno.test(`cache (${executor}): Map, Set, Date, bigint and typed array inputs hash by content`, async () => {
    const { calls, count } = counting();
    const dr = await build({
      use: ({ v }: { v: unknown }) => (count("use"), typeof v),
    });
    const pairs: [unknown, unknown, unknown][] = [
      [new Map([[1, "a"]]), new Map([[1, "a"]]), new Map([[1, "b"]])],
      [new Set([1, 2]), new Set([1, 2]), new Set([1, 3])],
      [new Date(1000), new Date(1000), new Date(1001)],
      [2n ** 70n, 2n ** 70n, 2n ** 70n + 1n],
      [
        new Float32Array([1, 2]),
        new Float32Array([1, 2]),
        new Float32Array([1, 2.5]),
      ],
    ];
    for (const [a, same, other] of pairs) {
      const before = calls.use ?? 0;
      await dr.execute(["use"], { inputs: { v: a } });
      await dr.execute(["use"], { inputs: { v: same } });
      assert.equal(calls.use, before + 1, `same content hits: ${String(a)}`);
      await dr.execute(["use"], { inputs: { v: other } });
      assert.equal(calls.use, before + 2, `other content misses: ${String(a)}`);
    }
  });

  Deno.test(`cache (${executor}): an unhashable input or value never hits, and the log says why`, async () => {
    const { calls, count } = counting();
    const dr = await build({
      client: () => (count("client"), { send: () => 1 }),
      useFn: ({ f }: { f: () => number }) => (count("useFn"), f()),
    });
    const f = () => 1;
    await dr.execute(["useFn", "client"], { inputs: { f } });
    const result = await dr.run(["useFn", "client"], { inputs: { f } });
    assert.equal(calls.useFn, 2);
    assert.equal(calls.client, 2);
    const logs = dr.cache.logs(result.runId);
    const useFn = logs.find((e) => e.nodeName === "useFn")!;
    assert.equal(useFn.outcome, "miss");
    assert.match(useFn.unhashable!, /input "f" cannot be hashed: function f/);
    const client = logs.find((e) => e.nodeName === "client")!;
    assert.match(client.dataVersion, /^unhashable:/);
    assert.match(client.notStored!, /cannot be hashed/);
  });

  Deno.test(`cache (${executor}): run() records hits as succeeded; stream() yields nodeCached instead of nodeStarted/nodeSucceeded`, async () => {
    const dr = await build({ a: () => 1, b: ({ a }: { a: number }) => a + 1 });
    const cold = await dr.run(["b"]);
    assert.deepEqual(cold.nodes.map((n) => n.cache), ["miss", "miss"]);
    const warm = await dr.run(["b"]);
    assert.deepEqual(warm.nodes.map((n) => [n.name, n.status, n.cache]), [
      ["a", "succeeded", "hit"],
      ["b", "succeeded", "hit"],
    ]);
    const events: ExecutionEvent[] = [];
    for await (const event of dr.stream(["b"])) events.push(event);
    assert.deepEqual(
      events.map((e) => "nodeName" in e ? `${e.type} ${e.nodeName}` : e.type),
      ["runStarted", "nodeCached a", "nodeCached b", "runFinished"],
    );
    for (const e of events) {
      if (e.type === "nodeCached") assert.ok(e.durationMs >= 0);
    }
  });

  Deno.test(`cache (${executor}): logs give each node's outcome, key and data version`, async () => {
    const dr = await build({
      a: () => "x",
      b: ({ a }: { a: string }) => a + "y",
    });
    const { runId } = await dr.run(["b"]);
    const logs = dr.cache.logs(runId);
    assert.deepEqual(logs.map((e) => [e.nodeName, e.outcome]), [["a", "miss"], [
      "b",
      "miss",
    ]]);
    for (const entry of logs) {
      assert.match(entry.key!, /^[0-9a-f]{32}$/);
      assert.match(entry.dataVersion, /^[0-9a-f]{32}$/);
    }
    const warm = await dr.run(["b"]);
    assert.deepEqual(
      dr.cache.logs(warm.runId).map((e) => [e.key, e.dataVersion]),
      logs.map((e) => [e.key, e.dataVersion]),
    );
    assert.deepEqual(dr.cache.logs("no such run"), []);
  });

  Deno.test(`cache (${executor}): fan-out blocks cache per item; a new item runs only its own nodes`, async () => {
    const { calls, count } = counting();
    const dr = await build({
      items: node(({ xs }: { xs: number[] }) => xs, parallelizable()),
      doubled: ({ items }: { items: number }) => (count("doubled"), items * 2),
      total: node(
        ({ doubled }: { doubled: number[] }) => (
          count("total"), doubled.reduce((a, b) => a + b, 0)
        ),
        collect("doubled"),
      ),
    });
    assert.deepEqual(await dr.execute(["total"], { inputs: { xs: [1, 2] } }), {
      total: 6,
    });
    const again = await dr.run(["total"], { inputs: { xs: [1, 2] } });
    assert.deepEqual(again.outputs, { total: 6 });
    assert.deepEqual(calls, { doubled: 2, total: 1 });
    const log = dr.cache.logs(again.runId);
    assert.deepEqual(
      log.filter((e) => e.nodeName === "doubled").map((
        e,
      ) => [e.item, e.outcome]),
      [[0, "hit"], [1, "hit"]],
    );
    await dr.execute(["total"], { inputs: { xs: [1, 2, 3] } });
    assert.deepEqual(calls, { doubled: 3, total: 2 });
  });

  Deno.test(`cache (${executor}): map caches per item; adding an item runs only that item`, async () => {
    const { calls, count } = counting();
    const dr = await build({
      doubled: ({ x }: { x: number }) => (count("doubled"), x * 2),
      shifted: (
        { doubled, k }: { doubled: number; k: number },
      ) => (count("shifted"), doubled + k),
    });
    const first = await dr.map(["shifted"], {
      inputs: { x: [1, 2, 3], k: 1 },
      mapOver: "x",
    });
    assert.deepEqual(first.map((r) => r.shifted), [3, 5, 7]);
    assert.deepEqual(calls, { doubled: 3, shifted: 3 });
    const second = await dr.map(["shifted"], {
      inputs: { x: [1, 2, 3, 4], k: 1 },
      mapOver: "x",
    });
    assert.deepEqual(second.map((r) => r.shifted), [3, 5, 7, 9]);
    assert.deepEqual(calls, { doubled: 4, shifted: 4 });
  });
}

Deno.test("cache: builder recompute always runs the node; dependents still hit when its value is unchanged", async () => {
  const store = new MemoryCacheStore();
  const { calls, count } = counting();
  const modules = {
    a: () => (count("a"), 1),
    b: ({ a }: { a: number }) => (count("b"), a + 1),
  };
  const dr = await new Builder().withModules(modules).withCache({
    store,
    recompute: ["a"],
  }).build();
  await dr.execute(["b"]);
  const { runId } = await dr.run(["b"]);
  assert.deepEqual(calls, { a: 2, b: 1 });
  assert.deepEqual(outcomes(dr.cache.logs(runId)), {
    a: "recompute",
    b: "hit",
  });
  const all = await new Builder().withModules(modules).withCache({
    store,
    recompute: true,
  }).build();
  await all.execute(["b"]);
  assert.deepEqual(calls, { a: 3, b: 2 });
});

Deno.test("cache: disable never reads or stores and its dependents miss; ignore leaves it out of their keys", async () => {
  const { calls, count } = counting();
  const modules = {
    client: () => (count("client"), { url: "db" }),
    rows: (
      { client }: { client: { url: string } },
    ) => (count("rows"), [client.url]),
  };
  const disabled = await new Builder().withModules(modules)
    .withCache({ store: new MemoryCacheStore(), disable: ["client"] }).build();
  await disabled.execute(["rows"]);
  const d = await disabled.run(["rows"]);
  assert.deepEqual(calls, { client: 2, rows: 2 });
  assert.deepEqual(outcomes(disabled.cache.logs(d.runId)), {
    client: "disabled",
    rows: "miss",
  });

  const ignored = await new Builder().withModules(modules)
    .withCache({ store: new MemoryCacheStore(), ignore: ["client"] }).build();
  await ignored.execute(["rows"]);
  const i = await ignored.run(["rows"]);
  assert.deepEqual(calls, { client: 4, rows: 3 });
  assert.deepEqual(outcomes(ignored.cache.logs(i.runId)), {
    client: "ignored",
    rows: "hit",
  });
});

Deno.test("cache: the builder's behaviours win over cache({ behavior }); defaultBehavior fills in the rest", async () => {
  const { calls, count } = counting();
  const modules = {
    a: node(() => (count("a"), 1), cache({ behavior: "recompute" })),
    b: node(() => (count("b"), 2), cache({ behavior: "disable" })),
    c: () => (count("c"), 3),
  };
  const dr = await new Builder().withModules(modules)
    .withCache({
      store: new MemoryCacheStore(),
      recompute: ["b"],
      disable: ["a"],
      defaultBehavior: "recompute",
    })
    .build();
  await dr.execute(["a", "b", "c"]);
  const { runId } = await dr.run(["a", "b", "c"]);
  assert.deepEqual(outcomes(dr.cache.logs(runId)), {
    a: "disabled",
    b: "recompute",
    c: "recompute",
  });
  const plain = await new Builder().withModules(modules)
    .withCache({ store: new MemoryCacheStore(), defaultBehavior: "disable" })
    .build();
  const p = await plain.run(["a", "b", "c"]);
  // The modifier wins over defaultBehavior.
  assert.deepEqual(outcomes(plain.cache.logs(p.runId)), {
    a: "recompute",
    b: "disabled",
    c: "disabled",
  });
  assert.equal(calls.c, 3);
});

Deno.test("cache: disable: true is no cache at all", async () => {
  const { calls, count } = counting();
  const dr = await new Builder().withModules({ a: () => (count("a"), 1) })
    .withCache({ disable: true }).build();
  await dr.execute(["a"]);
  await dr.execute(["a"]);
  assert.equal(calls.a, 2);
  assert.equal(dr.cache.enabled, false);
});

Deno.test("withCache rejects bad options in std style", () => {
  const b = new Builder();
  assert.throws(
    () => b.withCache({ path: "" }),
    /'path' must be a non-empty string/,
  );
  assert.throws(
    () => b.withCache({ path: "x", store: new MemoryCacheStore() }),
    /'path' and 'store' cannot both be given/,
  );
  assert.throws(
    () => b.withCache({ recompute: ["a"], ignore: ["a"] }),
    /"a" is in both 'recompute' and 'ignore'/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => b.withCache({ defaultBehavior: "sometimes" as any }),
    /'defaultBehavior' must be one of default, recompute, disable, ignore: received sometimes/,
  );
  // deno-lint-ignore no-explicit-any
  assert.throws(() => b.withCache({ store: {} as any }), /'store' must have/);
});

Deno.test("cache: a node failure is not stored and fails the run as without a cache", async () => {
  let fail = true;
  const dr = await new Builder().withModules({
    a: () => {
      if (fail) throw new Error("boom");
      return 1;
    },
  }).withCache({ store: new MemoryCacheStore() }).build();
  await assert.rejects(dr.execute(["a"]), /boom/);
  fail = false;
  assert.deepEqual(await dr.execute(["a"]), { a: 1 });
});

Deno.test("cache: overrides and config take part in keys by value", async () => {
  const { calls, count } = counting();
  const dr = await new Builder()
    .withModules({
      a: () => 1,
      b: (
        { a, scale }: { a: number; scale: number },
      ) => (count("b"), a * scale),
    })
    .withConfig({ scale: 10 })
    .withCache({ store: new MemoryCacheStore() }).build();
  assert.deepEqual(await dr.execute(["b"]), { b: 10 });
  assert.deepEqual(await dr.execute(["b"], { overrides: { a: 2 } }), { b: 20 });
  assert.deepEqual(await dr.execute(["b"], { overrides: { a: 2 } }), { b: 20 });
  assert.equal(calls.b, 2);
});

Deno.test("cache: a map hashes a broadcast input once, not once per item", async () => {
  let hashed = 0;
  const table = {
    rows: [1, 2, 3],
    [cacheKey]() {
      hashed++;
      return "table-v1";
    },
  };
  const dr = await new Builder().withModules({
    pick: ({ table, i }: { table: { rows: number[] }; i: number }) =>
      table.rows[i],
  }).withExecutor("async").withCache({ store: new MemoryCacheStore() }).build();
  const out = await dr.map(["pick"], {
    inputs: { table, i: [0, 1, 2] },
    mapOver: "i",
  });
  assert.deepEqual(out.map((r) => r.pick), [1, 2, 3]);
  assert.equal(hashed, 1);
});

Deno.test("cache: a hit fires nodeCached with the value instead of the node's before/after hooks", async () => {
  const seen: string[] = [];
  const dr = await new Builder().withModules({ a: () => 1 })
    .withAdapters({
      beforeNodeExecution: (e) => void seen.push(`before ${e.nodeName}`),
      afterNodeExecution: (e) =>
        void seen.push(`after ${e.nodeName} ${e.cache}`),
      nodeCached: (e) => void seen.push(`cached ${e.nodeName} ${e.result}`),
    })
    .withCache({ store: new MemoryCacheStore() }).build();
  await dr.execute(["a"]);
  await dr.execute(["a"]);
  assert.deepEqual(seen, ["before a", "after a miss", "cached a 1"]);
});

Deno.test("cache: a changed value bound to a step or a parameter misses, through any depth of generated wrappers", async () => {
  const store = new MemoryCacheStore();
  const times = (x: number, { k }: { k: number }) => x * k;
  const add = ({ a, b }: { a: number; b: number }) => a + b;
  const build = (k: number, b: number) =>
    new Builder().withModules({
      raw: () => 2,
      report: node(
        ({ raw }: { raw: number }) => raw + 1,
        pipeInput(step(times, { k: value(k) })),
      ),
      // checkOutput's raw node is the function parameterize generates
      // around add.
      sum: node(
        add,
        parameterize({ total: { a: source("raw"), b: value(b) } }),
        checkOutput((v: number) => v > 0),
      ),
    }).withCache({ store }).build();
  const run = async (k: number, b: number) => {
    const dr = await build(k, b);
    const result = await dr.run(["report", "total"]);
    return {
      outputs: result.outputs,
      log: outcomes(dr.cache.logs(result.runId)),
    };
  };
  await run(3, 10);
  assert.deepEqual(await run(3, 10), {
    outputs: { report: 7, total: 12 },
    log: {
      raw: "hit",
      "report.times": "hit",
      report: "hit",
      total_raw: "hit",
      total_validator: "hit",
      total: "hit",
    },
  });
  assert.deepEqual(await run(4, 20), {
    outputs: { report: 9, total: 22 },
    log: {
      raw: "hit",
      "report.times": "miss",
      report: "miss",
      total_raw: "miss",
      total_validator: "miss",
      total: "miss",
    },
  });
});

Deno.test("cache: an optional input keys the same omitted or passed with its literal default value", async () => {
  const { calls, count } = counting();
  const dr = await new Builder().withModules({
    scaled: ({ x, k = 2, opts = { round: true } }: {
      x: number;
      k?: number;
      opts?: { round: boolean };
    }) => (count("scaled"), opts.round ? Math.round(x * k) : x * k),
    shifted: (x: number, by = -1) => (count("shifted"), x + by),
  }).withCache({ store: new MemoryCacheStore() }).build();
  await dr.execute(["scaled", "shifted"], { inputs: { x: 3 } });
  await dr.execute(["scaled", "shifted"], {
    inputs: { x: 3, k: 2, opts: { round: true }, by: -1 },
  });
  assert.deepEqual(calls, { scaled: 1, shifted: 1 });
  // Another value is another key.
  await dr.execute(["scaled", "shifted"], { inputs: { x: 3, k: 3, by: 1 } });
  assert.deepEqual(calls, { scaled: 2, shifted: 2 });
});

Deno.test("cache: an optional input whose default computes keys apart from any value passed", async () => {
  const { calls, count } = counting();
  const base = 2;
  const dr = await new Builder().withModules({
    scaled: ({ x, k = base * 1 }: { x: number; k?: number }) => (
      count("scaled"), x * k
    ),
  }).withCache({ store: new MemoryCacheStore() }).build();
  await dr.execute(["scaled"], { inputs: { x: 3 } });
  await dr.execute(["scaled"], { inputs: { x: 3, k: 2 } });
  assert.deepEqual(calls, { scaled: 2 }); // never a false hit
});
