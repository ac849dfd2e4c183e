/**
 * Bench rows t2 and t2b, in a process of their own (a process has one first
 * run): prints the ms of the first `execute` of a tiny node from a module
 * file on a newly built driver, and the median of later ones. `threaded`:
 * the driver is on a prestarted threaded executor, and its first run starts
 * once `warm()` has resolved. `sequential`: on the sequential executor, what
 * a first run costs any executor while braid's code is not compiled yet.
 *
 * For `threaded`, braid's code in this thread is first compiled by drivers
 * of the same kind (threaded, on an executor of their own, closed before
 * the one measured starts): the row then shows what a fresh executor's
 * first run adds, the start-up of its workers, their imports and the
 * compiling of the code they run, which `prestart` and `warm()` are for.
 * (Sequential runs would leave the code in this thread that hands nodes to
 * workers and takes their answers uncompiled, and the row would show its
 * compiling, which t2b shows for any first run.)
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
if (mode === "threaded") {
  // Several drivers: what each driver does once (its plan) compiles too.
  const other = new ThreadedExecutor({ workers: 2 });
  for (let d = 0; d < 20; d++) {
    const warmUp = await new Builder().withModules(work).withExecutor(other)
      .build();
    for (let i = 0; i < 10; i++) {
      await warmUp.execute(["tiny"] as never[], { inputs: { x: i } });
    }
  }
  await other.close();
}
const executor = mode === "sequential"
  ? "sequential"
  : new ThreadedExecutor({ workers: 2, prestart: true });
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
