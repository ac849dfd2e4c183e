/**
 * Bench row h6, and a script to profile warm-cache runs with
 * (`deno run -A --cpu-prof bench/_warm_cache.ts sqlite "" 300`): the
 * 1,000-node graph of rows h1-h2 (50 layers x 20 async nodes) with a
 * `memory`, `sqlite` or `none` cache; the sqlite store in the directory
 * given (a new one when ""). Prints, as JSON, the us/node of the process's
 * first run and the median of `reps` runs after it.
 *
 * @module
 */
import { Builder, MemoryCacheStore } from "../mod.ts";
import * as G from "./_graphs.ts";
import { median } from "./_harness.ts";

const [store = "memory", given = "", reps = "100"] = Deno.args;
if (store !== "memory" && store !== "sqlite" && store !== "none") {
  throw new TypeError(
    `store must be "memory", "sqlite" or "none": received ${store}`,
  );
}
const g = G.layered(50, 20);
const path = given === ""
  ? await Deno.makeTempDir({ prefix: "braid-bench-cache-" })
  : given;
let builder = new Builder().withModules(G.braidModule(g));
if (store !== "none") {
  builder = builder.withCache(
    store === "sqlite" ? { path } : { store: new MemoryCacheStore() },
  );
}
const dr = await builder.build();
const time = async () => {
  const t0 = performance.now();
  await dr.execute([g.sink]);
  return (performance.now() - t0) * 1e3 / g.names.length;
};
const first = await time();
const warm: number[] = [];
for (let i = 0; i < Number(reps); i++) warm.push(await time());
await dr.close();
if (given === "") await Deno.remove(path, { recursive: true });
console.log(JSON.stringify({ first, warm: median(warm) }));
