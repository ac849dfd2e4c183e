import assert from "node:assert/strict";
import { WorkerError } from "../../mod.ts";
import {
  GRACE_MS,
  MAX_DELAY_MS,
  MAX_KNOWN_NODES,
  MAX_WORKERS,
  RemoteFailure,
  type TaskHandle,
  WARM_ROUNDS,
  WorkerPool,
} from "../../src/executors/pool.ts";
import { WARM_REF } from "../../src/executors/_protocol.ts";
import { listen, type Probe, reports } from "../fixtures/probe.ts";
import { open } from "../fixtures/workers/gates.ts";

const fixture = (name: string) =>
  new URL(`../fixtures/workers/${name}`, import.meta.url).href;
const NODES = fixture("nodes.ts");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Waits until `event` is reported, however long a busy machine takes to
// start workers (probe.seen() alone gives up after a while).
async function reported(
  probe: Probe,
  event: (reported: string) => boolean,
): Promise<void> {
  while (!reports.some(event)) await probe.seen(event);
}

const call = (
  exportName: string,
  args: Record<string, unknown>,
  url = NODES,
) => ({
  type: "call" as const,
  node: {
    url,
    exportName,
    nodeName: exportName,
    callStyle: "object" as const,
    ctxIndex: -1,
    tags: {},
  },
  args,
  runId: "run",
});
const gates = (exportName: string, args: Record<string, unknown>) =>
  call(exportName, args, fixture("gates.ts"));

// Runs `body` with `Worker` replaced by `Stub` (what the pool constructs).
async function withWorker(
  Stub: unknown,
  body: () => Promise<void>,
): Promise<void> {
  const real = globalThis.Worker;
  globalThis.Worker = Stub as typeof Worker;
  try {
    await body();
  } finally {
    globalThis.Worker = real;
  }
}

// Stand-ins for workers that speak the pool's protocol: each says it is
// ready at once, and answers the calls it has received with 0 when the test
// calls its `answer()`.
function answeringWorkers() {
  const made: Answering[] = [];
  class Answering {
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onerror = null;
    onmessageerror = null;
    readonly received: { type: string; id: number; [key: string]: unknown }[] =
      [];
    #unanswered: number[] = [];
    constructor() {
      made.push(this);
      queueMicrotask(() => this.onmessage?.({ data: { type: "ready" } }));
    }
    postMessage(message: { type: string; id: number }) {
      this.received.push(message);
      if (message.type === "call") this.#unanswered.push(message.id);
    }
    /** How many calls it has not answered yet. */
    get unanswered(): number {
      return this.#unanswered.length;
    }
    answer() {
      for (const id of this.#unanswered.splice(0)) {
        this.onmessage?.({ data: { type: "ok", id, value: 0 } });
      }
    }
    terminate() {}
  }
  return { Answering, made };
}

Deno.test("the pool starts no worker until its first task, then at most its size", async () => {
  const pool = new WorkerPool({ workers: 2 });
  try {
    assert.equal(pool.workers, 0);
    const tasks = [1, 2, 3, 4].map((x) =>
      pool.run(call("doubled", { x }), { label: "node" }).promise
    );
    assert.ok(pool.workers <= 2);
    assert.deepEqual(await Promise.all(tasks), [2, 4, 6, 8]);
    assert.equal(pool.workers, 2);
    // Reused: a second batch starts no new worker.
    await pool.run(call("doubled", { x: 5 }), { label: "node" }).promise;
    assert.equal(pool.workers, 2);
  } finally {
    await pool.close();
  }
});

Deno.test("the pool is sized by navigator.hardwareConcurrency by default", async () => {
  const pool = new WorkerPool();
  assert.equal(pool.size, navigator.hardwareConcurrency);
  await pool.close();
  assert.throws(() => new WorkerPool({ workers: 0 }), RangeError);
  assert.throws(() => new WorkerPool({ timeoutMs: -1 }), RangeError);
  assert.throws(() => new WorkerPool({ idleMs: -1 }), RangeError);
});

