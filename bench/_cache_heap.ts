/**
 * How much memory a long-lived driver's cache holds (heap used after a full
 * GC, in MB), for the figures in the README:
 *
 *     deno run -A --v8-flags=--expose-gc bench/_cache_heap.ts logs 300
 *     deno run -A --v8-flags=--expose-gc bench/_cache_heap.ts serve 100000
 *
 * `logs RUNS`: a 50-node graph mapped over 200 items, RUNS times, on a
 * memory store (every run after the first all hits): the cache logs, 10,000
 * entries a run, are what grows. `serve REQUESTS`: a `Deno.serve` handler
 * with a 2-node graph on `new MemoryCacheStore({ maxEntries: 10_000,
 * maxBytes: 16 MiB })` answers REQUESTS distinct requests over loopback, 50
 * at a time. Prints one JSON line per checkpoint.
 *
 * @module
 */
import {
  Builder,
  inputs,
  MemoryCacheStore,
  node,
  type NodeDef,
} from "../mod.ts";

const [scenario = "logs", count = "300"] = Deno.args;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");

function heapMb(): number {
  gc!();
  return Math.round(Deno.memoryUsage().heapUsed / 1e5) / 10;
}

if (scenario === "logs") {
  const runs = Number(count);
  // A chain of 50 nodes from the mapped input.
  const chain: Record<string, NodeDef> = {};
  for (let i = 0; i < 50; i++) {
    const from = i === 0 ? "item" : `n${i - 1}`;
    chain[`n${i}`] = node(
      (args: Record<string, number>) => args[from]! + 1,
      inputs([from]),
    );
  }
  const dr = await new Builder().withModules(chain)
    .withCache({ store: new MemoryCacheStore() }).build();
  const items = Array.from({ length: 200 }, (_, i) => i);
  console.log(JSON.stringify({ scenario, runs: 0, heapMb: heapMb() }));
  for (let run = 1; run <= runs; run++) {
    await dr.map(["n49"], { inputs: { item: items }, mapOver: "item" });
    if (run % Math.max(1, Math.floor(runs / 4)) === 0) {
      console.log(JSON.stringify({ scenario, runs: run, heapMb: heapMb() }));
    }
  }
  await dr.close();
} else {
  const requests = Number(count);
  const store = new MemoryCacheStore({
    maxEntries: 10_000,
    maxBytes: 16 * 1024 * 1024,
  });
  const dr = await new Builder()
    .withModules({
      greeting: ({ name }: { name: string }) => `hello, ${name}`,
      page: ({ greeting }: { greeting: string }) =>
        `<p>${greeting}</p>`.repeat(20),
    })
    .withCache({ store }).build();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const name = new URL(request.url).searchParams.get("name") ?? "";
      const { page } = await dr.execute(["page"], { inputs: { name } });
      return new Response(page);
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}/?name=`;
  console.log(JSON.stringify({ scenario, requests: 0, heapMb: heapMb() }));
  for (let i = 0; i < requests; i += 50) {
    await Promise.all(
      Array.from(
        { length: 50 },
        (_, j) => fetch(base + (i + j)).then((r) => r.text()),
      ),
    );
    if ((i + 50) % Math.max(50, Math.floor(requests / 4)) === 0) {
      console.log(JSON.stringify({
        scenario,
        requests: i + 50,
        heapMb: heapMb(),
        results: store.size,
      }));
    }
  }
  await server.shutdown();
  await dr.close();
}
