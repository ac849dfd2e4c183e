// The scheduler's semantics, the same on every executor and at every limit:
// the order among ready nodes, and the failure policy. Order is observed
// with gates (promises the test releases), never with timers.
import assert from "node:assert/strict";
import {
  AsyncExecutor,
  Builder,
  collect,
  type Executor,
  type ExecutorCall,
  type ExecutorKind,
  type ExecutorOptions,
  inputs,
  node,
  NodeExecutionError,
  parallelizable,
  priority,
  RunFailedError,
  SequentialExecutor,
  tag,
} from "../mod.ts";

// Each node records its start, then waits for the test to release it.
class Gates {
  readonly started: string[] = [];
  readonly #open = new Map<string, () => void>();
  node(name: string, deps: string[] = [], ...modifiers: unknown[]) {
    return node(
      async () => {
        this.started.push(name);
        await new Promise<void>((resolve) => this.#open.set(name, resolve));
        return name;
      },
      inputs(deps),
      // deno-lint-ignore no-explicit-any
      ...(modifiers as any[]),
    );
  }
  // Releases every started node until the run settles.
  async drain(done: Promise<unknown>): Promise<void> {
    let settled = false;
    done.then(() => settled = true, () => settled = true);
    while (!settled) {
      for (const [name, open] of this.#open) {
        this.#open.delete(name);
        open();
      }
      await new Promise((r) => setTimeout(r, 0));
    }
  }
}

const SETTINGS: [string, ExecutorKind, ExecutorOptions][] = [
  ["sequential", "sequential", {}],
  ["async, unbounded", "async", {}],
  ["async, concurrency 1", "async", { concurrency: 1 }],
  ["async, concurrency 2", "async", { concurrency: 2 }],
  ["async, concurrency 1000", "async", { concurrency: 1000 }],
];

// Four roots: `plain` (declared first, path 1), `long` (path 3),
// `urgent` (path 1, priority 5), `later` (path 3, declared after `long`).
function orderModule(g: Gates) {
  return {
    plain: g.node("plain"),
    long: g.node("long"),
    urgent: g.node("urgent", [], priority(5)),
    later: g.node("later"),
    long_mid: g.node("long_mid", ["long"]),
    later_mid: g.node("later_mid", ["later"]),
    long_end: g.node("long_end", ["long_mid"]),
    later_end: g.node("later_end", ["later_mid"]),
  };
}
const ALL = [
  "plain",
  "urgent",
  "long_end",
  "later_end",
];

for (const [label, kind, options] of SETTINGS) {
  Deno.test(`[${label}] ready nodes start by priority, then longest remaining path, then declaration order`, async () => {
    const g = new Gates();
    const dr = await new Builder().withModules(orderModule(g))
      .withExecutor(kind, options).build();
    await g.drain(dr.execute(ALL));
    // The roots, whatever the limit: never reversed, never by timing.
    assert.deepEqual(
      g.started.filter((n) => !n.includes("_")),
      ["urgent", "long", "later", "plain"],
    );
    assert.equal(g.started.length, 8);
  });
}

Deno.test("one at a time, every executor follows the same order: the best ready node next", async () => {
  const orders: string[][] = [];
  for (
    const executor of [
      new SequentialExecutor(),
      new AsyncExecutor({ concurrency: 1 }),
    ]
  ) {
    const g = new Gates();
    const dr = await new Builder().withModules(orderModule(g))
      .withExecutor(executor).build();
    await g.drain(dr.execute(ALL));
    orders.push(g.started);
  }
  // `later` (path 3) goes before `long_mid` (path 2), though `long_mid` was
  // ready first; among the last path-1 nodes, `plain` was declared first.
  assert.deepEqual(orders[0], [
    "urgent",
    "long",
    "later",
    "long_mid",
    "later_mid",
    "plain",
    "long_end",
    "later_end",
  ]);
  assert.deepEqual(orders[1], orders[0]);
});

Deno.test("a numeric priority tag orders nodes as priority() does", async () => {
  const g = new Gates();
  const dr = await new Builder().withModules({
    a: g.node("a"),
    b: g.node("b", [], tag({ priority: 2 })),
    c: g.node("c", [], priority(1)),
  }).withExecutor("async").build();
  await g.drain(dr.execute(["a", "b", "c"]));
  assert.deepEqual(g.started, ["b", "c", "a"]);
});

Deno.test("priority() rejects a value that is not a finite number", () => {
  assert.throws(() => priority(NaN), RangeError);
  assert.throws(() => priority("high" as unknown as number), RangeError);
});

for (const [label, kind, options] of SETTINGS) {
  Deno.test(`[${label}] with two failing branches the run rejects with the same failure at every limit`, async () => {
    const dr = await new Builder().withModules({
      first: (): number => {
        throw new Error("first");
      },
      second: (): number => {
        throw new Error("second");
      },
      deep: ({ first }: { first: number }) => first,
    }).withExecutor(kind, options).build();
    // `first` has the longer path, so it starts (and fails) first.
    await assert.rejects(
      dr.execute(["second", "deep"]),
      (e: unknown) => e instanceof NodeExecutionError && e.nodeName === "first",
    );
  });

  Deno.test(`[${label}] onFailure "continue" runs every independent node, skips dependents, and rejects with every failure`, async () => {
    const ran: string[] = [];
    const dr = await new Builder().withModules({
      bad_a: (): number => {
        ran.push("bad_a");
        throw new Error("a broke");
      },
      bad_b: async (): Promise<number> => {
        ran.push("bad_b");
        await null;
        throw new Error("b broke");
      },
      good: async () => (ran.push("good"), await null, 1),
      after_good: (
        { good }: { good: number },
      ) => (ran.push("after_good"), good),
      after_a: ({ bad_a }: { bad_a: number }) => (ran.push("after_a"), bad_a),
      after_after_a: ({ after_a }: { after_a: number }) => after_a,
    }).withExecutor(kind, options).build();
    const error = await dr.execute(
      ["after_good", "after_after_a", "bad_b"],
      { onFailure: "continue" },
    ).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof RunFailedError, String(error));
    assert.ok(error instanceof AggregateError);
    assert.deepEqual(
      error.errors.map((e) => (e as NodeExecutionError).nodeName).sort(),
      ["bad_a", "bad_b"],
    );
    assert.ok(error.errors.every((e) => e instanceof NodeExecutionError));
    assert.deepEqual([...error.skipped].sort(), ["after_a", "after_after_a"]);
    assert.ok(ran.includes("after_good"), `ran ${ran}`);
    assert.ok(!ran.includes("after_a"));
  });
}

