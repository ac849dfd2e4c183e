// Hooks that never settle fail what they were called for, with a HookError
// naming the hook and the timeout, instead of hanging it; builds and result
// builders give way to cancellation.
import assert from "node:assert/strict";
import {
  type Adapter,
  Builder,
  CancelledError,
  Engine,
  HookError,
  Pipeline,
} from "../mod.ts";

const never = () => new Promise<never>(() => {});
const modules = { a: () => 1, b: ({ a }: { a: number }) => a + 1 };

function timedOut(hook: string, ms: number, node?: string) {
  return (e: unknown) =>
    e instanceof HookError && e.hook === hook &&
    e.message.includes(`did not settle within ${ms} ms`) &&
    (node === undefined || e.nodeName === node);
}

Deno.test("a node hook that never settles fails the run with a HookError naming the hook, node and timeout", async () => {
  const dr = await new Builder().withModules(modules)
    .withAdapters({ afterNodeExecution: never })
    .withHookTimeout(20)
    .build();
  await assert.rejects(
    dr.execute(["b"]),
    timedOut("afterNodeExecution", 20, "a"),
  );
});

Deno.test("graph, map and log hooks that never settle fail their run too", async () => {
  const hooks: [
    string,
    Adapter,
    (dr: Awaited<ReturnType<typeof build>>) => Promise<unknown>,
  ][] = [
    [
      "beforeGraphExecution",
      { beforeGraphExecution: never },
      (dr) => dr.execute(["b"]),
    ],
    [
      "afterGraphExecution",
      { afterGraphExecution: never },
      (dr) => dr.execute(["b"]),
    ],
    [
      "beforeMap",
      { beforeMap: never },
      (dr) => dr.map(["b"], { mapOver: "a", inputs: { a: [1, 2] } } as never),
    ],
    ["onLog", { onLog: never }, (dr) => dr.execute(["logs"])],
    [
      "validateInputs",
      { validateInputs: never },
      (dr) => dr.execute(["b"], { inputs: { a: 2 } } as never),
    ],
  ];
  const build = (adapter: Adapter) =>
    new Builder().withModules({
      ...modules,
      logs: (ctx: { log(m: string): void }) => (ctx.log("hello"), 1),
    }).withAdapters(adapter).withHookTimeout(20).build();
  for (const [hook, adapter, call] of hooks) {
    const dr = await build(adapter);
    await assert.rejects(call(dr), timedOut(hook, 20), hook);
  }
});

Deno.test("hooks that settle in time are not failed, and leave no timer behind", async () => {
  let calls = 0;
  const dr = await new Builder().withModules(modules)
    .withAdapters({
      afterNodeExecution: async () => {
        await Promise.resolve();
        calls++;
      },
    })
    .withHookTimeout(60_000)
    .build();
  assert.deepEqual(await dr.execute(["b"]), { b: 2 });
  assert.equal(calls, 2);
  // The sanitizers fail this test if a 60 s timer were left pending.
});

Deno.test("Engine({ hookTimeoutMs }) holds a pipeline's hooks to the timeout", async () => {
  const pipeline = new Pipeline({
    nodes: [function a() {
      return 1;
    }],
    engine: new Engine({
      adapters: [{ beforeNodeExecution: never }],
      hookTimeoutMs: 20,
    }),
  });
  await assert.rejects(
    pipeline.run({ output: ["a"] } as never),
    timedOut("beforeNodeExecution", 20, "a"),
  );
});

Deno.test("a build hook that never settles fails build() with the timeout", async () => {
  await assert.rejects(
    new Builder().withModules(modules)
      .withAdapters({ validateNode: never })
      .withHookTimeout(20)
      .build(),
    timedOut("validateNode", 20),
  );
  await assert.rejects(
    new Builder().withModules(modules)
      .withAdapters({ beforeAnything: never })
      .withHookTimeout(20)
      .build(),
    timedOut("beforeAnything", 20),
  );
});

Deno.test("build({ signal }) cancels a build waiting on a validateGraph hook with a CancelledError", async () => {
  const controller = new AbortController();
  let asked!: () => void;
  const waiting = new Promise<void>((resolve) => (asked = resolve));
  const building = new Builder().withModules(modules)
    .withAdapters({
      validateGraph: () => {
        asked();
        return never();
      },
    })
    .build({ signal: controller.signal });
  await waiting;
  controller.abort(new Error("shutting down"));
  const error = await building.then(() => assert.fail("built"), (e) => e);
  assert.ok(error instanceof CancelledError);
  assert.match(error.message, /^The build was cancelled: shutting down/);
});

Deno.test("build({ signal }) with an aborted signal builds nothing", async () => {
  let loaded = false;
  await assert.rejects(
    new Builder().withModules(modules)
      .withAdapters({ beforeAnything: () => void (loaded = true) })
      .build({ signal: AbortSignal.abort() }),
    CancelledError,
  );
  assert.equal(loaded, false);
});

Deno.test("a pending buildResult gives way to the run's signal", async () => {
  const controller = new AbortController();
  let building!: () => void;
  const started = new Promise<void>((resolve) => (building = resolve));
  const dr = await new Builder().withModules(modules)
    .withAdapters({
      buildResult: () => {
        building();
        return never();
      },
    })
    .build();
  const result = dr.execute(["b"], { signal: controller.signal });
  await started;
  controller.abort();
  await assert.rejects(result, CancelledError);
});

Deno.test("a buildResult that never settles fails execute() with the hook timeout", async () => {
  const dr = await new Builder().withModules(modules)
    .withAdapters({ buildResult: never })
    .withHookTimeout(20)
    .build();
  await assert.rejects(dr.execute(["b"]), timedOut("buildResult", 20));
});

Deno.test("withHookTimeout and hookTimeoutMs take a positive delay up to 2^31-1 ms, or Infinity", () => {
  for (const bad of [0, -5, Number.NaN, 2 ** 31]) {
    assert.throws(() => new Builder().withHookTimeout(bad), RangeError);
    assert.throws(() => new Engine({ hookTimeoutMs: bad }), RangeError);
  }
  new Builder().withHookTimeout(Infinity);
  new Engine({ hookTimeoutMs: 2 ** 31 - 1 });
});
