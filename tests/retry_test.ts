import assert from "node:assert/strict";
import {
  Builder,
  Engine,
  type ExecutionEvent,
  named,
  node,
  NodeExecutionError,
  Pipeline,
  ProcessExecutor,
  retry,
  type RetryPolicy,
  ThreadedExecutor,
} from "../mod.ts";

const FLAKY = new URL("./fixtures/flaky.ts", import.meta.url).href;

// A node that fails its first `failures` calls, counting them.
function flakyNode(failures: number, policy?: RetryPolicy) {
  const state = { calls: 0 };
  const fn = () => {
    state.calls++;
    if (state.calls <= failures) throw new Error(`call ${state.calls} fails`);
    return state.calls;
  };
  return { state, def: policy ? node(fn, retry(policy)) : node(fn) };
}

for (const executor of ["sequential", "async"] as const) {
  Deno.test(`[${executor}] a node with retry({ attempts: 3 }) that fails twice succeeds on its third start`, async () => {
    const { state, def } = flakyNode(2, { attempts: 3 });
    const dr = await new Builder()
      .withModules({
        flaky: def,
        twice: ({ flaky }: { flaky: number }) => 2 * flaky,
      })
      .withExecutor(executor)
      .build();
    assert.deepEqual(await dr.execute(["twice"]), { twice: 6 });
    assert.equal(state.calls, 3);
  });

  Deno.test(`[${executor}] when the attempts run out, the last failure is the node's`, async () => {
    const { state, def } = flakyNode(10, { attempts: 3 });
    const dr = await new Builder().withModules({ flaky: def })
      .withExecutor(executor).build();
    await assert.rejects(
      dr.execute(["flaky"]),
      (e: unknown) =>
        e instanceof NodeExecutionError && e.nodeName === "flaky" &&
        (e.cause as Error).message === "call 3 fails",
    );
    assert.equal(state.calls, 3);
    const result = await dr.run(["flaky"]);
    assert.equal(result.nodes[0]!.status, "failed");
    assert.equal(result.nodes[0]!.attempts, 3);
  });
}

Deno.test("run() reports each node's attempts, and stream() a nodeStarted per attempt with its number", async () => {
  const { def } = flakyNode(2, { attempts: 4 });
  const dr = await new Builder()
    .withModules({ flaky: def, steady: () => 1 })
    .build();
  const result = await dr.run(["flaky", "steady"]);
  assert.deepEqual(
    result.nodes.map((n) => [n.name, n.status, n.attempts]),
    [["flaky", "succeeded", 3], ["steady", "succeeded", 1]],
  );
  const { def: again } = flakyNode(1, { attempts: 2 });
  const dr2 = await new Builder().withModules({ flaky: again }).build();
  const events: ExecutionEvent[] = [];
  for await (const e of dr2.stream(["flaky"])) events.push(e);
  assert.deepEqual(
    events.filter((e) => e.type.startsWith("node")).map((e) => [
      e.type,
      "attempt" in e ? e.attempt : 1,
    ]),
    [["nodeStarted", 1], ["nodeFailed", 1], ["nodeStarted", 2], [
      "nodeSucceeded",
      1,
    ]],
  );
});

Deno.test("node hooks fire once per attempt, the later ones with their attempt number", async () => {
  const { def } = flakyNode(1, { attempts: 2 });
  const seen: [string, number | undefined, boolean?][] = [];
  const dr = await new Builder().withModules({ flaky: def }).withAdapters({
    beforeNodeExecution: (e) => void seen.push(["before", e.attempt]),
    afterNodeExecution: (e) => void seen.push(["after", e.attempt, e.success]),
  }).build();
  await dr.execute(["flaky"]);
  assert.deepEqual(seen, [
    ["before", undefined],
    ["after", undefined, false],
    ["before", 2],
    ["after", 2, true],
  ]);
});

