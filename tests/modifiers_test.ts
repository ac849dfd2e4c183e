import assert from "node:assert/strict";
import {
  applyTo,
  Builder,
  cache,
  checkOutput,
  collect,
  config,
  ConfigError,
  configuration,
  DATA_QUALITY_SOURCE_TAG,
  DATA_QUALITY_TAG,
  describe,
  does,
  extractFields,
  group,
  inject,
  InvalidNodeError,
  mutate,
  named,
  node,
  NodeExecutionError,
  parallelizable,
  parameterize,
  parameterizedSubdag,
  pipeInput,
  Pipeline,
  pipeOutput,
  resolveFromConfig,
  source,
  step,
  subdag,
  tag,
  tagOutputs,
  unpackFields,
  ValidationError,
  value,
} from "../mod.ts";

const sum = ({ a, b }: { a: number; b: number }) => a + b;

Deno.test("parameterize makes one node per entry and the original name is no node (Hamilton 22)", async () => {
  const dr = await new Builder().withModules({
    x: () => 1,
    y: () => 10,
    sum: node(
      sum,
      parameterize({
        sum_1: { a: source("x"), b: value(2) },
        sum_2: { a: source("y"), b: value(3) },
      }),
    ),
  }).build();
  assert.deepEqual(await dr.execute(["sum_1", "sum_2"]), {
    sum_1: 3,
    sum_2: 13,
  });
  const names = dr.listAvailableVariables().map((v) => v.name).sort();
  assert.deepEqual(names, ["sum_1", "sum_2", "x", "y"]);
  const info = dr.listAvailableVariables().find((v) => v.name === "sum_1");
  assert.equal(info?.originalName, "sum");
  assert.deepEqual(info?.modifiers, ["parameterize"]);
  assert.deepEqual(dr.whatIsUpstreamOf("sum_2").map((v) => v.name), [
    "y",
    "sum_2",
  ]);
});

Deno.test("parameterize keeps unbound parameters as inputs, positional functions and ctx included", async () => {
  function scaled(base: number, factor: number, ctx: { nodeName: string }) {
    return `${ctx.nodeName}:${base * factor}`;
  }
  const dr = await new Builder().withModules({
    scaled: node(
      scaled,
      parameterize({
        doubled: { factor: value(2) },
        tripled: { factor: value(3) },
      }),
    ),
  }).build();
  assert.deepEqual(
    await dr.execute(["doubled", "tripled"], { inputs: { base: 5 } }),
    {
      doubled: "doubled:10",
      tripled: "tripled:15",
    },
  );
});

Deno.test("parameterize leaves an unbound optional parameter to its default", async () => {
  const f = ({ a, unit = "kg" }: { a: number; unit?: string }) => `${a}${unit}`;
  const dr = await new Builder().withModules({
    f: node(f, parameterize({ one: { a: value(1) } })),
  }).build();
  assert.deepEqual(await dr.execute(["one"]), { one: "1kg" });
  assert.deepEqual(await dr.execute(["one"], { inputs: { unit: "g" } }), {
    one: "1g",
  });
});

