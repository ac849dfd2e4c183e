/**
 * Watching runs: the demo's graph with a progress bar on stderr (drawn
 * when stderr is a terminal), and a picture of a run written as SVG, each
 * node coloured by what happened to it, with its duration.
 *
 *     deno run --allow-read=examples --allow-write=examples/out examples/observe.ts
 *
 * An argument names another file to write the picture to (docs/demo.svg is
 * made that way, with `--allow-write=docs`).
 *
 * @module
 */
import { Builder, ProgressBar } from "../mod.ts";
import * as features from "./features.ts";

const ordersPath = new URL("./data/orders.csv", import.meta.url);
const svgPath = Deno.args[0] ??
  new URL("./out/observe.svg", import.meta.url).pathname;

const dr = await new Builder()
  .withModules(features)
  .withConfig({ currency: "USD" })
  .withExecutor("async")
  .withAdapters(new ProgressBar())
  .build();

// One run: a bar of nodes done (and the month block's items) as it goes.
const run = await dr.run(["region_summary", "monthly_revenue", "headline"], {
  inputs: { orders_path: ordersPath, top_n: 3 },
});
console.log(`run: ${run.success ? "succeeded" : "failed"}`);

// A map: a bar of items done, with their rate and what is left.
const tops = await dr.map(["top_categories"], {
  inputs: { orders_path: ordersPath, top_n: [1, 2, 3, 4, 5] },
  mapOver: "top_n",
});
console.log(`map: ${tops.length} items`);

// The picture of the run: tooltips show where each node is defined,
// relative to the repository.
const svg = await dr.toSvg({
  run,
  name: "orders",
  sourceRoot: new URL("../", import.meta.url),
});
if (Deno.args[0] === undefined) {
  await Deno.mkdir(new URL("./out/", import.meta.url), { recursive: true });
}
await Deno.writeTextFile(svgPath, svg);
console.log(
  `picture of the run written to ${Deno.args[0] ?? "examples/out/observe.svg"}`,
);
