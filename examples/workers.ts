/**
 * CPU-bound nodes on Deno Workers: the threaded executor runs independent
 * nodes at the same time, the parallel map executor spreads map items over
 * the workers. Both give the sequential results.
 *
 *     deno run --allow-read examples/workers.ts
 *
 * (workers read the module of the nodes they run)
 *
 * @module
 */
import { Builder } from "../mod.ts";

const nodes = import.meta.resolve("./workers_nodes.ts");
const n = Number(Deno.args[0] ?? 20_000_000);
const ns = Array.from({ length: 8 }, (_, i) => Math.round(n / 4) - i);

const time = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const value = await run();
  return [value, performance.now() - t0];
};

await using threaded = await new Builder().withModules(nodes)
  .withExecutor("threaded")
  .withMapExecutor("parallel")
  .build();
const sequential = await new Builder().withModules(nodes).build();
// The first tasks start the workers and load the module in each.
await threaded.map(["primes"], { inputs: { n: [10, 10] }, mapOver: "n" });

const [one, oneMs] = await time(() =>
  sequential.execute(["report"], { inputs: { n } })
);
const [two, twoMs] = await time(() =>
  threaded.execute(["report"], { inputs: { n } })
);
console.log(`report: ${two.report}`);
console.log(
  `  sequential ${oneMs.toFixed(0)} ms, threaded ${twoMs.toFixed(0)} ms`,
);

const request = { inputs: { n: ns }, mapOver: "n" };
const [items, itemsMs] = await time(() => sequential.map(["primes"], request));
const [parallel, parallelMs] = await time(() =>
  threaded.map(["primes"], request)
);
console.log(`map over ${ns.length} items: ${parallel.map((o) => o.primes)}`);
console.log(
  `  sequential ${itemsMs.toFixed(0)} ms, parallel ${parallelMs.toFixed(0)} ms`,
);

const same = one.report === two.report &&
  JSON.stringify(items) === JSON.stringify(parallel);
console.log(same ? "same results" : "DIFFERENT RESULTS");
if (!same) Deno.exitCode = 1;