Deno.test("parameterize rejects a binding that is not source, value or group, and unknown parameters (Hamilton 22)", async () => {
  await assert.rejects(
    new Builder().withModules({
      sum: node(sum, parameterize({ s: { a: 1 as never, b: value(2) } })),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /source\(\.\.\.\), value/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules({
      sum: node(sum, parameterize({ s: { c: value(2) } })),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /"c", which is not a parameter/.test(e.message),
  );
});

Deno.test("inject binds a parameter to a group (list) or to sources, values and objects of them", async () => {
  const total = ({ nums }: { nums: number[] }) =>
    nums.reduce((s, n) => s + n, 0);
  const dr = await new Builder().withModules({
    a: () => 1,
    b: () => 2,
    total: node(
      total,
      inject({ nums: group(source("a"), value(10), source("b")) }),
    ),
    label: node(
      ({ name, n }: { name: string; n: number }) => `${name}=${n}`,
      inject({ name: value("total"), n: source("total") }),
    ),
  }).build();
  assert.deepEqual(await dr.execute(["total", "label"]), {
    total: 13,
    label: "total=13",
  });
});

Deno.test("injecting the same parameter twice is a build error", async () => {
  const total = ({ nums }: { nums: number[] }) => nums.length;
  await assert.rejects(
    new Builder().withModules({
      total: node(
        total,
        inject({ nums: value([1]) }),
        inject({ nums: value([2]) }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && /bound twice/.test(e.message),
  );
});

Deno.test("extractFields adds a node per field and keeps the whole object (Hamilton 20)", async () => {
  let runs = 0;
  const stats = () => (runs++, { mean: 2, std: 0.5 });
  const dr = await new Builder()
    .withModules({
      stats: node(stats, extractFields({ mean: "number" }, "std")),
    })
    .build();
  assert.deepEqual(await dr.execute(["mean", "std", "stats"]), {
    mean: 2,
    std: 0.5,
    stats: { mean: 2, std: 0.5 },
  });
  assert.equal(runs, 1);
});

Deno.test("a field missing at run time fails its node by name, unless fillWith is given (Hamilton 20)", async () => {
  const partial = () => ({ mean: 2 });
  const strict = await new Builder()
    .withModules({ partial: node(partial, extractFields("mean", "std")) })
    .build();
  await assert.rejects(
    strict.execute(["std"]),
    (e: unknown) =>
      e instanceof NodeExecutionError && e.nodeName === "std" &&
      /No such field "std" in the value of "partial"/.test(e.message),
  );
  const filled = await new Builder()
    .withModules({
      partial: node(partial, extractFields("mean", "std", { fillWith: 0 })),
    })
    .build();
  assert.deepEqual(await filled.execute(["std"]), { std: 0 });
});

Deno.test("unpackFields adds a node per tuple item (Hamilton 21)", async () => {
  const split = (): [number, string] => [1, "a"];
  const dr = await new Builder()
    .withModules({ split: node(split, unpackFields("n", "s")) })
    .build();
  assert.deepEqual(await dr.execute(["n", "s"]), { n: 1, s: "a" });
});

Deno.test("tagOutputs tags the generated nodes it names", async () => {
  const stats = node(
    () => ({ mean: 1, std: 2 }),
    extractFields("mean", "std"),
    tagOutputs({ mean: { kind: "metric" }, std: { kind: "spread" } }),
  );
  const dr = await new Builder().withModules({ stats }).build();
  const tagged = (kind: string) =>
    dr.listAvailableVariables({ tagFilter: { kind } }).map((v) => v.name);
  assert.deepEqual(tagged("metric"), ["mean"]);
  assert.deepEqual(tagged("spread"), ["std"]);
  await assert.rejects(
    new Builder().withModules({
      stats: node(
        () => ({ mean: 1 }),
        extractFields("mean"),
        tagOutputs({ mean: { "braid.x": "y" } }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && /reserved namespace/.test(e.message),
  );
});

for (const kind of ["sequential", "async"] as const) {
  Deno.test(`[${kind}] generated nodes run under the executor like any other`, async () => {
    const dr = await new Builder().withModules({
      x: async () => await Promise.resolve(2),
      sum: node(sum, parameterize({ s: { a: source("x"), b: value(1) } })),
      pair: node(
        ({ s }: { s: number }) => ({ lo: s - 1, hi: s + 1 }),
        extractFields("lo", "hi"),
      ),
    }).withExecutor(kind).build();
    assert.deepEqual(await dr.execute(["lo", "hi"]), { lo: 2, hi: 4 });
  });
}

Deno.test("resolveFromConfig chooses the modifier from config at build time", async () => {
  const scaled = node(
    ({ x, k }: { x: number; k: number }) => x * k,
    resolveFromConfig((factors: number[]) =>
      parameterize(
        Object.fromEntries(factors.map((f) => [`times_${f}`, { k: value(f) }])),
      )
    ),
  );
  const two = await new Builder().withModules({ scaled }).withConfig({
    factors: [2],
  }).build();
  assert.deepEqual(
    two.listAvailableVariables().filter((v) => v.kind === "node").map((v) =>
      v.name
    ),
    ["times_2"],
  );
  const both = await new Builder().withModules({ scaled }).withConfig({
    factors: [2, 3],
  }).build();
  assert.deepEqual(
    await both.execute(["times_3"] as never[], { inputs: { x: 5 } }),
    { times_3: 15 },
  );
});

Deno.test("resolveFromConfig with a missing config key is a ConfigError naming it", async () => {
  const f = node(() => 1, resolveFromConfig((mode: string) => tag({ mode })));
  await assert.rejects(
    new Builder().withModules({ f }).build(),
    (e: unknown) =>
      e instanceof ConfigError && /"mode"/.test(e.message) &&
      /"f"/.test(e.message),
  );
});

// A minimal Standard Schema validator, as zod or valibot expose one.
const positive = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (v: unknown) =>
      typeof v === "number" && v > 0
        ? { value: v }
        : { issues: [{ message: "expected a positive number" }] },
  },
};

Deno.test("checkOutput with importance fail rejects with a ValidationError naming the node (Hamilton 23)", async () => {
  const dr = await new Builder().withModules({
    price: node(
      () => -1,
      checkOutput((v: number) => v > 0 || "must be positive", {
        importance: "fail",
      }),
    ),
    schema_price: node(
      async () => await Promise.resolve(-2),
      checkOutput(positive, { importance: "fail" }),
    ),
  }).build();
  await assert.rejects(
    dr.execute(["price"]),
    (e: unknown) =>
      e instanceof ValidationError && e.nodeName === "price" &&
      e.message === 'Node "price" returned an invalid value: must be positive',
  );
  await assert.rejects(
    dr.execute(["schema_price"]),
    (e: unknown) =>
      e instanceof ValidationError &&
      /expected a positive number/.test(e.message),
  );
});

Deno.test("checkOutput with importance warn passes the value on and reports it in events and run() (Hamilton 23)", async () => {
  const dr = await new Builder().withModules({
    price: node(() => -1, checkOutput(positive)),
    doubled: ({ price }: { price: number }) => price * 2,
  }).build();
  const warn = console.warn;
  console.warn = () => {}; // with no adapter, the warning goes there
  try {
    assert.deepEqual(await dr.execute(["doubled"]), { doubled: -2 });
  } finally {
    console.warn = warn;
  }
  const logs = [];
  for await (const e of dr.stream(["doubled"])) {
    if (e.type === "warning") logs.push(e);
  }
  assert.equal(logs.length, 1);
  assert.equal(logs[0]?.nodeName, "price");
  assert.deepEqual(logs[0]?.data, {
    validation: {
      passed: false,
      importance: "warn",
      message: "expected a positive number",
    },
  });
  const result = await dr.run(["doubled"]);
  const price = result.nodes.find((n) => n.name === "price");
  assert.equal(price?.status, "succeeded");
  assert.match(price?.logs?.[0]?.message ?? "", /expected a positive number/);
});

Deno.test("checkOutput passes valid values silently, for positional nodes with ctx too", async () => {
  // The function runs as the raw node (Hamilton 44).
  function total(a: number, ctx: { nodeName: string }) {
    return ctx.nodeName === "total_raw" ? a + 1 : 0;
  }
  const dr = await new Builder().withModules({
    total: node(
      total,
      checkOutput((v: number) => v > 0, { importance: "fail" }),
    ),
  }).build();
  const result = await dr.run(["total"], { inputs: { a: 1 } });
  assert.deepEqual(result.outputs, { total: 2 });
  assert.equal(result.nodes[0]?.logs, undefined);
  assert.throws(() => checkOutput({} as never), TypeError);
  assert.throws(
    () => checkOutput(() => true, { importance: "loud" as never }),
    TypeError,
  );
});

Deno.test("cache() declares a node's cache behaviour and version, shown in the graph and the plan", async () => {
  const dr = await new Builder().withModules({
    model: node(() => "fitted", cache({ behavior: "recompute", version: "2" })),
    plain: () => 1,
  }).build();
  const info = dr.listAvailableVariables().find((v) => v.name === "model");
  assert.deepEqual(info?.cache, { behavior: "recompute", version: "2" });
  assert.equal(
    dr.listAvailableVariables().find((v) => v.name === "plain")?.cache,
    undefined,
  );
  assert.deepEqual(dr.exportExecution(["model"]).nodes[0]?.cache, {
    behavior: "recompute",
    version: "2",
  });
  assert.deepEqual(await dr.execute(["model"]), { model: "fitted" });
  assert.throws(() => cache({ behavior: "sometimes" as never }), TypeError);
});

const plusOne = (x: number) => x + 1;
const times = (x: number, { k }: { k: number }) => x * k;
const clip = (x: number, { max }: { max: number }) => Math.min(x, max);

Deno.test("pipeInput equals fn(h(g(f(x), 2), n)), each step a node (Hamilton 24)", async () => {
  const report = node(
    ({ raw, unit }: { raw: number; unit: string }) => `${raw}${unit}`,
    pipeInput(
      step(plusOne),
      step(times, { k: value(2) }),
      step(times, { k: source("n") }),
    ),
  );
  const dr = await new Builder().withModules({
    raw: () => 1,
    n: () => 5,
    report,
  }).build();
  assert.deepEqual(await dr.execute(["report"], { inputs: { unit: "kg" } }), {
    report: "20kg",
  });
  const names = dr.whatIsUpstreamOf("report").map((v) => v.name);
  for (const step of ["report.plusOne", "report.times", "report.times_2"]) {
    assert.ok(names.includes(step), `${step} in ${names}`);
  }
});

Deno.test("pipeInput pipes the parameter named by onInput, under a namespace", async () => {
  const f = node(
    ({ a, b }: { a: number; b: number }) => a - b,
    pipeInput(step(plusOne), { onInput: "b", namespace: "prep" }),
  );
  const dr = await new Builder().withModules({ f }).build();
  assert.deepEqual(await dr.execute(["f"], { inputs: { a: 10, b: 1 } }), {
    f: 8,
  });
  assert.ok(dr.listAvailableVariables().some((v) => v.name === "prep.plusOne"));
});

Deno.test("pipe steps are dropped by config, and named steps can be requested (Hamilton 24)", async () => {
  const f = node(
    ({ x }: { x: number }) => x,
    pipeInput(
      step(plusOne).when({ mode: "shift" }),
      step(clip, { max: value(3) }).named("clipped"),
    ),
  );
  const plain = await new Builder().withModules({ f }).withConfig({
    mode: "raw",
  }).build();
  assert.deepEqual(await plain.execute(["f"], { inputs: { x: 9 } }), { f: 3 });
  const shifted = await new Builder().withModules({ f }).withConfig({
    mode: "shift",
  }).build();
  assert.deepEqual(
    await shifted.execute(["f", "f.clipped"] as never[], { inputs: { x: 1 } }),
    { f: 2, "f.clipped": 2 },
  );
});

Deno.test("pipeOutput post-processes a node's value; the raw value stays available", async () => {
  const price = node(
    () => 2.6,
    pipeOutput(step(Math.round), step(times, { k: value(10) })),
  );
  const dr = await new Builder().withModules({
    price,
    label: ({ price }: { price: number }) => `${price}`,
  }).build();
  assert.deepEqual(await dr.execute(["label", "price.raw"] as never[]), {
    label: "30",
    "price.raw": 2.6,
  });
});

Deno.test("pipeOutput with onOutput post-processes only the named outputs of extractFields (Hamilton 40)", async () => {
  const stats = node(
    () => ({ mean: 2.4, std: 0.26 }),
    extractFields("mean", "std"),
    pipeOutput(step(Math.round), { onOutput: "mean" }),
  );
  const dr = await new Builder().withModules({ stats }).build();
  assert.deepEqual(await dr.execute(["mean", "std"]), { mean: 2, std: 0.26 });
});

Deno.test("pipeInput on a node without parameters is an InvalidNodeError", async () => {
  await assert.rejects(
    new Builder().withModules({ f: node(() => 1, pipeInput(step(plusOne))) })
      .build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && /no parameter to pipe/.test(e.message),
  );
});

Deno.test("mutate applies a private mutator to targets in other modules, chaining in order (Hamilton 25)", async () => {
  const scores = {
    score_a: () => 42,
    score_b: () => 7,
    total: ({ score_a }: { score_a: number }) => score_a,
  };
  const mutators = {
    _clip: node(
      (x: number, { max }: { max: number }) => Math.min(x, max),
      mutate(
        applyTo("score_a", { max: value(10) }),
        applyTo(scores.score_b, { max: value(5) }),
      ),
    ),
    _double: node((x: number) => x * 2, mutate(applyTo("score_a"))),
  };
  const dr = await new Builder().withModules(scores, mutators).build();
  assert.deepEqual(await dr.execute(["score_a", "score_b", "total"]), {
    score_a: 20,
    score_b: 5,
    total: 20,
  });
  assert.deepEqual(await dr.execute(["score_a.raw"] as never[]), {
    "score_a.raw": 42,
  });
  const names = dr.listAvailableVariables().map((v) => v.name);
  assert.ok(!names.includes("_clip") && !names.includes("clip"));
});

Deno.test("mutate on a node that does not exist is an InvalidNodeError", async () => {
  const _m = node((x: number) => x, mutate(applyTo("nope")));
  await assert.rejects(
    new Builder().withModules({ a: () => 1, _m }).build(),
    (e: unknown) => e instanceof InvalidNodeError && /"nope"/.test(e.message),
  );
});

Deno.test("mutate with onOutput post-processes fields made by extractFields", async () => {
  const stats = node(
    () => ({ mean: 2.4, std: 0.26 }),
    extractFields("mean", "std"),
  );
  const _round = node(
    (x: number) => Math.round(x),
    mutate(applyTo("stats").onOutput("mean")),
  );
  const dr = await new Builder().withModules({ stats, _round }).build();
  assert.deepEqual(await dr.execute(["mean", "std"]), { mean: 2, std: 0.26 });
});

const inner = {
  doubled: ({ x }: { x: number }) => x * 2,
  shifted: ({ doubled, k }: { doubled: number; k: number }) => doubled + k,
};

Deno.test("subdag reuses nodes under a namespace, wired to other inputs", async () => {
  const total = node(
    ({ shifted }: { shifted: number }) => shifted,
    subdag([inner], { inputs: { x: source("a"), k: value(1) } }),
  );
  const other = node(
    ({ shifted }: { shifted: number }) => -shifted,
    subdag([inner], { inputs: { x: source("b"), k: 10 }, namespace: "neg" }),
  );
  const dr = await new Builder().withModules({
    a: () => 5,
    b: () => 1,
    total,
    other,
  }).build();
  assert.deepEqual(await dr.execute(["total", "other"]), {
    total: 11,
    other: -12,
  });
  const names = dr.listAvailableVariables().map((v) => v.name).sort();
  assert.deepEqual(names, [
    "a",
    "b",
    "neg.doubled",
    "neg.shifted",
    "other",
    "total",
    "total.doubled",
    "total.shifted",
  ]);
});

Deno.test("subdag inputs not given read the outer graph's value, and config applies inside", async () => {
  const variants = {
    rate__low: node(() => 0.1, config.when({ tier: "low" })),
    rate__high: node(() => 0.5, config.when({ tier: "high" })),
    fee: ({ amount, rate }: { amount: number; rate: number }) => amount * rate,
  };
  const cheap = node(
    ({ fee }: { fee: number }) => fee,
    subdag([variants], { config: { tier: "low" } }),
  );
  const dear = node(
    ({ fee }: { fee: number }) => fee,
    subdag([variants], { config: { tier: "high" } }),
  );
  const dr = await new Builder().withModules({ cheap, dear }).build();
  assert.deepEqual(
    await dr.execute(["cheap", "dear"], { inputs: { amount: 100 } }),
    {
      cheap: 10,
      dear: 50,
    },
  );
});

Deno.test("parameterizedSubdag makes one output per entry", async () => {
  const out = node(
    ({ shifted }: { shifted: number }) => shifted,
    parameterizedSubdag([inner], {
      small: { inputs: { k: value(0) } },
      large: { inputs: { k: value(100) } },
    }),
  );
  const dr = await new Builder().withModules({ out }).build();
  assert.deepEqual(
    await dr.execute(["small", "large"] as never[], { inputs: { x: 3 } }),
    {
      small: 6,
      large: 106,
    },
  );
});

Deno.test("a subdag whose function uses none of its nodes is an InvalidNodeError", async () => {
  const f = node(({ y }: { y: number }) => y, subdag([inner]));
  await assert.rejects(
    new Builder().withModules({ f }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && /none of its parameters/.test(e.message),
  );
});

Deno.test("describe() gives a description; parameterize fills in its {param} placeholders (Hamilton 22)", async () => {
  const dr = await new Builder().withModules({
    x: () => 1,
    sum: node(
      sum,
      describe("{output_name} adds {a} and {b}, not {{c}}"),
      parameterize({
        sum_x: { a: source("x"), b: value(2) },
        sum_list: { a: value(1), b: group(source("x"), value(3)) },
      }),
    ),
  }).build();
  const docs = Object.fromEntries(
    dr.listAvailableVariables().filter((v) => v.doc !== undefined).map((
      v,
    ) => [v.name, v.doc]),
  );
  assert.deepEqual(docs, {
    sum_x: "sum_x adds x and 2, not {c}",
    sum_list: "sum_list adds 1 and x, 3, not {c}",
  });
  assert.equal(
    dr.exportExecution(["sum_x"]).nodes.at(-1)?.doc,
    "sum_x adds x and 2, not {c}",
  );
});

Deno.test("generated names show up in listAvailableVariables, toDot and exportExecution with origin and modifiers", async () => {
  const url = import.meta.resolve("./fixtures/generated.ts");
  const dr = await new Builder().withModules(url).withConfig({ region: "EU" })
    .build();
  const expected: Record<
    string,
    { originalName: string; modifiers: string[] }
  > = {
    sum_2: { originalName: "sum", modifiers: ["parameterize"] },
    mean: { originalName: "stats", modifiers: ["extractFields"] },
    rate: { originalName: "rate__eu", modifiers: ["config.when"] },
    "report.plusOne": { originalName: "report", modifiers: ["pipeInput"] },
    "total.doubled": { originalName: "doubled", modifiers: ["subdag"] },
    total: { originalName: "total", modifiers: ["subdag"] },
  };
  const infos = dr.listAvailableVariables();
  const dot = dr.toDot();
  const plan = dr.exportExecution(Object.keys(expected) as never[]);
  for (const [name, want] of Object.entries(expected)) {
    const info = infos.find((i) => i.name === name);
    assert.ok(info !== undefined, `${name} is listed`);
    assert.equal(info.originalName, want.originalName, name);
    assert.deepEqual(info.modifiers, want.modifiers, name);
    assert.equal(info.module, url, name);
    assert.match(
      dot,
      new RegExp(`"${name.replace(".", "\\.")}" \\[shape=box\\]`),
    );
    const planned = plan.nodes.find((n) => n.name === name);
    assert.equal(planned?.originalName, want.originalName, name);
  }
  assert.match(dot, /"base" -> "total\.doubled";/);
  assert.match(dot, /"total\.doubled" -> "total";/);
});

Deno.test("facts travel with specs: kept with the function, the node's kept by wrappers, none on a derived node", async () => {
  const { modifiedSpecs } = await import("../src/node.ts");
  const context = { config: {} };
  const url = "file:///features.ts";
  const stats = node(() => ({ m: 1 }), extractFields("m"), tag({ t: "1" }));
  const [whole, field] = modifiedSpecs(stats, "stats", context, url, undefined);
  // The function's own facts: where a worker finds it.
  assert.equal(whole!.exportName, "stats");
  assert.equal(whole!.definedAt?.url, import.meta.url);
  assert.equal(whole!.local, undefined);
  // A field is a new node: it runs here, calls what it reads with, and
  // has none of the facts of the function it reads.
  assert.equal(field!.local, true);
  assert.equal(field!.exportName, undefined);
  assert.equal(field!.definedAt, undefined);
  assert.equal(field!.module, url);
  assert.ok(field!.codeParts?.includes("m"));
  assert.deepEqual(field!.tags, { t: "1" });

  const inner = new Pipeline({
    nodes: [node(({ x }: { x: number }) => x + 1, named("y"))],
  });
  const [nested, y] = modifiedSpecs(
    inner.asNode({ name: "nested" }),
    "nested",
    context,
    undefined,
    undefined,
  );
  assert.equal(nested!.local, true);
  assert.equal(nested!.container?.name, "nested");
  assert.deepEqual(nested!.container?.graph.order, ["y"]);
  assert.equal(y!.container, undefined); // an output, not the nested pipeline
  // A wrapper is the same node: it still runs the nested pipeline, here.
  const [wrapped] = inject({}).apply(nested!, context);
  assert.notEqual(wrapped!.fn, nested!.fn);
  assert.equal(wrapped!.local, true);
  assert.equal(wrapped!.container, nested!.container);
  // checkOutput keeps the function, and what it runs, on the raw node; the
  // nodes it adds are new ones, run here.
  const [raw, check, final] = checkOutput(() => true).apply(nested!, context);
  assert.equal(raw!.name, "nested_raw");
  assert.equal(raw!.fn, nested!.fn);
  assert.equal(raw!.container, nested!.container);
  for (const made of [check!, final!]) {
    assert.equal(made.local, true);
    assert.equal(made.container, undefined);
    assert.equal(made.exportName, undefined);
  }
  const [tagged] = tag({ t: "2" }).apply(whole!, context);
  assert.equal(tagged!.exportName, "stats");
  assert.equal(tagged!.definedAt, whole!.definedAt);
});

Deno.test("a named step becomes <node name>.<step>, so two pipes in one module may use the same step names (Hamilton 41)", async () => {
  const dr = await new Builder().withModules({
    a: node(
      ({ x }: { x: number }) => x,
      pipeInput(step(plusOne).named("prep")),
    ),
    b: node(
      ({ x }: { x: number }) => -x,
      named("neg"),
      pipeInput(step(plusOne).named("prep")),
    ),
    c: node(() => 2.6, pipeOutput(step(Math.round).named("prep"))),
  }).build();
  assert.deepEqual(
    await dr.execute(["a", "neg", "a.prep", "neg.prep", "c.prep"] as never[], {
      inputs: { x: 1 },
    }),
    { a: 2, neg: -2, "a.prep": 2, "neg.prep": 2, "c.prep": 3 },
  );
});

Deno.test("a pipe's namespace option prefixes its steps; namespace null leaves them bare (Hamilton 41)", async () => {
  const dr = await new Builder().withModules({
    f: node(
      ({ x }: { x: number }) => x,
      pipeInput(step(plusOne).named("shifted"), step(clip, { max: value(3) }), {
        namespace: "prep",
      }),
    ),
    g: node(
      () => 2.6,
      pipeOutput(step(Math.round).named("rounded"), { namespace: null }),
    ),
    h: node(
      () => 2.6,
      pipeOutput(step(Math.round).named("rounded"), { namespace: "post" }),
    ),
  }).build();
  const names = dr.listAvailableVariables().map((v) => v.name);
  for (
    const name of [
      "prep.shifted",
      "prep.clip",
      "rounded",
      "g",
      "g.raw",
      "post.rounded",
      "h",
    ]
  ) {
    assert.ok(names.includes(name), `${name} in ${names.join()}`);
  }
  assert.ok(!names.includes("h.rounded"), names.join());
  assert.deepEqual(
    await dr.execute(["f", "rounded", "g", "post.rounded", "h"] as never[], {
      inputs: { x: 9 },
    }),
    { f: 3, rounded: 3, g: 3, "post.rounded": 3, h: 3 },
  );
  assert.throws(
    () => pipeOutput(step(Math.round), { namespace: "" }),
    /'pipeOutput' option 'namespace' must be a non-empty string or null/,
  );
});

Deno.test("pipeOutput's named last step stays requestable; the node keeps its name through an identity node (Hamilton 41)", async () => {
  const price = node(
    () => 2.6,
    tag({ unit: "EUR" }),
    pipeOutput(
      step(Math.round),
      step(times, { k: value(10) }).named("tenfold"),
    ),
  );
  const dr = await new Builder().withModules({
    price,
    label: ({ price }: { price: number }) => `${price}`,
  }).build();
  assert.deepEqual(
    await dr.execute(
      ["label", "price", "price.tenfold", "price.round"] as never[],
    ),
    { label: "30", price: 30, "price.tenfold": 30, "price.round": 3 },
  );
  const info = dr.listAvailableVariables().find((v) => v.name === "price");
  assert.deepEqual(info?.inputs.map((i) => i.name), ["price.tenfold"]);
  assert.deepEqual(info?.tags, { module: "module #1", unit: "EUR" });
});

Deno.test("pipeOutput() with no steps, or none kept by config, leaves the node unchanged (Hamilton 41)", async () => {
  const dr = await new Builder().withModules({
    a: node(() => 1, pipeOutput()),
    b: node(() => 2, pipeOutput(step(plusOne).when({ mode: "shift" }))),
  }).build();
  assert.deepEqual(dr.listAvailableVariables().map((v) => v.name), ["a", "b"]);
  assert.deepEqual(await dr.execute(["a", "b"]), { a: 1, b: 2 });
});

Deno.test("a step's onOutput together with pipeOutput's onOutput is a build error (Hamilton 41)", async () => {
  const stats = node(
    () => ({ mean: 2.4, std: 0.26 }),
    extractFields("mean", "std"),
    pipeOutput(step(Math.round).onOutput("mean"), { onOutput: "std" }),
  );
  await assert.rejects(
    new Builder().withModules({ stats }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /onOutput and a step's onOutput\(\) cannot both be given/.test(e.message),
  );
});

Deno.test("a step's onOutput picks among the final nodes: the other fields pass unchanged (Hamilton 40)", async () => {
  const stats = node(
    () => ({ mean: 2.4, std: 0.26 }),
    extractFields("mean", "std"),
    pipeOutput(step(Math.round).onOutput("mean"), step(times, { k: value(2) })),
  );
  const dr = await new Builder().withModules({ stats }).build();
  assert.deepEqual(await dr.execute(["mean", "std"]), { mean: 4, std: 0.52 });
});

Deno.test("a subdag's config values are also inputs of its nodes (Hamilton 43)", async () => {
  const inner = {
    fee: ({ amount, rate }: { amount: number; rate: number }) => amount * rate,
  };
  const cheap = node(
    ({ fee }: { fee: number }) => fee,
    subdag([inner], { config: { rate: 0.1 } }),
  );
  const dear = node(
    ({ fee }: { fee: number }) => fee,
    subdag([inner], { config: { rate: value(0.5) } }),
  );
  const dr = await new Builder().withModules({ cheap, dear }).build();
  assert.deepEqual(
    await dr.execute(["cheap", "dear"], { inputs: { amount: 100 } }),
    { cheap: 10, dear: 50 },
  );
  // The config value is bound inside the subdag: no outer input "rate".
  assert.ok(!dr.listAvailableVariables().some((v) => v.name === "rate"));
});

Deno.test("a subdag input that is also a key of its config is a ConfigError (Hamilton 43)", async () => {
  const inner = { y: ({ k }: { k: number }) => k };
  await assert.rejects(
    new Builder().withModules({
      f: node(
        ({ y }: { y: number }) => y,
        subdag([inner], { inputs: { k: value(1) }, config: { k: 2 } }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof ConfigError && /node "f"/.test(e.message) &&
      /"k" in both its inputs and its config/.test(e.message),
  );
});

Deno.test("configuration() maps another key of the builder's config into a subdag's config (Hamilton 43)", async () => {
  const variants = {
    rate__low: node(() => 0.1, config.when({ tier: "low" })),
    rate__high: node(() => 0.5, config.when({ tier: "high" })),
    label: ({ tier }: { tier: string }) => `tier ${tier}`,
  };
  const eu = node(
    ({ rate, label }: { rate: number; label: string }) => `${label}: ${rate}`,
    subdag([variants], { config: { tier: configuration("eu_tier") } }),
  );
  const us = node(
    ({ rate, label }: { rate: number; label: string }) => `${label}: ${rate}`,
    subdag([variants], { config: { tier: configuration("us_tier") } }),
  );
  const dr = await new Builder().withModules({ eu, us }).withConfig({
    eu_tier: "high",
    us_tier: "low",
  }).build();
  assert.deepEqual(await dr.execute(["eu", "us"]), {
    eu: "tier high: 0.5",
    us: "tier low: 0.1",
  });
  await assert.rejects(
    new Builder().withModules({ eu }).build(),
    (e: unknown) =>
      e instanceof ConfigError && /configuration\("eu_tier"\)/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules({
      f: node(
        ({ label }: { label: string }) => label,
        subdag([variants], { config: { tier: source("x") } }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /config "tier" is bound to source/.test(e.message),
  );
  assert.throws(() => configuration(""), TypeError);
});

Deno.test('extractFields given a list instead of names is an InvalidNodeError at build, not fields "0", "1" (Hamilton 20)', async () => {
  const stats = node(
    () => ({ a: 1, b: 2 }),
    extractFields(["a", "b"] as never),
  );
  await assert.rejects(
    new Builder().withModules({ stats }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "stats" &&
      /not a list \(\["a","b"\]\); write extractFields\("a", "b"\)/.test(
        e.message,
      ),
  );
});

Deno.test("tag keys must be names joined by dots, and tag lists non-empty without repeats (Hamilton 19)", async () => {
  const build = (tags: Record<string, unknown>) =>
    new Builder().withModules({ f: node(() => 1, tag(tags as never)) })
      .build();
  for (const key of ["", "a b", "a..b", ".a", "a.", "1st", "data-source"]) {
    await assert.rejects(
      build({ [key]: "x" }),
      (e: unknown) =>
        e instanceof InvalidNodeError &&
        /must be a name, or names joined by dots/.test(e.message),
      key,
    );
  }
  await assert.rejects(
    build({ pii: [] }),
    (e: unknown) =>
      e instanceof InvalidNodeError && /non-empty list/.test(e.message),
  );
  await assert.rejects(
    build({ pii: ["email", "email"] }),
    (e: unknown) =>
      e instanceof InvalidNodeError && /lists a value twice/.test(e.message),
  );
  const dr = await build({
    owner: "ana",
    "data.source": "crm",
    _private: true,
    $cost: 2,
    "é.ß": "x",
    pii: ["email", "name"],
  });
  assert.deepEqual(dr.listAvailableVariables()[0]?.tags, {
    module: "module #1",
    owner: "ana",
    "data.source": "crm",
    _private: true,
    $cost: 2,
    "é.ß": "x",
    pii: ["email", "name"],
  });
});

Deno.test("source(source(x)) and value(value(x)) are one level deep (Hamilton 22)", async () => {
  const x = source("x");
  assert.equal(source(x), x);
  assert.equal(source(source("x")).name, "x");
  const inner = value([1, 2]);
  assert.equal(value(inner), inner);
  assert.deepEqual(value(value(value(3))).value, 3);
  const dr = await new Builder().withModules({
    x: () => 4,
    f: node(sum, inject({ a: source(source("x")), b: value(value(1)) })),
  }).build();
  assert.deepEqual(await dr.execute(["f"]), { f: 5 });
});

Deno.test("group() with no items is an InvalidNodeError naming the parameter (Hamilton 22)", async () => {
  await assert.rejects(
    new Builder().withModules({
      total: node(
        ({ nums }: { nums: number[] }) => nums.length,
        inject({ nums: group() }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "total" &&
      /binds "nums" to group\(\) with no items/.test(e.message),
  );
});

Deno.test("calling withCache twice on a builder is refused", () => {
  const builder = new Builder().withCache();
  assert.throws(
    () => builder.withCache({ path: ".other" }),
    (e: unknown) =>
      e instanceof TypeError &&
      /'withCache' was already called/.test(e.message),
  );
});

Deno.test("parameterize and inject fill {param} placeholders per entry; an unknown placeholder is an InvalidNodeError (Hamilton 22)", async () => {
  const scaled = ({ x, k }: { x: number; k: number }) => x * k;
  const dr = await new Builder().withModules({
    scaled: node(
      scaled,
      describe("{x} times {k}"),
      parameterize({
        doubled: { k: value(2) },
        tripled: { x: source("base"), k: value(3) },
      }),
    ),
    boosted: node(
      scaled,
      describe("{output_name}: {x} times {k}"),
      inject({ k: value(10) }),
    ),
  }).build();
  const docs = Object.fromEntries(
    dr.listAvailableVariables().filter((v) => v.doc !== undefined).map((
      v,
    ) => [v.name, v.doc]),
  );
  assert.deepEqual(docs, {
    doubled: "x times 2",
    tripled: "base times 3",
    boosted: "boosted: x times 10",
  });
  await assert.rejects(
    new Builder().withModules({
      scaled: node(
        scaled,
        describe("{x} times {factor}"),
        parameterize({ doubled: { k: value(2) } }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "doubled" &&
      /placeholder \{factor\}, which names no parameter/.test(e.message),
  );
});

Deno.test("every node carries a module tag naming the module it came from, filterable (Hamilton 46)", async () => {
  const url = import.meta.resolve("./fixtures/generated.ts");
  const inner = { doubled: ({ x }: { x: number }) => x * 2 };
  const dr = await new Builder().withModules(url, {
    a: () => 1,
    b: node(({ a }: { a: number }) => a, tag({ layer: "x" })),
    used: node(
      ({ doubled }: { doubled: number }) => doubled,
      subdag([inner], { inputs: { x: value(1) } }),
    ),
  }).withConfig({ region: "EU" }).build();
  const moduleOf = Object.fromEntries(
    dr.listAvailableVariables().filter((v) => v.kind === "node").map((
      v,
    ) => [v.name, v.tags.module]),
  );
  assert.equal(moduleOf.sum_2, url); // generated nodes of a module file
  assert.equal(moduleOf.mean, url);
  assert.equal(moduleOf["report.plusOne"], url);
  assert.equal(moduleOf.a, "module #2"); // an object given to withModules
  assert.equal(moduleOf.b, "module #2");
  assert.equal(moduleOf["used.doubled"], "module #2"); // where the subdag is used
  assert.deepEqual(
    dr.listAvailableVariables({ tagFilter: { module: "module #2" } }).map((v) =>
      v.name
    ),
    ["a", "used.doubled", "b", "used"],
  );
  await assert.rejects(
    new Builder().withModules({ f: node(() => 1, tag({ module: "mine" })) })
      .build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /reserved namespace "module"/.test(e.message),
  );
});

Deno.test("group({ name: source(x), ... }) passes the parameter an object with those keys (Hamilton 47)", async () => {
  const dr = await new Builder().withModules({
    a: () => 1,
    b: () => 2,
    span: node(
      ({ bounds }: { bounds: { lo: number; hi: number; unit: string } }) =>
        `${bounds.lo}-${bounds.hi} ${bounds.unit}`,
      inject({
        bounds: group({ lo: source("a"), hi: source("b"), unit: value("m") }),
      }),
      describe("between {bounds}"),
    ),
  }).build();
  assert.deepEqual(await dr.execute(["span"]), { span: "1-2 m" });
  const info = dr.listAvailableVariables().find((v) => v.name === "span");
  assert.deepEqual(info?.inputs.map((i) => i.name), ["a", "b"]);
  assert.equal(info?.doc, "between lo: a, hi: b, unit: m");
  assert.throws(() => group({ lo: 1 } as never), TypeError);
  await assert.rejects(
    new Builder().withModules({
      f: node(({ g }: { g: object }) => g, inject({ g: group({}) })),
    }).build(),
    /group\(\) with no items/,
  );
});

Deno.test("does(fn) computes the node with fn, its parameters renamed by argumentMapping (Hamilton 47)", async () => {
  const sumAll = (values: Record<string, number>) =>
    Object.values(values).reduce((a, b) => a + b, 0);
  const seen: unknown[] = [];
  const dr = await new Builder().withModules({
    x: () => 3,
    total: node(
      ({ x: _x, y: _y, z: _z = 10 }: { x: number; y: number; z?: number }) => 0,
      does(sumAll),
    ),
    ratio: node(
      ({ x: _x, y: _y }: { x: number; y: number }) => 0,
      does(
        (
          args: { top: number; bottom: number },
        ) => (seen.push(args), args.top / args.bottom),
        { argumentMapping: { top: "x", bottom: "y" } },
      ),
    ),
    labelled: node(
      function labelled(n: number, ctx: { nodeName: string }) {
        return `${ctx.nodeName}:${n}`;
      },
      does((args: { n: number }, ctx: { nodeName: string }) =>
        `${ctx.nodeName} got ${args.n}`
      ),
    ),
  }).build();
  assert.deepEqual(
    await dr.execute(["total", "ratio", "labelled"], {
      inputs: { y: 4, n: 1 },
    }),
    { total: 17, ratio: 0.75, labelled: "labelled got 1" },
  );
  assert.deepEqual(seen, [{ top: 3, bottom: 4 }]);
  const info = dr.listAvailableVariables().find((v) => v.name === "ratio");
  assert.deepEqual(info?.inputs.map((i) => i.name), ["x", "y"]);
  assert.deepEqual(info?.modifiers, ["does"]);
  await assert.rejects(
    new Builder().withModules({
      f: node(
        ({ x: _x }: { x: number }) => 0,
        does(sumAll, {
          argumentMapping: { a: "nope" },
        }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /argumentMapping gives "a" the parameter "nope"/.test(e.message),
  );
  assert.throws(() => does(3 as never), TypeError);
});

Deno.test("a parameterize entry given as [bindings, description] has its own description (Hamilton 22)", async () => {
  const dr = await new Builder().withModules({
    x: () => 1,
    sum: node(
      sum,
      describe("{a} plus {b}"),
      parameterize({
        sum_x: [{ a: source("x"), b: value(2) }, "x moved by two"],
        sum_y: { a: source("x"), b: value(3) },
      }),
    ),
  }).build();
  const docs = Object.fromEntries(
    dr.listAvailableVariables().filter((v) => v.doc !== undefined).map((
      v,
    ) => [v.name, v.doc]),
  );
  assert.deepEqual(docs, { sum_x: "x moved by two", sum_y: "x plus 3" });
  assert.deepEqual(await dr.execute(["sum_x", "sum_y"]), {
    sum_x: 3,
    sum_y: 4,
  });
  await assert.rejects(
    new Builder().withModules({
      sum: node(
        sum,
        parameterize({ bad: [{ a: value(1) }, 3] as never }),
      ),
    }).build(),
    /must be an object of bindings, or \[bindings, "description"\]/,
  );
});

Deno.test("mutate binds arguments for every target, each target's own winning; targets may be names or functions (Hamilton 47)", async () => {
  const scores = {
    score_a: () => 42,
    score_b: () => 42,
    score_c: () => 42,
  };
  const _clip = node(
    (x: number, { max, min }: { max: number; min: number }) =>
      Math.max(min, Math.min(x, max)),
    mutate(
      applyTo("score_a"),
      applyTo("score_b", { max: value(5) }),
      scores.score_c,
      { max: value(10), min: value(0) },
    ),
  );
  const dr = await new Builder().withModules(scores, { _clip }).build();
  assert.deepEqual(await dr.execute(["score_a", "score_b", "score_c"]), {
    score_a: 10,
    score_b: 5,
    score_c: 10,
  });
  assert.throws(
    () => mutate(applyTo("a"), { x: 1 }, { y: 2 }),
    /at most one object of arguments/,
  );
});

Deno.test("applyTo(...).named() names the mutation's step node and .when() keeps it only under a config (Hamilton 25)", async () => {
  const scores = { score: () => 42, other: () => 7 };
  const _clip = node(
    (x: number, { max }: { max: number }) => Math.min(x, max),
    mutate(
      applyTo("score", { max: value(10) }).named("capped"),
      applyTo("other", { max: value(5) }).when({ mode: "strict" }),
    ),
  );
  const lax = await new Builder().withModules(scores, { _clip }).withConfig({
    mode: "lax",
  }).build();
  assert.deepEqual(
    await lax.execute(["score", "score.capped", "other"] as never[]),
    { score: 10, "score.capped": 10, other: 7 },
  );
  assert.ok(!lax.listAvailableVariables().some((v) => v.name === "other.raw"));
  const strict = await new Builder().withModules(scores, { _clip })
    .withConfig({ mode: "strict" }).build();
  assert.deepEqual(await strict.execute(["other"]), { other: 5 });
  assert.throws(() => applyTo("x").when({}), TypeError);
  assert.throws(() => applyTo("x").named(""), TypeError);
});

Deno.test("checkOutput makes <name>_raw, one validator node per validator valued with its result, and the node that applies the importance (Hamilton 44)", async () => {
  const positive = (v: number) => v > 0 || "must be positive";
  const small = (v: number) => v < 100 || "must be small";
  const dr = await new Builder().withModules({
    price: node(
      () => 250,
      tag({ unit: "EUR" }),
      checkOutput(positive, small, (v: number) => Number.isInteger(v)),
    ),
  }).build();
  const infos = dr.listAvailableVariables();
  assert.deepEqual(infos.map((v) => v.name), [
    "price_raw",
    "price_positive",
    "price_small",
    "price_validator",
    "price",
  ]);
  const tagsOf = (name: string) => {
    const { module: _module, ...tags } =
      infos.find((v) => v.name === name)!.tags;
    return tags;
  };
  assert.deepEqual(tagsOf("price_raw"), {});
  assert.deepEqual(tagsOf("price_small"), {
    "hamilton.data_quality.contains_dq_results": true,
    "hamilton.data_quality.source_node": "price",
  });
  assert.deepEqual(tagsOf("price"), { unit: "EUR" }); // tags go to the final node
  assert.deepEqual(
    infos.find((v) => v.name === "price")?.inputs.map((i) => i.name),
    ["price_raw", "price_positive", "price_small", "price_validator"],
  );
  assert.deepEqual(
    dr.listAvailableVariables({
      tagFilter: {
        [DATA_QUALITY_TAG]: true,
        [DATA_QUALITY_SOURCE_TAG]: "price",
      },
    }).map((v) => v.name),
    ["price_positive", "price_small", "price_validator"],
  );
  // The results are values that can be requested; the value passes on with
  // a warning per failed check.
  const out = await dr.execute(
    ["price", "price_positive", "price_small"] as never[],
  ) as Record<string, unknown>;
  assert.equal(out.price, 250);
  assert.deepEqual(out.price_positive, {
    passes: true,
    message: "passed",
    importance: "warn",
    validator: "positive",
  });
  assert.deepEqual(out.price_small, {
    passes: false,
    message: "must be small",
    importance: "warn",
    validator: "small",
  });
});

Deno.test("checkOutput with importance fail reports every failed validator in one ValidationError (Hamilton 44)", async () => {
  const dr = await new Builder().withModules({
    price: node(
      () => -250,
      checkOutput(
        (v: number) => v > 0 || "must be positive",
        (v: number) => v > -100 || "must be above -100",
        { importance: "fail" },
      ),
    ),
  }).build();
  await assert.rejects(
    dr.execute(["price"]),
    (e: unknown) =>
      e instanceof ValidationError && e.nodeName === "price" &&
      e.reason === "must be positive; must be above -100",
  );
  // The raw value and the verdicts are there without the policy.
  assert.deepEqual(
    await dr.execute(["price_raw", "price_validator_1"] as never[]),
    {
      price_raw: -250,
      price_validator_1: {
        passes: false,
        message: "must be above -100",
        importance: "fail",
        validator: "validator",
      },
    },
  );
});

Deno.test("checkOutput given twice on one node is an InvalidNodeError; tags in its namespaces are reserved (Hamilton 44)", async () => {
  await assert.rejects(
    new Builder().withModules({
      f: node(() => 1, checkOutput(() => true), checkOutput(() => true)),
    }).build(),
    /checkOutput is given twice/,
  );
  await assert.rejects(
    new Builder().withModules({
      f: node(() => 1, tag({ [DATA_QUALITY_TAG]: true })),
    }).build(),
    /reserved namespace "hamilton"/,
  );
  assert.throws(() => checkOutput(), /needs at least one validator/);
});

Deno.test("a collecting node with checkOutput collects on its raw node", async () => {
  const dr = await new Builder().withModules({
    steps: node(() => [1, 2, 3], parallelizable()),
    square: ({ steps }: { steps: number }) => steps ** 2,
    total: node(
      ({ square }: { square: number[] }) => square.reduce((a, b) => a + b),
      collect("square"),
      checkOutput((v: number) => v > 10, { importance: "fail" }),
    ),
  }).build();
  assert.deepEqual(await dr.execute(["total"]), { total: 14 });
});
