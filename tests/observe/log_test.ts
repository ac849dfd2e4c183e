import assert from "node:assert/strict";
import {
  Builder,
  LogAdapter,
  type LogRecord,
  MemoryCacheStore,
  named,
  node,
  Pipeline,
  retry,
} from "../../mod.ts";
import { FakeTerminal } from "./_fake_terminal.ts";

const chain = {
  a: ({ x }: { x: number }) => x + 1,
  b: ({ a }: { a: number }) => a * 2,
};

function records(stream: FakeTerminal): LogRecord[] {
  assert.ok(stream.text.endsWith("\n"));
  return stream.text.trimEnd().split("\n").map((line) => JSON.parse(line));
}

Deno.test("LogAdapter writes one JSON line per node start and end, between the run's start and end", async () => {
  const log = new FakeTerminal(false);
  const dr = await new Builder().withModules(chain)
    .withAdapters(new LogAdapter({ stream: log })).build();
  await dr.execute(["b"], { inputs: { x: 1 } });
  const lines = records(log);
  assert.equal(log.writes, lines.length);
  assert.deepEqual(lines.map((l) => [l.event, l.nodeName]), [
    ["run.started", undefined],
    ["node.started", "a"],
    ["node.succeeded", "a"],
    ["node.started", "b"],
    ["node.succeeded", "b"],
    ["run.finished", undefined],
  ]);
  const runId = lines[0]!.runId;
  assert.ok(lines.every((l) => l.runId === runId));
  assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.time))));
  assert.deepEqual(lines[0]!.finalVars, ["b"]);
  assert.deepEqual(lines.map((l) => l.level), [
    "info",
    "debug",
    "info",
    "debug",
    "info",
    "info",
  ]);
  const succeeded = lines[2]!;
  assert.equal(typeof succeeded.durationMs, "number");
  assert.equal(succeeded.taskId, lines[1]!.taskId);
  assert.equal(lines[5]!.success, true);
});

Deno.test("LogAdapter writes a failed node and run at level error, with the error's name and message", async () => {
  const log = new FakeTerminal(false);
  const dr = await new Builder().withModules({
    bad: ({ x }: { x: number }): number => {
      throw new RangeError(`bad ${x}`);
    },
  }).withAdapters(new LogAdapter({ stream: log })).build();
  await assert.rejects(dr.execute(["bad"], { inputs: { x: 7 } }));
  const lines = records(log);
  const failed = lines.find((l) => l.event === "node.failed")!;
  assert.equal(failed.level, "error");
  assert.deepEqual(failed.error, { name: "RangeError", message: "bad 7" });
  const finished = lines.at(-1)!;
  assert.equal(finished.event, "run.finished");
  assert.equal(finished.level, "error");
  assert.equal(finished.success, false);
  assert.match(finished.error!.message, /bad 7/);
  assert.ok(!lines.some((l) => l.event === "hook.error"));
});

Deno.test("LogAdapter writes cache hits as node.cached, and what the cache did with a node that ran", async () => {
  const log = new FakeTerminal(false);
  const dr = await new Builder().withModules(chain)
    .withCache({ store: new MemoryCacheStore() })
    .withAdapters(new LogAdapter({ stream: log, nodeStarts: false })).build();
  await dr.execute(["b"], { inputs: { x: 1 } });
  await dr.execute(["b"], { inputs: { x: 1 } });
  assert.deepEqual(
    records(log).filter((l) => l.nodeName !== undefined)
      .map((l) => [l.event, l.nodeName, l.cache]),
    [
      ["node.succeeded", "a", "miss"],
      ["node.succeeded", "b", "miss"],
      ["node.cached", "a", "hit"],
      ["node.cached", "b", "hit"],
    ],
  );
});

Deno.test("LogAdapter writes ctx.log messages with their data, whatever the data", async () => {
  const log = new FakeTerminal(false);
  const circular: Record<string, unknown> = { name: "loop" };
  circular.self = circular;
  const dr = await new Builder().withModules({
    talk: ({ ctx }: { ctx: { log(m: string, d?: unknown): void } }) => {
      ctx.log("plain");
      ctx.log("with data", { rows: 3, big: 2n ** 70n });
      ctx.log("circular", circular);
      return 1;
    },
  }).withAdapters(new LogAdapter({ stream: log })).build();
  await dr.execute(["talk"]);
  const logs = records(log).filter((l) => l.event === "log");
  assert.deepEqual(logs.map((l) => [l.nodeName, l.message, l.data]), [
    ["talk", "plain", undefined],
    ["talk", "with data", { rows: 3, big: "1180591620717411303424" }],
    ["talk", "circular", "[object Object]"],
  ]);
  assert.ok(!("data" in logs[0]!));
});

