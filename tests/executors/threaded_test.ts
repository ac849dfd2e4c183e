import assert from "node:assert/strict";
import {
  type AfterNodeExecutionEvent,
  Builder,
  CancelledError,
  node,
  NodeExecutionError,
  ThreadedExecutor,
  WorkerError,
} from "../../mod.ts";
import * as nodes from "../fixtures/workers/nodes.ts";
import { conformance } from "./_conformance.ts";
import { runDeno } from "../_deno.ts";
import { listen, type Probe, reports } from "../fixtures/probe.ts";
import { open } from "../fixtures/workers/gates.ts";

conformance("threaded");

const NODES = new URL("../fixtures/workers/nodes.ts", import.meta.url).href;
const GATES = new URL("../fixtures/workers/gates.ts", import.meta.url).href;

// Waits until `event` is reported, however long a busy machine takes to
// start workers (probe.seen() alone gives up after a while).
async function reported(
  probe: Probe,
  event: (reported: string) => boolean,
): Promise<void> {
  // Not a time budget: a guard that turns a report that never comes into a
  // failure that says so, rather than a test run that never ends.
  const guard = performance.now() + 60_000;
  while (!reports.some(event)) {
    if (performance.now() > guard) {
      throw new Error(`never reported; reports: ${JSON.stringify(reports)}`);
    }
    await probe.seen(event);
  }
}

const threaded = (options = {}) =>
  new Builder().withModules(NODES).withExecutor("threaded", options).build();

Deno.test("[threaded] nodes run on workers: every call style, async nodes and ctx", async () => {
  await using dr = await threaded();
  assert.equal(dr.executor, "threaded");
  const out = await dr.execute(
    ["sum_both", "positional", "declared", "later", "where"] as never[],
    { inputs: { x: 2 } },
  );
  assert.deepEqual(out, {
    sum_both: 10,
    positional: 104,
    declared: 3,
    later: 3,
    where: "where string",
  });
});

Deno.test("[threaded] independent nodes run at the same time on different workers", async () => {
  await using dr = await threaded({ workers: 2 });
  // Start both workers first: a worker's start-up is not the point here.
  await dr.execute(["span", "span_b"] as never[], { inputs: { ms: 1 } });
  const out = await dr.execute(["span", "span_b"] as never[], {
    inputs: { ms: 150 },
  }) as Record<string, [number, number]>;
  const [a, b] = [out.span!, out.span_b!];
  assert.ok(a[0] < b[1] && b[0] < a[1], `no overlap: ${a} ${b}`);
});

Deno.test("[threaded] node() definitions from a namespace run on workers, even unexported functions they wrap", async () => {
  await using dr = await new Builder().withModules(nodes)
    .withExecutor("threaded").build();
  assert.deepEqual(
    await dr.execute(["tripled", "hidden"], { inputs: { x: 2 } }),
    {
      tripled: 6,
      hidden: 2,
    },
  );
});

Deno.test("[threaded] an inline closure is a WorkerError naming the node, why and what to do, before anything runs", async () => {
  await using dr = await new Builder()
    .withModules({ a: () => 1, b: ({ a }: { a: number }) => a })
    .withExecutor("threaded").build();
  await assert.rejects(dr.execute(["b"]), (e: unknown) => {
    assert.ok(e instanceof WorkerError);
    assert.equal(e.nodeName, "a");
    assert.match(e.message, /Node "a" cannot run on a worker/);
    assert.match(e.message, /inline closure/);
    assert.match(e.message, /export it from a module file/);
    assert.match(e.message, /"async" executor/);
    return true;
  });
});

const unexported = node(({ x }: { x: number }) => x);

Deno.test("[threaded] a node() definition its module does not export is a WorkerError", async () => {
  await using dr = await new Builder().withModules({ unexported })
    .withExecutor("threaded").build();
  await assert.rejects(
    dr.execute(["unexported"], { inputs: { x: 1 } }),
    (e: unknown) =>
      e instanceof WorkerError && e.nodeName === "unexported" &&
      /is not exported from .*threaded_test\.ts/.test(e.message),
  );
});

