import assert from "node:assert/strict";
import { runDeno } from "../_deno.ts";
import { parseSvg } from "../_svg.ts";

Deno.test("examples/observe.ts runs the demo with a progress bar, prints its spans and writes a picture of the run", async () => {
  const root = new URL("../../", import.meta.url);
  const dir = await Deno.makeTempDir({ prefix: "braid-observe-" });
  try {
    const out = `${dir}/run.svg`;
    const { code, stdout, stderr } = await runDeno([
      "run",
      "--no-prompt",
      `--allow-read=${new URL("examples", root).pathname}`,
      `--allow-write=${dir}`,
      "--allow-env",
      new URL("examples/observe.ts", root).href,
      out,
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^run: succeeded\nmap: 5 items\n/);
    // The console exporter's spans come after what the example prints.
    assert.match(stdout, /name: "braid\.run"/);
    assert.match(stdout, /name: "braid\.map"/);
    assert.match(stdout, /"braid\.run\.tag\.example": "observe"/);
    // Not a terminal, and too short a run for a quiet line.
    assert.equal(stderr, "");
    const svg = parseSvg(await Deno.readTextFile(out));
    const status = (name: string) =>
      svg.nodes.get(name)?.classes.find((c) => c.startsWith("status-"));
    assert.equal(status("region_summary"), "status-succeeded");
    assert.equal(status("top_categories"), "status-not-run");
    assert.equal(svg.nodes.get("region_summary")?.text[0], "Revenue by region");
    assert.equal(
      svg.nodes.get("orders")?.tooltip?.split("\n")[1],
      "defined in examples/features.ts",
    );
    assert.deepEqual(svg.clusters.get("cluster_month_orders[]"), [
      "month_revenue",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
