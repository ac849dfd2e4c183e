import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runDeno } from "./_deno.ts";

Deno.test("examples/pipeline.ts runs with no permissions and prints its report", async () => {
  const file = fileURLToPath(
    new URL("../examples/pipeline.ts", import.meta.url),
  );
  const { code, stdout: out, stderr } = await runDeno([
    "run",
    "--no-prompt",
    file,
  ]);
  assert.equal(code, 0, stderr);
  assert.match(out, /\[ "quick", "jumps", "lazy" \]/);
  assert.match(out, /1 NodeExecutionError: Node "cleaned" \(item 1\) failed/);
  assert.match(out, /per_doc: 3\/3 documents/);
  assert.match(out, /subgraph "cluster_per_doc"/);
});

Deno.test("examples/workers.ts gives the sequential results on workers", async () => {
  const script = new URL("../examples/workers.ts", import.meta.url);
  const { code, stdout: out, stderr } = await runDeno([
    "run",
    "--allow-read",
    script.href,
    "200000",
  ]);
  assert.equal(code, 0, stderr);
  assert.match(out, /report: 17984 primes below n, 33860 below 2n/);
  assert.match(out, /same results/);
});

Deno.test("examples/materialize.ts loads, enriches, saves, and recomputes only after the CSV is edited", async () => {
  const dir = await Deno.makeTempDir({ prefix: "braid_materialize_" });
  try {
    const script = new URL("../examples/materialize.ts", import.meta.url);
    const { code, stdout: out, stderr } = await runDeno([
      "run",
      "--no-prompt",
      "--allow-read",
      `--allow-write=${dir}`,
      script.href,
      dir,
    ]);
    assert.equal(code, 0, stderr);
    assert.match(out, /^orders: 40 rows, \d+ bytes, .*orders\.csv$/m);
    assert.match(
      out,
      /^save_enriched: 40 rows, \d+ bytes, .*enriched\.parquet$/m,
    );
    assert.match(
      out,
      /^save_revenue: 4 rows, \d+ bytes, .*revenue_by_region\.csv$/m,
    );
    assert.match(
      out,
      /^unchanged CSV: orders recompute, enriched hit, revenue_by_region hit; revenue 1185\.37, 1782\.09, 1235\.25, 683\.66$/m,
    );
    assert.match(
      out,
      /^edited CSV: orders recompute, enriched miss, revenue_by_region miss; revenue 1185\.37, 1902\.09, 1235\.25, 683\.66$/m,
    );
    const saved = await Deno.readTextFile(`${dir}/revenue_by_region.csv`);
    assert.equal(saved.split(/\r?\n/)[0], "region,revenue");
    assert.ok((await Deno.stat(`${dir}/enriched.parquet`)).size > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