Deno.test('onFailure "stop" (the default) starts nothing after the first failure', async () => {
  const ran: string[] = [];
  const dr = await new Builder().withModules({
    a: (): number => {
      throw new Error("a broke");
    },
    b: ({ z }: { z: number }) => (ran.push("b"), z),
  }).withExecutor("async", { concurrency: 1 }).build();
  await assert.rejects(dr.execute(["a", "b"], { inputs: { z: 1 } }), /a broke/);
  assert.deepEqual(ran, []);
});

Deno.test("an unknown onFailure value is a TypeError", async () => {
  const dr = await new Builder().withModules({ a: () => 1 }).build();
  await assert.rejects(
    dr.execute(["a"], { onFailure: "retry" as "stop" }),
    TypeError,
  );
});

// An executor written from the public interface alone: it defers each call
// to a later task and keeps count of what it saw.
class Deferring implements Executor {
  readonly name = "deferring";
  readonly concurrency: number;
  readonly seen: string[] = [];
  inFlight = 0;
  peak = 0;
  constructor(concurrency = 2) {
    this.concurrency = concurrency;
  }
  run(call: ExecutorCall): Promise<unknown> {
    this.seen.push(`${call.runId.length > 0}:${call.nodeName}`);
    this.peak = Math.max(this.peak, ++this.inFlight);
    return new Promise((resolve, reject) =>
      setTimeout(() => {
        Promise.resolve()
          .then(() => call.execute())
          .then(resolve, reject)
          .finally(() => this.inFlight--);
      }, 0)
    );
  }
}

