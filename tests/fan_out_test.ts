import assert from "node:assert/strict";
import {
  type Adapter,
  Builder,
  CancelledError,
  collect,
  Engine,
  inject,
  InvalidNodeError,
  named,
  node,
  NodeExecutionError,
  parallelizable,
  parameterize,
  pipeInput,
  Pipeline,
  source,
  step,
  value,
} from "../mod.ts";

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Nested blocks: each row fans out its cells; each row's doubled cells are
// summed, and the row sums collected.
const nestedBlocks = (rows: number[][]) => ({
  rows: node(() => rows, parallelizable()),
  cells: node(({ rows }: { rows: number[] }) => rows, parallelizable()),
  doubled: ({ cells }: { cells: number }) => cells * 2,
  row_sum: node(
    ({ doubled }: { doubled: number[] }) => sum(doubled),
    collect("doubled"),
  ),
  sums: node(
    ({ row_sum }: { row_sum: number[] }) => row_sum,
    collect("row_sum"),
  ),
});

// Hamilton's example: steps() yields 0..n-1, per item square + cube, summed.
function hamilton(calls: Record<string, number> = {}) {
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  return {
    steps: node(function* steps({ n }: { n: number }) {
      count("steps");
      for (let i = 0; i < n; i++) yield i;
    }, parallelizable()),
    square: ({ steps }: { steps: number }) => (count("square"), steps ** 2),
    cube: ({ steps }: { steps: number }) => (count("cube"), steps ** 3),
    both: ({ square, cube }: { square: number; cube: number }) => (
      count("both"), square + cube
    ),
    total: node(
      ({ both }: { both: number[] }) => (count("total"), sum(both)),
      collect("both"),
    ),
  };
}

const EXECUTORS = [
  ["sequential", undefined],
  ["async", undefined],
  ["async", 2],
] as const;

