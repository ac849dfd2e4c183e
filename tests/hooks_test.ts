import assert from "node:assert/strict";
import {
  type Adapter,
  type AfterNodeExecutionEvent,
  Builder,
  type BuildResultEvent,
  CancelledError,
  Engine,
  HookError,
  MemoryCacheStore,
  named,
  node,
  NodeExecutionError,
  Pipeline,
} from "../mod.ts";
import { Hooks, type NodeCachedEvent } from "../src/hooks.ts";

const mod = {
  a: () => 1,
  b: async ({ a }: { a: number }) => (await Promise.resolve(), a + 1),
};

for (const kind of ["sequential", "async"] as const) {
  Deno.test(`[${kind}] adapters' hooks run in order, sync and async, with one event object each`, async () => {
    const log: string[] = [];
    const first: Adapter = {
      beforeGraphExecution: (e) =>
        void log.push(`1 before graph ${e.finalVars}`),
      beforeNodeExecution: async (e) => {
        await Promise.resolve();
        log.push(`1 before ${e.nodeName} ${JSON.stringify(e.inputs)}`);
      },
      afterNodeExecution: (e) =>
        void log.push(`1 after ${e.nodeName} ${e.success} ${e.result}`),
      afterGraphExecution: (e) => void log.push(`1 after graph ${e.success}`),
    };
    const second: Adapter = {
      beforeNodeExecution: (e) => void log.push(`2 before ${e.nodeName}`),
      afterGraphExecution: async (e) => {
        await Promise.resolve();
        log.push(`2 after graph ${e.success}`);
      },
    };
    const dr = await new Builder().withModules(mod).withAdapters(first, second)
      .withExecutor(kind).build();
    assert.deepEqual(await dr.execute(["b"]), { b: 2 });
    assert.deepEqual(log, [
      "1 before graph b",
      "1 before a {}",
      "2 before a",
      "1 after a true 1",
      '1 before b {"a":1}',
      "2 before b",
      "1 after b true 2",
      "1 after graph true",
      "2 after graph true",
    ]);
  });

  Deno.test(`[${kind}] executeNode wrappers nest like middleware, first adapter outermost`, async () => {
    const log: string[] = [];
    const wrapper = (name: string): Adapter => ({
      async executeNode(e, next) {
        log.push(`${name} in ${e.nodeName}`);
        const value = await next();
        log.push(`${name} out ${e.nodeName}`);
        return typeof value === "number" ? value * 10 : value;
      },
    });
    const dr = await new Builder().withModules({ a: () => 1 })
      .withAdapters(wrapper("outer"), wrapper("inner")).withExecutor(kind)
      .build();
    assert.deepEqual(await dr.execute(["a"]), { a: 100 });
    assert.deepEqual(log, [
      "outer in a",
      "inner in a",
      "inner out a",
      "outer out a",
    ]);
  });

  Deno.test(`[${kind}] a hook that throws fails the run with a HookError naming the hook`, async () => {
    class Auditor implements Adapter {
      beforeNodeExecution(): void {
        throw new Error("audit store down");
      }
    }
    const dr = await new Builder().withModules(mod).withAdapters(new Auditor())
      .withExecutor(kind).build();
    await assert.rejects(dr.execute(["b"]), (e: unknown) => {
      assert.ok(e instanceof HookError);
      assert.equal(e.hook, "beforeNodeExecution");
      assert.equal(e.nodeName, "a");
      assert.match(
        e.message,
        /Hook "beforeNodeExecution" of adapter Auditor threw for node "a": audit store down/,
      );
      return true;
    });
  });

  Deno.test(`[${kind}] afterNodeExecution sees a failing node's error and duration`, async () => {
    const seen: AfterNodeExecutionEvent[] = [];
    const dr = await new Builder()
      .withModules({
        slow_fail: async (): Promise<number> => {
          await new Promise((r) => setTimeout(r, 20));
          throw new Error("late");
        },
      })
      .withAdapters({ afterNodeExecution: (e) => void seen.push(e) })
      .withExecutor(kind)
      .build();
    await assert.rejects(dr.execute(["slow_fail"]), NodeExecutionError);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.success, false);
    assert.equal((seen[0]!.error as Error).message, "late");
    assert.ok(seen[0]!.durationMs >= 15, `duration ${seen[0]!.durationMs}`);
  });
}