Deno.test("[threaded] values that cannot be cloned are WorkerErrors naming the node", async () => {
  await using dr = await threaded();
  await assert.rejects(
    dr.execute(["doubled"] as never[], { inputs: { x: () => 1 } }),
    (e: unknown) =>
      e instanceof WorkerError && e.nodeName === "doubled" &&
      /arguments cannot be cloned/.test(e.message),
  );
  await assert.rejects(
    dr.execute(["gives_function"] as never[]),
    (e: unknown) =>
      e instanceof WorkerError && e.nodeName === "gives_function" &&
      /cannot be sent back/.test(e.message),
  );
});

Deno.test("[threaded] a node whose arguments could not be sent runs on the same worker next time", async () => {
  await using dr = await threaded({ workers: 1 });
  await assert.rejects(
    dr.execute(["doubled"] as never[], { inputs: { x: () => 1 } }),
    WorkerError,
  );
  assert.deepEqual(
    await dr.execute(["doubled"] as never[], { inputs: { x: 2 } }),
    { doubled: 4 },
  );
});

Deno.test("[threaded] a node that throws is a NodeExecutionError with the original message and stack", async () => {
  await using dr = await threaded();
  await assert.rejects(
    dr.execute(["fails"] as never[], { inputs: { x: 7 } }),
    (e: unknown) => {
      assert.ok(e instanceof NodeExecutionError);
      assert.equal(e.nodeName, "fails");
      assert.deepEqual(e.path, ["x", "fails"]);
      const cause = e.cause as Error;
      assert.equal(cause.name, "RangeError");
      assert.equal(cause.message, "x is 7");
      assert.match(cause.stack!, /at fails .*nodes\.ts/);
      return true;
    },
  );
});

for (const name of ["closes", "exits"]) {
  Deno.test(`[threaded] a worker that ends mid-task (${name}) fails its node with a WorkerError within a second; the next run works`, async () => {
    await using dr = await threaded({ workers: 1 });
    // Start the worker first: its start-up is not the point here.
    await dr.execute(["doubled"] as never[], { inputs: { x: 1 } });
    const t0 = performance.now();
    await assert.rejects(
      dr.execute([name] as never[]),
      (e: unknown) =>
        e instanceof WorkerError && e.nodeName === name &&
        /ended its worker/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 1000);
    assert.deepEqual(
      await dr.execute(["doubled"] as never[], { inputs: { x: 4 } }),
      { doubled: 8 },
    );
  });
}

Deno.test("[threaded] timeoutMs fails a node that runs too long, and the next run works", async () => {
  // The timeout counts from when a node starts in its worker, so neither
  // the first worker's start-up nor its replacement's (on a busy machine,
  // either may take longer than 200 ms) counts against a node.
  await using dr = await threaded({ workers: 1, timeoutMs: 200 });
  await assert.rejects(
    dr.execute(["hangs"] as never[]),
    (e: unknown) =>
      e instanceof WorkerError && e.nodeName === "hangs" &&
      /did not finish within 200 ms/.test(e.message),
  );
  assert.deepEqual(
    await dr.execute(["doubled"] as never[], { inputs: { x: 1 } }),
    { doubled: 2 },
  );
});

