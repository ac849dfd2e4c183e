/**
 * Timing and reporting for `compare.ts`: every figure is the median of
 * timed calls after warm-up calls (see {@linkcode measure}).
 *
 * @module
 */

/** The columns of the table. */
export const COLUMNS = ["braid", "hand", "pgraph", "grfn"] as const;
/** One runner per column; each returns a value that all must agree on. */
export type Runners = Partial<
  Record<(typeof COLUMNS)[number], () => unknown>
>;
/** One line of the table. */
export interface Row extends Partial<Record<(typeof COLUMNS)[number], number>> {
  id: string;
  label: string;
  unit: string;
}

const rows: Row[] = [];
const targets: { id: string; what: string; ok: boolean; stricter: boolean }[] =
  [];

/** The median of `xs`. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** V8's `gc()`, when the script runs with `--v8-flags=--expose-gc`. */
const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Median ms per call of each runner. Runners take turns in blocks (three
 * passes of warm-up then timed calls each), so each mostly pays for its own
 * garbage while slow drift still hits all alike. About `budgetMs` in all.
 */
export async function measure(
  runners: readonly (() => unknown)[],
  budgetMs: number,
  minReps = 7,
): Promise<number[]> {
  const passes = 3;
  const slot = budgetMs / (passes * runners.length);
  const samples: number[][] = runners.map(() => []);
  for (let pass = 0; pass < passes; pass++) {
    for (let j = 0; j < runners.length; j++) {
      const run = runners[j]!;
      gc?.(); // each block starts from a clean heap, when --expose-gc is on
      const start = performance.now();
      for (let w = 0; w < 2 || performance.now() - start < slot / 4; w++) {
        await run();
      }
      const timed = performance.now();
      for (let k = 0; k < 300; k++) {
        if (k * passes >= minReps && performance.now() - timed > slot) break;
        const t0 = performance.now();
        await run();
        samples[j]!.push(performance.now() - t0);
      }
    }
  }
  return samples.map(median);
}

/** Checks that the runners agree, times them, and records a row scaled by `scale`. */
export async function scenario(
  id: string,
  label: string,
  unit: string,
  scale: number,
  runners: Runners,
  budgetMs = 3000,
  minReps = 7,
): Promise<Row> {
  const names = COLUMNS.filter((p) => runners[p] !== undefined);
  const fns = names.map((p) => runners[p]!);
  const out = await Promise.all(fns.map(async (f) => await f()));
  const want = JSON.stringify(out[0]);
  if (out.some((o) => JSON.stringify(o) !== want)) {
    throw new Error(`${id}: runners disagree: ${JSON.stringify(out)}`);
  }
  const times = await measure(fns, budgetMs, minReps);
  const row: Row = { id, label, unit };
  names.forEach((p, k) => row[p] = times[k]! * scale);
  rows.push(row);
  return row;
}

/** Records a row measured by other means. */
export function record(row: Row): Row {
  rows.push(row);
  return row;
}

/**
 * Records a target: `value <= limit`. A `stricter` one applies a target to
 * a variant the target does not name (parsed positional nodes, definitions
 * counted in a build): printed, but not counted in the verdict.
 */
export function target(
  id: string,
  what: string,
  value: number,
  limit: number,
  stricter = false,
): void {
  const ok = value <= limit;
  targets.push({
    id,
    what: `${what} = ${value.toFixed(2)} (<= ${limit})`,
    ok,
    stricter,
  });
}

/** The braid/hand-written and braid/faster-peer targets of an async scenario. */
export function peerTargets(id: string, r: Row, stricter = false): void {
  target(id, "braid/hand-written", r.braid! / r.hand!, 1.5, stricter);
  const peer = Math.min(r.pgraph!, r.grfn!);
  target(id, "braid/faster peer", r.braid! / peer, 0.4, stricter);
}

const fmt = (v: number | undefined) =>
  v === undefined ? "-" : v >= 100 ? v.toFixed(0) : v.toFixed(1);
const ratio = (x: number, y: number | undefined) =>
  y === undefined ? "-" : `${(x / y).toFixed(2)}x`;

/** Prints the table (rows in `order`) and one PASS/FAIL line per target. */
export function report(order: readonly string[], notes: string[]): void {
  const rank = (id: string) => order.indexOf(id);
  rows.sort((x, y) => rank(x.id) - rank(y.id));
  targets.sort((x, y) => rank(x.id) - rank(y.id));
  const header = [
    "id",
    "scenario",
    "unit",
    "braid",
    "hand",
    "p-graph",
    "grfn",
    "braid/hand",
    "braid/peer",
  ];
  const table = [header];
  for (const r of rows) {
    const peers = [r.pgraph, r.grfn].filter((v) => v !== undefined);
    const peer = peers.length > 0 ? Math.min(...peers) : undefined;
    table.push([
      r.id,
      r.label,
      r.unit,
      ...COLUMNS.map((c) => fmt(r[c])),
      ratio(r.braid!, r.hand),
      ratio(r.braid!, peer),
    ]);
  }
  const widths = header.map((_, c) =>
    Math.max(...table.map((l) => l[c]!.length))
  );
  for (const line of table) {
    const cells = line.map((cell, c) =>
      c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)
    );
    console.log(cells.join("  ").trimEnd());
  }
  console.log(`\n${notes.join("\n")}\n`);
  for (const t of targets) {
    const verdict = t.ok ? "PASS" : "FAIL";
    console.log(
      `${t.stricter ? `${verdict}*` : `${verdict} `} ${
        t.id.padEnd(4)
      }${t.what}`,
    );
  }
  const counted = targets.filter((t) => !t.stricter);
  const failed = counted.filter((t) => !t.ok).length;
  const stricter = targets.length - counted.length;
  console.log(
    `\n${failed === 0 ? "PASS" : "FAIL"}: ${
      counted.length - failed
    }/${counted.length} targets met${
      stricter === 0
        ? ""
        : ` (* ${stricter} stricter readings, not counted: ${
          targets.filter((t) => t.stricter && t.ok).length
        } met)`
    }`,
  );
}
