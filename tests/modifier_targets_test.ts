// Which nodes a modifier acts on once an earlier one made several
// (HAMILTON_SEMANTICS 40: Hamilton's `target_`): the final nodes by default,
// every node with "all", or the nodes named.
import assert from "node:assert/strict";
import {
  Builder,
  cache,
  checkOutput,
  extractFields,
  InvalidNodeError,
  node,
  parameterize,
  pipeInput,
  pipeOutput,
  resolveFromConfig,
  source,
  step,
  subdag,
  tag,
  unpackFields,
  ValidationError,
  value,
} from "../mod.ts";

const stats = () => ({ mean: 2.4, std: 0.26 });
// Each node's tags but the module tag every node has (tested on its own);
// inputs have none.
const tagsOf = (
  dr: {
    listAvailableVariables(): {
      name: string;
      kind: string;
      tags: Record<string, unknown>;
    }[];
  },
) =>
  Object.fromEntries(
    dr.listAvailableVariables().filter((v) => v.kind === "node").map((v) => {
      const { module: _module, ...tags } = v.tags;
      return [v.name, tags];
    }),
  );

Deno.test("tag after extractFields tags the fields only, and a tag filter returns only them (Hamilton 40)", async () => {
  const dr = await new Builder().withModules({
    stats: node(stats, extractFields("mean", "std"), tag({ kind: "metric" })),
  }).build();
  assert.deepEqual(tagsOf(dr), {
    stats: {},
    mean: { kind: "metric" },
    std: { kind: "metric" },
  });
  assert.deepEqual(
    dr.listAvailableVariables({ tagFilter: { kind: "metric" } }).map((v) =>
      v.name
    ),
    ["mean", "std"],
  );
});

Deno.test("tag's target chooses every node, one node or a list of nodes of the definition (Hamilton 40)", async () => {
  const build = (target: string | string[]) =>
    new Builder().withModules({
      stats: node(
        stats,
        extractFields("mean", "std"),
        tag({ layer: "x" }, { target }),
      ),
    }).build();
  const all = await build("all");
  assert.deepEqual(tagsOf(all), {
    stats: { layer: "x" },
    mean: { layer: "x" },
    std: { layer: "x" },
  });
  const one = await build("stats");
  assert.deepEqual(tagsOf(one), { stats: { layer: "x" }, mean: {}, std: {} });
  const two = await build(["stats", "std"]);
  assert.deepEqual(tagsOf(two), {
    stats: { layer: "x" },
    mean: {},
    std: { layer: "x" },
  });
  const final = await build("final");
  assert.deepEqual(tagsOf(final), {
    stats: {},
    mean: { layer: "x" },
    std: { layer: "x" },
  });
});

