/**
 * One side of bench row r1, in a process of its own: a 10,000-node sync
 * chain on the sequential executor, given alone (`plain`) or as one of two
 * routed executors with a route that always picks it (`routed`). Prints the
 * median ns per node as JSON. (Two drivers timed in one process differ by
 * more than routing costs, from the order V8 compiles them in alone.)
 *
 * @module
 */
import { Builder } from "../mod.ts";
import * as G from "./_graphs.ts";
import { measure } from "./_harness.ts";

const N = 10_000;
const mode = Deno.args[0];
if (mode !== "plain" && mode !== "routed") {
  throw new TypeError(`mode must be "plain" or "routed": received ${mode}`);
}
const g = G.chain(N, "sync");
const builder = new Builder().withModules(G.braidModule(g));
const dr =
  await (mode === "plain"
    ? builder.withExecutor("sequential")
    : builder.withExecutors({
      executors: { a: "sequential", b: "async" },
      route: () => "a",
    })).build();
const [ms] = await measure([() => dr.execute([g.sink])], 2000);
console.log(JSON.stringify({ nsPerNode: ms! * 1e6 / N }));