for (const [kind, concurrency] of EXECUTORS) {
  const label = `[${kind}${concurrency ? ` c=${concurrency}` : ""}]`;
  const build = (mod: Record<string, unknown>) =>
    new Builder().withModules(mod).withExecutor(
      kind,
      concurrency === undefined ? {} : { concurrency },
    ).build();

  Deno.test(`${label} Hamilton's fan-out example sums to 280; nodes inside run once per item, outside once`, async () => {
    const calls: Record<string, number> = {};
    const dr = await build(hamilton(calls));
    assert.deepEqual(await dr.execute(["total"], { inputs: { n: 6 } }), {
      total: 280,
    });
    assert.deepEqual(calls, {
      steps: 1,
      square: 6,
      cube: 6,
      both: 6,
      total: 1,
    });
  });

  Deno.test(`${label} zero items give the collect an empty list`, async () => {
    const dr = await build(hamilton());
    assert.deepEqual(await dr.execute(["total"], { inputs: { n: 0 } }), {
      total: 0,
    });
  });

  Deno.test(`${label} requesting a node inside a block returns its per-item values in item order`, async () => {
    const dr = await build({
      ...hamilton(),
      // Later items finish first: order must not depend on timing.
      slow: async ({ steps }: { steps: number }) => {
        await sleep(5 * (3 - steps));
        return `item ${steps}`;
      },
    });
    assert.deepEqual(
      await dr.execute(["slow", "square", "steps"], { inputs: { n: 3 } }),
      {
        slow: ["item 0", "item 1", "item 2"],
        square: [0, 1, 4],
        steps: [0, 1, 2],
      },
    );
  });

  Deno.test(`${label} overriding the parallelizable node feeds the block from the override`, async () => {
    const calls: Record<string, number> = {};
    const dr = await build(hamilton(calls));
    const out = await dr.execute(["total"], {
      overrides: { steps: [1, 2, 3] },
    });
    assert.equal(out.total, 2 + 12 + 36);
    assert.equal(calls.steps, undefined);
    assert.equal(calls.both, 3);
  });

  Deno.test(`${label} overriding the collect skips the block`, async () => {
    const calls: Record<string, number> = {};
    const dr = await build(hamilton(calls));
    const out = await dr.execute(["total"], { overrides: { total: 7 } });
    assert.equal(out.total, 7);
    assert.deepEqual(calls, {});
  });

  Deno.test(`${label} nested blocks: a parallelizable inside a block fans out per outer item`, async () => {
    const dr = await build(nestedBlocks([[1, 2], [3, 4, 5], []]));
    const out = await dr.execute(["sums", "doubled"]);
    assert.deepEqual(out.sums, [6, 24, 0]);
    assert.deepEqual(out.doubled, [[2, 4], [6, 8, 10], []]);
  });

  Deno.test(`${label} a collect may take values from outside the block, computed once`, async () => {
    let offsets = 0;
    const dr = await build({
      ...hamilton(),
      offset: () => (offsets++, 100),
      shifted: ({ square, offset }: { square: number; offset: number }) =>
        square + offset,
      result: node(
        ({ shifted, offset }: { shifted: number[]; offset: number }) =>
          sum(shifted) - offset,
        collect("shifted"),
      ),
    });
    const out = await dr.execute(["result"], { inputs: { n: 3 } });
    assert.equal(out.result, 0 + 1 + 4 + 300 - 100);
    assert.equal(offsets, 1);
  });

  Deno.test(`${label} several collects of one block share its items`, async () => {
    const calls: Record<string, number> = {};
    const dr = await build({
      ...hamilton(calls),
      largest: node(
        ({ both }: { both: number[] }) => Math.max(...both),
        collect("both"),
      ),
    });
    const out = await dr.execute(["total", "largest"], { inputs: { n: 4 } });
    assert.deepEqual(out, { total: 0 + 2 + 12 + 36, largest: 36 });
    assert.equal(calls.both, 4);
  });

  Deno.test(`${label} a failing item fails the run naming the node and the item`, async () => {
    const dr = await build({
      ...hamilton(),
      checked: ({ steps }: { steps: number }) => {
        if (steps === 2) throw new Error("bad item");
        return steps;
      },
      all: node(
        ({ checked }: { checked: number[] }) => checked,
        collect("checked"),
      ),
    });
    const error = await dr.execute(["all"], { inputs: { n: 5 } }).then(
      () => assert.fail("should reject"),
      (e) => e,
    );
    assert.ok(error instanceof NodeExecutionError);
    assert.equal(error.nodeName, "checked");
    assert.equal(error.item, 2);
    assert.equal((error.cause as Error).message, "bad item");
  });

  Deno.test(`${label} parallelizable nodes may return arrays, iterables, async iterables or promises of them`, async () => {
    const sources: Record<string, () => unknown> = {
      array: () => [1, 2, 3],
      set: () => new Set([1, 2, 3]),
      asyncGenerator: async function* () {
        for (const i of [1, 2, 3]) yield await Promise.resolve(i);
      },
      promise: () => Promise.resolve([1, 2, 3]),
    };
    for (const [kind, fn] of Object.entries(sources)) {
      const dr = await build({
        items: node(() => fn(), parallelizable()),
        tenfold: ({ items }: { items: number }) => items * 10,
        all: node(
          ({ tenfold }: { tenfold: number[] }) => tenfold,
          collect("tenfold"),
        ),
      });
      assert.deepEqual((await dr.execute(["all"])).all, [10, 20, 30], kind);
    }
  });
}

Deno.test("a parallelizable node that returns no list of items fails naming it", async () => {
  const dr = await new Builder().withModules({
    items: node(() => 42 as unknown as number[], parallelizable()),
    each: ({ items }: { items: number }) => items,
    all: node(({ each }: { each: number[] }) => each, collect("each")),
  }).build();
  await assert.rejects(
    dr.execute(["all"]),
    (e: unknown) =>
      e instanceof NodeExecutionError && e.nodeName === "items" &&
      /must return an array, iterable or async iterable/.test(
        (e.cause as Error).message,
      ),
  );
});

