/**
 * Customer-order features as braid nodes. Each export is a value; its
 * parameters name the values it needs. Run `deno task demo` to see them
 * computed from `examples/data/orders.csv`.
 *
 * Inputs: `orders_path` (a path or file URL of the CSV) and, optionally,
 * `top_n`. Config: `currency` (`"USD"` or `"EUR"`) picks the `fx_rate`
 * variant; `eur_per_usd` (optional) overrides the EUR rate.
 *
 * @module
 */
import { collect, config, node, parallelizable, tag } from "../mod.ts";

/** One row of the CSV. */
export interface Order {
  readonly orderId: number;
  readonly customer: string;
  readonly region: string;
  /** ISO date, `YYYY-MM-DD`. */
  readonly date: string;
  /** In USD, as recorded. */
  readonly amount: number;
  readonly category: string;
}

/** An order with its amount in the report currency. */
export interface PricedOrder extends Order {
  /** `amount` converted with `fx_rate`, rounded to cents. */
  readonly value: number;
  /** `YYYY-MM`. */
  readonly month: string;
}

/** Per-customer features. */
export interface CustomerFeatures {
  readonly customer: string;
  readonly region: string;
  readonly orders: number;
  readonly total: number;
  readonly average: number;
  readonly std: number;
  readonly topCategory: string;
}

/** Per-region aggregate. */
export interface RegionSummary {
  readonly region: string;
  readonly customers: number;
  readonly orders: number;
  readonly revenue: number;
  readonly avgOrder: number;
  /** Share of all revenue, in percent. */
  readonly sharePct: number;
}

const COLUMNS = [
  "order_id",
  "customer",
  "region",
  "date",
  "amount",
  "category",
] as const;

const round2 = (x: number): number => Math.round(x * 100) / 100;