Deno.test("[threaded] cancelling a CPU-bound run returns within milliseconds and the next run works", async () => {
  await using dr = await threaded({ workers: 2 });
  await dr.execute(["doubled"] as never[], { inputs: { x: 1 } }); // warm up
  const controller = new AbortController();
  const pending = dr.execute(["spun"] as never[], {
    inputs: { ms: 10_000 },
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(), 50);
  const t0 = performance.now();
  await assert.rejects(pending, CancelledError);
  assert.ok(performance.now() - t0 < 500, "cancelled late");
  assert.deepEqual(
    await dr.execute(["doubled"] as never[], { inputs: { x: 5 } }),
    { doubled: 10 },
  );
});

Deno.test("[threaded] hooks see each node's real duration and error", async () => {
  const after: AfterNodeExecutionEvent[] = [];
  await using dr = await new Builder().withModules(NODES)
    .withExecutor("threaded")
    .withAdapters({ afterNodeExecution: (e) => void after.push(e) })
    .build();
  await dr.execute(["spin_a"] as never[], { inputs: { ms: 120 } });
  assert.equal(after[0]!.nodeName, "spin_a");
  assert.ok(after[0]!.durationMs >= 110, `${after[0]!.durationMs} ms`);
  await assert.rejects(
    dr.execute(["fails"] as never[], { inputs: { x: 1 } }),
    NodeExecutionError,
  );
  assert.equal(after[1]!.success, false);
  assert.equal((after[1]!.error as Error).message, "x is 1");
});

Deno.test("[threaded] ctx.log in a worker reaches stream()", async () => {
  await using dr = await threaded();
  const events = [];
  for await (const e of dr.stream(["logs"] as never[], { inputs: { x: 3 } })) {
    events.push(e);
  }
  const log = events.find((e) => e.type === "log");
  assert.ok(log?.type === "log");
  assert.equal(log.nodeName, "logs");
  assert.deepEqual(log.data, { x: 3 });
});

Deno.test("[threaded] a large typed array goes to its only consumer by transfer; a requested one is copied", async () => {
  const seen: unknown[] = [];
  await using dr = await new Builder().withModules(NODES)
    .withExecutor("threaded")
    .withAdapters({
      afterNodeExecution: (e) => void seen.push(e.inputs.bytes),
    })
    .build();
  const n = 100_000;
  assert.deepEqual(
    await dr.execute(["total"] as never[], { inputs: { n } }),
    { total: 1.5 * n },
  );
  // Handed over, not copied: this thread no longer holds its bytes.
  assert.equal((seen[1] as Float64Array).byteLength, 0);
  const out = await dr.execute(["bytes", "total"] as never[], {
    inputs: { n },
  }) as { bytes: Float64Array; total: number };
  assert.equal(out.bytes.length, n);
  assert.equal(out.total, 1.5 * n);
});

Deno.test("[threaded] permissions sandbox the workers (with --unstable-worker-options); a module they cannot read is a WorkerError", async () => {
  const script = `
    import { Builder } from ${
    JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
  };
    await using dr = await new Builder().withModules(${JSON.stringify(NODES)})
      .withExecutor("threaded", { permissions: { read: true, env: false } })
      .build();
    try { await dr.execute(["home"]); console.log("read env"); }
    catch (e) { console.log(e.cause.name); }
    await using none = await new Builder().withModules(${JSON.stringify(NODES)})
      .withExecutor("threaded", { permissions: "none" })
      .build();
    try { await none.execute(["home"]); console.log("imported"); }
    catch (e) { console.log(e.name, /cannot import the module of node "home"/.test(e.message)); }
  `;
  const { code, stdout, stderr } = await runDeno([
    "eval",
    "--unstable-worker-options",
    "--allow-read",
    "--allow-env",
    script,
  ]);
  assert.equal(code, 0, stderr);
  assert.deepEqual(stdout.trim().split("\n"), [
    "NotCapable",
    "WorkerError true",
  ]);
});

Deno.test("[threaded] a node waiting for a free worker has not started: its hooks run once it holds the worker", async () => {
  using probe = await listen();
  const events: string[] = [];
  await using dr = await new Builder().withModules(GATES)
    .withExecutor("threaded", { workers: 1 })
    .withAdapters({
      beforeNodeExecution: (e) => void events.push(`start ${e.inputs.key}`),
      afterNodeExecution: (e) => void events.push(`end ${e.inputs.key}`),
    })
    .build();
  // Two runs share one worker: one node waits until the other is done.
  const runs = ["a", "b"].map((key) =>
    dr.execute(["held"] as never[], { inputs: { key } })
  );
  await reported(probe, (r) => r.startsWith("held:"));
  const first = reports[0]!.slice("held:".length);
  const second = first === "a" ? "b" : "a";
  assert.deepEqual(events, [`start ${first}`]);
  open(first);
  await reported(probe, (r) => r === `held:${second}`);
  assert.deepEqual(
    events.slice().sort(),
    [
      `end ${first}`,
      `start ${first}`,
      `start ${second}`,
    ].sort(),
  );
  open(second);
  await Promise.all(runs);
  assert.equal(events.at(-1), `end ${second}`);
});

Deno.test("[threaded] prestart starts the workers when the driver is built, not when withExecutor() checks the options", async () => {
  const made: { terminated: boolean }[] = [];
  const real = globalThis.Worker;
  globalThis.Worker = class {
    terminated = false;
    constructor() {
      made.push(this);
    }
    postMessage() {}
    terminate() {
      this.terminated = true;
    }
  } as unknown as typeof Worker;
  try {
    const builder = new Builder().withModules(NODES)
      .withExecutor("threaded", { workers: 2, prestart: true })
      .withMapExecutor("parallel", { workers: 2, prestart: true });
    assert.equal(made.length, 0);
    const dr = await builder.build();
    assert.equal(made.length, 2); // one pool, shared by both executors
    await dr.close();
    assert.ok(made.every((w) => w.terminated));
  } finally {
    globalThis.Worker = real;
  }
});

Deno.test("[threaded] specs a modifier makes to read fields or list items run in this thread, as do wrappers around them", async () => {
  const generated = import.meta.resolve("../fixtures/generated.ts");
  await using fields = await new Builder().withModules(generated)
    .withExecutor("threaded", { workers: 1 }).build();
  // "stats" runs on the worker; its fields, which no worker could import, here.
  assert.deepEqual(await fields.execute(["stats", "mean", "std"] as never[]), {
    stats: { mean: 1, std: 2 },
    mean: 1,
    std: 2,
  });
  // "items_raw" (its function) runs on the worker; the validator, and the
  // node that checks and lists the items, here.
  await using items = await new Builder().withModules(
    import.meta.resolve("../fixtures/checked_items.ts"),
  ).withExecutor("threaded", { workers: 1 }).build();
  assert.deepEqual(await items.execute(["items"] as never[]), {
    items: [1, 2],
  });
});

Deno.test("[threaded] inputs named __proto__ and toString reach a node on a worker as plain keys", async () => {
  await using dr = await new Builder().withModules(NODES)
    .withExecutor("threaded", { workers: 1 }).build();
  const out = await dr.execute(["proto_keys"], {
    inputs: { ["__proto__"]: 1, toString: 2 },
  });
  assert.equal(out.proto_keys, "__proto__,toString:1");
});

Deno.test("[parallel map] inputs named __proto__ and toString reach a node inside a chunk as plain keys", async () => {
  await using dr = await new Builder().withModules(NODES)
    .withMapExecutor("parallel", { workers: 1 }).build();
  const out = await dr.map(["proto_keys"], {
    inputs: { ["__proto__"]: [1, 3], toString: 2 },
    mapOver: "__proto__",
  });
  assert.deepEqual(out.map((o) => o.proto_keys), [
    "__proto__,toString:1",
    "__proto__,toString:3",
  ]);
});

Deno.test("[threaded] a prestarted executor's warm() resolves once every worker has imported the node modules of the drivers built on it", async () => {
  using probe = await listen();
  const executor = new ThreadedExecutor({ workers: 2, prestart: true });
  await using dr = await new Builder()
    .withModules(
      new URL("../fixtures/workers/announced.ts", import.meta.url).href,
    )
    .withExecutor(executor).build();
  await executor.warm();
  // Nothing has run yet; both workers have imported the module.
  await probe.seen(() =>
    reports.filter((x) => x === "imported in a worker").length === 2
  );
  assert.deepEqual(reports, ["imported in a worker", "imported in a worker"]);
  assert.deepEqual(
    await dr.execute(["echo"] as never[], { inputs: { x: 3 } }),
    { echo: 3 },
  );
});

Deno.test("[threaded] warm() called as soon as a driver is built on a prestarted executor waits until its workers have imported the driver's node modules", async () => {
  using probe = await listen();
  const executor = new ThreadedExecutor({ workers: 2, prestart: true });
  await using dr = await new Builder()
    .withModules(
      new URL("../fixtures/workers/gated_in_workers.ts", import.meta.url).href,
    )
    .withExecutor(executor).build();
  let warm = false;
  const warming = executor.warm().then(() => warm = true);
  const importing = () =>
    reports.filter((x) => x === "importing in a worker").length;
  await reported(probe, () => importing() >= 2);
  // Both workers are importing the module (they wait at the gate): the
  // first run would wait for the import.
  assert.equal(warm, false);
  open("worker-import");
  await warming;
  assert.equal(importing(), 2);
  assert.deepEqual(await dr.execute(["quick"] as never[]), { quick: "quick" });
});

Deno.test("[threaded] workers started after preload() import the preloaded modules as they start", async () => {
  using probe = await listen();
  const executor = new ThreadedExecutor({ workers: 2 });
  try {
    const announced =
      new URL("../fixtures/workers/announced.ts", import.meta.url).href;
    await executor.preload([announced]); // no worker is alive yet
    await executor.warm();
    await probe.seen(() =>
      reports.filter((x) => x === "imported in a worker").length === 2
    );
    assert.equal(reports.filter((x) => x === "imported in a worker").length, 2);
  } finally {
    await executor.close();
  }
});