Deno.test("a custom executor receives each call, and the scheduler keeps its concurrency limit", async () => {
  const executor = new Deferring(2);
  const mod: Record<string, unknown> = {};
  for (let i = 0; i < 6; i++) mod[`n${i}`] = node(() => i, inputs([]));
  mod.total = node(
    (args: Record<string, number>) =>
      Object.values(args).reduce((a, b) => a + b, 0),
    inputs(Object.keys(mod)),
  );
  const dr = await new Builder().withModules(mod).withExecutor(executor)
    .build();
  assert.equal(dr.executor, "deferring");
  assert.deepEqual(await dr.execute(["total"]), { total: 15 });
  assert.equal(executor.seen.length, 7);
  assert.equal(executor.peak, 2);
  assert.equal(executor.seen.at(-1), "true:total");
});

Deno.test("a custom executor's call carries the node's tags and its map item", async () => {
  const seen: string[] = [];
  const executor: Executor = {
    name: "spy",
    concurrency: Infinity,
    run(call) {
      seen.push(`${call.nodeName}:${call.tags.layer}:${call.item}`);
      return call.execute();
    },
  };
  const dr = await new Builder().withModules({
    double: node(({ x }: { x: number }) => 2 * x, tag({ layer: "core" })),
  }).withExecutor(executor).build();
  const out = await dr.map(["double"], { inputs: { x: [1, 2] }, mapOver: "x" });
  assert.deepEqual(out, [{ double: 2 }, { double: 4 }]);
  assert.deepEqual(seen.sort(), ["double:core:0", "double:core:1"]);
});

Deno.test("withExecutor() rejects an object that is not an executor, naming what is missing", () => {
  assert.throws(
    () => new Builder().withExecutor({} as Executor),
    /'executor' must have a run\(call\) method/,
  );
  assert.throws(
    () =>
      new Builder().withExecutor({
        name: "x",
        concurrency: 0,
        run: (c: ExecutorCall) => c.execute(),
      }),
    /'concurrency' must be a positive integer: received 0/,
  );
});

Deno.test("a custom executor's signal aborts when another branch fails", async () => {
  let aborted: unknown;
  const executor: Executor = {
    name: "watching",
    concurrency: Infinity,
    run(call) {
      if (call.nodeName !== "slow") return call.execute();
      return new Promise((_, reject) =>
        call.signal.addEventListener("abort", () => {
          aborted = call.signal.reason;
          reject(call.signal.reason);
        })
      );
    },
  };
  const dr = await new Builder().withModules({
    slow: () => 1,
    broken: async (): Promise<number> => {
      await null;
      throw new Error("broken");
    },
  }).withExecutor(executor).build();
  await assert.rejects(dr.execute(["slow", "broken"]), /broken/);
  assert.ok(aborted instanceof NodeExecutionError);
});

Deno.test("an unbounded async map starts no other item once an item has failed synchronously", async () => {
  const started: number[] = [];
  const dr = await new Builder().withModules({
    checked: ({ x }: { x: number }) => {
      started.push(x);
      if (x === 0) throw new Error("item 0 broke");
      return x;
    },
  }).withExecutor("async").build();
  const xs = Array.from({ length: 200 }, (_, i) => i);
  await assert.rejects(
    dr.map(["checked"], { inputs: { x: xs }, mapOver: "x" }),
    /item 0 broke/,
  );
  assert.deepEqual(started, [0]);
});

Deno.test("a fan-out block starts no other item once an item has failed synchronously", async () => {
  const started: number[] = [];
  const dr = await new Builder().withModules({
    xs: node(() => Array.from({ length: 200 }, (_, i) => i), parallelizable()),
    checked: ({ xs }: { xs: number }) => {
      started.push(xs);
      if (xs === 0) throw new Error("item 0 broke");
      return xs;
    },
    total: node(
      ({ checked }: { checked: number[] }) => checked.length,
      collect("checked"),
    ),
  }).withExecutor("async").build();
  await assert.rejects(dr.execute(["total"]), /item 0 broke/);
  assert.deepEqual(started, [0]);
});
