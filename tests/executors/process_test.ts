// The process executor, with real `deno run` subprocesses. Deno's test
// sanitizers do not see subprocesses, so tests that end processes prove it
// themselves: a process that has ended (and was waited for) takes no
// signal.
import assert from "node:assert/strict";
import {
  Builder,
  CancelledError,
  NodeExecutionError,
  ProcessExecutor,
  WorkerError,
} from "../../mod.ts";
import { conformance } from "./_conformance.ts";
import { probePermissions } from "../fixtures/probe.ts";
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
} from "../../src/executors/_frames.ts";
import { TaskRunner } from "../../src/executors/_task_runner.ts";
import type {
  TaskMessage,
  TaskNode,
  TaskReply,
} from "../../src/executors/_task_protocol.ts";

conformance(() =>
  new ProcessExecutor({ processes: 2, permissions: probePermissions() })
);

const NODES = new URL("../fixtures/process/nodes.ts", import.meta.url).href;
const ROUTED = new URL("../fixtures/process/routed.ts", import.meta.url).href;
const HAMILTON = new URL("../fixtures/hamilton.ts", import.meta.url).href;

const build = (executor: ProcessExecutor) =>
  new Builder().withModules(NODES).withExecutor(executor).build();

type Pids = Record<string, number>;

// The id of the process the node "pid" runs in.
async function pidOf(dr: { execute(vars: never[]): Promise<unknown> }) {
  return (await dr.execute(["pid"] as never[]) as Pids).pid!;
}

// Whether process `pid` still exists (SIGCONT leaves a running one be).
function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

Deno.test("[process] nodes run in worker processes: values, call styles and ctx facts", async () => {
  const executor = new ProcessExecutor({ processes: 1 });
  await using dr = await build(executor);
  assert.equal(dr.executor, "process");
  const result = await dr.run(
    ["doubled", "positional", "pid", "facts"] as never[],
    { inputs: { x: 2 } },
  );
  assert.ok(result.success, String(result.error));
  const out = result.outputs as Record<string, unknown>;
  assert.equal(out.doubled, 4);
  assert.equal(out.positional, 104);
  assert.notEqual(out.pid, Deno.pid);
  assert.deepEqual(executor.pids, [out.pid]);
  assert.deepEqual(out.facts, {
    signal: true,
    runId: result.runId,
    nodeName: "facts",
    tags: { team: "x", tier: 2, module: NODES },
  });
});

Deno.test("[process] a node that throws is a NodeExecutionError whose cause keeps the name, message and stack", async () => {
  await using dr = await build(new ProcessExecutor({ processes: 1 }));
  await assert.rejects(
    dr.execute(["fails"] as never[], { inputs: { x: 7 } }),
    (e: unknown) => {
      assert.ok(e instanceof NodeExecutionError);
      assert.equal(e.nodeName, "fails");
      assert.deepEqual(e.path, ["x", "fails"]);
      const cause = e.cause as Error;
      assert.ok(cause instanceof RangeError);
      assert.equal(cause.name, "RangeError");
      assert.equal(cause.message, "x is 7");
      assert.match(cause.stack!, /at fails .*process\/nodes\.ts/);
      return true;
    },
  );
});

Deno.test("[process] timeoutMs kills a node stuck in a CPU loop: it fails alone, the run, the pool and the next run go on", async () => {
  const executor = new ProcessExecutor({ processes: 2, timeoutMs: 300 });
  await using dr = await build(executor);
  const result = await dr.run(["loops", "doubled"] as never[], {
    inputs: { x: 1 },
    onFailure: "continue",
  });
  assert.equal(result.success, false);
  const byName = Object.fromEntries(result.nodes.map((n) => [n.name, n]));
  assert.equal(byName.doubled!.status, "succeeded");
  assert.equal(byName.loops!.status, "failed");
  const error = byName.loops!.error;
  assert.ok(error instanceof WorkerError, String(error));
  assert.equal(error.nodeName, "loops");
  assert.match(
    error.message,
    /Node "loops" did not finish within 300 ms \(timeoutMs\): its process was killed and will be replaced/,
  );
  // The next run works, in processes that are all alive.
  const out = await dr.execute(["pid", "pid_b"] as never[]) as Pids;
  assert.ok(executor.pids.includes(out.pid!));
  assert.ok(executor.pids.every(alive));
});

