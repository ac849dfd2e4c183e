// A long-lived driver's cache must not grow without end: the logs keep a
// bounded number of entries (oldest runs go first), and the memory store a
// bounded number of entries and bytes (least recently used go first).
import assert from "node:assert/strict";
import { Builder, MemoryCacheStore } from "../../mod.ts";

// Five nodes in a chain from input x.
const chain = {
  n1: ({ x }: { x: number }) => x + 1,
  n2: ({ n1 }: { n1: number }) => n1 + 1,
  n3: ({ n2 }: { n2: number }) => n2 + 1,
  n4: ({ n3 }: { n3: number }) => n3 + 1,
  n5: ({ n4 }: { n4: number }) => n4 + 1,
};

Deno.test("cache logs keep at most logEntries entries over all runs, dropping the oldest runs first", async () => {
  const dr = await new Builder().withModules(chain)
    .withCache({ store: new MemoryCacheStore(), logEntries: 12 }).build();
  const runIds: string[] = [];
  for (let x = 0; x < 6; x++) {
    runIds.push((await dr.run(["n5"], { inputs: { x } })).runId);
  }
  const sizes = runIds.map((id) => dr.cache.logs(id).length);
  // 5 entries a run: the last two runs fit in 12, older ones were dropped.
  assert.deepEqual(sizes, [0, 0, 0, 0, 5, 5]);
  await dr.close();
});

Deno.test("cache logs: a map counts by its entries, and one run larger than logEntries keeps its first entries", async () => {
  const dr = await new Builder().withModules(chain)
    .withCache({ store: new MemoryCacheStore(), logEntries: 30 }).build();
  const before = await dr.run(["n5"], { inputs: { x: -1 } });
  const items = Array.from({ length: 20 }, (_, i) => i);
  const events = [];
  for await (
    const event of dr.stream(["n5"], { inputs: { x: items }, mapOver: "x" })
  ) events.push(event);
  const mapRun = events[0]!.runId;
  assert.equal(dr.cache.logs(before.runId).length, 0); // dropped for room
  const logs = dr.cache.logs(mapRun);
  assert.equal(logs.length, 30);
  assert.deepEqual(
    [...new Set(logs.map((e) => e.item))],
    [0, 1, 2, 3, 4, 5],
  );
  // The default holds far more than this.
  const roomy = await new Builder().withModules(chain)
    .withCache({ store: new MemoryCacheStore() }).build();
  const first = await roomy.run(["n5"], { inputs: { x: 0 } });
  for (let x = 1; x < 50; x++) await roomy.execute(["n5"], { inputs: { x } });
  assert.equal(roomy.cache.logs(first.runId).length, 5);
  await dr.close();
  await roomy.close();
});

Deno.test("MemoryCacheStore keeps at most maxEntries keys, least recently used going first", async () => {
  const store = new MemoryCacheStore({ maxEntries: 10 });
  let calls = 0;
  const dr = await new Builder()
    .withModules({ sq: ({ x }: { x: number }) => (calls++, x * x) })
    .withCache({ store }).build();
  await dr.execute(["sq"], { inputs: { x: 0 } });
  for (let x = 1; x < 30; x++) {
    await dr.execute(["sq"], { inputs: { x } });
    await dr.execute(["sq"], { inputs: { x: 0 } }); // kept in use
  }
  assert.equal(calls, 30);
  assert.ok(store.size <= 10, `${store.size} results kept`);
  await dr.execute(["sq"], { inputs: { x: 0 } });
  await dr.execute(["sq"], { inputs: { x: 29 } });
  assert.equal(calls, 30); // the recently used are still there
  await dr.execute(["sq"], { inputs: { x: 1 } });
  assert.equal(calls, 31); // the least recently used went
  await dr.close();
});

Deno.test("MemoryCacheStore keeps at most about maxBytes of values, and does not store a value larger than that", async () => {
  const maxBytes = 64 * 1024;
  const store = new MemoryCacheStore({ maxBytes });
  const dr = await new Builder()
    .withModules({
      row: ({ x }: { x: number }) => new Float64Array(500).fill(x), // 4 KB
      huge: () => new Float64Array(10_000), // 80 KB
    })
    .withCache({ store }).build();
  for (let x = 0; x < 100; x++) await dr.execute(["row"], { inputs: { x } });
  assert.ok(store.bytes <= maxBytes, `${store.bytes} bytes kept`);
  assert.ok(store.size >= 10 && store.size < 16, `${store.size} kept`);
  const run = await dr.run(["huge"]);
  assert.equal(run.success, true);
  const [entry] = dr.cache.logs(run.runId);
  assert.match(entry!.notStored!, /larger than the memory cache's maxBytes/);
  await dr.close();
});

Deno.test("MemoryCacheStore: a value stored by hand without a size counts by its content", () => {
  const store = new MemoryCacheStore({ maxBytes: 10_000 });
  const entry = (i: number) => ({
    key: `k${i}`,
    dataVersion: `v${i}`,
    nodeName: "a",
    codeVersion: "c",
  });
  for (let i = 0; i < 10; i++) store.set(entry(i), "x".repeat(2_000));
  assert.ok(store.bytes <= 10_000, `${store.bytes}`);
  assert.equal(store.size, 4); // 2,000 characters + 200 a key: four fit
  assert.throws(
    () => store.set(entry(99), "x".repeat(20_000)),
    /larger than the memory cache's maxBytes \(10000\)/,
  );
  assert.throws(
    () => new MemoryCacheStore({ maxEntries: 0 }),
    /'maxEntries' must be a positive integer: received 0/,
  );
});

Deno.test("a Deno.serve handler with a bounded MemoryCacheStore stays within its bounds over thousands of distinct requests", async () => {
  const store = new MemoryCacheStore({ maxEntries: 500, maxBytes: 256 * 1024 });
  const dr = await new Builder()
    .withModules({
      greeting: ({ name }: { name: string }) => `hello, ${name}`,
      page: ({ greeting }: { greeting: string }) =>
        `<p>${greeting}</p>`.repeat(20),
    })
    .withCache({ store, logEntries: 1000 }).build();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const name = new URL(request.url).searchParams.get("name") ?? "";
      const { page } = await dr.execute(["page"], { inputs: { name } });
      return new Response(page);
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}/?name=`;
  let maxEntries = 0;
  let maxBytes = 0;
  for (let i = 0; i < 3000; i += 50) {
    const batch = Array.from(
      { length: 50 },
      (_, j) => fetch(base + (i + j)).then((r) => r.text()),
    );
    const pages = await Promise.all(batch);
    assert.ok(pages[0]!.startsWith(`<p>hello, ${i}</p>`));
    maxEntries = Math.max(maxEntries, store.size);
    maxBytes = Math.max(maxBytes, store.bytes);
  }
  await server.shutdown();
  await dr.close();
  assert.ok(maxEntries <= 500, `${maxEntries} results`);
  assert.ok(maxBytes <= 256 * 1024, `${maxBytes} bytes`);
});
