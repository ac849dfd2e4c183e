import assert from "node:assert/strict";
import {
  Builder,
  ConfigError,
  CycleError,
  DuplicateNodeError,
  InvalidNodeError,
  MissingInputError,
} from "../mod.ts";
import * as spend from "./fixtures/spend.ts";
import * as overridesA from "./fixtures/overrides_a.ts";
import * as overridesB from "./fixtures/overrides_b.ts";

Deno.test("Builder builds from a namespace: exports are nodes, _private and non-functions are not", async () => {
  const dr = await new Builder().withModules(
    await import("./fixtures/hamilton.ts"),
  ).build();
  const names = dr.listAvailableVariables().map((v) => v.name);
  assert.deepEqual(names.sort(), ["A", "B", "C"]);
});

Deno.test("Builder loads modules given as specifiers and records their URL", async () => {
  const url = import.meta.resolve("./fixtures/spend.ts");
  const dr = await new Builder().withModules(url).build();
  assert.deepEqual(await dr.execute(["avg_spend"]), { avg_spend: 20 });
  const info = dr.listAvailableVariables().find((v) => v.name === "avg_spend");
  assert.equal(info?.module, url);
});

Deno.test("Builder resolves a relative specifier against the calling module, not the working directory", async () => {
  // The working directory is the repository's root: "./fixtures/spend.ts"
  // names a file only when read from this test's own directory.
  assert.notEqual(new URL(".", import.meta.url).pathname, `${Deno.cwd()}/`);
  const dr = await new Builder().withModules("./fixtures/spend.ts").build();
  assert.deepEqual(await dr.execute(["spend"]), { spend: [10, 20, 30] });
  const info = dr.listAvailableVariables().find((v) => v.name === "spend");
  assert.equal(info?.module, import.meta.resolve("./fixtures/spend.ts"));
});

Deno.test("Builder refuses a relative specifier from code that is not a module, showing the fix", () => {
  // An indirect eval runs as a script: no module to resolve against.
  const fromScript = (0, eval)("(b) => b.withModules('./x.ts')");
  assert.throws(
    () => fromScript(new Builder()),
    TypeError,
    'new URL("./x.ts", import.meta.url)',
  );
});

Deno.test("Builder.build() throws DuplicateNodeError for a name defined in two modules", async () => {
  await assert.rejects(
    new Builder().withModules(overridesA, overridesB).build(),
    (e: unknown) =>
      e instanceof DuplicateNodeError && e.nodeName === "shared" &&
      /allowModuleOverrides/.test(e.message),
  );
});

Deno.test("allowModuleOverrides() lets the later module win", async () => {
  const dr = await new Builder()
    .withModules(overridesA, overridesB)
    .allowModuleOverrides()
    .build();
  assert.deepEqual(await dr.execute(["uses_shared", "only_a"]), {
    uses_shared: "uses from b",
    only_a: "a",
  });
});

Deno.test("two config variants that both survive in one module are a DuplicateNodeError", async () => {
  const { node, config } = await import("../mod.ts");
  const mod = {
    x__a: node(() => 1, config.when({ v: 1 })),
    x__b: node(() => 2, config.whenIn({ v: [1, 2] })),
  };
  await assert.rejects(
    new Builder().withModules(mod).withConfig({ v: 1 }).allowModuleOverrides()
      .build(),
    DuplicateNodeError,
  );
});

Deno.test("Builder.build() throws CycleError for a -> b -> a, showing the cycle", async () => {
  const mod = {
    a: ({ b }: { b: number }) => b,
    b: ({ a }: { a: number }) => a,
    c: ({ a }: { a: number }) => a,
  };
  await assert.rejects(new Builder().withModules(mod).build(), (e: unknown) => {
    assert.ok(e instanceof CycleError);
    assert.deepEqual(e.cycle, ["a", "b", "a"]);
    assert.match(e.message, /cycle detected "a" -> "b" -> "a"/);
    return true;
  });
});

Deno.test("CycleError lists a longer cycle in dependency order", async () => {
  const mod = {
    a: ({ c }: { c: number }) => c,
    b: ({ a }: { a: number }) => a,
    c: ({ b }: { b: number }) => b,
  };
  await assert.rejects(new Builder().withModules(mod).build(), (e: unknown) => {
    assert.ok(e instanceof CycleError);
    assert.deepEqual(e.cycle, ["a", "b", "c", "a"]);
    return true;
  });
});

Deno.test("a node that needs itself is a CycleError", async () => {
  await assert.rejects(
    new Builder().withModules({ a: ({ a }: { a: number }) => a }).build(),
    (e: unknown) => e instanceof CycleError && e.cycle.join() === "a,a",
  );
});

