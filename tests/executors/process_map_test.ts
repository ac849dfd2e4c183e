// The "parallel" map on a process executor: whole items run in the worker
// processes in chunks. Deno's sanitizers do not see subprocesses: tests
// that end processes check that they are gone.
import assert from "node:assert/strict";
import {
  Builder,
  CancelledError,
  NodeExecutionError,
  ProcessExecutor,
  WorkerError,
} from "../../mod.ts";

const NODES = new URL("../fixtures/process/nodes.ts", import.meta.url).href;

const build = (executor: ProcessExecutor) =>
  new Builder().withModules(NODES).withExecutor(executor)
    .withMapExecutor("parallel").build();

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

const xs = (n: number) => Array.from({ length: n }, (_, i) => i);

Deno.test("[process map] whole items run in the worker processes, results in item order", async () => {
  const executor = new ProcessExecutor({ processes: 2 });
  await using dr = await build(executor);
  const out = await dr.map(["doubled", "positional", "pid"] as never[], {
    inputs: { x: xs(200) },
    mapOver: "x",
  }) as { doubled: number; positional: number; pid: number }[];
  assert.deepEqual(
    out.map((o) => [o.doubled, o.positional]),
    xs(200).map((x) => [2 * x, 2 * x + 100]),
  );
  const pids = new Set(out.map((o) => o.pid));
  assert.ok(!pids.has(Deno.pid), "items ran in this process");
  assert.ok(pids.size <= 2, `${pids.size} processes for 2`);
  assert.ok([...pids].every((pid) => executor.pids.includes(pid)));
  await dr.close();
  assert.deepEqual([...pids].map(alive), [...pids].map(() => false));
});

Deno.test("[process map] a node that throws names itself and its item, with its error as the cause", async () => {
  await using dr = await build(new ProcessExecutor({ processes: 1 }));
  const error = await dr.map(["fails"] as never[], {
    inputs: { x: [0, 0, 3, 0] },
    mapOver: "x",
  }).then(() => assert.fail("the map succeeded"), (e: unknown) => e);
  assert.ok(error instanceof NodeExecutionError, String(error));
  assert.equal(error.nodeName, "fails");
  assert.equal(error.item, 2);
  assert.ok(error.cause instanceof RangeError);
  assert.equal((error.cause as Error).message, "x is 3");
});

Deno.test("[process map] a chunk stuck in a CPU loop is killed at timeoutMs with its process; the next map works", async () => {
  const executor = new ProcessExecutor({ processes: 1, timeoutMs: 300 });
  await using dr = await build(executor);
  const before = (await dr.map(["pid"] as never[], {
    inputs: { x: [1] },
    mapOver: "x",
  }) as { pid: number }[])[0]!.pid;
  const error = await dr.map(["doubled", "loops"] as never[], {
    inputs: { x: xs(4) },
    mapOver: "x",
  }).then(() => assert.fail("the map succeeded"), (e: unknown) => e);
  assert.ok(error instanceof WorkerError, String(error));
  assert.match(
    error.message,
    /^Map items 0 to \d+ did not finish within 300 ms \(timeoutMs\): its process was killed/,
  );
  const out = await dr.map(["doubled", "pid"] as never[], {
    inputs: { x: [5, 6] },
    mapOver: "x",
  }) as { doubled: number; pid: number }[];
  assert.deepEqual(out.map((o) => o.doubled), [10, 12]);
  assert.notEqual(out[0]!.pid, before, "the killed process took the next map");
  await dr.close();
  assert.equal(alive(before), false);
});

Deno.test("[process map] a cancelled map rejects at once and leaves no process busy", async () => {
  const executor = new ProcessExecutor({ processes: 1 });
  await using dr = await build(executor);
  const controller = new AbortController();
  const mapping = dr.map(["loops"] as never[], {
    inputs: { x: xs(3) },
    mapOver: "x",
    signal: controller.signal,
  });
  controller.abort();
  await assert.rejects(mapping, CancelledError);
  // Whatever had started was stopped: the one process takes the next map.
  const out = await dr.map(["doubled"] as never[], {
    inputs: { x: [1] },
    mapOver: "x",
  });
  assert.deepEqual(out, [{ doubled: 2 }]);
  assert.ok(executor.pids.every(alive));
});