Deno.test("afterGraphExecution runs on failure with success false and the error", async () => {
  let after: { success: boolean; error?: unknown } | undefined;
  const dr = await new Builder()
    .withModules({
      a: (): number => {
        throw new Error("x");
      },
    })
    .withAdapters({ afterGraphExecution: (e) => void (after = e) })
    .build();
  await assert.rejects(dr.execute(["a"]), NodeExecutionError);
  assert.equal(after?.success, false);
  assert.ok(after?.error instanceof NodeExecutionError);
});

Deno.test("buildResult turns the outputs into what execute returns", async () => {
  const toRows = {
    buildResult: (e: BuildResultEvent) =>
      Object.entries(e.outputs).map(([k, v]) => `${k}=${v}`),
  };
  const dr = await new Builder().withModules(mod).withAdapters(toRows).build();
  const rows: string[] = await dr.execute(["a", "b"]);
  assert.deepEqual(rows, ["a=1", "b=2"]);
});

Deno.test("two result builders are a TypeError at build time", async () => {
  const rb = { buildResult: () => 1 };
  await assert.rejects(
    new Builder().withModules(mod).withAdapters(rb, { buildResult: () => 2 })
      .build(),
    /Only one adapter may implement 'buildResult'/,
  );
});

Deno.test("validateNode and validateGraph run at build time and can reject", async () => {
  const seen: string[] = [];
  await new Builder().withModules(mod).withAdapters({
    validateNode: ({ node }) => void seen.push(node.name),
    validateGraph: ({ nodes }) => nodes.length === 2,
  }).build();
  assert.deepEqual(seen, ["a", "b"]);
  await assert.rejects(
    new Builder().withModules(mod).withAdapters({
      validateNode: ({ node }) =>
        node.name === "b" ? "b needs an owner tag" : true,
    }).build(),
    (e: unknown) =>
      e instanceof HookError &&
      /node "b" was rejected: b needs an owner tag/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules(mod).withAdapters({
      validateGraph: () => Promise.resolve(false),
    }).build(),
    (e: unknown) => e instanceof HookError && e.hook === "validateGraph",
  );
});

Deno.test("onLog receives ctx.log messages", async () => {
  const messages: string[] = [];
  const dr = await new Builder()
    .withModules({
      a: ({ ctx }: { ctx: { log(m: string): void } }) => (ctx.log("hello"), 1),
    })
    .withAdapters({
      onLog: (e) => void messages.push(`${e.nodeName}: ${e.message}`),
    })
    .build();
  await dr.execute(["a"]);
  assert.deepEqual(messages, ["a: hello"]);
});