Deno.test("[process] a node that runs out of memory (heapLimitMb) fails alone and its process is replaced", async () => {
  const executor = new ProcessExecutor({ processes: 1, heapLimitMb: 32 });
  await using dr = await build(executor);
  const first = await pidOf(dr);
  await assert.rejects(dr.execute(["hogs"] as never[]), (e: unknown) => {
    assert.ok(e instanceof WorkerError, String(e));
    assert.equal(e.nodeName, "hogs");
    assert.match(e.message, /The worker process running node "hogs"/);
    assert.match(e.message, /ran out of memory: 'heapLimitMb' is 32/);
    return true;
  });
  assert.equal(alive(first), false);
  const second = await pidOf(dr);
  assert.notEqual(second, first);
  assert.deepEqual(executor.pids, [second]);
});

Deno.test("[process] cancelling a run kills a node stuck in a CPU loop and replaces its process", async () => {
  const executor = new ProcessExecutor({ processes: 1 });
  await using dr = await build(executor);
  const controller = new AbortController();
  let looping: number | undefined;
  const events = dr.stream(["loops"] as never[], { signal: controller.signal });
  await assert.rejects(
    (async () => {
      for await (const e of events) {
        if (e.type === "log" && e.message === "looping") {
          looping = executor.pids[0];
          controller.abort();
        }
        if (e.type === "runFinished" && !e.success) throw e.error;
      }
    })(),
    CancelledError,
  );
  assert.ok(looping !== undefined);
  const next = await pidOf(dr);
  assert.notEqual(next, looping);
  await dr.close();
  assert.equal(alive(looping), false);
});

Deno.test("[process] close() ends every process; closing twice is harmless; a later run starts new ones", async () => {
  const executor = new ProcessExecutor({ processes: 2 });
  const dr = await build(executor);
  await executor.warm();
  const pids = [...executor.pids];
  assert.equal(pids.length, 2);
  assert.ok(pids.every(alive));
  await dr.close();
  assert.deepEqual(executor.pids, []);
  assert.deepEqual(pids.map(alive), [false, false]);
  await dr.close();
  const again = await pidOf(dr);
  assert.ok(!pids.includes(again));
  await executor.close();
  assert.equal(alive(again), false);
});

Deno.test("[process] preload() then warm(): the processes start with the node module imported, and the first run keeps them", async () => {
  const executor = new ProcessExecutor({ processes: 2 });
  await using dr = await build(executor);
  await executor.preload([NODES]);
  await executor.warm();
  const pids = [...executor.pids];
  assert.equal(pids.length, 2);
  const out = await dr.execute(["pid", "pid_b"] as never[]) as Pids;
  assert.ok(pids.includes(out.pid!) && pids.includes(out.pid_b!));
  assert.deepEqual(executor.pids, pids);
  // A module beside it: the same processes import it.
  await executor.preload([ROUTED]);
  assert.deepEqual(executor.pids, pids);
  // One from a directory they cannot read: new processes that can.
  await executor.preload([HAMILTON]);
  assert.equal(executor.pids.length, 2);
  assert.ok(executor.pids.every((pid) => !pids.includes(pid)));
});

Deno.test("[process] a node module from a directory its processes cannot read: idle processes are replaced by ones that can", async () => {
  const executor = new ProcessExecutor({ processes: 1 });
  await using dr = await build(executor);
  const first = await pidOf(dr);
  // tests/fixtures/ holds tests/fixtures/process/: one read flag for both.
  await using other = await new Builder()
    .withModules(HAMILTON)
    .withExecutor(executor).build();
  assert.equal((await other.execute(["C"])).C, 14291.666666666666);
  const [second] = executor.pids;
  assert.ok(second !== undefined && second !== first);
  assert.equal(await pidOf(dr), second);
  await executor.close();
  assert.deepEqual([first, second].map(alive), [false, false]);
});

Deno.test("[process] close() fails a running node with a WorkerError", async () => {
  const executor = new ProcessExecutor({ processes: 1 });
  await using dr = await build(executor);
  const events = dr.stream(["loops"] as never[]);
  for await (const e of events) {
    if (e.type === "log") {
      const pid = executor.pids[0]!;
      await executor.close();
      assert.equal(alive(pid), false);
    }
    if (e.type === "runFinished") {
      assert.ok(e.error instanceof WorkerError, String(e.error));
      assert.match(e.error.message, /The process pool was closed/);
    }
  }
});

Deno.test("[process] permissions: a node cannot fetch without net, can with it", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("hello"),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const fetches = async (executor: ProcessExecutor) => {
    await using dr = await build(executor);
    const out = await dr.execute(["fetches"] as never[], { inputs: { url } });
    return (out as Record<string, string>).fetches;
  };
  assert.equal(
    await fetches(new ProcessExecutor({ processes: 1 })),
    "NotCapable",
  );
  assert.equal(
    await fetches(new ProcessExecutor({ processes: 1, permissions: "none" })),
    "NotCapable",
  );
  assert.equal(
    await fetches(
      new ProcessExecutor({
        processes: 1,
        permissions: { net: ["127.0.0.1"] },
      }),
    ),
    "ok",
  );
  // "inherit" passes on what this process holds in full: net, here.
  assert.equal(
    await fetches(
      new ProcessExecutor({ processes: 1, permissions: "inherit" }),
    ),
    "ok",
  );
});

