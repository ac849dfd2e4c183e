/**
 * The demo: computes customer and region features from a CSV with braid.
 *
 *     deno task demo
 *
 * (= `deno run --allow-read=examples --allow-write=examples/out examples/demo.ts`)
 *
 * @module
 */
import { Builder } from "../mod.ts";
import * as features from "./features.ts";

const ordersPath = new URL("./data/orders.csv", import.meta.url);
const outDir = new URL("./out/", import.meta.url);

// One driver per configuration; `currency` picks the fx_rate variant.
const usd = await new Builder()
  .withModules(features)
  .withConfig({ currency: "USD" })
  .withExecutor("async")
  .build();

const { region_summary, customer_features, top_categories, headline } =
  await usd
    .execute(
      ["region_summary", "customer_features", "top_categories", "headline"],
      { inputs: { orders_path: ordersPath, top_n: 3 } },
    );

console.log(`Headline: ${headline}\n`);
console.log("Revenue by region (USD)");
console.table(region_summary);
console.log("Customers (USD)");
console.table(customer_features);
console.log("Top categories (USD)");
console.table(top_categories);

// A fan-out block: month_revenue runs once per month, monthly_revenue
// collects every month's value in order.
const { monthly_revenue } = await usd.execute(["monthly_revenue"], {
  inputs: { orders_path: ordersPath },
});
console.log("Revenue by month (USD), one block item per month");
console.table(monthly_revenue);

// The same graph under another config: the EUR variant of fx_rate runs.
const eur = await new Builder()
  .withModules(features)
  .withConfig({ currency: "EUR", eur_per_usd: 0.92 })
  .withExecutor("async")
  .build();
const inEur = await eur.execute(["headline"], {
  inputs: { orders_path: ordersPath },
});
console.log(`Same data in EUR: ${inEur.headline}\n`);

// run(): never rejects; reports every node's status and duration.
const result = await usd.run(["region_summary", "top_categories"], {
  inputs: { orders_path: ordersPath },
});
console.log(
  `run(): ${result.success ? "succeeded" : "failed"} in ${
    result.durationMs.toFixed(2)
  } ms`,
);
for (const n of result.nodes) {
  console.log(
    `  ${n.name.padEnd(24)} ${n.status.padEnd(10)} ${
      n.durationMs.toFixed(3).padStart(8)
    } ms`,
  );
}

const featureNodes = usd.listAvailableVariables({
  tagFilter: { layer: "feature" },
}).map((v) => v.name);
console.log(`\nNodes tagged layer=feature: ${featureNodes.join(", ")}`);

await Deno.mkdir(outDir, { recursive: true });
const dotFile = new URL("graph.dot", outDir);
await Deno.writeTextFile(
  dotFile,
  usd.toDot({ name: "orders", highlight: ["region_summary"] }),
);
console.log(`Graph written to examples/out/graph.dot`);
