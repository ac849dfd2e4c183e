/**
 * Bench row l1, in a process of its own (run with --v8-flags=--expose-gc):
 * a bounded load test of `examples/serve.ts` on loopback, against a
 * handler that calls the same node functions by hand. Each side serves
 * `REQUESTS` requests for `sum,product,ratio` (no timer: what is measured is
 * the serving, not a wait), `CONCURRENCY` at a time from this process,
 * in alternating rounds. Prints JSON: requests per second, p50/p99 latency
 * in ms, and the heap after GC before and after, per side.
 *
 * @module
 */
import { createHandler, type Handler } from "../examples/serve.ts";
import { product, ratio, sum } from "../examples/serve_nodes.ts";
import { median } from "./_harness.ts";

const REQUESTS = 2_000;
const CONCURRENCY = 32;
const ROUNDS = 3;

// The same answers, without braid: parse, call, answer.
const hand: Handler = (req) => {
  const params = new URL(req.url).searchParams;
  const x = Number(params.get("x"));
  const y = Number(params.get("y"));
  if (!Number.isFinite(x) || !Number.isFinite(y)) {
    return Promise.resolve(
      Response.json({ error: "bad input" }, { status: 400 }),
    );
  }
  return Promise.resolve(Response.json({
    sum: sum({ x, y }),
    product: product({ x, y }),
    ratio: ratio({ x, y }),
  }));
};

interface Side {
  readonly rps: number[];
  readonly p50: number[];
  readonly p99: number[];
  readonly errors: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return Deno.memoryUsage().heapUsed;
};

async function load(
  base: string,
): Promise<{ rps: number; latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < REQUESTS) {
      const i = next++;
      const t0 = performance.now();
      const res = await fetch(
        `${base}/?x=${i + 1}&y=${(i % 7) + 1}&vars=sum,product,ratio`,
      );
      await res.arrayBuffer();
      if (res.status !== 200) errors++;
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return {
    rps: REQUESTS / ((performance.now() - start) / 1000),
    latencies,
    errors,
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

const handlers: Record<string, Handler> = {
  braid: await createHandler(),
  hand,
};
const sides: Record<string, Side> = {};
const heapStart = heap();
for (let round = 0; round < ROUNDS; round++) {
  for (const name of round % 2 === 0 ? ["braid", "hand"] : ["hand", "braid"]) {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      handlers[name]!,
    );
    try {
      const { rps, latencies, errors } = await load(
        `http://127.0.0.1:${server.addr.port}`,
      );
      latencies.sort((a, b) => a - b);
      const side = sides[name] ??= { rps: [], p50: [], p99: [], errors: 0 };
      side.rps.push(rps);
      side.p50.push(percentile(latencies, 0.5));
      side.p99.push(percentile(latencies, 0.99));
      (side as { errors: number }).errors += errors;
    } finally {
      await server.shutdown();
    }
  }
}
const heapEnd = heap();
const summary = Object.fromEntries(
  Object.entries(sides).map(([name, s]) => [name, {
    rps: median(s.rps),
    p50: median(s.p50),
    p99: median(s.p99),
    errors: s.errors,
  }]),
);
console.log(JSON.stringify({ ...summary, heapStart, heapEnd }));
