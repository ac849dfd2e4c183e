/**
 * The data rows of `compare.ts`: `withColumns` against the same typed-array
 * loops and table assembly written by hand (io1), a CSV file read by
 * `from.csv` against papaparse alone on the same file (io2), and the
 * loader's content hash (io3).
 *
 * @module
 */
import { makeVector, type Table, tableFromArrays } from "apache-arrow";
import Papa from "papaparse";
import { Builder, from, node, withColumns } from "../mod.ts";
import { loadHasher } from "../src/cache/hasher.ts";
import { median, record, scenario, target } from "./_harness.ts";

const ROWS = 1_000_000;

// Ten column functions over three columns, some reading others: what a
// feature table's column-level subDAG looks like.
const columnFns = {
  gross: ({ price, qty }: { price: Float64Array; qty: Float64Array }) => {
    const out = new Float64Array(price.length);
    for (let i = 0; i < out.length; i++) out[i] = price[i]! * qty[i]!;
    return out;
  },
  net: (
    { gross, discount }: { gross: Float64Array; discount: Float64Array },
  ) => {
    const out = new Float64Array(gross.length);
    for (let i = 0; i < out.length; i++) {
      out[i] = gross[i]! * (1 - discount[i]!);
    }
    return out;
  },
  taxed: ({ net }: { net: Float64Array }) => net.map((x) => x * 1.2),
  log_net: ({ net }: { net: Float64Array }) => net.map((x) => Math.log1p(x)),
  unit_net: ({ net, qty }: { net: Float64Array; qty: Float64Array }) =>
    net.map((x, i) => x / qty[i]!),
  big: ({ taxed }: { taxed: Float64Array }) =>
    Int32Array.from(taxed, (x) => x > 250 ? 1 : 0),
  discount_pct: ({ discount }: { discount: Float64Array }) =>
    discount.map((d) => d * 100),
  price_sq: ({ price }: { price: Float64Array }) => price.map((p) => p * p),
  margin: ({ net, price }: { net: Float64Array; price: Float64Array }) =>
    net.map((x, i) => x - 0.7 * price[i]!),
  score: ({ margin, big }: { margin: Float64Array; big: Int32Array }) =>
    margin.map((m, i) => m + 10 * big[i]!),
};

function ordersTable(): Table {
  const price = new Float64Array(ROWS);
  const qty = new Float64Array(ROWS);
  const discount = new Float64Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    price[i] = 1 + (i % 97);
    qty[i] = 1 + (i % 7);
    discount[i] = (i % 5) / 20;
  }
  return tableFromArrays({ price, qty, discount });
}

/** io1: withColumns against hand-written loops and table assembly. */
export async function withColumnsRow(): Promise<void> {
  const orders = ordersTable();
  const dr = await new Builder().withModules({
    enriched: node(
      ({ orders }: { orders: Table }) => orders,
      withColumns(columnFns, {
        table: "orders",
        columnsToPass: ["price", "qty", "discount"],
        pass: "arrays",
      }),
    ),
  }).build();
  const summary = (t: Table) =>
    `${t.numCols}:${t.getChild("score")!.get(ROWS - 1)}`;
  const f = columnFns;
  const row = await scenario(
    "io1",
    "withColumns, 10 column fns x 1M rows",
    "ms",
    1,
    {
      braid: async () =>
        summary(
          (await dr.execute(["enriched"], { inputs: { orders } }))
            .enriched,
        ),
      hand: () => {
        const price = orders.getChild("price")!.toArray() as Float64Array;
        const qty = orders.getChild("qty")!.toArray() as Float64Array;
        const discount = orders.getChild("discount")!.toArray() as Float64Array;
        const gross = f.gross({ price, qty });
        const net = f.net({ gross, discount });
        const taxed = f.taxed({ net });
        const log_net = f.log_net({ net });
        const unit_net = f.unit_net({ net, qty });
        const big = f.big({ taxed });
        const discount_pct = f.discount_pct({ discount });
        const price_sq = f.price_sq({ price });
        const margin = f.margin({ net, price });
        const score = f.score({ margin, big });
        const columns = {
          price: orders.getChild("price")!,
          qty: orders.getChild("qty")!,
          discount: orders.getChild("discount")!,
          gross: makeVector(gross),
          net: makeVector(net),
          taxed: makeVector(taxed),
          log_net: makeVector(log_net),
          unit_net: makeVector(unit_net),
          big: makeVector(big),
          discount_pct: makeVector(discount_pct),
          price_sq: makeVector(price_sq),
          margin: makeVector(margin),
          score: makeVector(score),
        };
        return summary(
          new (orders.constructor as new (c: typeof columns) => Table)(columns),
        );
      },
    },
    4000,
  );
  target("io1", "withColumns/hand-written", row.braid! / row.hand!, 1.5);
}