Deno.test("timeoutMs and idleMs past 2^31-1 ms and workers past 256 are RangeErrors, before any worker starts", async () => {
  let started = 0;
  await withWorker(
    class {
      constructor() {
        started++;
      }
    },
    () => {
      const big = MAX_DELAY_MS + 1;
      assert.throws(
        () => new WorkerPool({ timeoutMs: big, prestart: true }),
        new RangeError(
          `'timeoutMs' must be at most 2147483647 ms (2^31-1), or Infinity for none: received ${big}`,
        ),
      );
      assert.throws(
        () => new WorkerPool({ idleMs: big, prestart: true }),
        new RangeError(
          `'idleMs' must be at most 2147483647 ms (2^31-1), or Infinity for none: received ${big}`,
        ),
      );
      assert.throws(
        () => new WorkerPool({ workers: MAX_WORKERS + 1, prestart: true }),
        new RangeError("'workers' must be at most 256: received 257"),
      );
      assert.throws(
        () => new WorkerPool({ timeoutMs: NaN }),
        new RangeError("'timeoutMs' must be a positive number: received NaN"),
      );
      return Promise.resolve();
    },
  );
  assert.equal(started, 0);
  // The bounds themselves are fine.
  const pool = new WorkerPool({
    workers: MAX_WORKERS,
    timeoutMs: MAX_DELAY_MS,
    idleMs: MAX_DELAY_MS,
  });
  assert.equal(pool.size, 256);
  await pool.close();
});

Deno.test("timeoutMs and idleMs of Infinity set no timer (setTimeout would fire one after 1 ms)", async () => {
  const delays: (number | undefined)[] = [];
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    delays.push(ms);
    return real(fn, ms);
  }) as typeof setTimeout;
  const pool = new WorkerPool({
    workers: 1,
    timeoutMs: Infinity,
    idleMs: Infinity,
  });
  try {
    assert.equal(
      await pool.run(call("doubled", { x: 2 }), { label: "node" }).promise,
      4,
    );
  } finally {
    globalThis.setTimeout = real;
    await pool.close();
  }
  assert.deepEqual(delays.filter((ms) => !(ms! <= MAX_DELAY_MS)), []);
});

Deno.test("prestart starts every worker when the pool is created", async () => {
  const pool = new WorkerPool({ workers: 2, prestart: true });
  try {
    assert.equal(pool.workers, 2);
    await pool.warm(); // already started: none more
    assert.equal(pool.workers, 2);
  } finally {
    await pool.close();
  }
  assert.equal(pool.workers, 0);
});

Deno.test("warm() starts the workers, and they still end after idleMs", async () => {
  const pool = new WorkerPool({ workers: 2, idleMs: 50 });
  try {
    assert.equal(pool.workers, 0);
    await pool.warm();
    assert.equal(pool.workers, 2);
    const tasks = [1, 2].map((x) =>
      pool.run(call("doubled", { x }), { label: "node" }).promise
    );
    assert.deepEqual(await Promise.all(tasks), [2, 4]);
    assert.equal(pool.workers, 2); // the warm ones took them
    const deadline = performance.now() + 10_000;
    while (pool.workers > 0 && performance.now() < deadline) await sleep(10);
    assert.equal(pool.workers, 0);
  } finally {
    await pool.close();
  }
});

Deno.test("warm() rejects with a WorkerError when a worker cannot be created", async () => {
  await withWorker(
    class {
      constructor() {
        throw new TypeError("no workers here");
      }
    },
    async () => {
      const pool = new WorkerPool({ workers: 2 });
      await assert.rejects(
        pool.warm(),
        (e: unknown) =>
          e instanceof WorkerError &&
          /Cannot start a worker: no workers here/.test(e.message),
      );
      assert.equal(pool.workers, 0);
      await pool.close();
    },
  );
});

Deno.test("warm() rejects with a WorkerError when a worker fails before it is ready, and terminates that worker", async () => {
  const terminated: unknown[] = [];
  let made = 0;
  class Failing {
    onerror: ((e: ErrorEvent) => void) | null = null;
    constructor() {
      // The second worker fails as it starts; the first never gets ready.
      if (++made === 2) {
        queueMicrotask(() =>
          this.onerror?.(
            new ErrorEvent("error", {
              message: "entry failed",
              cancelable: true,
            }),
          )
        );
      }
    }
    postMessage() {}
    terminate() {
      terminated.push(this);
    }
  }
  await withWorker(Failing, async () => {
    const pool = new WorkerPool({ workers: 2 });
    await assert.rejects(
      pool.warm(),
      (e: unknown) =>
        e instanceof WorkerError &&
        e.message === "A worker could not start: entry failed",
    );
    assert.equal(terminated.length, 1);
    assert.equal(pool.workers, 1);
    await pool.close();
    assert.equal(terminated.length, 2);
  });
});

