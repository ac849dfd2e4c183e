/**
 * Bench rows t2 and t2b, in a process of their own (a process has one first
 * run): a driver on a prestarted threaded executor (`threaded`), or on the
 * sequential one (`sequential`: what a first run costs any executor, code
 * not yet compiled); prints the ms of its first `execute` of a tiny node
 * from a module file, and the median of later ones. For `threaded`, braid's
 * own code in this thread is first compiled by sequential runs of the same
 * node, so the row shows what the threaded executor's first run adds: the
 * start-up that `prestart` and `warm()` (workers started, the driver's node
 * modules imported) are for.
 *
 * @module
 */
import { Builder, ThreadedExecutor } from "../mod.ts";
import { median } from "./_harness.ts";

const mode = Deno.args[0];
if (mode !== "threaded" && mode !== "sequential") {
  throw new TypeError(
    `mode must be "threaded" or "sequential": received ${mode}`,
  );
}
const work = new URL("./_work.ts", import.meta.url).href;
const executor = mode === "sequential"
  ? "sequential"
  : new ThreadedExecutor({ workers: 2, prestart: true });
if (executor !== "sequential") {
  const warmUp = await new Builder().withModules(work).build();
  for (let i = 0; i < 200; i++) {
    await warmUp.execute(["tiny"] as never[], { inputs: { x: i } });
  }
}
await using dr = await new Builder().withModules(work).withExecutor(executor)
  .build();
if (executor !== "sequential") await executor.warm();
const once = async (x: number) => {
  const t0 = performance.now();
  await dr.execute(["tiny"] as never[], { inputs: { x } });
  return performance.now() - t0;
};
const first = await once(0);
const later: number[] = [];
for (let i = 1; i <= 50; i++) later.push(await once(i));
console.log(JSON.stringify({ first, warm: median(later.slice(10)) }));