Deno.test("LogAdapter writes a hook error once, naming the hook and the node", async () => {
  const log = new FakeTerminal(false);
  const strict = {
    name: "Strict",
    beforeNodeExecution(event: { nodeName: string }) {
      if (event.nodeName === "b") throw new Error("no b today");
    },
  };
  const dr = await new Builder().withModules(chain)
    .withAdapters(new LogAdapter({ stream: log }), strict).build();
  await assert.rejects(dr.execute(["b"], { inputs: { x: 1 } }), /no b today/);
  const errors = records(log).filter((l) => l.event === "hook.error");
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.nodeName, "b");
  assert.equal(errors[0]!.level, "error");
  assert.equal(errors[0]!.error?.hook, "beforeNodeExecution");
  assert.match(
    errors[0]!.error!.message,
    /Hook "beforeNodeExecution" of adapter Strict threw for node "b": no b today/,
  );
  // In a map, the failing item's run and the map both end with it.
  log.text = "";
  await assert.rejects(
    dr.map(["b"], { inputs: { x: [1, 2] }, mapOver: "x" }),
    /no b today/,
  );
  const lines = records(log);
  assert.equal(lines.filter((l) => l.event === "hook.error").length, 1);
  assert.equal(lines.at(-1)!.event, "map.finished");
  assert.equal(lines.at(-1)!.success, false);
});

Deno.test("LogAdapter writes a map's start and end, and each item's node events with their item", async () => {
  const log = new FakeTerminal(false);
  const dr = await new Builder().withModules(chain)
    .withAdapters(new LogAdapter({ stream: log, nodeStarts: false })).build();
  await dr.map(["a"], { inputs: { x: [1, 2] }, mapOver: "x" });
  const lines = records(log);
  assert.deepEqual(lines.map((l) => [l.event, l.item ?? null]), [
    ["map.started", null],
    ["run.started", 0],
    ["node.succeeded", 0],
    ["run.finished", 0],
    ["run.started", 1],
    ["node.succeeded", 1],
    ["run.finished", 1],
    ["map.finished", null],
  ]);
  assert.equal(lines[0]!.items, 2);
  assert.equal(typeof lines.at(-1)!.durationMs, "number");
});

Deno.test("LogAdapter names a nested pipeline's nodes outer.inner", async () => {
  const log = new FakeTerminal(false);
  const inner = new Pipeline({
    nodes: [node(({ doc }: { doc: string }) => doc.length, named("size"))],
  });
  const dr = await new Builder().withModules({
    measure: inner.asNode({ name: "measure" }),
  }).withAdapters(new LogAdapter({ stream: log, nodeStarts: false })).build();
  await dr.execute(["size"], { inputs: { doc: "abc" } });
  assert.deepEqual(
    records(log).filter((l) => l.event === "node.succeeded").map((l) =>
      l.nodeName
    ),
    ["measure.size", "measure", "size"],
  );
});

Deno.test("LogAdapter adds its fields to every line; refuses fields it cannot write", async () => {
  const log = new FakeTerminal(false);
  const dr = await new Builder().withModules(chain).withAdapters(
    new LogAdapter({ stream: log, fields: { service: "api", pid: 42 } }),
  ).build();
  await dr.execute(["a"], { inputs: { x: 1 } });
  assert.ok(
    records(log).every((l) => {
      const line = l as LogRecord & { service?: string; pid?: number };
      return line.service === "api" && line.pid === 42;
    }),
  );
  const loop: Record<string, unknown> = {};
  loop.loop = loop;
  assert.throws(
    () => new LogAdapter({ fields: loop }),
    /'fields' must be JSON-serializable/,
  );
});

Deno.test("LogAdapter: a stream that throws ends the log, never the run", async () => {
  let calls = 0;
  const stream = {
    writeSync: (): number => {
      calls++;
      throw new Deno.errors.BrokenPipe("closed");
    },
  };
  const dr = await new Builder().withModules(chain)
    .withAdapters(new LogAdapter({ stream })).build();
  assert.equal((await dr.execute(["b"], { inputs: { x: 1 } })).b, 4);
  assert.equal(calls, 1);
});

Deno.test("LogAdapter writes each attempt of a retried node, from the second on with its attempt", async () => {
  const log = new FakeTerminal(false);
  let calls = 0;
  const dr = await new Builder().withModules({
    flaky: node(() => {
      if (++calls < 2) throw new Error("flake");
      return calls;
    }, retry({ attempts: 2 })),
  }).withAdapters(new LogAdapter({ stream: log })).build();
  await dr.execute(["flaky"]);
  assert.deepEqual(
    records(log).filter((l) => l.nodeName === "flaky").map((l) => [
      l.event,
      l.attempt ?? null,
    ]),
    [
      ["node.started", null],
      ["node.failed", null],
      ["node.started", 2],
      ["node.succeeded", 2],
    ],
  );
});