Deno.test("warm() rejects with a WorkerError when the pool is closed before its workers are ready", async () => {
  const pool = new WorkerPool({ workers: 1 });
  const warming = pool.warm();
  await pool.close();
  await assert.rejects(warming, WorkerError);
  assert.equal(pool.workers, 0);
});

Deno.test("warm() resolves once every worker has answered WARM_ROUNDS no-op calls, one at a time and with no timeout", async () => {
  const { Answering, made } = answeringWorkers();
  await withWorker(Answering, async () => {
    const pool = new WorkerPool({ workers: 2, timeoutMs: 1000 });
    let warm = false;
    const warming = pool.warm().then(() => warm = true);
    for (let round = 0; round < WARM_ROUNDS; round++) {
      await sleep(0);
      assert.deepEqual(made.map((w) => w.unanswered), [1, 1]);
      assert.equal(warm, false);
      made.forEach((w) => w.answer());
    }
    await warming;
    for (const worker of made) {
      assert.equal(worker.received.length, WARM_ROUNDS);
      for (const message of worker.received) {
        // The worker's own no-op node, which no timeout applies to.
        assert.equal(message.type, "call");
        assert.equal(message.node, WARM_REF);
        assert.equal(message.timed, undefined);
      }
    }
    await pool.close();
  });
});

Deno.test("a task queued while a worker warms up runs once its current warm-up call is answered, and ends its warm-up", async () => {
  const { Answering, made } = answeringWorkers();
  await withWorker(Answering, async () => {
    const pool = new WorkerPool({ workers: 1 });
    const warming = pool.warm();
    await sleep(0);
    const worker = made[0]!;
    assert.equal(worker.received.length, 1); // the first warm-up call
    const task = pool.run(call("doubled", { x: 1 }), { label: "node" });
    await sleep(0);
    assert.equal(worker.received.length, 1); // waiting for the worker
    worker.answer();
    await sleep(0);
    assert.equal(worker.received.length, 2);
    assert.equal(
      (worker.received[1]!.node as { exportName: string }).exportName,
      "doubled",
    );
    worker.answer();
    assert.equal(await task.promise, 0);
    await warming; // it warmed up on the task
    assert.equal(worker.received.length, 2);
    await pool.close();
  });
});

Deno.test("warm() rejects with a WorkerError when the pool is closed during the warm-up calls", async () => {
  const { Answering, made } = answeringWorkers();
  await withWorker(Answering, async () => {
    const pool = new WorkerPool({ workers: 1 });
    const warming = pool.warm();
    await sleep(0);
    assert.equal(made[0]!.unanswered, 1);
    await pool.close();
    await assert.rejects(warming, WorkerError);
  });
});

Deno.test("preloaded nodes have their modules imported ahead of their first call; one the module lacks fails its call with the reason", async () => {
  using probe = await listen();
  const pool = new WorkerPool({ workers: 1 });
  try {
    const echo = call("echo", { x: 3 }, fixture("announced.ts"));
    const missing = call("nope", {}, fixture("announced.ts"));
    await pool.warm();
    await pool.preload({ urls: [], nodes: [echo.node, missing.node] });
    await reported(probe, (r) => r === "imported in a worker");
    assert.deepEqual(reports, ["imported in a worker"]); // no call yet
    assert.equal(await pool.run(echo, { label: "node" }).promise, 3);
    await assert.rejects(
      pool.run(missing, { label: 'node "nope"' }).promise,
      (e: unknown) =>
        e instanceof WorkerError &&
        /has no function export "nope"/.test(e.message),
    );
    assert.equal(await pool.run(echo, { label: "node" }).promise, 3);
  } finally {
    await pool.close();
  }
});

Deno.test("timeoutMs counts from when a task starts in its worker: a slow first import does not count", async () => {
  using probe = await listen();
  const pool = new WorkerPool({ workers: 1, timeoutMs: 50 });
  try {
    const task = pool.run(call("quick", {}, fixture("slow_import.ts")), {
      label: "node",
    });
    const outcome = task.promise.catch((error: Error) => error.message);
    await reported(probe, (r) => r === "importing");
    await sleep(200); // the import takes four times timeoutMs
    open("imported");
    assert.equal(await outcome, "quick");
  } finally {
    await pool.close();
  }
});