Deno.test("items of a block run concurrently under the async executor, bounded by its concurrency", async () => {
  let running = 0;
  let peak = 0;
  const mod = {
    items: node(() => [1, 2, 3, 4, 5, 6, 7, 8], parallelizable()),
    waited: async ({ items }: { items: number }) => {
      peak = Math.max(peak, ++running);
      await sleep(100);
      running--;
      return items;
    },
    all: node(({ waited }: { waited: number[] }) => waited, collect("waited")),
  };
  const unbounded = await new Builder().withModules(mod).withExecutor("async")
    .build();
  const start = performance.now();
  assert.deepEqual((await unbounded.execute(["all"])).all, [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
  ]);
  assert.ok(performance.now() - start < 500, "8 parallel 100 ms sleeps");
  assert.equal(peak, 8);

  peak = 0;
  const bounded = await new Builder().withModules(mod).withExecutor("async", {
    concurrency: 2,
  }).build();
  await bounded.execute(["all"]);
  assert.equal(peak, 2);
});

Deno.test("after an item fails, no further item starts (sequential)", async () => {
  const started: number[] = [];
  const dr = await new Builder().withModules({
    items: node(() => [0, 1, 2, 3], parallelizable()),
    each: ({ items }: { items: number }) => {
      started.push(items);
      if (items === 1) throw new Error("stop here");
      return items;
    },
    all: node(({ each }: { each: number[] }) => each, collect("each")),
  }).build();
  await assert.rejects(dr.execute(["all"]), NodeExecutionError);
  assert.deepEqual(started, [0, 1]);
});

Deno.test("cancelling a run stops a block's items within milliseconds", async () => {
  const started: number[] = [];
  const dr = await new Builder().withModules({
    items: node(() => [0, 1, 2, 3, 4], parallelizable()),
    each: async (
      { items, ctx }: { items: number; ctx: { signal: AbortSignal } },
    ) => {
      started.push(items);
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, 200);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(ctx.signal.reason);
        });
      });
      return items;
    },
    all: node(({ each }: { each: number[] }) => each, collect("each")),
  }).build();
  const controller = new AbortController();
  const start = performance.now();
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(
    dr.execute(["all"], { signal: controller.signal }),
    CancelledError,
  );
  assert.ok(performance.now() - start < 150);
  assert.deepEqual(started, [0]);
});

Deno.test("task hooks see each block's expansion, grouping and item submissions with indices", async () => {
  const log: string[] = [];
  const nodes: string[] = [];
  const adapter: Adapter = {
    afterTaskExpand: (e) =>
      void log.push(
        `expand ${e.nodeName} [${e.indices}] ${e.taskId.endsWith("/steps[]")}`,
      ),
    afterTaskGroup: (e) =>
      void log.push(`group ${e.nodeName} ${e.taskIds.length} ${e.nodes}`),
    beforeTaskSubmission: async (e) => {
      await Promise.resolve();
      log.push(`submit ${e.nodeName} ${e.index}`);
    },
    afterNodeExecution: (e) =>
      void nodes.push(
        `${e.nodeName}${e.item === undefined ? "" : `#${e.item}`}`,
      ),
  };
  const dr = await new Builder().withModules(hamilton()).withAdapters(adapter)
    .build();
  assert.equal(
    (await dr.execute(["total"], { inputs: { n: 2 } })).total,
    0 + 2,
  );
  assert.deepEqual(log, [
    "expand steps [0,1] true",
    "group steps 2 square,cube,both",
    "submit steps 0",
    "submit steps 1",
  ]);
  assert.deepEqual(nodes, [
    "steps",
    "square#0",
    "cube#0",
    "both#0",
    "square#1",
    "cube#1",
    "both#1",
    "total",
  ]);
});

Deno.test("run() reports the nodes inside a block", async () => {
  const dr = await new Builder().withModules(hamilton()).build();
  const result = await dr.run(["total"], { inputs: { n: 3 } });
  assert.equal(result.success, true);
  assert.deepEqual(
    result.nodes.map((n) => `${n.name} ${n.status}`),
    [
      "steps succeeded",
      "square succeeded",
      "cube succeeded",
      "both succeeded",
      "total succeeded",
    ],
  );
});

Deno.test("map runs a graph with a block once per map item", async () => {
  const dr = await new Builder().withModules(hamilton()).withExecutor("async")
    .build();
  const results = await dr.map(["total"], {
    inputs: { n: [1, 2, 6] },
    mapOver: "n",
  });
  assert.deepEqual(results.map((r) => r.total), [0, 2, 280]);
});

