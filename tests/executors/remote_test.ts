// The remote executor against a real redis-server and real worker
// processes (the worker command). Each test starts its own server on a
// free loopback port and its own workers, and stops them all: Deno's
// sanitizers see neither, so the tests prove themselves that processes
// ended and that no connection is left on the server.
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import {
  type Adapter,
  type AfterNodeExecutionEvent,
  type BeforeNodeExecutionEvent,
  Builder,
  CancelledError,
  type ExecutionEvent,
  NodeExecutionError,
  RemoteError,
  RemoteExecutor,
  routeByCost,
  WorkerError,
} from "../../mod.ts";
import {
  alive,
  freePort,
  startRedis,
  startWorker,
  until,
} from "./_remote_fixture.ts";
import { runDeno } from "../_deno.ts";

const NODES = new URL("../fixtures/remote/nodes.ts", import.meta.url).href;
const WORKER = new URL("../../src/executors/remote_worker.ts", import.meta.url)
  .pathname;

type Out = Record<string, unknown>;

// The clients connected to the server at `url`, other than the one asking.
async function clients(url: string): Promise<string[]> {
  const redis = new Redis(url);
  try {
    const list = await redis.client("LIST") as string;
    const mine = await redis.client("ID") as number;
    return list.split("\n").filter((line) =>
      line !== "" && !line.startsWith(`id=${mine} `)
    );
  } finally {
    await redis.quit();
  }
}

// The jobs still on `queue` (waiting, active, delayed...).
async function jobsLeft(url: string, queue: string): Promise<number> {
  const q = new Queue(queue, { connection: { url } });
  try {
    const counts = await q.getJobCounts(
      "wait",
      "active",
      "delayed",
      "prioritized",
    );
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await q.close();
  }
}

const build = (executor: RemoteExecutor, ...adapters: Adapter[]) =>
  new Builder().withModules(NODES).withAdapters(...adapters).withExecutor(
    executor,
  ).build();

Deno.test("[remote] nodes run on a worker: values, call styles, ctx facts and logs; run() names the worker", async () => {
  await using redis = await startRedis();
  await using worker = await startWorker(redis.url, "basic", { name: "w-a" });
  const executor = new RemoteExecutor({ redis: redis.url, queue: "basic" });
  await using dr = await build(executor);
  assert.equal(dr.executor, "remote");
  const result = await dr.run(
    ["doubled", "positional", "facts"] as never[],
    { inputs: { x: 2 } },
  );
  assert.ok(result.success, String(result.error));
  const out = result.outputs as Out;
  assert.equal(out.doubled, 4);
  assert.equal(out.positional, 104);
  assert.deepEqual(out.facts, {
    signal: true,
    runId: result.runId,
    nodeName: "facts",
    tags: { module: NODES, team: "x", tier: 2 },
    pid: worker.pid,
  });
  for (const name of ["doubled", "positional", "facts"]) {
    const node = result.nodes.find((n) => n.name === name)!;
    assert.equal(node.status, "succeeded");
    assert.equal(node.worker, "w-a");
    assert.equal(node.attempts, 1);
  }
  const facts = result.nodes.find((n) => n.name === "facts")!;
  assert.deepEqual(facts.logs?.map((l) => [l.message, l.data]), [
    ["hello", { from: worker.pid }],
  ]);
});

Deno.test("[remote] a node's ctx.traceparent on the worker is what the tracing adapter gave for its task", async () => {
  await using redis = await startRedis();
  await using _worker = await startWorker(redis.url, "traced", {
    name: "w-t",
  });
  const executor = new RemoteExecutor({ redis: redis.url, queue: "traced" });
  const tracer: Adapter = {
    name: "Tracer",
    beforeNodeExecution() {},
    traceparent: ({ taskId }) => `tp ${taskId}`,
  };
  await using dr = await build(executor, tracer);
  const result = await dr.run(["traced"] as never[]);
  assert.ok(result.success, String(result.error));
  assert.equal((result.outputs as Out).traced, `tp ${result.runId}/traced`);
  await using plain = await build(
    new RemoteExecutor({ redis: redis.url, queue: "traced" }),
  );
  assert.equal(
    (await plain.execute(["traced"] as never[]) as Out).traced,
    null,
  );
});

