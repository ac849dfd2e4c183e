/**
 * `deno bench bench/executors_bench.ts`: the chain scenarios of `compare.ts`
 * at 1,000 nodes, with the hand-written loop as each group's baseline.
 *
 * @module
 */
import { Builder } from "../mod.ts";
import * as G from "./_graphs.ts";

const N = 1_000;

async function driver(g: G.Dag, executor: "sequential" | "async") {
  const dr = await new Builder().withModules(G.braidModule(g))
    .withExecutor(executor).build();
  return async () => (await dr.execute([g.sink]))[g.sink];
}

const sync = G.chain(N, "sync");
const syncSequential = await driver(sync, "sequential");
const syncAsync = await driver(sync, "async");
const syncHand = G.handSync(sync);

Deno.bench("hand-written loop", {
  group: `sync chain ${N}`,
  baseline: true,
}, () => {
  syncHand();
});
Deno.bench("braid sequential", { group: `sync chain ${N}` }, async () => {
  await syncSequential();
});
Deno.bench("braid async", { group: `sync chain ${N}` }, async () => {
  await syncAsync();
});

const chain = G.chain(N, "async");
const asyncAsync = await driver(chain, "async");
const asyncSequential = await driver(chain, "sequential");
const asyncHand = G.handAsync(chain);
const pgraph = G.pgraphRunner(chain);
const grfn = G.grfnRunner(chain);

Deno.bench("hand-written await loop", {
  group: `async chain ${N}`,
  baseline: true,
}, async () => {
  await asyncHand();
});
Deno.bench("braid async", { group: `async chain ${N}` }, async () => {
  await asyncAsync();
});
Deno.bench("braid sequential", { group: `async chain ${N}` }, async () => {
  await asyncSequential();
});
Deno.bench("p-graph", { group: `async chain ${N}` }, async () => {
  await pgraph();
});
Deno.bench("grfn", { group: `async chain ${N}` }, async () => {
  await grfn();
});
