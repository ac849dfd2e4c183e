import assert from "node:assert/strict";
import {
  Builder,
  config,
  inputs,
  InvalidNodeError,
  isNodeDef,
  named,
  node,
  type NodeDef,
  tag,
} from "../mod.ts";

Deno.test("node() returns a frozen NodeDef that keeps the function untouched", () => {
  const fn = ({ x }: { x: number }) => x * 2;
  const def = node(fn, tag({ a: "1" }));
  assert.ok(Object.isFrozen(def));
  assert.ok(isNodeDef(def));
  assert.equal(def.fn, fn);
  assert.equal(def.fn({ x: 3 }), 6);
  assert.deepEqual(Object.keys(fn), []); // nothing stashed on the function
});

Deno.test("node() rejects a non-function with a TypeError", () => {
  assert.throws(
    () => node(42 as never),
    /'fn' must be a function: received 42/,
  );
});

Deno.test("named() renames a node", async () => {
  const dr = await new Builder()
    .withModules({ data: node(() => [1, 2], named("raw_data")) })
    .build();
  assert.deepEqual(await dr.execute(["raw_data"]), {
    raw_data: [1, 2],
  });
  assert.equal(dr.listAvailableVariables()[0]?.originalName, "data");
});

Deno.test("tag() attaches tags without changing what a node computes", async () => {
  const dr = await new Builder()
    .withModules({ a: node(() => 1, tag({ layer: "raw", owner: "ana" })) })
    .build();
  assert.deepEqual(await dr.execute(["a"]), { a: 1 });
  assert.deepEqual(dr.listAvailableVariables()[0]?.tags, {
    module: "module #1",
    layer: "raw",
    owner: "ana",
  });
});

Deno.test("tag() rejects reserved namespaces and non-scalar values", async () => {
  await assert.rejects(
    new Builder().withModules({ a: node(() => 1, tag({ "braid.x": "y" })) })
      .build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /reserved namespace "braid"/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules({ a: node(() => 1, tag({ k: {} as never })) })
      .build(),
    InvalidNodeError,
  );
});

Deno.test("config.when keeps a variant only when config matches and cuts its __suffix", async () => {
  const mod = await import("./fixtures/hamilton.ts");
  const remote = await new Builder().withModules(mod).withConfig({
    version: "remote",
  }).build();
  assert.equal((await remote.execute(["B"])).B, 17.5);
  const other = await new Builder().withModules(mod).withConfig({
    version: "local",
  }).build();
  assert.equal((await other.execute(["B"])).B, 35 / 3);
  const none = await new Builder().withModules(mod).build();
  assert.equal((await none.execute(["C"])).C, 35 * 35 * (35 / 3));
});

Deno.test("config.whenIn and config.whenNotIn select by membership", async () => {
  const mod = {
    x__in: node(() => "in", config.whenIn({ region: ["US", "CA"] })),
    x__out: node(() => "out", config.whenNotIn({ region: ["US", "CA"] })),
  };
  const us = await new Builder().withModules(mod).withConfig({ region: "CA" })
    .build();
  assert.equal((await us.execute(["x"])).x, "in");
  const eu = await new Builder().withModules(mod).withConfig({ region: "EU" })
    .build();
  assert.equal((await eu.execute(["x"])).x, "out");
  const missing = await new Builder().withModules(mod).build();
  assert.equal((await missing.execute(["x"])).x, "out");
});

Deno.test("a node with no matching config variant becomes a required input of its consumers", async () => {
  const mod = {
    b__remote: node(() => 1, config.when({ version: "remote" })),
    c: ({ b }: { b: number }) => b + 1,
  };
  const dr = await new Builder().withModules(mod).build();
  assert.equal(
    dr.listAvailableVariables().find((v) => v.name === "b")?.kind,
    "input",
  );
  assert.deepEqual(await dr.execute(["c"], { inputs: { b: 10 } }), { c: 11 });
});

Deno.test("a config variant name ending in __ is an InvalidNodeError", async () => {
  await assert.rejects(
    new Builder().withModules({ b__: node(() => 1, config.when({ v: 1 })) })
      .build(),
    InvalidNodeError,
  );
});

Deno.test("config modifiers reject empty or malformed conditions", () => {
  assert.throws(() => config.when({}), TypeError);
  assert.throws(
    () => config.whenIn({ region: "US" as never }),
    /must be a list/,
  );
});

Deno.test("inputs() declares a generated node's inputs; it is called with one object", async () => {
  const plan = [
    { id: "extract", after: [] as string[], cost: 1 },
    { id: "clean", after: ["extract"], cost: 2 },
    { id: "report", after: ["extract", "clean"], cost: 5 },
  ];
  const defs: Record<string, unknown> = {};
  for (const task of plan) {
    defs[task.id] = node(
      (args: Record<string, string>) =>
        `${task.id}(${Object.values(args).join(",")})`,
      inputs(task.after),
      tag({ cost: task.cost, kind: "task" }),
    );
  }
  const dr = await new Builder().withModules(defs).build();
  const out = await dr.execute(["report"]);
  assert.equal(out.report, "report(extract(),clean(extract()))");
  assert.deepEqual(
    dr.listAvailableVariables({ tagFilter: { cost: 5 } }).map((v) => v.name),
    ["report"],
  );
});