Deno.test("[process] what a node prints goes to stderr, not into the protocol", async () => {
  await using dr = await build(new ProcessExecutor({ processes: 1 }));
  assert.deepEqual(
    await dr.execute(["prints"] as never[], { inputs: { x: 5 } }),
    { prints: 5 },
  );
});

Deno.test("[process] a node that calls Deno.exit() fails with a WorkerError; the next run works", async () => {
  await using dr = await build(new ProcessExecutor({ processes: 1 }));
  await assert.rejects(
    dr.execute(["exits"] as never[]),
    (e: unknown) =>
      e instanceof WorkerError && e.nodeName === "exits" &&
      /ended its process: Deno.exit\(3\) was called/.test(e.message),
  );
  assert.deepEqual(
    await dr.execute(["doubled"] as never[], { inputs: { x: 4 } }),
    { doubled: 8 },
  );
});

Deno.test("[process] values that cannot be serialized are WorkerErrors naming the node", async () => {
  await using dr = await build(new ProcessExecutor({ processes: 1 }));
  await assert.rejects(
    dr.execute(["doubled"] as never[], { inputs: { x: () => 1 } }),
    (e: unknown) =>
      e instanceof WorkerError && e.nodeName === "doubled" &&
      /arguments cannot be serialized/.test(e.message),
  );
  await assert.rejects(
    dr.execute(["gives_function"] as never[]),
    (e: unknown) =>
      e instanceof WorkerError && e.nodeName === "gives_function" &&
      /cannot be sent back from its process/.test(e.message),
  );
});

Deno.test("[process] an inline closure is a WorkerError, as on the threaded executor", async () => {
  await using dr = await new Builder()
    .withModules({ a: () => 1, b: ({ a }: { a: number }) => a })
    .withExecutor("process", { processes: 1 }).build();
  await assert.rejects(dr.execute(["b"]), (e: unknown) => {
    assert.ok(e instanceof WorkerError);
    assert.equal(e.nodeName, "a");
    assert.match(e.message, /inline closure/);
    return true;
  });
});

Deno.test("[process] specs a modifier makes to read fields run in this thread, as on the threaded executor", async () => {
  const generated = import.meta.resolve("../fixtures/generated.ts");
  await using dr = await new Builder().withModules(generated)
    .withExecutor("process", { processes: 1 }).build();
  assert.deepEqual(await dr.execute(["stats", "mean", "std"] as never[]), {
    stats: { mean: 1, std: 2 },
    mean: 1,
    std: 2,
  });
});

Deno.test("[process] as a routing target: a node tagged for it or routed to it runs in a process, the others here", async () => {
  const heavy = new ProcessExecutor({ processes: 1 });
  await using dr = await new Builder()
    .withModules(ROUTED)
    .withExecutors({
      executors: { local: "sequential", heavy },
      route: (task) => task.name === "routed" ? "heavy" : "local",
    })
    .build();
  const out = await dr.execute(
    ["in_process", "here", "routed"] as never[],
  ) as Pids;
  assert.deepEqual(heavy.pids, [out.in_process]);
  assert.equal(out.routed, out.in_process);
  assert.equal(out.here, Deno.pid);
});

Deno.test('[process] "process" by name takes its options; bad options are RangeErrors or TypeErrors', async () => {
  await using dr = await new Builder().withModules(NODES)
    .withExecutor("process", { processes: 1, timeoutMs: Infinity })
    .build();
  assert.equal(dr.executor, "process");
  assert.deepEqual(
    await dr.execute(["doubled"] as never[], { inputs: { x: 1 } }),
    { doubled: 2 },
  );
  for (
    const [options, message] of [
      [{ processes: 0 }, /'processes' must be a positive integer: received 0/],
      [{ processes: 1.5 }, /'processes' must be a positive integer/],
      [{ processes: 257 }, /'processes' must be at most 256/],
      [{ timeoutMs: 0 }, /'timeoutMs' must be a positive number/],
      [{ timeoutMs: NaN }, /'timeoutMs' must be a positive number/],
      [{ timeoutMs: 2 ** 31 }, /at most 2147483647 ms \(2\^31-1\)/],
      [{ heapLimitMb: 0 }, /'heapLimitMb' must be a positive integer/],
      [{ concurrency: 0 }, /'concurrency' must be a positive integer/],
    ] as const
  ) {
    assert.throws(() => new ProcessExecutor(options), RangeError);
    assert.throws(() => new ProcessExecutor(options), message);
  }
  assert.throws(
    () => new ProcessExecutor({ permissions: { nett: true } as never }),
    /'permissions' has an unknown permission "nett"/,
  );
  assert.throws(
    () => new Builder().withExecutor("process", { processes: -1 }),
    RangeError,
  );
});

