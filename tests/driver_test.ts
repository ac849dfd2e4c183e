import assert from "node:assert/strict";
import {
  Builder,
  config,
  inputs,
  MissingInputError,
  named,
  node,
  parameterize,
  tag,
  UnknownNodeError,
  value,
} from "../mod.ts";
import * as hamilton from "./fixtures/hamilton.ts";

const tagged = {
  raw: node(
    ({ path }: { path: string }) => path.length,
    tag({ layer: "raw", owner: "ana" }),
  ),
  clean: node(
    ({ raw }: { raw: number }) => raw,
    tag({ layer: "clean", pii: ["email", "name"] }),
  ),
  metric: node(
    ({ clean }: { clean: number }) => clean * 2,
    tag({ layer: "metric", owner: "bo" }),
  ),
  unrelated: () => 0,
};

Deno.test("listAvailableVariables filters by exact tag value, list of values, null, ANDed", async () => {
  const dr = await new Builder().withModules(tagged).build();
  const names = (filter: Parameters<typeof dr.listAvailableVariables>[0]) =>
    dr.listAvailableVariables(filter).map((v) => v.name);
  assert.deepEqual(names({ tagFilter: { layer: "raw" } }), ["raw"]);
  assert.deepEqual(names({ tagFilter: { layer: ["raw", "metric"] } }).sort(), [
    "metric",
    "raw",
  ]);
  assert.deepEqual(names({ tagFilter: { owner: null } }).sort(), [
    "metric",
    "raw",
  ]);
  assert.deepEqual(names({ tagFilter: { owner: null, layer: "metric" } }), [
    "metric",
  ]);
  assert.deepEqual(names({ tagFilter: { pii: "email" } }), ["clean"]);
  assert.deepEqual(names({}).sort(), [
    "clean",
    "metric",
    "path",
    "raw",
    "unrelated",
  ]);
});

Deno.test("listAvailableVariables describes external inputs and who needs them", async () => {
  const dr = await new Builder().withModules(tagged).build();
  const path = dr.listAvailableVariables().find((v) => v.name === "path");
  assert.equal(path?.kind, "input");
  assert.deepEqual(path?.neededBy, ["raw"]);
  assert.equal(path?.optional, false);
});

Deno.test("whatIsUpstreamOf, whatIsDownstreamOf and whatIsThePathBetween answer graph queries", async () => {
  const dr = await new Builder().withModules(tagged).build();
  const names = (infos: { name: string }[]) => infos.map((i) => i.name);
  assert.deepEqual(names(dr.whatIsUpstreamOf("clean")), [
    "path",
    "raw",
    "clean",
  ]);
  assert.deepEqual(names(dr.whatIsDownstreamOf("raw")), [
    "raw",
    "clean",
    "metric",
  ]);
  assert.deepEqual(names(dr.whatIsThePathBetween("path", "metric")), [
    "path",
    "raw",
    "clean",
    "metric",
  ]);
  assert.deepEqual(dr.whatIsThePathBetween("metric", "raw"), []);
  assert.throws(() => dr.whatIsUpstreamOf("nope"), /Unknown node "nope"/);
});

Deno.test("validateExecution throws what execute would, and runs nothing", async () => {
  let ran = false;
  const dr = await new Builder()
    .withModules({ b: ({ x }: { x: number }) => (ran = true, x) })
    .build();
  assert.throws(() => dr.validateExecution(["b"]), MissingInputError);
  assert.throws(() => dr.validateExecution(["zz" as never]), UnknownNodeError);
  dr.validateExecution(["b"], { inputs: { x: 1 } });
  assert.equal(ran, false);
});

Deno.test("exportExecution returns the plan as JSON with topological generations", async () => {
  const dr = await new Builder().withModules(hamilton).build();
  const plan = dr.exportExecution(["C"]);
  assert.deepEqual(plan.generations, [["A"], ["B"], ["C"]]);
  assert.deepEqual(
    plan.nodes.map((n) => [n.name, n.originalName, n.modifiers]),
    [
      ["A", "A", []],
      ["B", "B__default", ["config.whenNot"]],
      ["C", "C", []],
    ],
  );
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
  const overridden = dr.exportExecution(["C"], { overrides: { B: 1 } });
  assert.deepEqual(overridden.generations, [["A"], ["C"]]);
  assert.deepEqual(overridden.replaced, ["B"]);
  assert.deepEqual(overridden.nodes[1]?.inputs, [
    { name: "A", optional: false, source: "node" },
    { name: "B", optional: false, source: "override" },
  ]);
});