Deno.test("[remote] a node that throws remotely is a NodeExecutionError with the remote stack in cause", async () => {
  await using redis = await startRedis();
  await using _worker = await startWorker(redis.url, "throws", {
    name: "w-a",
  });
  await using dr = await build(
    new RemoteExecutor({ redis: redis.url, queue: "throws" }),
  );
  await assert.rejects(
    dr.execute(["fails"] as never[], { inputs: { x: 7 } }),
    (e: unknown) => {
      assert.ok(e instanceof NodeExecutionError, String(e));
      assert.equal(e.nodeName, "fails");
      assert.deepEqual(e.path, ["x", "fails"]);
      const cause = e.cause as Error;
      assert.ok(cause instanceof RangeError);
      assert.equal(cause.message, "x is 7");
      // Thrown in the worker: its stack is the worker's.
      assert.match(cause.stack!, /at fails .*remote\/nodes\.ts/);
      assert.match(cause.stack!, /_task_runner\.ts/);
      return true;
    },
  );
  // A value that cannot come back is a WorkerError saying so.
  await assert.rejects(
    dr.execute(["unsendable"] as never[]),
    (e: unknown) =>
      e instanceof WorkerError && e.nodeName === "unsendable" &&
      /cannot be sent back from worker w-a/.test(e.message),
  );
});

Deno.test("[remote] kill -9 of a worker mid-task: another worker takes its tasks over, nothing is lost, attempts: 2", async () => {
  await using redis = await startRedis();
  const queue = "killed";
  // Worker a holds its tasks until it is killed; worker b finishes them.
  const a = await startWorker(redis.url, queue, {
    name: "w-a",
    holdMs: 60_000,
    lockDurationMs: 1000,
    stalledIntervalMs: 500,
  });
  await using dr = await build(
    new RemoteExecutor({ redis: redis.url, queue }),
  );
  const running = dr.run(
    ["doubled", "held_1", "held_2", "held_3"] as never[],
    { inputs: { x: 21 } },
  );
  for (const name of ["held_1", "held_2", "held_3"]) {
    await a.saw(new RegExp(`holding ${name} `));
  }
  await using b = await startWorker(redis.url, queue, {
    name: "w-b",
    holdMs: 0,
    lockDurationMs: 1000,
    stalledIntervalMs: 500,
  });
  const status = await a.stop("SIGKILL");
  assert.equal(status.signal, "SIGKILL");
  assert.equal(alive(a.pid), false);
  const result = await running;
  assert.ok(result.success, String(result.error));
  assert.deepEqual(result.outputs, {
    doubled: 42,
    held_1: "one",
    held_2: "two",
    held_3: "three",
  });
  const byName = Object.fromEntries(result.nodes.map((n) => [n.name, n]));
  assert.equal(byName.doubled!.worker, "w-a");
  assert.equal(byName.doubled!.attempts, 1);
  for (const name of ["held_1", "held_2", "held_3"]) {
    assert.equal(byName[name]!.status, "succeeded");
    assert.equal(byName[name]!.worker, "w-b", name);
    assert.equal(byName[name]!.attempts, 2, name);
  }
  assert.match(b.stderr(), /holding held_1 /);
  assert.equal(await jobsLeft(redis.url, queue), 0);
});

Deno.test("[remote] cancellation rejects the run at once, aborts running nodes' ctx.signal within a second and removes waiting jobs", async () => {
  await using redis = await startRedis();
  const queue = "cancel";
  await using worker = await startWorker(redis.url, queue, {
    name: "w-a",
    concurrency: 1,
    holdMs: 60_000,
  });
  await using dr = await build(
    new RemoteExecutor({ redis: redis.url, queue }),
  );
  const controller = new AbortController();
  const running = dr.execute(["held_1", "held_2", "held_3"] as never[], {
    signal: controller.signal,
  });
  await worker.saw(/holding held_\d /);
  // One holds the worker; the other two wait in the queue.
  await until(
    "two waiting jobs",
    async () => await jobsLeft(redis.url, queue) === 3,
  );
  const start = performance.now();
  controller.abort(new Error("enough"));
  await assert.rejects(running, CancelledError);
  const rejectedMs = performance.now() - start;
  assert.ok(rejectedMs < 250, `the run rejected after ${rejectedMs} ms`);
  await worker.saw(/aborted held_\d /, 1000);
  const abortedMs = performance.now() - start;
  assert.ok(abortedMs < 1000, `ctx.signal aborted after ${abortedMs} ms`);
  await until(
    "no job left",
    async () => await jobsLeft(redis.url, queue) === 0,
  );
  // The waiting ones never started.
  assert.equal(worker.stderr().match(/holding held_/g)?.length, 1);
});