Deno.test("a collect with no parallelizable upstream is a build error naming it", async () => {
  await assert.rejects(
    new Builder().withModules({
      a: () => 1,
      b: ({ a }: { a: number }) => a,
      total: node(({ b }: { b: number[] }) => b, collect("b")),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "total" &&
      /not downstream of any parallelizable/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules({
      total: node(({ x }: { x: number[] }) => x, collect("x")),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && /"x", which is an input/.test(e.message),
  );
});

Deno.test("collect() must name one of the node's inputs", async () => {
  await assert.rejects(
    new Builder().withModules({
      total: node(({ x }: { x: number[] }) => x, collect("y")),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /collect\("y"\) names no input/.test(e.message),
  );
  assert.throws(() => collect(""), TypeError);
});

Deno.test("a node taking values from two different blocks is a build error naming both", async () => {
  const error = await new Builder().withModules({
    left: node(() => [1], parallelizable()),
    right: node(() => [2], parallelizable()),
    mixed: ({ left, right }: { left: number; right: number }) => left + right,
  }).build().then(() => assert.fail("should reject"), (e) => e);
  assert.ok(error instanceof InvalidNodeError);
  assert.equal(error.nodeName, "mixed");
  assert.match(error.message, /block of "left"/);
  assert.match(error.message, /block of "right"/);
});

Deno.test("a collect that also takes an uncollected per-item value is a build error", async () => {
  await assert.rejects(
    new Builder().withModules({
      ...hamilton(),
      total: node(
        ({ both, square }: { both: number[]; square: number }) =>
          sum(both) + square,
        collect("both"),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "total" &&
      /"square" once per item of "steps" without collecting it/.test(e.message),
  );
});

Deno.test("a collect gathering one block and taking another block's items is a build error naming both", async () => {
  await assert.rejects(
    new Builder().withModules({
      ...hamilton(),
      other: node(() => [1, 2], parallelizable()),
      total: node(
        ({ both, other }: { both: number[]; other: number }) =>
          sum(both) + other,
        collect("both"),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "total" &&
      /"other"/.test(e.message) && /"steps"|"both"/.test(e.message),
  );
});

Deno.test("a node inside a block that needs the block's own collected result is a build error", async () => {
  await assert.rejects(
    new Builder().withModules({
      ...hamilton(),
      share: ({ square, total }: { square: number; total: number }) =>
        square / total,
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "share" &&
      /computed from all of that block's items/.test(e.message),
  );
});

Deno.test("listAvailableVariables shows which nodes fan out and collect", async () => {
  const dr = await new Builder().withModules(hamilton()).build();
  const byName = new Map(dr.listAvailableVariables().map((v) => [v.name, v]));
  assert.deepEqual(byName.get("steps")?.modifiers, ["parallelizable"]);
  assert.deepEqual(byName.get("total")?.modifiers, ["collect"]);
});

Deno.test("exportExecution shows a block's node and what runs once per item", async () => {
  const dr = await new Builder().withModules(hamilton()).build();
  const plan = dr.exportExecution(["total", "square"], { inputs: { n: 2 } });
  assert.deepEqual(plan.generations, [
    ["steps"],
    ["steps[]"],
    ["square", "both"],
    ["total"],
  ]);
  const block = plan.nodes.find((n) => n.name === "steps[]")!;
  assert.equal(block.block?.parallelizable, "steps");
  assert.deepEqual(block.block?.perItem.generations, [
    ["square", "cube"],
    ["both"],
  ]);
  assert.deepEqual(block.block?.perItem.provided.inputs, ["steps"]);
  const square = plan.nodes.find((n) => n.name === "square")!;
  assert.equal(square.listFrom, "steps[]");
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
});

Deno.test("a collect right after the parallelizable node receives the items (Hamilton #1030)", async () => {
  const dr = await new Builder().withModules({
    frames: node(() => [{ a: 1 }, { a: 2 }], parallelizable()),
    all: node(
      ({ frames }: { frames: { a: number }[] }) => frames,
      collect("frames"),
    ),
  }).build();
  assert.deepEqual((await dr.execute(["all"])).all, [{ a: 1 }, { a: 2 }]);
});

Deno.test("a node may collect one block and fan out another (Hamilton #652)", async () => {
  const dr = await new Builder().withModules({
    motor: node(
      ({ motors }: { motors: number[] }) => motors,
      parallelizable(),
    ),
    status: ({ motor }: { motor: number }) => ({ motor, on: motor % 2 === 0 }),
    on_motor: node(
      function* ({ status }: { status: { motor: number; on: boolean }[] }) {
        for (const s of status) if (s.on) yield s.motor;
      },
      collect("status"),
      parallelizable(),
    ),
    check: ({ on_motor }: { on_motor: number }) => on_motor * 10,
    checks: node(({ check }: { check: number[] }) => check, collect("check")),
  }).build();
  const out = await dr.execute(["checks", "on_motor"], {
    inputs: { motors: [1, 2, 3, 4] },
  });
  assert.deepEqual(out, { checks: [20, 40], on_motor: [2, 4] });
});

Deno.test("an override of a node inside a block is given to every item", async () => {
  const calls: Record<string, number> = {};
  const dr = await new Builder().withModules(hamilton(calls)).build();
  const out = await dr.execute(["total", "both"], {
    inputs: { n: 3 },
    overrides: { square: 1 },
  });
  assert.deepEqual(out, { total: 3 + 0 + 1 + 8, both: [1, 2, 9] });
  assert.equal(calls.square, undefined);
});

Deno.test("stream() reports each block item's progress", async () => {
  const dr = await new Builder().withModules(hamilton()).build();
  const progress: string[] = [];
  for await (const event of dr.stream(["total"], { inputs: { n: 3 } })) {
    if (event.type === "mapItem") {
      progress.push(
        `${event.nodeName} ${event.item} ${event.done}/${event.total}`,
      );
    }
  }
  assert.deepEqual(progress, ["steps 0 1/3", "steps 1 2/3", "steps 2 3/3"]);
});

Deno.test("toDot draws each block as a cluster, nested blocks nested, collects marked", async () => {
  const dr = await new Builder().withModules(nestedBlocks([[1]])).build();
  const dot = dr.toDot();
  const outer = dot.indexOf('subgraph "cluster_rows[]"');
  const inner = dot.indexOf('subgraph "cluster_cells[]"');
  assert.ok(outer > 0 && inner > outer, dot);
  assert.match(dot, /label="per item of rows";/);
  // Inside the outer cluster: cells and row_sum; inside the inner: doubled.
  const between = dot.slice(outer, inner);
  assert.match(between, /"cells" \[shape=box\]/);
  assert.match(between, /"row_sum" \[shape=box\]/);
  assert.match(dot.slice(inner), /^\s+"doubled" \[shape=box\];$/m);
  assert.ok(dot.indexOf('"sums" [shape=box]') < outer);
  assert.match(dot, /"row_sum" -> "sums" \[label="collect", style=bold\];/);
});

for (
  const [executor, mapExecutor] of [
    ["threaded", undefined],
    ["threaded", "parallel"],
    ["sequential", "threaded"],
    ["async", "parallel"],
  ] as const
) {
  Deno.test(`[${executor}${mapExecutor ? `, ${mapExecutor} map` : ""}] a block's items run on workers and sum to 280`, async () => {
    let builder = new Builder()
      .withModules(new URL("./fixtures/fan_out.ts", import.meta.url))
      .withExecutor(executor, { workers: 2 });
    if (mapExecutor !== undefined) {
      builder = builder.withMapExecutor(mapExecutor, { workers: 2 });
    }
    await using dr = await builder.build();
    assert.deepEqual(await dr.execute(["total"], { inputs: { n: 6 } }), {
      total: 280,
    });
    assert.deepEqual(
      await dr.execute(["square", "steps"], { inputs: { n: 3 } }),
      { square: [0, 1, 4], steps: [0, 1, 2] },
    );
    const results = await dr.map(["total"], {
      inputs: { n: [0, 2, 6] },
      mapOver: "n",
    });
    assert.deepEqual(results.map((r) => r.total), [0, 2, 280]);
  });
}

Deno.test("a Pipeline runs fan-out blocks too, in run and in map", async () => {
  const pipeline = new Pipeline({
    nodes: [
      node(
        function* ({ n }: { n: number }) {
          for (let i = 0; i < n; i++) yield i;
        },
        named("steps"),
        parallelizable(),
      ),
      node(({ steps }: { steps: number }) => steps * 10, named("tenfold")),
      node(
        ({ tenfold }: { tenfold: number[] }) => sum(tenfold),
        named("total"),
        collect("tenfold"),
      ),
    ],
    engine: new Engine({ nodeExecutor: "async", mapExecutor: "async" }),
  });
  assert.deepEqual(await pipeline.run({ inputs: { n: 3 } }), {
    steps: [0, 1, 2],
    tenfold: [0, 10, 20],
    total: 30,
  });
  const items = await pipeline.map({
    inputs: { n: [1, 4] },
    mapOver: "n",
    outputs: ["total"],
  });
  assert.deepEqual(items, [{ total: 0 }, { total: 60 }]);
});

Deno.test("a block's failed item is reported to afterMapItem as a map's is, then the run fails with it", async () => {
  const seen: string[] = [];
  const adapter: Adapter = {
    afterMapItem: (e) => void seen.push(`${e.nodeName}#${e.item}:${e.success}`),
  };
  const dr = await new Builder().withModules({
    xs: node(() => [1, 2], parallelizable()),
    checked: ({ xs }: { xs: number }) => {
      if (xs === 2) throw new Error("two");
      return xs;
    },
    all: node(
      ({ checked }: { checked: number[] }) => checked,
      collect("checked"),
    ),
  }).withAdapters(adapter).build();
  await assert.rejects(dr.execute(["all"]), /two/);
  assert.deepEqual(seen, ["xs#0:true", "xs#1:false"]);
});

Deno.test("collect() names the function's own parameter when parameterize or inject binds it to another node", async () => {
  const total = ({ n, offset }: { n: number[]; offset: number }) =>
    sum(n) + offset;
  const dr = await new Builder().withModules({
    steps: node(function* steps() {
      yield* [1, 2, 3];
    }, parallelizable()),
    square: ({ steps }: { steps: number }) => steps ** 2,
    cube: ({ steps }: { steps: number }) => steps ** 3,
    total: node(
      total,
      parameterize({
        squares: { n: source("square"), offset: value(0) },
        cubes: { n: source("cube"), offset: value(100) },
      }),
      collect("n"),
    ),
    injected: node(
      total,
      inject({ n: source("square"), offset: value(1) }),
      collect("n"),
    ),
  }).build();
  assert.deepEqual(await dr.execute(["squares", "cubes", "injected"]), {
    squares: 14,
    cubes: 136,
    injected: 15,
  });
  const info = dr.listAvailableVariables().find((v) => v.name === "cubes");
  assert.deepEqual(info?.inputs.map((i) => i.name), ["cube"]);
});

Deno.test("collect() of a parameter parameterize binds to a literal is a build error naming the parameter", async () => {
  await assert.rejects(
    new Builder().withModules({
      steps: node(() => [1, 2], parallelizable()),
      square: ({ steps }: { steps: number }) => steps ** 2,
      total: node(
        ({ n }: { n: number[] }) => sum(n),
        parameterize({ fixed: { n: value([1]) } }),
        collect("n"),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "fixed" &&
      /collect\("n"\) gathers a parameter parameterize binds to value/.test(
        e.message,
      ),
  );
});

Deno.test("collect() of a piped parameter gathers the pipe's last step, which runs once per item", async () => {
  const dr = await new Builder().withModules({
    steps: node(() => [1, 2, 3], parallelizable()),
    square: ({ steps }: { steps: number }) => steps ** 2,
    total: node(
      ({ square }: { square: number[] }) => sum(square),
      collect("square"),
      pipeInput(step(function halve(x: number) {
        return x / 2;
      })),
    ),
  }).build();
  // The step runs once per item, inside the block: (1 + 4 + 9) / 2.
  assert.deepEqual(await dr.execute(["total"]), { total: 7 });
  const info = dr.listAvailableVariables().find((v) => v.name === "total");
  assert.deepEqual(info?.inputs.map((i) => i.name), ["total.halve"]);
});