Deno.test("toDot draws nodes, inputs and edges, restricted to vars and with highlights", async () => {
  const dr = await new Builder().withModules(tagged).build();
  const dot = dr.toDot();
  assert.match(dot, /^digraph "braid" \{/);
  assert.match(dot, /"path" \[shape=ellipse, style=dashed\];/);
  assert.match(dot, /"raw" -> "clean";/);
  assert.match(dot, /"unrelated" \[shape=box\];/);
  const partial = dr.toDot({ vars: ["clean"], highlight: ["raw"] });
  assert.doesNotMatch(partial, /metric|unrelated/);
  assert.match(
    partial,
    /"raw" \[shape=box, style=filled, fillcolor="#ffd966"\];/,
  );
  assert.throws(() => dr.toDot({ vars: ["nope"] }), /Unknown node/);
});

Deno.test("generated names show up with their original name and modifiers", async () => {
  const dr = await new Builder()
    .withModules({ f: node(() => 1, named("renamed"), tag({ k: "v" })) })
    .build();
  const [info] = dr.listAvailableVariables();
  assert.equal(info?.name, "renamed");
  assert.equal(info?.originalName, "f");
  assert.deepEqual(info?.modifiers, ["named", "tag"]);
  assert.match(dr.toDot(), /"renamed" \[shape=box\]/);
});

Deno.test("execute() rejects vars that are not an array of names, and ctx as an input", async () => {
  const dr = await new Builder().withModules(hamilton).build();
  await assert.rejects(dr.execute("C" as never), TypeError);
  await assert.rejects(
    dr.execute(["C"], { inputs: { ctx: 1 } as never }),
    /reserved/,
  );
});

Deno.test("map() rejects a mapped input that is missing or not a list", async () => {
  const dr = await new Builder().withModules({ s: ({ a }: { a: number }) => a })
    .build();
  await assert.rejects(
    dr.map(["s"], { inputs: {}, mapOver: "a" }),
    /not in 'inputs'/,
  );
  await assert.rejects(
    dr.map(["s"], { inputs: { a: 3 }, mapOver: "a" }),
    /array or iterable/,
  );
  await assert.rejects(
    dr.map(["s"], {
      inputs: { a: [1] },
      mapOver: "a",
      mapMode: "cross" as never,
    }),
    /'mapMode'/,
  );
});

Deno.test("a driver closes with await using", async () => {
  let closed = false;
  {
    await using dr = await new Builder().withModules(hamilton).build();
    const original = dr.close.bind(dr);
    dr.close = () => (closed = true, original());
    assert.equal((await dr.execute(["A"])).A, 35);
  }
  assert.equal(closed, true);
});

Deno.test("listAvailableVariables marks inputs that config provides", async () => {
  const dr = await new Builder()
    .withModules({ s: ({ a, b }: { a: number; b: number }) => a + b })
    .withConfig({ a: 1 })
    .build();
  const inputs = dr.listAvailableVariables().filter((v) => v.kind === "input");
  assert.deepEqual(inputs.map((v) => [v.name, v.fromConfig === true]), [
    ["a", true],
    ["b", false],
  ]);
});

Deno.test("the inputs listAvailableVariables shows are frozen, declared ones included", async () => {
  const dr = await new Builder().withModules({
    a: ({ x }: { x: number }) => x,
    b: node((args: { a: number }) => args.a, named("b"), inputs(["a"])),
  }).build();
  const shown = dr.listAvailableVariables().filter((v) => v.kind === "node");
  assert.deepEqual(shown.map((v) => v.name), ["a", "b"]);
  for (const info of shown) {
    assert.ok(Object.isFrozen(info.inputs));
    for (const input of info.inputs) assert.ok(Object.isFrozen(input));
  }
});

Deno.test("map() refuses a mapOver that is neither an input name nor a list of names, saying what it got", async () => {
  const dr = await new Builder()
    .withModules({ a: ({ x }: { x: number }) => x + 1 })
    .build();
  for (const [mapOver, got] of [[5, "5"], [["x", 3], 'an array ["x", 3]']]) {
    await assert.rejects(
      dr.map(["a"], { inputs: { x: [1] }, mapOver: mapOver as never }),
      {
        name: "TypeError",
        message:
          `'mapOver' must be an input name or a list of input names: received ${got}`,
      },
    );
  }
});

Deno.test("execute() rejects at once when a requested value named then is a function, instead of waiting on it as a promise", async () => {
  const dr = await new Builder().withModules({
    then: () => (_resolve: unknown) => {}, // never calls back
    kind: ({ then }: { then: unknown }) => typeof then,
  }).build();
  await assert.rejects(dr.execute(["then", "kind"]), {
    name: "TypeError",
    message: /"then" is a function.*rename the node.*run\(\)/,
  });
  // Other requests, and run(), still see it.
  assert.deepEqual(await dr.execute(["kind"]), { kind: "function" });
  const result = await dr.run(["then"]);
  assert.equal(typeof result.outputs!.then, "function");
});

const optional = {
  scaled: ({ x, k = 2 }: { x: number; k?: number }) => x * k,
  shifted: ({ x, k = 0 }: { x: number; k?: number }) => x + k,
};

Deno.test("an optional input requested as an output and not provided is left out of the result (Hamilton 42)", async () => {
  const dr = await new Builder().withModules(optional).build();
  const out = await dr.execute(["scaled", "k"] as never[], {
    inputs: { x: 3 },
  });
  assert.deepEqual(out, { scaled: 6 });
  assert.ok(!Object.hasOwn(out, "k"));
  dr.validateExecution(["k"] as never[]); // not a MissingInputError
  const { outputs } = await dr.run(["k", "shifted"] as never[], {
    inputs: { x: 1 },
  });
  assert.deepEqual(outputs, { shifted: 1 });
  assert.deepEqual(
    await dr.map(["k", "scaled"] as never[], {
      inputs: { x: [1, 2] },
      mapOver: "x",
    }),
    [{ scaled: 2 }, { scaled: 4 }],
  );
});

Deno.test("an optional input provided as undefined or null is kept in the result (Hamilton 42)", async () => {
  const dr = await new Builder().withModules(optional).build();
  const out = await dr.execute(["k", "shifted"] as never[], {
    inputs: { x: 1, k: undefined },
  });
  assert.ok(Object.hasOwn(out, "k"));
  assert.deepEqual(out, { k: undefined, shifted: 1 });
  assert.deepEqual(
    await dr.execute(["k"] as never[], { inputs: { x: 1, k: null } }),
    { k: null },
  );
});

Deno.test("a required input requested as an output and not provided is still a MissingInputError", async () => {
  const dr = await new Builder().withModules(optional).build();
  assert.throws(
    () => dr.validateExecution(["x"] as never[]),
    MissingInputError,
  );
});

Deno.test("config keys no node takes are still graph variables for queries and toDot (Hamilton 14)", async () => {
  const dr = await new Builder()
    .withModules({ s: ({ a }: { a: number }) => a + 1 })
    .withConfig({ a: 1, region: "EU" })
    .build();
  const region = dr.listAvailableVariables().find((v) => v.name === "region");
  assert.equal(region?.kind, "input");
  assert.equal(region?.fromConfig, true);
  assert.deepEqual(region?.neededBy, []);
  assert.deepEqual(dr.whatIsDownstreamOf("region").map((v) => v.name), [
    "region",
  ]);
  // Drawn as config inputs are: a note with its value.
  assert.match(
    dr.toDot(),
    /"region" \[shape=note, label="region = \\"EU\\""\];/,
  );
  assert.deepEqual(await dr.execute(["region", "s"] as never[]), {
    region: "EU",
    s: 2,
  });
});

Deno.test("execute() and run() take node() definitions and functions as well as names", async () => {
  const spend = () => [10, 20];
  const avg = node(
    ({ spend }: { spend: number[] }) => spend.reduce((a, b) => a + b) / 2,
    named("avg_spend"),
  );
  const rate__eu = node(() => 0.2, config.when({ region: "EU" }));
  const dr = await new Builder().withModules({ spend, avg, rate__eu })
    .withConfig({ region: "EU" }).build();
  const out = await dr.execute([spend, avg, rate__eu, "avg_spend"]);
  assert.deepEqual(out, { spend: [10, 20], avg_spend: 15, rate: 0.2 });
  assert.equal(out.avg_spend, 15); // typed by name
  const { outputs } = await dr.run([avg]);
  assert.deepEqual(outputs, { avg_spend: 15 });
  await assert.rejects(
    dr.execute([() => 1]),
    /function <anonymous> defines no node of this graph/,
  );
  const twice = await new Builder().withModules({ a: spend, b: spend })
    .build();
  await assert.rejects(twice.execute([spend]), /exported twice/);
  // parameterize makes no node named after the definition.
  const s = node(
    ({ a }: { a: number }) => a,
    parameterize({ s1: { a: value(1) } }),
  );
  const made = await new Builder().withModules({ s }).build();
  await assert.rejects(made.execute([s]), /defines no node of this graph/);
});