Deno.test("a task cancelled while it waits in the queue never starts", async () => {
  using probe = await listen();
  const pool = new WorkerPool({ workers: 1 });
  try {
    const holder = pool.run(gates("held", { key: "q" }), { label: "node" });
    await reported(probe, (r) => r === "held:q");
    const queued = pool.run(gates("ran", { x: 1 }), { label: "node" });
    queued.cancel(new Error("withdrawn"));
    await assert.rejects(queued.promise, /withdrawn/);
    open("q");
    assert.equal(await holder.promise, "q");
    // One worker runs its tasks in order: had the withdrawn one started,
    // its report would come first.
    assert.equal(
      await pool.run(gates("ran", { x: 2 }), { label: "node" }).promise,
      2,
    );
    await probe.seen((r) => r === "ran:2");
    assert.deepEqual(reports, ["held:q", "ran:2"]);
  } finally {
    await pool.close();
  }
});

Deno.test("onFailure runs before the failed task's worker takes another task: what it withdraws never starts", async () => {
  using probe = await listen();
  const pool = new WorkerPool({ workers: 1 });
  try {
    const others: TaskHandle[] = [];
    const failing = pool.run(gates("ran", { x: -1 }), {
      label: "node",
      onFailure: () => others.forEach((t) => t.cancel(new Error("withdrawn"))),
    });
    const queued = pool.run(gates("ran", { x: 1 }), { label: "node" });
    others.push(queued);
    await assert.rejects(
      failing.promise,
      (e: unknown) =>
        e instanceof RemoteFailure && e.error.message === "x is -1",
    );
    await assert.rejects(queued.promise, /withdrawn/);
    assert.equal(
      await pool.run(gates("ran", { x: 2 }), { label: "node" }).promise,
      2,
    );
    await probe.seen((r) => r === "ran:2");
    assert.deepEqual(reports, ["ran:-1", "ran:2"]);
  } finally {
    await pool.close();
  }
});