Deno.test("a target naming a node its definition does not make is an InvalidNodeError naming the modifier (Hamilton 40)", async () => {
  await assert.rejects(
    new Builder().withModules({
      stats: node(
        stats,
        extractFields("mean", "std"),
        tag({ layer: "x" }, { target: ["mean", "median"] }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "stats" &&
      /tag targets "median"/.test(e.message) &&
      /"stats", "mean", "std"/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules({
      f: node(() => 1, tag({ layer: "x" }, { target: "g" })),
    }).build(),
    InvalidNodeError,
  );
});

Deno.test("a target that is not a name, a list of names, final or all is a TypeError", () => {
  assert.throws(
    () => tag({ a: "b" }, { target: [] as string[] }),
    /'tag' option 'target' must be "final", "all", a node name or a non-empty list of names/,
  );
  assert.throws(
    () => checkOutput(() => true, { target: 3 as never }),
    TypeError,
  );
  assert.throws(
    () => pipeOutput(step(Math.round), { onOutput: "" }),
    TypeError,
  );
});

Deno.test("pipeOutput after extractFields post-processes the fields, not the object node (Hamilton 40)", async () => {
  const dr = await new Builder().withModules({
    stats: node(
      stats,
      extractFields("mean", "std"),
      pipeOutput(step(Math.round)),
    ),
  }).build();
  assert.deepEqual(await dr.execute(["stats", "mean", "std"]), {
    stats: { mean: 2.4, std: 0.26 },
    mean: 2,
    std: 0,
  });
  const names = dr.listAvailableVariables().map((v) => v.name);
  assert.ok(!names.includes("stats.raw"), names.join());
  assert.ok(names.includes("mean.raw") && names.includes("std.raw"));
});

Deno.test("checkOutput after extractFields checks the fields, not the object node (Hamilton 40)", async () => {
  const dr = await new Builder().withModules({
    stats: node(
      stats,
      extractFields("mean", "std"),
      checkOutput((v: unknown) => typeof v === "number" || "not a number", {
        importance: "fail",
      }),
    ),
  }).build();
  assert.deepEqual(await dr.execute(["mean", "std"]), { mean: 2.4, std: 0.26 });
  const objects = await new Builder().withModules({
    stats: node(
      stats,
      extractFields("mean", "std"),
      checkOutput((v: unknown) => typeof v === "number" || "not a number", {
        importance: "fail",
        target: "stats",
      }),
    ),
  }).build();
  await assert.rejects(objects.execute(["mean"]), ValidationError);
});

Deno.test("cache() declares every node of its definition unless target picks some (Hamilton 40)", async () => {
  const declared = async (target?: string) => {
    const dr = await new Builder().withModules({
      stats: node(
        stats,
        extractFields("mean", "std"),
        cache(
          target === undefined
            ? { behavior: "recompute" }
            : { behavior: "recompute", target },
        ),
      ),
    }).build();
    return Object.fromEntries(
      dr.listAvailableVariables().map((v) => [v.name, v.cache?.behavior]),
    );
  };
  assert.deepEqual(await declared(), {
    stats: "recompute",
    mean: "recompute",
    std: "recompute",
  });
  assert.deepEqual(await declared("mean"), {
    stats: undefined,
    mean: "recompute",
    std: undefined,
  });
  const dr = await new Builder().withModules({
    f: node(() => 1, cache({ version: "2", target: "all" })),
  }).build();
  assert.deepEqual(dr.listAvailableVariables()[0]?.cache, { version: "2" });
});

Deno.test("subdag with extractFields builds: the fields are read from the function's node, not its inner nodes (Hamilton 40)", async () => {
  const inner = {
    doubled: ({ x }: { x: number }) => x * 2,
    squared: ({ x }: { x: number }) => x * x,
  };
  const both = node(
    ({ doubled, squared }: { doubled: number; squared: number }) => ({
      lo: Math.min(doubled, squared),
      hi: Math.max(doubled, squared),
    }),
    subdag([inner], { inputs: { x: value(3) } }),
    extractFields("lo", "hi"),
    tag({ kind: "bound" }),
  );
  const dr = await new Builder().withModules({ both }).build();
  assert.deepEqual(await dr.execute(["lo", "hi"]), { lo: 6, hi: 9 });
  assert.deepEqual(
    dr.listAvailableVariables({ tagFilter: { kind: "bound" } }).map((v) =>
      v.name
    ),
    ["lo", "hi"],
  );
});

Deno.test("tag after subdag, pipeInput or parameterize tags the final nodes: not inner nodes or steps, every generated node (Hamilton 40)", async () => {
  const inner = { doubled: ({ x }: { x: number }) => x * 2 };
  const dr = await new Builder().withModules({
    total: node(
      ({ doubled }: { doubled: number }) => doubled,
      subdag([inner], { inputs: { x: value(1) } }),
      tag({ t: "sub" }),
    ),
    report: node(
      ({ raw }: { raw: number }) => raw,
      pipeInput(step(function plus(x: number) {
        return x + 1;
      })),
      tag({ t: "pipe" }),
    ),
    raw: () => 1,
    sum: node(
      ({ a, b }: { a: number; b: number }) => a + b,
      parameterize({
        sum_1: { a: source("raw"), b: value(1) },
        sum_2: { a: source("raw"), b: value(2) },
      }),
      tag({ t: "param" }),
    ),
  }).build();
  assert.deepEqual(tagsOf(dr), {
    "total.doubled": {},
    total: { t: "sub" },
    "report.plus": {},
    report: { t: "pipe" },
    raw: {},
    sum_1: { t: "param" },
    sum_2: { t: "param" },
  });
});

Deno.test("a modifier chosen by resolveFromConfig keeps its own target (Hamilton 40)", async () => {
  const dr = await new Builder().withModules({
    stats: node(
      stats,
      extractFields("mean", "std"),
      resolveFromConfig((owner: string) => tag({ owner }, { target: "all" })),
    ),
  }).withConfig({ owner: "ana" }).build();
  assert.deepEqual(tagsOf(dr), {
    stats: { owner: "ana" },
    mean: { owner: "ana" },
    std: { owner: "ana" },
  });
});

Deno.test("tag after unpackFields or pipeOutput tags the final nodes only: the items, the node over the last step (Hamilton 40)", async () => {
  const dr = await new Builder().withModules({
    pair: node(
      (): [number, string] => [1, "a"],
      unpackFields("n", "s"),
      tag({ t: "item" }),
    ),
    price: node(
      () => 2.6,
      pipeOutput(step(Math.round), step(Math.abs).named("abs")),
      tag({ t: "final" }),
    ),
  }).build();
  assert.deepEqual(tagsOf(dr), {
    pair: {},
    n: { t: "item" },
    s: { t: "item" },
    "price.raw": {},
    "price.round": {},
    "price.abs": {},
    price: { t: "final" },
  });
  assert.deepEqual(
    dr.listAvailableVariables({ tagFilter: { t: "final" } }).map((v) => v.name),
    ["price"],
  );
});

Deno.test("cache() given twice for one node is an InvalidNodeError at build; caches for different targets are not (Hamilton 40)", async () => {
  await assert.rejects(
    new Builder().withModules({
      model: node(
        () => 1,
        cache({ behavior: "recompute" }),
        cache({ behavior: "disable" }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "model" &&
      /cache\(\) is given twice for this node/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules({
      stats: node(
        stats,
        extractFields("mean", "std"),
        cache({ behavior: "recompute" }),
        cache({ version: "2", target: "std" }),
      ),
    }).build(),
    (e: unknown) => e instanceof InvalidNodeError && e.nodeName === "std",
  );
  const dr = await new Builder().withModules({
    stats: node(
      stats,
      extractFields("mean", "std"),
      cache({ behavior: "recompute", target: "mean" }),
      cache({ behavior: "disable", target: ["stats", "std"] }),
    ),
  }).build();
  assert.deepEqual(
    Object.fromEntries(
      dr.listAvailableVariables().map((v) => [v.name, v.cache?.behavior]),
    ),
    { stats: "disable", mean: "recompute", std: "disable" },
  );
});