Deno.test("[remote] hooks and events see the real start, end, duration, worker and error of remote work", async () => {
  await using redis = await startRedis();
  const queue = "hooks";
  const HOLD = 400;
  // One task at a time: the second waits for the first, and its hooks and
  // duration must not count the wait.
  await using _worker = await startWorker(redis.url, queue, {
    name: "w-a",
    concurrency: 1,
    holdMs: HOLD,
  });
  const seen: { hook: string; name: string; at: number; event: unknown }[] = [];
  const adapter: Adapter = {
    beforeNodeExecution(event: BeforeNodeExecutionEvent) {
      seen.push({
        hook: "before",
        name: event.nodeName,
        at: performance.now(),
        event,
      });
    },
    afterNodeExecution(event: AfterNodeExecutionEvent) {
      seen.push({
        hook: "after",
        name: event.nodeName,
        at: performance.now(),
        event,
      });
    },
  };
  await using dr = await build(
    new RemoteExecutor({ redis: redis.url, queue }),
    adapter,
  );
  const sent = performance.now();
  const events: ExecutionEvent[] = [];
  for await (
    const event of dr.stream(["held_1", "held_2", "fails"] as never[], {
      inputs: { x: 1 },
      onFailure: "continue",
    })
  ) events.push(event);
  const befores = seen.filter((s) => s.hook === "before");
  const afters = seen.filter((s) => s.hook === "after");
  assert.equal(befores.length, 3);
  assert.equal(afters.length, 3);
  // The hooks' events name the worker too.
  for (const { event, hook, name } of seen) {
    assert.equal(
      (event as BeforeNodeExecutionEvent).worker,
      "w-a",
      `${hook} ${name}`,
    );
  }
  const held = afters.filter((s) => s.name.startsWith("held_"));
  for (const { event } of held) {
    const { durationMs, success } = event as AfterNodeExecutionEvent;
    assert.equal(success, true);
    // It held HOLD ms on the worker; the wait for the worker is not counted.
    assert.ok(
      durationMs >= HOLD - 50 && durationMs < 2 * HOLD - 50,
      `durationMs ${durationMs}`,
    );
  }
  // The last to start started when the worker took it: after the others.
  const lastStart = Math.max(...befores.map((s) => s.at));
  assert.ok(lastStart - sent >= HOLD - 50, `started ${lastStart - sent} ms in`);
  const failed = afters.find((s) => s.name === "fails")!
    .event as AfterNodeExecutionEvent;
  assert.equal(failed.success, false);
  assert.ok(failed.error instanceof RangeError);
  assert.match((failed.error as Error).stack!, /at fails .*remote\/nodes\.ts/);
  // Events: each node's start and end name the worker; the failure has
  // its error; the end comes its duration after the start.
  for (const name of ["held_1", "held_2", "fails"]) {
    const started = events.find((e) =>
      e.type === "nodeStarted" && e.nodeName === name
    );
    const ended = events.find((e) =>
      (e.type === "nodeSucceeded" || e.type === "nodeFailed") &&
      e.nodeName === name
    );
    assert.ok(started?.type === "nodeStarted" && ended !== undefined, name);
    assert.equal(started.worker, "w-a");
    assert.ok(ended.type === "nodeSucceeded" || ended.type === "nodeFailed");
    assert.equal(ended.worker, "w-a");
    assert.ok(
      Math.abs(ended.timestamp - started.timestamp - ended.durationMs) < 2,
    );
    if (ended.type === "nodeFailed") {
      assert.ok(ended.error instanceof RangeError);
      assert.match((ended.error as Error).stack!, /remote\/nodes\.ts/);
    }
  }
});

