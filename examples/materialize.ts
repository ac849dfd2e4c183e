/**
 * Data in and out: orders read from CSV by a loader, features computed
 * column by column with `withColumns`, checked with `checkOutput`, written
 * to Parquet and CSV by savers; then the CSV is edited, and the cache
 * recomputes what depends on it, and only that.
 *
 *     deno run --allow-read --allow-write=examples/out examples/materialize.ts [OUT_DIR]
 *
 * @module
 */
import type { Table } from "apache-arrow";
import {
  Builder,
  checkOutput,
  from,
  MemoryCacheStore,
  node,
  to,
  withColumns,
} from "../mod.ts";

const outDir = Deno.args[0] ??
  new URL("./out/materialize", import.meta.url).pathname;
await Deno.mkdir(outDir, { recursive: true });
// A copy of the orders, which this example edits later on.
const ordersPath = `${outDir}/orders.csv`;
await Deno.copyFile(new URL("./data/orders.csv", import.meta.url), ordersPath);

// Plain functions of columns: a column-level subDAG.
const columns = {
  amount_with_tax: (
    { amount, tax_rate }: { amount: Float64Array; tax_rate: number },
  ) => amount.map((a) => Math.round(a * (1 + tax_rate) * 100) / 100),
  is_large: (
    { amount_with_tax }: { amount_with_tax: Float64Array },
  ) => Array.from(amount_with_tax, (a) => a >= 75),
};

const features = {
  // Replaced by the CSV loader below (what it is without one).
  orders: (): Table => {
    throw new Error("orders are read by from.csv");
  },
  enriched: node(
    ({ orders }: { orders: Table }) => orders,
    withColumns(columns, {
      table: "orders",
      columnsToPass: ["amount"],
      pass: "arrays",
    }),
    checkOutput(
      (table: Table) =>
        [...table.getChild("amount")!].every((a) => (a as number) >= 0) ||
        "every amount must be non-negative",
      { importance: "fail" },
    ),
  ),
  revenue_by_region: ({ enriched }: { enriched: Table }) => {
    const totals = new Map<string, number>();
    const regions = enriched.getChild("region")!;
    const amounts = enriched.getChild("amount_with_tax")!;
    for (let i = 0; i < enriched.numRows; i++) {
      const region = regions.get(i) as string;
      totals.set(
        region,
        (totals.get(region) ?? 0) + (amounts.get(i) as number),
      );
    }
    const sorted = [...totals].sort(([a], [b]) => a.localeCompare(b));
    return {
      region: sorted.map(([region]) => region),
      revenue: Float64Array.from(sorted, ([, r]) => Math.round(r * 100) / 100),
    };
  },
};

await using dr = await new Builder()
  .withModules(features)
  .withMaterializers(from.csv({ target: "orders", path: ordersPath }))
  .withCache({ store: new MemoryCacheStore() })
  .build();

const inputs = { tax_rate: 0.2 };
const [metadata, { revenue_by_region }] = await dr.materialize([
  to.parquet({
    id: "save_enriched",
    path: `${outDir}/enriched.parquet`,
    dependencies: ["enriched"],
  }),
  to.csv({
    id: "save_revenue",
    path: `${outDir}/revenue_by_region.csv`,
    dependencies: ["revenue_by_region"],
  }),
], { inputs, additionalVars: ["revenue_by_region"] });

for (const [name, m] of Object.entries(metadata)) {
  console.log(`${name}: ${m.rows} rows, ${m.bytes} bytes, ${m.path}`);
}
console.log("revenue by region:", revenue_by_region.region.join(", "));

// The cache at work: a node that read the CSV by its path alone would be a
// cache hit after the file changed. The loader reads it on every run and
// versions it by content, so only an edit makes its dependents run again.
const outcome = async (label: string) => {
  const run = await dr.run(["revenue_by_region"], { inputs });
  const byName = Object.fromEntries(run.nodes.map((n) => [n.name, n.cache]));
  console.log(
    `${label}: orders ${byName.orders}, enriched ${byName.enriched}, ` +
      `revenue_by_region ${byName.revenue_by_region}; ` +
      `revenue ${[...run.outputs!.revenue_by_region.revenue].join(", ")}`,
  );
};
await outcome("unchanged CSV");
await Deno.writeTextFile(
  ordersPath,
  "1999,zoe,north,2024-04-01,100.00,books\n",
  { append: true },
);
await outcome("edited CSV");