Deno.test("[process] frames: messages come back whole and in order however the bytes are cut; bytes that are not a frame are a FrameError", () => {
  const messages = [
    { type: "ok", id: 1, value: new Map([[1, new Date(0)]]) },
    { type: "ok", id: 2, value: new Float64Array(20_000).fill(1.5) },
    { type: "ok", id: 3, value: 2n ** 70n },
    "",
  ];
  const bytes = new Uint8Array(
    messages.flatMap((m) => [...encodeFrame(m)]),
  );
  for (const cut of [1, 7, 4096, bytes.byteLength]) {
    const decoder = new FrameDecoder();
    const out: unknown[] = [];
    for (let at = 0; at < bytes.byteLength; at += cut) {
      out.push(...decoder.push(bytes.subarray(at, at + cut)));
    }
    assert.deepEqual(out, messages);
  }
  assert.throws(
    () => new FrameDecoder().push(new TextEncoder().encode("hello, world")),
    (e: unknown) => e instanceof FrameError && /"hello, world"/.test(e.message),
  );
});

// A task runner whose replies are collected; `next()` resolves with the
// next answer (ok or error).
function runner() {
  const replies: TaskReply[] = [];
  let wake = () => {};
  const runner = new TaskRunner((reply) => {
    replies.push(reply);
    wake();
  });
  return {
    send: (message: TaskMessage) => runner.handle(message),
    async next(): Promise<TaskReply> {
      for (;;) {
        const i = replies.findIndex((r) =>
          r.type === "ok" || r.type === "error"
        );
        if (i >= 0) return replies.splice(i, 1)[0]!;
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
  };
}

const descriptor = (
  exportName: string,
  callStyle: TaskNode["callStyle"] = "object",
): TaskNode => ({
  url: NODES,
  exportName,
  nodeName: exportName,
  callStyle,
  ctxIndex: -1,
  tags: {},
});

Deno.test("[process] the task runner: a call names its node in full once, then by ref; a preload's nodes go by ref too", async () => {
  const r = runner();
  r.send({
    type: "call",
    id: 1,
    node: { ...descriptor("doubled"), ref: 7 },
    args: { x: 2 },
    runId: "run",
  });
  assert.deepEqual(await r.next(), { type: "ok", id: 1, value: 4 });
  r.send({ type: "call", id: 2, node: 7, args: { x: 5 }, runId: "run" });
  assert.deepEqual(await r.next(), { type: "ok", id: 2, value: 10 });
  // A preload's nodes are known by their refs from then on.
  r.send({
    type: "preload",
    seq: 1,
    urls: [],
    nodes: [{ ...descriptor("positional", "positional"), ref: 9 }],
  });
  r.send({ type: "call", id: 4, node: 9, args: [1], runId: "run" });
  assert.deepEqual(await r.next(), { type: "ok", id: 4, value: 101 });
  r.send({ type: "call", id: 3, node: 8, args: {}, runId: "run" });
  const unknown = await r.next();
  assert.ok(unknown.type === "error");
  assert.match(unknown.error.message, /Unknown node ref 8/);
});

Deno.test("[process] the task runner runs a chunk of map items through a plan, and names the item and node that fail", async () => {
  const r = runner();
  // Slot 0 is the node, slot 1 the mapped input x.
  const chunk = (exportName: string, xs: number[]): TaskMessage => ({
    type: "chunk",
    id: 1,
    runId: "run",
    nodes: [descriptor(exportName)],
    argKeys: [["x"]],
    argSlots: [Int32Array.of(1)],
    base: [undefined, undefined],
    inputSlots: Int32Array.of(1),
    columns: [xs],
    count: xs.length,
    firstItem: 10,
    outputSlots: Int32Array.of(0),
  });
  r.send(chunk("doubled", [1, 2, 3]));
  assert.deepEqual(await r.next(), { type: "ok", id: 1, value: [[2, 4, 6]] });
  r.send(chunk("fails", [0, 0, 4]));
  const failed = await r.next();
  assert.ok(failed.type === "error");
  assert.equal(failed.item, 12);
  assert.equal(failed.node, 0);
  assert.equal(failed.error.message, "x is 4");
});