// A CSV of about `mb` MB: an id, a text field, three numbers.
function csvText(mb: number): string {
  const lines = ["id,customer,amount,qty,rate"];
  let size = lines[0]!.length;
  for (let i = 0; size < mb * 1e6; i++) {
    const line = `${i},customer-${i % 5000},${(i % 1000) / 7},${i % 13},${
      (i % 100) / 100
    }`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n") + "\n";
}

/**
 * io2: a 100 MB CSV read by `from.csv` into an Arrow Table (read, content
 * hash, parse, typed columns) against papaparse alone on the same file
 * (read, decode, parse). Few, long calls: timed by hand, alternating.
 */
export async function csvRow(mb = 100): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "braid_bench_csv_" });
  try {
    const path = `${dir}/orders.csv`;
    await Deno.writeTextFile(path, csvText(mb));
    const bytes = (await Deno.stat(path)).size;
    const dr = await new Builder()
      .withModules({ orders: (): Table => tableFromArrays({}) })
      .withMaterializers(from.csv({ target: "orders", path }))
      .build();
    const runners = {
      braid: async () => (await dr.execute(["orders"])).orders.numRows,
      hand: async () =>
        Papa.parse<string[]>(
          new TextDecoder().decode(await Deno.readFile(path)),
          { skipEmptyLines: true },
        ).data.length - 1,
    };
    const times: Record<string, number[]> = { braid: [], hand: [] };
    const counts = new Set<number>();
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let pass = 0; pass < 6; pass++) {
      // Alternating, and in turn first: each pays for its own garbage
      // (collected before it starts, when --expose-gc is on).
      const order = Object.entries(runners);
      if (pass % 2 === 1) order.reverse();
      for (const [name, run] of order) {
        gc?.();
        const t0 = performance.now();
        counts.add(await run());
        if (pass > 0) times[name]!.push(performance.now() - t0); // pass 0 warms up
      }
    }
    if (counts.size !== 1) {
      throw new Error(`io2: runners disagree: ${[...counts]}`);
    }
    const braid = median(times.braid!);
    const hand = median(times.hand!);
    record({
      id: "io2",
      label: `from.csv, ${(bytes / 1e6).toFixed(0)} MB to an Arrow Table`,
      unit: "ms",
      braid,
      hand,
    });
    target(
      "io2",
      `papaparse alone/from.csv throughput, ${
        (bytes / 1e6 / (braid / 1e3)).toFixed(0)
      } MB/s vs ${
        (bytes / 1e6 / (hand / 1e3)).toFixed(0)
      } MB/s (>= 0.8; target: braid/hand <= 1.25)`,
      braid / hand,
      1.25,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** io3: the content hash a loader's metadata carries, in GB/s. */
export async function contentHashRow(): Promise<void> {
  const hasher = await loadHasher();
  const bytes = new Uint8Array(100_000_000).map((_, i) => i * 31);
  const row = await scenario("io3", "loader content hash, 100 MB", "ms", 1, {
    braid: () => hasher.hashBytes(bytes).length,
  });
  const gbPerS = bytes.byteLength / 1e9 / (row.braid! / 1e3);
  target(
    "io3",
    `ms per 100 MB, ${gbPerS.toFixed(1)} GB/s (>= 1 GB/s: <= 100 ms)`,
    row.braid!,
    100,
  );
}