Deno.test("[remote] a node that blocks its worker's thread still shows its real duration, run after run", async () => {
  await using redis = await startRedis();
  await using _worker = await startWorker(redis.url, "spins", { name: "w-a" });
  await using dr = await build(
    new RemoteExecutor({ redis: redis.url, queue: "spins" }),
  );
  // Its start is sent before it runs (and before a tiny node's would be
  // left to share an entry with its end), so a blocked worker hides none.
  for (let run = 0; run < 2; run++) {
    const result = await dr.run(["spins", "doubled"] as never[], {
      inputs: { x: 1 },
    });
    assert.ok(result.success, String(result.error));
    const spins = result.nodes.find((n) => n.name === "spins")!;
    assert.ok(spins.durationMs >= 250, `durationMs ${spins.durationMs}`);
    assert.equal(spins.worker, "w-a");
  }
});

Deno.test("[remote] chunkSize: a map's items go in jobs of up to chunkSize calls, and every item comes back in order", async () => {
  await using redis = await startRedis();
  const queue = "chunks";
  await using _worker = await startWorker(redis.url, queue, { name: "w-a" });
  await using dr = await build(
    new RemoteExecutor({ redis: redis.url, queue, chunkSize: 100 }),
  );
  const x = Array.from({ length: 2000 }, (_, i) => i);
  const items = await dr.map(["doubled"] as never[], {
    inputs: { x },
    mapOver: "x",
  }) as { doubled: number }[];
  assert.deepEqual(items.map((item) => item.doubled), x.map((v) => v * 2));
  // BullMQ logs each job added to the queue's event stream.
  const check = new Redis(redis.url);
  try {
    const events = await check.xrange(`bull:${queue}:events`, "-", "+");
    const added = events.filter(([, fields]) =>
      fields[0] === "event" && fields[1] === "added"
    ).length;
    assert.ok(added >= 20 && added <= 40, `${added} jobs for 2,000 items`);
  } finally {
    await check.quit();
  }
});

Deno.test('[remote] the "parallel" map executor on a remote executor runs whole items on the workers in chunks; a failing item is named', async () => {
  await using redis = await startRedis();
  const queue = "whole";
  await using _worker = await startWorker(redis.url, queue, { name: "w-a" });
  await using dr = await new Builder()
    .withModules(NODES)
    .withExecutor(new RemoteExecutor({ redis: redis.url, queue }))
    .withMapExecutor("parallel")
    .build();
  const x = Array.from({ length: 5000 }, (_, i) => i);
  const items = await dr.map(["positional"] as never[], {
    inputs: { x },
    mapOver: "x",
  }) as { positional: number }[];
  assert.deepEqual(
    items.map((item) => item.positional),
    x.map((v) => v * 2 + 100),
  );
  const check = new Redis(redis.url);
  try {
    const events = await check.xrange(`bull:${queue}:events`, "-", "+");
    const added = events.filter(([, fields]) =>
      fields[0] === "event" && fields[1] === "added"
    ).length;
    assert.equal(added, 5, "5,000 items in chunks of 1,000");
  } finally {
    await check.quit();
  }
  await assert.rejects(
    dr.map(["fails"] as never[], { inputs: { x: [0, 0, 3, 0] }, mapOver: "x" }),
    (e: unknown) => {
      assert.ok(e instanceof NodeExecutionError, String(e));
      assert.equal(e.nodeName, "fails");
      assert.equal(e.item, 2);
      assert.ok(e.cause instanceof RangeError);
      assert.match((e.cause as Error).stack!, /remote\/nodes\.ts/);
      return true;
    },
  );
});

