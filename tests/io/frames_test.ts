// Dataframes on Apache Arrow: extractColumns, withColumns (column-level
// subDAGs), parameterizeFrame.
import assert from "node:assert/strict";
import {
  type Table,
  tableFromArrays,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import {
  Builder,
  extractColumns,
  InvalidNodeError,
  node,
  NodeExecutionError,
  parameterizeFrame,
  withColumns,
} from "../../mod.ts";

const orders = () =>
  tableFromArrays({
    price: new Float64Array([2, 3, 4]),
    qty: new Float64Array([5, 1, 2]),
  });

Deno.test("extractColumns makes a node per column, each a Vector, and keeps the table node", async () => {
  const dr = await new Builder().withModules({
    orders: node(orders, extractColumns("price", "qty")),
    revenue: ({ price, qty }: { price: Vector; qty: Vector }) =>
      price.toArray().map((p: number, i: number) => p * qty.get(i)!),
  }).build();
  const out = await dr.execute(["revenue", "orders"]);
  assert.deepEqual([...out.revenue], [10, 3, 8]);
  assert.equal(out.orders.numRows, 3);
});

Deno.test("extractColumns fails naming a column the table lacks", async () => {
  const dr = await new Builder().withModules({
    orders: node(orders, extractColumns("price", "discount")),
  }).build();
  await assert.rejects(
    dr.execute(["discount"]),
    (e: unknown) =>
      e instanceof NodeExecutionError &&
      /No column "discount" in the table of "orders"/.test(
        String((e.cause as Error).message),
      ),
  );
});

const columns = {
  revenue: ({ price, qty }: { price: Float64Array; qty: Float64Array }) =>
    price.map((p, i) => p * qty[i]!),
  taxed: ({ revenue, rate }: { revenue: Float64Array; rate: number }) =>
    revenue.map((r) => r * (1 + rate)),
  // Same name as a passed column: replaces it, reading the original;
  // the other column functions read the new one.
  price: ({ price }: { price: Float64Array }) => price.map((p) => p * 100),
  unused: ({ qty }: { qty: Float64Array }) => [...qty].map(String),
};

Deno.test("withColumns appends the selected columns, replaces a column of the same name in place, and feeds column functions each other's values and graph inputs", async () => {
  const calls: string[] = [];
  const dr = await new Builder().withModules({
    orders,
    enriched: node(
      ({ orders }: { orders: Table }) => (calls.push("enriched"), orders),
      withColumns(columns, {
        table: "orders",
        columnsToPass: ["price", "qty"],
        select: ["price", "revenue", "taxed"],
        pass: "arrays",
      }),
    ),
  }).build();
  const { enriched } = await dr.execute(["enriched"], {
    inputs: { rate: 0.5 },
  });
  assert.deepEqual(enriched.schema.names, ["price", "qty", "revenue", "taxed"]);
  assert.deepEqual([...enriched.getChild("price")!], [200, 300, 400]);
  assert.deepEqual([...enriched.getChild("revenue")!], [1000, 300, 800]);
  assert.deepEqual([...enriched.getChild("taxed")!], [1500, 450, 1200]);
  assert.deepEqual(calls, ["enriched"]);
  // Its column nodes are nodes of the graph, under the node's name.
  const names = dr.listAvailableVariables().map((v) => v.name);
  for (const name of ["enriched.revenue", "enriched.taxed", "enriched.qty"]) {
    assert.ok(names.includes(name), `${name} in ${names}`);
  }
});

Deno.test("withColumns passes Vectors by default and takes arrays and Vectors back", async () => {
  const dr = await new Builder().withModules({
    orders,
    out: node(
      ({ orders }: { orders: Table }) => orders,
      withColumns({
        label: ({ qty }: { qty: Vector }) =>
          [...qty].map((q) => (q as number) > 1 ? "many" : "one"),
        double: ({ qty }: { qty: Vector }) =>
          vectorFromArray([...qty].map((q) => 2 * (q as number))),
      }, { table: "orders", columnsToPass: ["qty"] }),
    ),
  }).build();
  const { out } = await dr.execute(["out"]);
  assert.deepEqual([...out.getChild("label")!], ["many", "one", "many"]);
  assert.deepEqual([...out.getChild("double")!], [10, 2, 4]);
});

Deno.test("withColumns fails naming a column function whose column has the wrong length", async () => {
  const dr = await new Builder().withModules({
    orders,
    out: node(
      ({ orders }: { orders: Table }) => orders,
      withColumns({ short: () => new Float64Array(2) }, {
        table: "orders",
        columnsToPass: [],
      }),
    ),
  }).build();
  await assert.rejects(
    dr.execute(["out"]),
    (e: unknown) =>
      /column "short" has 2 rows, the table 3/.test(
        String(((e as Error).cause as Error)?.message),
      ),
  );
});

Deno.test("withColumns is refused at build time for a table that is no parameter or a selection that is no column function", async () => {
  await assert.rejects(
    new Builder().withModules({
      out: node(
        ({ t }: { t: Table }) => t,
        withColumns(columns, { table: "orders", columnsToPass: ["qty"] }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /"orders" is not a parameter/.test(e.message),
  );
  await assert.rejects(
    new Builder().withModules({
      orders,
      out: node(
        ({ orders }: { orders: Table }) => orders,
        withColumns(columns, {
          table: "orders",
          columnsToPass: ["qty"],
          select: ["nope"],
        }),
      ),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError &&
      /"nope" is not one of its column functions/.test(e.message),
  );
});

Deno.test("parameterizeFrame makes a node per row of an Arrow Table", async () => {
  const plan = tableFromArrays({
    name: ["eu_total", "us_total"],
    column: ["eu", "us"],
    rate: new Float64Array([1.5, 1]),
  });
  const dr = await new Builder().withModules({
    eu: () => 10,
    us: () => 5,
    total: node(
      ({ amount, rate }: { amount: number; rate: number }) => amount * rate,
      parameterizeFrame(plan, {
        output: "name",
        sources: { amount: "column" },
        values: { rate: "rate" },
      }),
    ),
  }).build();
  assert.deepEqual(
    await dr.execute(["eu_total", "us_total"] as never[]),
    { eu_total: 15, us_total: 5 },
  );
  assert.throws(
    () => parameterizeFrame([{ name: "" }], { output: "name" }),
    /row 0 has no node name in column "name"/,
  );
});