Deno.test("inputs() optional inputs are left out when unavailable, and ctx is the second argument", async () => {
  const def = node(
    (args: Record<string, number>, ctx: { nodeName: string }) =>
      `${ctx.nodeName}:${JSON.stringify(args)}`,
    named("gen"),
    inputs(["a"], { optional: ["b"] }),
  );
  const dr = await new Builder().withModules({ def }).build();
  assert.deepEqual(await dr.execute(["gen" as never], { inputs: { a: 1 } }), {
    gen: 'gen:{"a":1}',
  });
  assert.throws(() => inputs([""]), TypeError);
});

Deno.test("a function whose inputs cannot be read is an InvalidNodeError naming it", async () => {
  await assert.rejects(
    new Builder().withModules({ bad: (...xs: number[]) => xs.length }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "bad" &&
      /rest parameters/.test(e.message),
  );
});

Deno.test("a node or parameter named ctx is rejected: ctx is reserved", async () => {
  await assert.rejects(
    new Builder().withModules({ ctx: () => 1 }).build(),
    (e: unknown) => e instanceof InvalidNodeError && /reserved/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules({ a: node(() => 1, named("ctx")) }).build(),
    InvalidNodeError,
  );
});

Deno.test("inputs named like Object.prototype members (__proto__, toString) arrive as plain keys", async () => {
  const def = node(
    (args: Record<string, unknown>) =>
      Object.keys(args).sort().join(",") + `:${args["__proto__"]}`,
    inputs(["__proto__", "toString"]),
  );
  const dr = await new Builder().withModules({ def }).build();
  const out = await dr.execute(["def"], {
    inputs: { ["__proto__"]: 1, toString: 2 },
  });
  assert.equal(out.def, "__proto__,toString:1");
});

Deno.test("node() records the module it is called in on its specs, for workers to import", async () => {
  const { plainSpec, simpleSpec } = await import("../src/node.ts");
  const fixtures = await import("./fixtures/workers/nodes.ts");
  const url = new URL("./fixtures/workers/nodes.ts", import.meta.url).href;
  const siteOf = (def: NodeDef) =>
    simpleSpec(def, "x", undefined, undefined)?.definedAt?.url;
  assert.equal(siteOf(fixtures.tripled), url);
  assert.equal(siteOf(fixtures.hidden), url);
  assert.equal(siteOf(node(() => 1)), import.meta.url);
  assert.equal(
    plainSpec(() => 2, "y", undefined, undefined).definedAt,
    undefined,
  );
  const fn = () => 3;
  node(fn);
  assert.deepEqual(Object.keys(fn), []); // the site is not on the function
});

Deno.test("a module the builder imports gives its specs their export, which modifiers that generate a function drop", async () => {
  const { collectSpecs, loadModules } = await import("../src/_load.ts");
  const url = new URL("./fixtures/workers/nodes.ts", import.meta.url).href;
  const specs = collectSpecs(await loadModules([url]), { config: {} }, false);
  assert.equal(specs.get("doubled")?.module, url);
  assert.equal(specs.get("doubled")?.exportName, "doubled");
  assert.equal(specs.get("tripled")?.exportName, "tripled");
  const spec = specs.get("doubled")!;
  const { rebind, value } = await import("../src/modifiers/_bind.ts");
  const bound = rebind(spec, { x: value(1) }, "test");
  assert.equal(bound.exportName, undefined);
  assert.equal(bound.module, url); // provenance stays
});

Deno.test("config(predicate) keeps a node when the predicate of the config is true (Hamilton 47)", async () => {
  const variants = {
    rate__big: node(() => 0.5, config((cfg) => Number(cfg.size) > 100)),
    rate__small: node(() => 0.1, config((cfg) => !(Number(cfg.size) > 100))),
  };
  const big = await new Builder().withModules(variants).withConfig({
    size: 500,
  }).build();
  assert.deepEqual(await big.execute(["rate"]), { rate: 0.5 });
  const small = await new Builder().withModules(variants).build();
  assert.deepEqual(await small.execute(["rate"]), { rate: 0.1 });
  assert.deepEqual(
    small.listAvailableVariables().find((v) => v.name === "rate")?.modifiers,
    ["config"],
  );
  await assert.rejects(
    new Builder().withModules({
      f: node(() => 1, config(() => "yes" as never)),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /must return true or false/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules({
      f: node(() => 1, config((cfg) => (cfg.x as { y: number }).y > 1)),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && /predicate threw/.test(e.message),
  );
  assert.throws(() => config(3 as never), TypeError);
});