Deno.test("[remote] large arguments and values go by reference: stored apart under their own keys, read back, deleted or left to expire", async () => {
  await using redis = await startRedis();
  await using _worker = await startWorker(redis.url, "large", {
    name: "w-a",
  });
  const executor = new RemoteExecutor({ redis: redis.url, queue: "large" });
  await using dr = await build(executor);
  const data = Float64Array.from({ length: 1 << 17 }, (_, i) => i); // 1 MiB
  const out = await dr.execute(["reversed"] as never[], { inputs: { data } });
  const value = (out as { reversed: Float64Array }).reversed;
  assert.ok(value instanceof Float64Array);
  assert.equal(value.length, data.length);
  assert.equal(value[0], data.length - 1);
  assert.equal(value[data.length - 1], 0);
  const check = new Redis(redis.url);
  try {
    // The call is kept under its content hash for an hour; the value,
    // read back, is gone.
    const blobs = await check.keys("braid:large:blob:*");
    assert.equal(blobs.length, 1, String(blobs));
    assert.match(blobs[0]!, /^braid:large:blob:[0-9a-f]{64}$/);
    assert.ok(await check.pttl(blobs[0]!) > 0);
    assert.ok(await check.strlen(blobs[0]!) >= 1 << 20);
    // The same call again is not stored again: still one.
    await dr.execute(["reversed"] as never[], { inputs: { data } });
    assert.equal((await check.keys("braid:large:blob:*")).length, 1);
    // Closing the executor deletes what it stored.
    await executor.close();
    assert.deepEqual(await check.keys("braid:large:*"), []);
  } finally {
    await check.quit();
  }
});

Deno.test("[remote] Redis unreachable at build: a RemoteError naming the URL within the connect timeout; the driver works once Redis is there", async () => {
  const port = freePort();
  const url = `redis://127.0.0.1:${port}`;
  const executor = new RemoteExecutor({
    redis: url,
    queue: "later",
    connectTimeoutMs: 1000,
  });
  await using dr = await build(executor);
  const start = performance.now();
  await assert.rejects(
    dr.execute(["doubled"] as never[], { inputs: { x: 1 } }),
    (e: unknown) => {
      assert.ok(e instanceof RemoteError, String(e));
      assert.equal(e.url, url);
      assert.equal(e.nodeName, "doubled");
      assert.match(e.message, new RegExp(`Redis at ${url}: cannot connect`));
      return true;
    },
  );
  assert.ok(performance.now() - start < 3000);
  await assert.rejects(executor.warm(), RemoteError);
  // Redis comes, with a worker: the same driver works.
  await using _redis = await startRedis(port);
  await using _worker = await startWorker(url, "later", { name: "w-a" });
  assert.deepEqual(
    await dr.execute(["doubled"] as never[], { inputs: { x: 1 } }),
    { doubled: 2 },
  );
});

Deno.test("[remote] Redis lost mid-run: the run fails at once with a RemoteError; the driver works again once Redis is back", async () => {
  const redis = await startRedis();
  const queue = "lost";
  // Its node holds long enough for Redis to go, then ends by itself.
  const worker = await startWorker(redis.url, queue, {
    name: "w-a",
    holdMs: 2000,
  });
  const dr = await build(
    new RemoteExecutor({ redis: redis.url, queue, connectTimeoutMs: 1000 }),
  );
  const running = dr.execute(["held_1"] as never[]);
  await worker.saw(/holding held_1 /);
  const start = performance.now();
  const failed = assert.rejects(running, (e: unknown) => {
    assert.ok(e instanceof RemoteError, String(e));
    assert.equal(e.url, redis.url);
    assert.match(e.message, /the connection was lost/);
    return true;
  });
  await redis.stop();
  await failed;
  assert.ok(performance.now() - start < 2000);
  const again = await startRedis(redis.port);
  try {
    // The worker reconnects by itself; the driver on the next run.
    assert.deepEqual(
      await dr.execute(["doubled"] as never[], {
        inputs: { x: 5 },
        signal: AbortSignal.timeout(20_000),
      }),
      { doubled: 10 },
    );
    // Stopped while Redis is there, the worker finishes and ends cleanly.
    assert.equal((await worker.stop()).code, 0);
  } finally {
    await dr.close();
    await worker.stop("SIGKILL");
    await again.stop();
  }
});

