// The executor conformance suite: every executor must pass it with identical
// results. Each executor's test file calls `conformance(kind, options)`.
// Nodes come from module files (fixtures/conformance.ts, hamilton.ts,
// spend.ts), so the threaded executor runs them on workers; they report to
// the test through fixtures/probe.ts, from any thread. Tests of nodes
// generated as closures run for every executor but those that use workers.
import assert from "node:assert/strict";
import {
  Builder,
  CancelledError,
  ConfigError,
  type ExecutorKind,
  type ExecutorOptions,
  InputError,
  inputs,
  type MapExecutorKind,
  MissingInputError,
  named,
  node,
  NodeExecutionError,
  UnknownNodeError,
} from "../../mod.ts";
import * as F from "../fixtures/conformance.ts";
import * as P from "../fixtures/probe.ts";

const hamilton = new URL("../fixtures/hamilton.ts", import.meta.url);
const spend = new URL("../fixtures/spend.ts", import.meta.url);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the suite on a node executor; with `mapKind`, runs its map() tests
 * on that map executor.
 */
export function conformance(
  kind: ExecutorKind,
  options: ExecutorOptions = {},
  mapKind?: MapExecutorKind,
): void {
  const label =
    (options.concurrency === undefined
      ? kind
      : `${kind}, concurrency ${options.concurrency}`) +
    (mapKind === undefined ? "" : `, ${mapKind} map`);
  // Every driver a test builds is closed after it (workers end with it).
  const open: { close(): Promise<void> }[] = [];
  // Map executors run only the map() tests: the rest is the node executor's.
  const test = (name: string, fn: () => Promise<void>) =>
    (mapKind === undefined || name.startsWith("map()")) &&
    Deno.test({
      name: `[${label}] ${name}`,
      fn: async () => {
        try {
          await fn();
        } finally {
          await Promise.all(open.splice(0).map((dr) => dr.close()));
        }
      },
    });
  const sharesMemory = kind !== "threaded" && mapKind === undefined;
  // A test whose nodes are closures over the test's variables.
  const sharedTest = (name: string, fn: () => Promise<void>) =>
    sharesMemory
      ? test(name, fn)
      : (mapKind === undefined || name.startsWith("map()")) &&
        Deno.test({ name: `[${label}] ${name}`, ignore: true, fn });
  // A generic helper cannot carry each module's types (deno check proves
  // those in tests/types_test.ts): modules are plain records here.
  const build = async (modules: Record<string, unknown> | URL, config = {}) => {
    let builder = new Builder().withModules(modules).withConfig(config)
      .withExecutor(kind, options);
    if (mapKind !== undefined) builder = builder.withMapExecutor(mapKind);
    const dr = await builder.build();
    open.push(dr);
    return dr;
  };

  test("execute() returns only the requested values (Hamilton's A, B, C)", async () => {
    const dr = await build(hamilton);
    const out = await dr.execute(["C"]);
    assert.deepEqual(Object.keys(out), ["C"]);
    assert.equal(out.C, 14291.666666666666);
  });

  test("execute() runs only the upstream of the requested values, each node once", async () => {
    using probe = await P.listen();
    const dr = await build(F.upstream);
    assert.deepEqual(await dr.execute(["d", "b"]), { d: 6, b: 2 });
    await probe.settle();
    assert.deepEqual([...P.reports].sort(), ["a", "b", "c", "d"]);
    P.reports.length = 0;
    await dr.execute(["b"]);
    await probe.settle();
    assert.deepEqual(P.reports.sort(), ["a", "b"]);
  });

  test("execute() skips nodes upstream of an override", async () => {
    using probe = await P.listen();
    const dr = await build(F.overridden);
    // `path` is needed only by the pruned part, so it is not required.
    assert.deepEqual(
      await dr.execute(["report"], { overrides: { clean: 5 } }),
      { report: 6 },
    );
    await probe.settle();
    assert.deepEqual(P.reports, ["report"]);
  });

  test("execute() returns an overridden value when it is requested", async () => {
    const dr = await build(hamilton);
    assert.deepEqual(await dr.execute(["A", "C"], { overrides: { A: 1 } }), {
      A: 1,
      C: 1 / 3,
    });
  });

  test("execute() raises MissingInputError listing every missing input before anything runs", async () => {
    using probe = await P.listen();
    const dr = await build(F.missing);
    await assert.rejects(dr.execute(["c"]), (e: unknown) => {
      assert.ok(e instanceof MissingInputError);
      assert.deepEqual(e.missing, [
        { name: "x", neededBy: ["c", "b"] },
        { name: "y", neededBy: ["c"] },
      ]);
      assert.match(
        e.message,
        /required input "x" was not provided \(needed by "c", "b"\)/,
      );
      return true;
    });
    await probe.settle();
    assert.deepEqual(P.reports, []);
  });

  test("execute() rejects an unknown output name, naming it", async () => {
    const dr = await build(hamilton);
    await assert.rejects(
      dr.execute(["C", "Cc" as never]),
      (e: unknown) => e instanceof UnknownNodeError && /"Cc"/.test(e.message),
    );
  });

  test("execute() returns an input requested as an output unchanged", async () => {
    const dr = await build(F.inputAsOutput);
    assert.deepEqual(
      await dr.execute(["b", "x" as never], { inputs: { x: 41 } }),
      {
        b: 42,
        x: 41,
      },
    );
  });

  test("config values are inputs; an input that collides with config is a ConfigError", async () => {
    const dr = await build(spend, { ddof: 1 });
    assert.equal((await dr.execute(["spend_std"])).spend_std, 10);
    await assert.rejects(
      dr.execute(["spend_std"], { inputs: { ddof: 0 } }),
      (e: unknown) => e instanceof ConfigError && /"ddof"/.test(e.message),
    );
  });

  test("an optional input uses its default when absent and the value when provided", async () => {
    const dr = await build(spend);
    assert.equal(
      (await dr.execute(["spend_std"])).spend_std,
      Math.sqrt(200 / 3),
    );
    assert.equal(
      (await dr.execute(["spend_std"], { inputs: { ddof: 1 } })).spend_std,
      10,
    );
    assert.deepEqual(await dr.execute(["spend_label"]), {
      spend_label: "20 EUR",
    });
    assert.deepEqual(
      await dr.execute(["spend_label"], { inputs: { unit: "USD" } }),
      {
        spend_label: "20 USD",
      },
    );
  });

  test("an optional input that names a node uses that node's value", async () => {
    const dr = await build(F.optionalNode);
    assert.deepEqual(await dr.execute(["label"], { inputs: { n: 1 } }), {
      label: "1GBP",
    });
  });

  test("execute() awaits inputs given as promises", async () => {
    const dr = await build(F.doubleX);
    assert.deepEqual(
      await dr.execute(["b"], { inputs: { x: Promise.resolve(4) } }),
      { b: 8 },
    );
  });

  test("a failing node rejects with NodeExecutionError carrying name, run, path and cause", async () => {
    const dr = await build(F.failing);
    await assert.rejects(
      dr.execute(["c"], { inputs: { x: 1 } }),
      (e: unknown) => {
        assert.ok(e instanceof NodeExecutionError);
        assert.equal(e.nodeName, "b");
        // Across threads the error is rebuilt: same message and stack.
        if (sharesMemory) assert.equal(e.cause, F.boom);
        else assert.equal((e.cause as Error).stack, F.boom.stack);
        assert.deepEqual(e.path, ["x", "a", "b"]);
        assert.match(e.runId, /^[0-9a-f-]{36}$/);
        assert.match(e.message, /Node "b" failed: boom/);
        return true;
      },
    );
  });

  test("a sync node that throws rejects (never throws synchronously from execute)", async () => {
    const dr = await build(F.syncThrows);
    const pending = dr.execute(["a"]);
    await assert.rejects(
      pending,
      (e: unknown) =>
        e instanceof NodeExecutionError && e.cause instanceof TypeError,
    );
  });

  test("a node declaring ctx receives the run context", async () => {
    using probe = await P.listen();
    const dr = await build(F.withCtx);
    const result = await dr.run(["a", "b"]);
    assert.deepEqual(result.outputs, { a: 1, b: "b1" });
    await probe.settle();
    const seen = JSON.parse(P.reports[0]!);
    assert.equal(seen.signal, true); // an AbortSignal
    assert.equal(seen.runId, result.runId);
    assert.equal(seen.nodeName, "a");
    assert.deepEqual(seen.tags, { team: "x" });
  });

  test("an AbortSignal cancels a run within milliseconds and no later node starts", async () => {
    using probe = await P.listen();
    const dr = await build(F.sleepy);
    const controller = new AbortController();
    const pending = dr.execute(["after"], { signal: controller.signal });
    pending.catch(() => {});
    await probe.seen((r) => r === "slow");
    await sleep(20);
    const t0 = performance.now();
    controller.abort();
    await assert.rejects(pending, CancelledError);
    const elapsed = performance.now() - t0;
    P.clearTimers(); // `slow` ignores the signal; its timer must not outlive the test
    assert.ok(elapsed < 500, `cancelled after ${elapsed} ms`);
    await probe.settle();
    assert.deepEqual(P.reports, ["slow"]);
  });

  test("a run whose signal is already aborted runs nothing", async () => {
    using probe = await P.listen();
    const dr = await build(F.runsNothing);
    await assert.rejects(
      dr.execute(["a"], { signal: AbortSignal.abort() }),
      CancelledError,
    );
    await probe.settle();
    assert.deepEqual(P.reports, []);
  });

  test("ctx.signal aborts when the run is cancelled, so a node's own I/O stops", async () => {
    using probe = await P.listen();
    const dr = await build(F.listens);
    const controller = new AbortController();
    const pending = dr.execute(["listens"], { signal: controller.signal });
    pending.catch(() => {});
    await probe.seen((r) => r === "started");
    controller.abort();
    await assert.rejects(pending, CancelledError);
    // In this thread the node hears it at once; a worker's node, in time.
    await probe.seen((r) => r === "aborted", sharesMemory ? 0 : 1000);
    assert.ok(P.reports.includes("aborted"), `reports: ${P.reports}`);
  });

  sharedTest("a 100,000-node chain runs without a stack overflow", async () => {
    const mod: Record<string, unknown> = {};
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      mod[`n${i}`] = node(
        (
          args: Record<string, number>,
        ) => (i === 0 ? 0 : args[`n${i - 1}`]! + 1),
        inputs(i === 0 ? [] : [`n${i - 1}`]),
      );
    }
    const dr = await build(mod);
    const out = await dr.execute([`n${n - 1}`]) as Record<string, number>;
    assert.equal(out[`n${n - 1}`], n - 1);
  });

  sharedTest("a 10,000-node chain of async nodes runs", async () => {
    const mod: Record<string, unknown> = {};
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      mod[`n${i}`] = node(
        (args: Record<string, number>) =>
          Promise.resolve(i === 0 ? 0 : args[`n${i - 1}`]! + 1),
        inputs(i === 0 ? [] : [`n${i - 1}`]),
      );
    }
    const dr = await build(mod);
    const out = await dr.execute([`n${n - 1}`]) as Record<string, number>;
    assert.equal(out[`n${n - 1}`], n - 1);
  });

  sharedTest(
    "a generated lattice gives the same values as a hand computation",
    async () => {
      const layers = 8, width = 5;
      const mod: Record<string, unknown> = {};
      const expected: number[][] = [];
      for (let l = 0; l < layers; l++) {
        expected.push([]);
        for (let w = 0; w < width; w++) {
          const parents = l === 0
            ? []
            : [`v${l - 1}_${w}`, `v${l - 1}_${(w + 1) % width}`];
          const value = l === 0
            ? w + 1
            : expected[l - 1]![w]! * 2 + expected[l - 1]![(w + 1) % width]! - l;
          expected[l]!.push(value);
          mod[`v${l}_${w}`] = node(
            (args: Record<string, number>) =>
              l === 0 ? w + 1 : Promise.resolve(
                args[parents[0]!]! * 2 + args[parents[1]!]! - l,
              ),
            named(`v${l}_${w}`),
            inputs(parents),
          );
        }
      }
      const dr = await build(mod);
      const vars = Array.from(
        { length: width },
        (_, w) => `v${layers - 1}_${w}`,
      );
      const out = await dr.execute(vars) as Record<string, number>;
      assert.deepEqual(
        vars.map((v) => out[v]),
        expected[layers - 1],
      );
    },
  );

  test("map() runs once per item in item order, broadcasting other inputs", async () => {
    const dr = await build(F.mapScaled);
    const out = await dr.map(["plus"], {
      inputs: { x: [1, 2, 3, 4], k: 10 },
      mapOver: "x",
    });
    assert.deepEqual(out, [{ plus: 11 }, { plus: 21 }, { plus: 31 }, {
      plus: 41,
    }]);
  });

  test("map() zips several lists and rejects lists of unequal length", async () => {
    const dr = await build(F.sumAB);
    assert.deepEqual(
      await dr.map(["s"], {
        inputs: { a: [1, 2], b: [10, 20] },
        mapOver: ["a", "b"],
      }),
      [{ s: 11 }, { s: 22 }],
    );
    await assert.rejects(
      dr.map(["s"], { inputs: { a: [1, 2], b: [10] }, mapOver: ["a", "b"] }),
      (e: unknown) =>
        e instanceof RangeError && /"a" has 2, "b" has 1/.test(e.message),
    );
  });

  test("map() in product mode runs every combination, first list slowest", async () => {
    const dr = await build(F.concatAB);
    const out = await dr.map(["s"], {
      inputs: { a: ["x", "y"], b: ["1", "2", "3"] },
      mapOver: ["a", "b"],
      mapMode: "product",
    });
    assert.deepEqual(out.map((o) => o.s), ["x1", "x2", "x3", "y1", "y2", "y3"]);
  });

  test("map() over zero items returns an empty list", async () => {
    const dr = await build(F.identityS);
    assert.deepEqual(
      await dr.map(["s"], { inputs: { a: [] }, mapOver: "a" }),
      [],
    );
  });

  test("map() rejects with the first failing item's error, naming the item", async () => {
    const dr = await build(F.inverse);
    await assert.rejects(
      dr.map(["inv"], { inputs: { x: [1, 0, 2] }, mapOver: "x" }),
      (e: unknown) =>
        e instanceof NodeExecutionError && e.nodeName === "inv" &&
        /item 1/.test(e.message),
    );
  });

  test("map() is cancelled by its signal within milliseconds", async () => {
    using probe = await P.listen();
    const dr = await build(F.slowItems);
    const controller = new AbortController();
    const pending = dr.map(["slow"], {
      inputs: { x: [1, 2, 3, 4] },
      mapOver: "x",
      signal: controller.signal,
    });
    pending.catch(() => {});
    await probe.seen(() => true);
    await sleep(20);
    const t0 = performance.now();
    controller.abort();
    await assert.rejects(pending, CancelledError);
    const elapsed = performance.now() - t0;
    P.clearTimers(); // the items ignore the signal
    assert.ok(elapsed < 500, `cancelled after ${elapsed} ms`);
    assert.ok(P.reports.length >= 1);
  });

  test("map() stops starting items after the first failure", async () => {
    using probe = await P.listen();
    const dr = await build(F.firstItemFails);
    await assert.rejects(
      dr.map(["y"], { inputs: { x: [0, 1, 2, 3, 4, 5] }, mapOver: "x" }),
      /item 0 failed/,
    );
    await sleep(30);
    await probe.settle();
    // Map executors run items on every worker at once.
    const limit = options.concurrency ??
      (kind === "sequential" && mapKind === undefined ? 1 : Infinity);
    // Items already started may finish; none starts after the failure.
    assert.ok(
      P.reports.length <= Math.min(6, limit),
      `ran ${P.reports}`,
    );
  });

  test("an input given as a promise that rejects fails the run with InputError naming it", async () => {
    const dr = await build(F.identityB);
    await assert.rejects(
      dr.execute(["b"], { inputs: { x: Promise.reject(new Error("gone")) } }),
      (e: unknown) => e instanceof InputError && e.inputName === "x",
    );
  });

  test("map() names the item whose input promise rejected", async () => {
    const dr = await build(F.identityB);
    const rejected = Promise.reject(new Error("gone"));
    rejected.catch(() => {});
    await assert.rejects(
      dr.map(["b"], { inputs: { x: [1, 2, rejected] }, mapOver: "x" }),
      (e: unknown) =>
        e instanceof InputError && /Input "x" \(item 2\)/.test(e.message),
    );
  });

  test("an input promise that never settles cannot hold a cancelled run open", async () => {
    const dr = await build(F.identityB);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    await assert.rejects(
      dr.execute(["b"], {
        inputs: { x: new Promise(() => {}) },
        signal: controller.signal,
      }),
      CancelledError,
    );
  });

  test("run() reports each node's status, duration and error without rejecting", async () => {
    const dr = await build(F.statuses);
    const ok = await dr.run(["a"]);
    assert.equal(ok.success, true);
    assert.deepEqual(ok.outputs, { a: 1 });
    assert.equal(ok.nodes[0]?.status, "succeeded");
    assert.ok(ok.nodes[0]!.durationMs >= 0);
    const failed = await dr.run(["c"]);
    assert.equal(failed.success, false);
    assert.ok(failed.error instanceof NodeExecutionError);
    assert.deepEqual(failed.nodes.map((n) => [n.name, n.status]), [
      ["a", "succeeded"],
      ["b", "failed"],
      ["c", "skipped"],
    ]);
    assert.equal((failed.nodes[1]!.error as Error).message, "no");
  });

  test("run() marks a node that was running when the run was cancelled as cancelled", async () => {
    // b waits 10 s unless its ctx.signal aborts; the run is cancelled
    // 10 ms after b starts (run() hooks every node anyway).
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const dr = await new Builder().withModules(F.cancelledMidway)
      .withExecutor(kind, options)
      .withAdapters({
        beforeNodeExecution: (e) => {
          if (e.nodeName === "b") {
            timer = setTimeout(() => controller.abort(), 10);
          }
        },
      })
      .build();
    open.push(dr);
    const result = await dr.run(["c"], { signal: controller.signal });
    clearTimeout(timer);
    assert.equal(result.success, false);
    assert.ok(result.error instanceof CancelledError);
    assert.deepEqual(result.nodes.map((n) => [n.name, n.status]), [
      ["a", "succeeded"],
      ["b", "cancelled"],
      ["c", "skipped"],
    ]);
  });

  test("stream() yields the run's events in order, including ctx.log messages", async () => {
    const dr = await build(F.logs);
    const events = [];
    for await (const event of dr.stream(["b"])) events.push(event);
    assert.deepEqual(events.map((e) => e.type), [
      "runStarted",
      "nodeStarted",
      "nodeSucceeded",
      "nodeStarted",
      "log",
      "nodeSucceeded",
      "runFinished",
    ]);
    const log = events.find((e) => e.type === "log");
    assert.ok(log?.type === "log");
    assert.equal(log.message, "halfway");
    assert.deepEqual(log.data, { a: 1 });
    const runIds = new Set(events.map((e) => e.runId));
    assert.equal(runIds.size, 1);
  });

  test("stream() reports skipped nodes: replaced by an override, or not reached after a failure", async () => {
    const dr = await build(F.skipped);
    const types: string[] = [];
    for await (const e of dr.stream(["c"])) {
      types.push(
        e.type === "nodeSkipped"
          ? `${e.type}:${e.nodeName}:${e.reason}`
          : e.type,
      );
    }
    assert.ok(types.includes("nodeFailed"));
    assert.ok(types.includes("nodeSkipped:c:not-reached"));
    const overridden: string[] = [];
    for await (const e of dr.stream(["c"], { overrides: { b: 2 } })) {
      if (e.type === "nodeSkipped") {
        overridden.push(`${e.nodeName}:${e.reason}`);
      }
    }
    assert.deepEqual(overridden, ["b:override"]);
  });

  test("stopping a stream() early cancels the run", async () => {
    using probe = await P.listen();
    const dr = await build(F.streamed);
    for await (const e of dr.stream(["b"])) {
      if (e.type === "nodeStarted" && e.nodeName === "b") {
        await probe.seen((r) => r === "b started");
        break;
      }
    }
    P.clearTimers(); // b ignores the signal; its timer must not outlive the test
    await probe.seen((r) => r === "aborted", sharesMemory ? 0 : 1000);
    assert.ok(P.reports.includes("aborted"), `reports: ${P.reports}`);
  });

  test("one driver serves concurrent executions that share nothing", async () => {
    const dr = await build(F.concurrentCalls);
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const outs = await Promise.all(
      xs.map((x) => dr.execute(["label"], { inputs: { x } })),
    );
    assert.deepEqual(outs.map((o) => o.label), xs.map((x) => `${x}->${x * 2}`));
  });
}