Deno.test("node-level hooks see the map item index", async () => {
  const items: (number | undefined)[] = [];
  const dr = await new Builder()
    .withModules({ sq: ({ x }: { x: number }) => x * x })
    .withAdapters({ afterNodeExecution: (e) => void items.push(e.item) })
    .build();
  await dr.map(["sq"], { inputs: { x: [1, 2, 3] }, mapOver: "x" });
  assert.deepEqual(items, [0, 1, 2]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("[async] a node whose async before-hook outlives a sibling's failure does not run", async () => {
  const ran: string[] = [];
  const dr = await new Builder()
    .withModules({
      a: () => (ran.push("a"), 1),
      b: (): number => {
        throw new Error("b failed");
      },
    })
    .withAdapters({
      beforeNodeExecution: async (e) => {
        if (e.nodeName === "a") await sleep(20);
      },
    })
    .withExecutor("async")
    .build();
  await assert.rejects(dr.execute(["a", "b"]), /b failed/);
  await sleep(40);
  assert.deepEqual(ran, []);
});

Deno.test("[sequential] a node whose async before-hook outlives a cancellation does not run", async () => {
  const ran: string[] = [];
  const dr = await new Builder()
    .withModules({ a: () => (ran.push("a"), 1) })
    .withAdapters({ beforeNodeExecution: async () => void await sleep(20) })
    .build();
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 5);
  await assert.rejects(
    dr.execute(["a"], { signal: controller.signal }),
    CancelledError,
  );
  await sleep(40);
  assert.deepEqual(ran, []);
});

for (const kind of ["sequential", "async"] as const) {
  Deno.test(`[${kind}] an async onLog hook that rejects fails the run, even after the last node`, async () => {
    const dr = await new Builder()
      .withModules({
        a: ({ ctx }: { ctx: { log(m: string): void } }) => (ctx.log("hi"), 1),
      })
      .withAdapters({
        onLog: async () => {
          await sleep(5);
          throw new Error("remote log sink down");
        },
      })
      .withExecutor(kind)
      .build();
    await assert.rejects(
      dr.execute(["a"]),
      (e: unknown) =>
        e instanceof HookError && e.hook === "onLog" &&
        /remote log sink down/.test(e.message),
    );
  });

  Deno.test(`[${kind}] an onLog hook that throws fails the run with a HookError naming the node`, async () => {
    const dr = await new Builder()
      .withModules({
        a: ({ ctx }: { ctx: { log(m: string): void } }) => (ctx.log("hi"), 1),
        b: ({ a }: { a: number }) => a + 1,
      })
      .withAdapters({
        onLog: () => {
          throw new Error("log sink down");
        },
      })
      .withExecutor(kind)
      .build();
    await assert.rejects(
      dr.execute(["b"]),
      (e: unknown) =>
        e instanceof HookError && e.hook === "onLog" && e.nodeName === "a" &&
        /log sink down/.test(e.message),
    );
  });
}

Deno.test("an executeNode wrapper that throws after next() is a HookError, not the node's failure", async () => {
  const dr = await new Builder()
    .withModules({ a: () => 1 })
    .withAdapters({
      executeNode: async (_e, next) => {
        await next();
        throw new Error("post-processing failed");
      },
    })
    .build();
  await assert.rejects(
    dr.execute(["a"]),
    (e: unknown) =>
      e instanceof HookError && e.hook === "executeNode" && e.nodeName === "a",
  );
});

Deno.test("a buildResult that throws is a HookError", async () => {
  const dr = await new Builder()
    .withModules({ a: () => 1 })
    .withAdapters({
      buildResult: (): number => {
        throw new Error("cannot build");
      },
    })
    .build();
  await assert.rejects(
    dr.execute(["a"]),
    (e: unknown) => e instanceof HookError && e.hook === "buildResult",
  );
});

Deno.test("run() and stream() report a node whose before-hook threw as failed", async () => {
  const dr = await new Builder()
    .withModules({ a: () => 1, b: ({ a }: { a: number }) => a })
    .withAdapters({
      beforeNodeExecution: (e) => {
        if (e.nodeName === "b") throw new Error("not allowed");
      },
    })
    .build();
  const result = await dr.run(["b"]);
  assert.deepEqual(result.nodes.map((n) => [n.name, n.status]), [
    ["a", "succeeded"],
    ["b", "failed"],
  ]);
  const types: string[] = [];
  for await (const e of dr.stream(["b"])) {
    if (e.type === "nodeFailed") types.push(`${e.type}:${e.nodeName}`);
  }
  assert.deepEqual(types, ["nodeFailed:b"]);
});

Deno.test("a cache hit fires nodeCached with the node's inputs and value, and runs no executeNode wrapper", async () => {
  const seen: string[] = [];
  let cached: NodeCachedEvent | undefined;
  const dr = await new Builder()
    .withModules({ a: () => 1, b: ({ a }: { a: number }) => a + 1 })
    .withAdapters({
      executeNode: (e, next) => (seen.push(`wrap ${e.nodeName}`), next()),
      nodeCached: (e) => {
        seen.push(`cached ${e.nodeName}`);
        if (e.nodeName === "b") cached = e;
      },
    })
    .withCache({ store: new MemoryCacheStore() }).build();
  await dr.execute(["b"]);
  assert.deepEqual(seen, ["wrap a", "wrap b"]);
  seen.length = 0;
  const { runId } = await dr.run(["b"]);
  assert.deepEqual(seen, ["cached a", "cached b"]);
  assert.equal(cached!.runId, runId);
  assert.equal(cached!.result, 2);
  assert.equal(cached!.taskId, `${runId}/b`);
  assert.equal(cached!.inputs.a, 1);
  assert.ok(cached!.durationMs >= 0);
});

Deno.test("a nodeCached hook that throws fails the run with a HookError naming the hook and node", async () => {
  const dr = await new Builder().withModules({ a: () => 1 })
    .withAdapters({
      nodeCached() {
        throw new Error("metrics down");
      },
    })
    .withCache({ store: new MemoryCacheStore() }).build();
  await dr.execute(["a"]);
  await assert.rejects(
    dr.execute(["a"]),
    (e: unknown) =>
      e instanceof HookError && e.hook === "nodeCached" && e.nodeName === "a",
  );
});

Deno.test("Hooks.dispatch calls sync hooks without a promise; after an async one, the rest wait their turn", async () => {
  const log: string[] = [];
  const sync = new Hooks([
    { afterMapItem: () => void log.push("1") },
    { afterMapItem: () => void log.push("2") },
  ]);
  const event = { runId: "r", item: 0, done: 1, total: 1, success: true };
  assert.equal(sync.dispatch("afterMapItem", event), undefined);
  assert.deepEqual(log, ["1", "2"]);

  log.length = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const mixed = new Hooks([
    { afterMapItem: () => void log.push("sync") },
    { afterMapItem: async () => (await gate, void log.push("async")) },
    { afterMapItem: () => void log.push("last") },
  ]);
  const pending = mixed.dispatch("afterMapItem", event);
  assert.ok(pending instanceof Promise);
  assert.deepEqual(log, ["sync"]);
  release();
  await pending;
  assert.deepEqual(log, ["sync", "async", "last"]);
});

Deno.test("Hooks.dispatch throws a sync hook's error as a HookError at once", () => {
  const hooks = new Hooks([{
    name: "Audit",
    beforeMap() {
      throw new Error("nope");
    },
  }]);
  assert.throws(
    () =>
      hooks.dispatch("beforeMap", {
        runId: "r",
        items: 1,
        mapMode: "zip",
        tags: {},
      }),
    (e: unknown) =>
      e instanceof HookError &&
      e.message === 'Hook "beforeMap" of adapter Audit threw: nope',
  );
});

Deno.test("a node that throws a braid error fails the run with a NodeExecutionError naming it, with or without node hooks", async () => {
  const { ConfigError: Thrown } = await import("../mod.ts");
  const mod = {
    a: async (): Promise<number> => {
      await null;
      throw new Thrown("made by the node");
    },
  };
  const plain = await new Builder().withModules(mod).withExecutor("async")
    .build();
  const hooked = await new Builder().withModules(mod).withExecutor("async")
    .withAdapters({ beforeNodeExecution: () => {} }).build();
  for (const dr of [plain, hooked]) {
    await assert.rejects(dr.execute(["a"]), (e: unknown) => {
      assert.ok(e instanceof NodeExecutionError, String(e));
      assert.equal(e.nodeName, "a");
      assert.ok(e.cause instanceof Thrown);
      return true;
    });
  }
});

Deno.test("beforeAnything runs first and afterGraphBuild sees the built graph, its modules and config, before the checks (Hamilton 45)", async () => {
  const log: string[] = [];
  const dr = await new Builder().withModules(mod, { c: () => 3 }).withConfig({
    region: "EU",
  }).withAdapters({
    beforeAnything: ({ config }) => void log.push(`anything ${config.region}`),
    afterGraphBuild: ({ graph, modules, config }) => {
      log.push(
        `graph ${graph.nodes.map((n) => n.name)} ${modules} ${config.region}`,
      );
      assert.equal(graph.node("b")?.inputs[0]?.name, "a");
      assert.equal(graph.node("nope"), undefined);
      assert.ok(Object.isFrozen(graph.nodes));
    },
    validateGraph: () => void log.push("validateGraph"),
  }).build();
  assert.deepEqual(log, [
    "anything EU",
    "graph a,c,b,region module #1,module #2 EU",
    "validateGraph",
  ]);
  await dr.execute(["b"]);
  assert.equal(log.length, 3); // build-time hooks only
  // A failing afterGraphBuild fails the build.
  await assert.rejects(
    new Builder().withModules(mod).withAdapters({
      afterGraphBuild: () => {
        throw new Error("no");
      },
    }).build(),
    (e: unknown) => e instanceof HookError && e.hook === "afterGraphBuild",
  );
});

Deno.test("an engine's adapters hear beforeAnything and afterGraphBuild before a pipeline first runs", async () => {
  const log: string[] = [];
  const engine = new Engine({
    adapters: [{
      beforeAnything: () => void log.push("anything"),
      afterGraphBuild: ({ graph, modules }) =>
        void log.push(`graph ${graph.nodes.map((n) => n.name)} ${modules}`),
    }],
  });
  const pipeline = new Pipeline({
    nodes: [node(({ x }: { x: number }) => x + 1, named("y"))],
    engine,
  });
  await pipeline.run({ inputs: { x: 1 } });
  await pipeline.run({ inputs: { x: 2 } });
  assert.deepEqual(log, ["anything", "graph y,x "]);
});

Deno.test("validateInputs may reject a run's inputs before any node runs, every rejected input in one error (Hamilton 45)", async () => {
  const ran: string[] = [];
  const seen: unknown[] = [];
  const dr = await new Builder().withModules({
    total: ({ x, y }: { x: number; y: number }) => (ran.push("total"), x + y),
    half: ({ x }: { x: number }) => (ran.push("half"), x / 2),
  }).withAdapters({
    name: "numbers",
    validateInputs: ({ name, value, neededBy, runId }) => {
      seen.push({ name, value, neededBy, runId: typeof runId });
      return typeof value === "number" || `${name} must be a number`;
    },
  }).build();
  assert.deepEqual(
    await dr.execute(["total"], { inputs: { x: 1, y: Promise.resolve(2) } }),
    { total: 3 },
  );
  assert.deepEqual(seen, [
    { name: "x", value: 1, neededBy: ["total", "half"], runId: "string" },
    { name: "y", value: 2, neededBy: ["total"], runId: "string" },
  ]);
  ran.length = 0;
  await assert.rejects(
    dr.execute(["total", "half"], {
      inputs: { x: "1" as never, y: "2" as never },
    }),
    (e: unknown) =>
      e instanceof HookError && e.hook === "validateInputs" &&
      /adapter numbers/.test(e.message) &&
      /input "x" was rejected: x must be a number; input "y" was rejected: y must be a number/
        .test(e.message),
  );
  assert.deepEqual(ran, []);
  // Per item of a map, and reported by run() as the run's error.
  await assert.rejects(
    dr.map(["half"], { inputs: { x: [2, "4" as never] }, mapOver: "x" }),
    /input "x" was rejected/,
  );
  const result = await dr.run(["half"], { inputs: { x: "1" as never } });
  assert.equal(result.success, false);
  assert.ok(result.error instanceof HookError);
});

Deno.test("afterGraphExecution receives the results of a run that succeeded (Hamilton 45)", async () => {
  const events: unknown[] = [];
  const dr = await new Builder().withModules(mod).withAdapters({
    afterGraphExecution: ({ success, results }) =>
      void events.push({ success, results }),
  }).build();
  await dr.execute(["a", "b"]);
  await dr.execute(["b"], { overrides: { a: 10 } });
  assert.deepEqual(events, [
    { success: true, results: { a: 1, b: 2 } },
    { success: true, results: { b: 11 } },
  ]);
});

Deno.test("validateNode reports every node it rejects in one error (Hamilton 45)", async () => {
  await assert.rejects(
    new Builder().withModules(mod, { c: () => 3 }).withAdapters({
      name: "owners",
      validateNode: ({ node }) =>
        node.name === "b" ? true : `${node.name} needs an owner`,
    }).build(),
    (e: unknown) =>
      e instanceof HookError && e.hook === "validateNode" &&
      /adapter owners/.test(e.message) &&
      /node "a" was rejected: a needs an owner; node "c" was rejected: c needs an owner/
        .test(e.message),
  );
});