Deno.test("[remote] close() closes every connection, closing twice is harmless, and a stopped worker leaves no process or connection", async () => {
  await using redis = await startRedis();
  const worker = await startWorker(redis.url, "closing", { name: "w-a" });
  const workerClients = (await clients(redis.url)).length;
  assert.ok(workerClients > 0);
  const executor = new RemoteExecutor({ redis: redis.url, queue: "closing" });
  const dr = await build(executor);
  await executor.warm();
  assert.deepEqual(
    await dr.execute(["doubled"] as never[], { inputs: { x: 3 } }),
    { doubled: 6 },
  );
  assert.ok((await clients(redis.url)).length > workerClients);
  await dr.close();
  await dr.close();
  await executor.close();
  assert.equal((await clients(redis.url)).length, workerClients);
  // A worker asked to stop ends cleanly and closes its connections.
  const status = await worker.stop("SIGTERM");
  assert.equal(status.code, 0, worker.stderr());
  assert.equal(alive(worker.pid), false);
  assert.match(worker.stderr(), /w-a: stopping/);
  await until(
    "the worker's connections to close",
    async () => (await clients(redis.url)).length === 0,
  );
  // The reply stream went with the executor.
  const check = new Redis(redis.url);
  try {
    assert.deepEqual(await check.keys("braid:*"), []);
  } finally {
    await check.quit();
  }
});

Deno.test("[remote] a routing target beside local executors, given an ioredis client; map items go remote too", async () => {
  await using redis = await startRedis();
  await using _worker = await startWorker(redis.url, "routed", {
    name: "w-a",
  });
  const client = new Redis(redis.url, { lazyConnect: true });
  try {
    const remote = new RemoteExecutor({ redis: client, queue: "routed" });
    await using dr = await new Builder()
      .withModules(NODES)
      .withExecutors({
        executors: { local: "async", remote },
        route: routeByCost({ threshold: 10, above: "remote", below: "local" }),
      })
      .build();
    const result = await dr.run(["doubled", "positional"] as never[], {
      inputs: { x: 4 },
    });
    assert.ok(result.success, String(result.error));
    assert.deepEqual(result.outputs, { doubled: 8, positional: 108 });
    // Nodes of unknown cost stay local: no worker named.
    assert.ok(result.nodes.every((n) => n.worker === undefined));
    await using remoteFirst = await new Builder()
      .withModules(NODES)
      .withExecutors({
        executors: { remote, local: "async" },
      })
      .build();
    const items = await remoteFirst.map(["doubled"] as never[], {
      inputs: { x: [1, 2, 3] },
      mapOver: "x",
    });
    assert.deepEqual(items, [{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
    // The client given stays the caller's.
    assert.notEqual(client.status, "end");
  } finally {
    client.disconnect();
  }
});

Deno.test("[remote] a worker passes its nodes' stderr through, and --help lists its flags", async () => {
  await using redis = await startRedis();
  await using worker = await startWorker(redis.url, "noisy", { name: "w-a" });
  await using dr = await build(
    new RemoteExecutor({ redis: redis.url, queue: "noisy" }),
  );
  assert.deepEqual(
    await dr.execute(["noisy"] as never[], { inputs: { x: 9 } }),
    { noisy: 9 },
  );
  await worker.saw(/noisy node says 9/);
  const help = await runDeno(["run", WORKER, "--help"]);
  assert.equal(help.code, 0, help.stderr);
  for (
    const flag of [
      "--redis URL",
      "--queue NAME",
      "--concurrency N",
      "--lock-duration MS",
      "--stalled-interval MS",
    ]
  ) assert.ok(help.stdout.includes(flag), flag);
  const wrong = await runDeno(["run", WORKER, "--queue", "q"]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--redis and --queue are required/);
});

Deno.test("[remote] options are checked in std style", () => {
  assert.throws(
    () => new RemoteExecutor({ redis: "http://x", queue: "q" }),
    /'redis' must be a redis:\/\/ or rediss:\/\/ URL, or an ioredis client: received "http:\/\/x"/,
  );
  assert.throws(
    () => new RemoteExecutor({ redis: "redis://x", queue: "a b" }),
    TypeError,
  );
  assert.throws(
    () =>
      new RemoteExecutor({
        redis: "redis://x",
        queue: "q",
        connectTimeoutMs: 0,
      }),
    /'connectTimeoutMs' must be a positive integer: received 0/,
  );
  assert.throws(
    () =>
      new RemoteExecutor({ redis: "redis://x", queue: "q", concurrency: 0 }),
    RangeError,
  );
  assert.equal(
    new RemoteExecutor({ redis: "redis://u:secret@x:1", queue: "q" }).server,
    "redis://u:***@x:1",
  );
});