Deno.test("close() terminates every worker: none of them runs code afterwards", async () => {
  const dir = await Deno.makeTempDir();
  const pool = new WorkerPool({ workers: 2 });
  const paths = [`${dir}/0`, `${dir}/1`];
  try {
    // Two tasks at once land on two workers; each leaves a timer that
    // writes its file every 10 ms for as long as its worker lives.
    await Promise.all(
      paths.map((path) =>
        pool.run(call("heartbeat", { path }), { label: "node" }).promise
      ),
    );
    await sleep(50);
    const beat = () => paths.map((p) => Deno.readTextFileSync(p));
    const before = beat();
    await sleep(50);
    assert.notDeepEqual(beat(), before, "the workers are alive");
    await pool.close();
    assert.equal(pool.workers, 0);
    await sleep(30); // a write in flight at close() may land
    const after = beat();
    await sleep(100);
    assert.deepEqual(beat(), after, "no worker wrote after close()");
  } finally {
    await pool.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("close() fails queued and running tasks with a WorkerError; the pool then starts afresh", async () => {
  const pool = new WorkerPool({ workers: 1 });
  const running = pool.run(call("hangs", {}), { label: "node" }).promise;
  const queued = pool.run(call("doubled", { x: 1 }), { label: "node" })
    .promise;
  await pool.close();
  await assert.rejects(running, WorkerError);
  await assert.rejects(queued, WorkerError);
  assert.equal(
    await pool.run(call("doubled", { x: 2 }), { label: "node" }).promise,
    4,
  );
  await pool.close();
});

Deno.test("a cancelled task fails at once; a worker that does not stop within the grace period is terminated and replaced", async () => {
  const pool = new WorkerPool({ workers: 1 });
  try {
    const task = pool.run(call("hangs", {}), { label: "node" });
    await sleep(50);
    task.cancel(new Error("stop"));
    await assert.rejects(task.promise, /stop/);
    assert.equal(pool.workers, 1); // its node may still stop by itself
    await sleep(GRACE_MS + 50);
    assert.equal(pool.workers, 0);
    assert.equal(
      await pool.run(call("doubled", { x: 3 }), { label: "node" }).promise,
      6,
    );
  } finally {
    await pool.close();
  }
});

Deno.test("idle workers end after idleMs and start again on the next task", async () => {
  const pool = new WorkerPool({ workers: 1, idleMs: 50 });
  try {
    await pool.run(call("doubled", { x: 1 }), { label: "node" }).promise;
    assert.equal(pool.workers, 1);
    await sleep(150);
    assert.equal(pool.workers, 0);
    assert.equal(
      await pool.run(call("doubled", { x: 2 }), { label: "node" }).promise,
      4,
    );
  } finally {
    await pool.close();
  }
});

Deno.test("a script that never closes its driver still exits once the workers are idle", async () => {
  const script = `
    import { Builder } from ${
    JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
  };
    const dr = await new Builder().withModules(${JSON.stringify(NODES)})
      .withExecutor("threaded", { idleMs: 100 }).build();
    console.log((await dr.execute(["doubled"], { inputs: { x: 4 } })).doubled);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--allow-read", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill(), 10_000);
  const { code, stdout } = await child.output();
  clearTimeout(timer);
  assert.equal(code, 0);
  assert.equal(new TextDecoder().decode(stdout).trim(), "8");
});

Deno.test("a cancelled task whose node stops on ctx.signal keeps its worker", async () => {
  const pool = new WorkerPool({ workers: 1 });
  try {
    // A started worker with the module loaded: it answers an abort at once.
    await pool.run(call("doubled", { x: 1 }), { label: "node" }).promise;
    const task = pool.run({
      ...call("stops_on_abort", {}),
      node: { ...call("stops_on_abort", {}).node, ctxIndex: 0 },
    }, { label: "node" });
    await sleep(50);
    task.cancel(new Error("stop"));
    await assert.rejects(task.promise, /stop/);
    await sleep(GRACE_MS + 50);
    assert.equal(pool.workers, 1);
    assert.equal(
      await pool.run(call("doubled", { x: 3 }), { label: "node" }).promise,
      6,
    );
    assert.equal(pool.workers, 1);
  } finally {
    await pool.close();
  }
});

Deno.test("tryAcquire leases a free worker at once, and none while every worker is busy", async () => {
  const pool = new WorkerPool({ workers: 1 });
  try {
    // No worker yet: only acquire() starts one.
    assert.equal(pool.tryAcquire(), undefined);
    await pool.run(call("doubled", { x: 1 }), { label: "node" }).promise;
    const lease = pool.tryAcquire();
    assert.ok(lease !== undefined);
    assert.equal(pool.tryAcquire(), undefined); // reserved by the lease
    const task = lease.run(call("doubled", { x: 2 }), { label: "node" });
    assert.equal(pool.tryAcquire(), undefined); // busy with the task
    assert.equal(await task.promise, 4);
    assert.ok(pool.tryAcquire() !== undefined);
  } finally {
    await pool.close();
  }
});

Deno.test("a node sent once to a worker runs again by reference, and again on the worker that replaces it", async () => {
  const pool = new WorkerPool({ workers: 1 });
  try {
    const doubled = call("doubled", { x: 0 }).node;
    const closes = call("closes", {}).node;
    const run = (node: typeof doubled, x: number) =>
      pool.run({ type: "call", node, args: { x }, runId: "run" }, {
        label: "node",
      }).promise;
    assert.deepEqual([await run(doubled, 1), await run(doubled, 2)], [2, 4]);
    await assert.rejects(run(closes, 0), WorkerError);
    assert.equal(await run(doubled, 3), 6);
    assert.equal(await run(doubled, 4), 8);
  } finally {
    await pool.close();
  }
});

Deno.test("a worker sent more node descriptors than it keeps forgets them and goes on", async () => {
  const pool = new WorkerPool({ workers: 1 });
  try {
    // A new descriptor object per call, as new plans make: each is sent whole.
    const calls = MAX_KNOWN_NODES + 10;
    const results: unknown[] = [];
    for (let x = 0; x < calls; x++) {
      const task = call("doubled", { x });
      results.push(await pool.run(task, { label: "node" }).promise);
    }
    assert.deepEqual(results, Array.from({ length: calls }, (_, x) => 2 * x));
    // The descriptors sent after the reset are known by reference again.
    const known = call("doubled", { x: 0 }).node;
    const again = (x: number) =>
      pool.run({ type: "call", node: known, args: { x }, runId: "run" }, {
        label: "node",
      }).promise;
    assert.deepEqual([await again(1), await again(2)], [2, 4]);
  } finally {
    await pool.close();
  }
});