function groupBy<T>(
  items: readonly T[],
  key: (t: T) => string,
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

// ---- raw ----------------------------------------------------------------

/** The CSV text (async: reads the file). */
export const raw_csv = node(
  async ({ orders_path }: { orders_path: string | URL }): Promise<string> =>
    await Deno.readTextFile(orders_path),
  tag({ layer: "raw" }),
);

/** The parsed orders. A split-based parser: the file has no quoted fields. */
export const orders = node(
  ({ raw_csv }: { raw_csv: string }): Order[] => {
    const [header, ...lines] = raw_csv.trim().split(/\r?\n/);
    if (header?.trim() !== COLUMNS.join(",")) {
      throw new Error(
        `unexpected CSV header ${JSON.stringify(header)}; expected ${
          COLUMNS.join(",")
        }`,
      );
    }
    return lines.filter((l) => l.trim() !== "").map((line, i) => {
      const cells = line.split(",").map((c) => c.trim());
      if (cells.length !== COLUMNS.length) {
        throw new Error(
          `line ${
            i + 2
          }: expected ${COLUMNS.length} fields, got ${cells.length}`,
        );
      }
      const [id, customer, region, date, amount, category] = cells as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const value = Number(amount);
      if (!Number.isFinite(value)) {
        throw new Error(
          `line ${i + 2}: amount ${JSON.stringify(amount)} is not a number`,
        );
      }
      return {
        orderId: Number(id),
        customer,
        region,
        date,
        amount: value,
        category,
      };
    });
  },
  tag({ layer: "raw" }),
);

// ---- currency: one `fx_rate` node, chosen by config ---------------------

/** USD per USD. */
export const fx_rate__usd = node(
  (): number => 1,
  config.when({ currency: "USD" }),
  tag({ layer: "fx" }),
);

/**
 * EUR per USD. Async, as a real rate lookup would be; `eur_per_usd` (an input
 * or a config key) overrides the fixed rate.
 */
export const fx_rate__eur = node(
  async ({ eur_per_usd = 0.92 }: { eur_per_usd?: number }): Promise<number> => {
    await Promise.resolve(); // stands in for fetching today's rate
    return eur_per_usd;
  },
  config.when({ currency: "EUR" }),
  tag({ layer: "fx" }),
);

// ---- per order ----------------------------------------------------------

/** Orders with their value in the report currency. */
export const priced_orders = node(
  ({ orders, fx_rate }: { orders: Order[]; fx_rate: number }): PricedOrder[] =>
    orders.map((o) => ({
      ...o,
      value: round2(o.amount * fx_rate),
      month: o.date.slice(0, 7),
    })),
  tag({ layer: "feature", grain: "order" }),
);

// ---- per month: a fan-out block ---------------------------------------

/** One month's orders. */
export interface MonthOrders {
  readonly month: string;
  readonly orders: readonly PricedOrder[];
}

/** The orders of each month: every node downstream runs once per month. */
export const month_orders = node(
  function* ({ priced_orders }: { priced_orders: PricedOrder[] }) {
    const months = groupBy(priced_orders, (o) => o.month);
    for (const month of [...months.keys()].sort()) {
      yield { month, orders: months.get(month)! } satisfies MonthOrders;
    }
  },
  parallelizable(),
  tag({ layer: "feature", grain: "month" }),
);

/** One month's revenue (runs once per month). */
export const month_revenue = (
  { month_orders }: { month_orders: MonthOrders },
): { month: string; orders: number; revenue: number } => ({
  month: month_orders.month,
  orders: month_orders.orders.length,
  revenue: round2(month_orders.orders.reduce((s, o) => s + o.value, 0)),
});

/** Every month's revenue, in month order, gathered from the block. */
export const monthly_revenue = node(
  (
    { month_revenue }: {
      month_revenue: { month: string; orders: number; revenue: number }[];
    },
  ) => month_revenue,
  collect("month_revenue"),
  tag({ layer: "report" }),
);

// ---- per customer -------------------------------------------------------

/** Each customer's order values, in date order. */
export const customer_orders = node(
  (
    { priced_orders }: { priced_orders: PricedOrder[] },
  ): Map<string, PricedOrder[]> => {
    const groups = groupBy(priced_orders, (o) => o.customer);
    for (const list of groups.values()) {
      list.sort((a, b) => a.date.localeCompare(b.date));
    }
    return groups;
  },
  tag({ layer: "feature", grain: "customer" }),
);

/** Total spend per customer. */
export const customer_spend = node(
  ({ customer_orders }: { customer_orders: Map<string, PricedOrder[]> }) =>
    new Map(
      [...customer_orders].map((
        [c, os],
      ) => [c, round2(os.reduce((s, o) => s + o.value, 0))]),
    ),
  tag({ layer: "feature", grain: "customer" }),
);

/** Mean order value per customer. */
export const customer_avg = node(
  ({ customer_orders, customer_spend }: {
    customer_orders: Map<string, PricedOrder[]>;
    customer_spend: Map<string, number>;
  }) =>
    new Map(
      [...customer_orders].map((
        [c, os],
      ) => [c, round2(customer_spend.get(c)! / os.length)]),
    ),
  tag({ layer: "feature", grain: "customer" }),
);

/** Population standard deviation of order value per customer. */
export const customer_std = node(
  ({ customer_orders, customer_avg }: {
    customer_orders: Map<string, PricedOrder[]>;
    customer_avg: Map<string, number>;
  }) =>
    new Map(
      [...customer_orders].map(([c, os]) => {
        const mean = customer_avg.get(c)!;
        const variance = os.reduce((s, o) => s + (o.value - mean) ** 2, 0) /
          os.length;
        return [c, round2(Math.sqrt(variance))];
      }),
    ),
  tag({ layer: "feature", grain: "customer" }),
);

/** Each customer's category with the most spend (ties: alphabetical). */
export const customer_top_category = node(
  ({ customer_orders }: { customer_orders: Map<string, PricedOrder[]> }) =>
    new Map(
      [...customer_orders].map(([c, os]) => {
        const byCat = groupBy(os, (o) => o.category);
        const [best] = [...byCat]
          .map(([cat, xs]) =>
            [cat, xs.reduce((s, o) => s + o.value, 0)] as const
          )
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
        return [c, best![0]];
      }),
    ),
  tag({ layer: "feature", grain: "customer" }),
);

/** One row per customer, biggest spender first. */
export const customer_features = node(
  ({
    customer_orders,
    customer_spend,
    customer_avg,
    customer_std,
    customer_top_category,
  }: {
    customer_orders: Map<string, PricedOrder[]>;
    customer_spend: Map<string, number>;
    customer_avg: Map<string, number>;
    customer_std: Map<string, number>;
    customer_top_category: Map<string, string>;
  }): CustomerFeatures[] =>
    [...customer_orders].map(([customer, os]) => ({
      customer,
      region: os[0]!.region,
      orders: os.length,
      total: customer_spend.get(customer)!,
      average: customer_avg.get(customer)!,
      std: customer_std.get(customer)!,
      topCategory: customer_top_category.get(customer)!,
    })).sort((a, b) =>
      b.total - a.total || a.customer.localeCompare(b.customer)
    ),
  tag({ layer: "report" }),
);

// ---- aggregates ---------------------------------------------------------

/** Revenue per category, highest first, limited to `top_n` (default 3). */
export const top_categories = node(
  ({ priced_orders, top_n = 3 }: {
    priced_orders: PricedOrder[];
    top_n?: number;
  }): { category: string; revenue: number; orders: number }[] =>
    [...groupBy(priced_orders, (o) => o.category)]
      .map(([category, os]) => ({
        category,
        revenue: round2(os.reduce((s, o) => s + o.value, 0)),
        orders: os.length,
      }))
      .sort((a, b) =>
        b.revenue - a.revenue || a.category.localeCompare(b.category)
      )
      .slice(0, top_n),
  tag({ layer: "report" }),
);

/** One row per region, by revenue. Async, as a warehouse write-back might be. */
export const region_summary = node(
  async ({ customer_features }: {
    customer_features: CustomerFeatures[];
  }): Promise<RegionSummary[]> => {
    await Promise.resolve();
    const all = customer_features.reduce((s, c) => s + c.total, 0);
    return [...groupBy(customer_features, (c) => c.region)]
      .map(([region, cs]) => {
        const orders = cs.reduce((s, c) => s + c.orders, 0);
        const revenue = round2(cs.reduce((s, c) => s + c.total, 0));
        return {
          region,
          customers: cs.length,
          orders,
          revenue,
          avgOrder: round2(revenue / orders),
          sharePct: round2((100 * revenue) / all),
        };
      })
      .sort((a, b) => b.revenue - a.revenue);
  },
  // Pictures (toDot, toSvg) label the node with its display name.
  tag({ layer: "report", displayName: "Revenue by region" }),
);

/** A one-line headline, labelled with the report currency (a config key). */
export function headline(
  { region_summary, currency }: {
    region_summary: RegionSummary[];
    currency: string;
  },
): string {
  const total = round2(region_summary.reduce((s, r) => s + r.revenue, 0));
  const best = region_summary[0];
  return `${
    total.toFixed(2)
  } ${currency} over ${region_summary.length} regions; top: ${
    best?.region ?? "none"
  }`;
}