Deno.test("retryOn decides which errors are worth another attempt", async () => {
  let calls = 0;
  const dr = await new Builder().withModules({
    strict: node(() => {
      calls++;
      throw new TypeError("a bug, not bad luck");
    }, retry({ attempts: 5, retryOn: (e) => !(e instanceof TypeError) })),
  }).build();
  await assert.rejects(dr.execute(["strict"]), NodeExecutionError);
  assert.equal(calls, 1);
});

Deno.test("backoffMs waits between attempts, and a function of the attempt gives each wait", async () => {
  const waits: number[] = [];
  const { state, def } = flakyNode(2, {
    attempts: 3,
    backoffMs: (attempt) => (waits.push(attempt), 5 * attempt),
  });
  const dr = await new Builder().withModules({ flaky: def }).build();
  const started = performance.now();
  await dr.execute(["flaky"]);
  assert.equal(state.calls, 3);
  assert.deepEqual(waits, [1, 2]);
  assert.ok(performance.now() - started >= 15); // 5 + 10 ms at least
});

Deno.test("cancelling a run during a backoff rejects at once and starts no further attempt", async () => {
  let calls = 0;
  const dr = await new Builder().withModules({
    flaky: node(() => {
      calls++;
      throw new Error("down");
    }, retry({ attempts: 3, backoffMs: 60_000 })),
  }).build();
  const controller = new AbortController();
  const run = dr.execute(["flaky"], { signal: controller.signal });
  await Promise.resolve(); // the first attempt has failed; the wait began
  controller.abort(new Error("user left"));
  await assert.rejects(run);
  assert.equal(calls, 1);
});

Deno.test("withRetry sets the policy of nodes without their own; a node's own retry wins", async () => {
  const loose = flakyNode(1);
  const pinned = flakyNode(1, { attempts: 1 });
  const dr = await new Builder()
    .withModules({ loose: loose.def, pinned: pinned.def })
    .withRetry({ attempts: 2 })
    .build();
  assert.deepEqual(await dr.execute(["loose"]), { loose: 2 });
  await assert.rejects(dr.execute(["pinned"]), NodeExecutionError);
  assert.equal(pinned.state.calls, 1);
});

Deno.test("Engine({ retry }) retries the nodes of its pipelines", async () => {
  const { def } = flakyNode(1);
  const pipeline = new Pipeline({
    nodes: [node(def.fn, named("flaky"))],
    engine: new Engine({ retry: { attempts: 2 } }),
  });
  assert.deepEqual(await pipeline.run({}), { flaky: 2 });
});

Deno.test("a bad retry policy is refused where it is given", () => {
  assert.throws(() => retry({ attempts: 0 }), RangeError);
  assert.throws(() => retry({ attempts: 1.5 }), RangeError);
  assert.throws(() => retry({ attempts: 2, backoffMs: -1 }), RangeError);
  assert.throws(
    () => retry({ attempts: 2, retryOn: "yes" as never }),
    TypeError,
  );
  assert.throws(() => new Builder().withRetry({ attempts: 0 }), RangeError);
  assert.throws(() => new Engine({ retry: { attempts: 0 } }), RangeError);
});

for (
  const [label, make] of [
    ["threaded", () => new ThreadedExecutor({ workers: 1 })],
    [
      "process",
      (marks: string) =>
        new ProcessExecutor({ processes: 1, permissions: { write: [marks] } }),
    ],
  ] as const
) {
  Deno.test(`[${label}] the scheduler retries a node that runs elsewhere, each attempt a new call`, async () => {
    const marks = await Deno.makeTempDir({ prefix: "braid-retry-" });
    try {
      await using dr = await new Builder()
        .withModules(FLAKY)
        .withExecutor(make(marks))
        .withRetry({ attempts: 3 })
        .build();
      const result = await dr.run(["flaky" as never], {
        inputs: { marks, failures: 2 },
      });
      assert.equal(result.success, true, String(result.error));
      assert.deepEqual(result.outputs, { flaky: 3 });
      assert.equal(result.nodes.find((n) => n.name === "flaky")!.attempts, 3);
    } finally {
      await Deno.remove(marks, { recursive: true });
    }
  });
}