Deno.test("Builder.build() rejects invalid nodes before anything runs", async () => {
  await assert.rejects(
    new Builder().withModules({ ok: () => 1, bad: ({ ...all }) => all })
      .build(),
    (e: unknown) => e instanceof InvalidNodeError && e.nodeName === "bad",
  );
});

Deno.test("withConfig may be called more than once; later keys win", async () => {
  const mod = await import("./fixtures/hamilton.ts");
  const dr = await new Builder()
    .withConfig({ version: "remote" })
    .withModules(mod)
    .withConfig({ version: "local" })
    .build();
  assert.equal((await dr.execute(["B"])).B, 35 / 3);
});

Deno.test("Builder calls return new builders: the original is unchanged", async () => {
  const base = new Builder().withModules(spend);
  const withConfig = base.withConfig({ ddof: 1 });
  const plain = await base.build();
  assert.equal(
    (await plain.execute(["spend_std"])).spend_std,
    Math.sqrt(200 / 3),
  );
  const tuned = await withConfig.build();
  assert.equal((await tuned.execute(["spend_std"])).spend_std, 10);
});

Deno.test("Builder rejects bad arguments with std-style TypeErrors and RangeErrors", () => {
  assert.throws(() => new Builder().withModules(42 as never), TypeError);
  assert.throws(() => new Builder().withConfig(null as never), TypeError);
  assert.throws(() => new Builder().withExecutor("gpu" as never), TypeError);
  assert.throws(
    () => new Builder().withExecutor("async", { concurrency: 0 }),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message === "'concurrency' must be a positive integer: received 0",
  );
  assert.throws(() => new Builder().withConfig({ ctx: 1 }), ConfigError);
});

Deno.test("Builder builds an empty graph", async () => {
  const dr = await new Builder().build();
  assert.deepEqual(dr.listAvailableVariables(), []);
  assert.deepEqual(await dr.execute([]), {});
});

Deno.test("exported classes are not nodes", async () => {
  class Model {
    fit(): number {
      return 1;
    }
  }
  const dr = await new Builder().withModules({ Model, a: () => 1 }).build();
  assert.deepEqual(dr.listAvailableVariables().map((v) => v.name), ["a"]);
});

Deno.test("a DuplicateNodeError names both exports and their modules", async () => {
  const { node, named } = await import("../mod.ts");
  await assert.rejects(
    new Builder().withModules({ a: () => 1, b: node(() => 2, named("a")) })
      .build(),
    (e: unknown) =>
      e instanceof DuplicateNodeError &&
      /\(in export "a" of module #1 and export "b" of module #1\)/.test(
        e.message,
      ),
  );
});

Deno.test("with overrides, a later module may replace a node once, but not define it twice itself", async () => {
  const { node, named } = await import("../mod.ts");
  const first = { a: () => 1 };
  const second = { a: () => 2, b: node(() => 3, named("a")) };
  await assert.rejects(
    new Builder().withModules(first, second).allowModuleOverrides().build(),
    (e: unknown) =>
      e instanceof DuplicateNodeError &&
      /export "a" of module #2 and export "b" of module #2/.test(e.message),
  );
  const third = { a: () => 3 };
  const dr = await new Builder().withModules(first, { a: () => 2 }, third)
    .allowModuleOverrides().build();
  assert.deepEqual(await dr.execute(["a"]), { a: 3 });
});

Deno.test("a duplicate within one module does not suggest allowModuleOverrides()", async () => {
  const { node, config } = await import("../mod.ts");
  const mod = {
    x__a: node(() => 1, config.when({ v: 1 })),
    x__b: node(() => 2, config.whenIn({ v: [1, 2] })),
  };
  await assert.rejects(
    new Builder().withModules(mod).withConfig({ v: 1 }).build(),
    (e: unknown) =>
      e instanceof DuplicateNodeError &&
      !/allowModuleOverrides/.test(e.message) &&
      /config conditions that exclude each other/.test(e.message),
  );
});

Deno.test("a module object whose functions change between builds is read again", async () => {
  const mod: Record<string, unknown> = {
    a: () => 1,
    b: ({ a }: { a: number }) => a + 1,
  };
  const first = await new Builder().withModules(mod).build();
  assert.equal((await first.execute(["b"])).b, 2);
  mod.b = ({ a, x }: { a: number; x: number }) => a + x;
  const second = await new Builder().withModules(mod).build();
  await assert.rejects(second.execute(["b"]), MissingInputError);
  assert.equal((await second.execute(["b"], { inputs: { x: 5 } })).b, 6);
  // The first driver keeps the graph it was built with.
  assert.equal((await first.execute(["b"])).b, 2);
});
