import assert from "node:assert/strict";
import { decode } from "fast-png";
import {
  Builder,
  collect,
  MemoryCacheStore,
  named,
  node,
  parallelizable,
  Pipeline,
  retry,
} from "../mod.ts";
import * as picture from "./fixtures/picture.ts";
import { parseSvg } from "./_svg.ts";
import { runDeno } from "./_deno.ts";
import { findChromium } from "./_chromium.ts";

const root = new URL("../", import.meta.url);

// One run of the picture fixture with every status: `rows` and `scaled`
// come from the cache (filled by a first run), `broken` fails, so
// `after_broken` is skipped, `report` succeeds, `unused` is not requested.
async function pictureRun() {
  const dr = await new Builder().withModules(picture)
    .withConfig({ factor: 3 })
    .withCache({ store: new MemoryCacheStore() })
    .build();
  await dr.run(["scaled"], { inputs: { path: "abc" } });
  const run = await dr.run(["report", "after_broken"], {
    inputs: { path: "abc" },
    onFailure: "continue",
  });
  return { dr, run };
}

Deno.test("toSvg() draws every node, input and edge of the graph", async () => {
  const dr = await new Builder().withModules(picture).build();
  const svg = parseSvg(await dr.toSvg());
  assert.deepEqual(
    [...svg.nodes.keys()].sort(),
    [
      "after_broken",
      "broken",
      "factor",
      "path",
      "report",
      "rows",
      "scaled",
      "unused",
    ],
  );
  assert.deepEqual([...svg.edges].sort(), [
    "broken->after_broken",
    "factor->scaled",
    "path->rows",
    "rows->broken",
    "rows->scaled",
    "rows->unused",
    "scaled->report",
  ]);
  assert.deepEqual(svg.nodes.get("rows")?.classes, ["node", "braid-node"]);
  assert.deepEqual(svg.nodes.get("path")?.classes, ["node", "braid-input"]);
  assert.ok(svg.size[0] > 0 && svg.size[1] > 0);
});

Deno.test("toSvg({ run }) gives each node its status class, fill and duration", async () => {
  const { dr, run } = await pictureRun();
  const svg = parseSvg(await dr.toSvg({ run }));
  const status = (name: string) =>
    svg.nodes.get(name)?.classes.filter((c) => c.startsWith("status-"));
  assert.deepEqual(status("rows"), ["status-cached"]);
  assert.deepEqual(status("scaled"), ["status-cached"]);
  assert.deepEqual(status("broken"), ["status-failed"]);
  assert.deepEqual(status("after_broken"), ["status-skipped"]);
  assert.deepEqual(status("report"), ["status-succeeded"]);
  assert.deepEqual(status("unused"), ["status-not-run"]);
  assert.deepEqual(status("path"), []);
  // Fills by status: cached blue, failed red, skipped grey, succeeded green.
  assert.equal(svg.nodes.get("rows")?.fill, "#a9cbee");
  assert.equal(svg.nodes.get("broken")?.fill, "#f3a7a0");
  assert.equal(svg.nodes.get("after_broken")?.fill, "#dddddd");
  assert.equal(svg.nodes.get("report")?.fill, "#b7e1b5");
  // Each node's duration, from the run's record, under its name.
  const report = run.nodes.find((n) => n.name === "report")!;
  const ms = report.durationMs;
  assert.deepEqual(svg.nodes.get("report")?.text, [
    "report",
    ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`,
  ]);
  assert.match(svg.nodes.get("broken")!.text[1]!, /^failed \d+\.\d+ ms$/);
  assert.match(svg.nodes.get("rows")!.text[1]!, /^cached \d+\.\d+ ms$/);
  assert.deepEqual(svg.nodes.get("after_broken")?.text, [
    "after_broken",
    "skipped (upstream-failed)",
  ]);
  assert.deepEqual(svg.nodes.get("unused")?.text, ["unused", "not run"]);
  // The failure's message is on hover.
  assert.match(svg.nodes.get("broken")!.tooltip!, /error: bad row 3/);
});

Deno.test("toDot({ run }) draws cancelled nodes and thickens highlighted borders", async () => {
  const controller = new AbortController();
  const dr = await new Builder().withModules({
    slow: async ({ ctx }: { ctx: { signal: AbortSignal } }) => {
      controller.abort();
      await new Promise((_, reject) =>
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))
      );
    },
    later: ({ slow }: { slow: unknown }) => slow,
  }).build();
  const run = await dr.run(["later"], { signal: controller.signal });
  assert.equal(run.success, false);
  const dot = dr.toDot({ run, highlight: ["slow"] });
  assert.match(
    dot,
    /"slow" \[shape=box, label="slow\\ncancelled \d+\.\d+ ms", style=filled, fillcolor="#f5d28e", penwidth=3, class="braid-node status-cancelled"\];/,
  );
  assert.match(dot, /"later" \[.*class="braid-node status-skipped"\]/);
});

Deno.test("toDot({ run }) says how many attempts a retried node took", async () => {
  let calls = 0;
  const dr = await new Builder().withModules({
    flaky: node(() => {
      if (++calls < 3) throw new Error("flake");
      return calls;
    }, retry({ attempts: 3 })),
  }).build();
  const run = await dr.run(["flaky"]);
  assert.equal(run.nodes[0]?.attempts, 3);
  assert.match(dr.toDot({ run }), /label="flaky\\n\d+\.\d+ ms, 3 attempts"/);
});

Deno.test("toSvg() labels a node with its displayName tag and draws config inputs as notes with their values", async () => {
  const dr = await new Builder().withModules(picture)
    .withConfig({ factor: 3 }).build();
  const svg = parseSvg(await dr.toSvg());
  assert.deepEqual(svg.nodes.get("scaled")?.text, ["Scaled rows"]);
  assert.deepEqual(svg.nodes.get("factor")?.text, ["factor = 3"]);
  assert.deepEqual(svg.nodes.get("factor")?.classes, ["node", "braid-config"]);
  assert.ok(svg.edges.has("factor->scaled"));
  // Without config, the same input is a run input.
  const plain = await new Builder().withModules(picture).build();
  assert.match(plain.toDot(), /"factor" \[shape=ellipse, style=dashed\];/);
});

Deno.test("toSvg() shows where each node was defined on hover, relative to sourceRoot", async () => {
  const dr = await new Builder().withModules(picture).build();
  const svg = parseSvg(await dr.toSvg({ sourceRoot: root }));
  assert.equal(
    svg.nodes.get("rows")?.tooltip,
    "rows\ndefined in tests/fixtures/picture.ts\nCounts the rows.",
  );
  assert.equal(
    svg.nodes.get("report")?.tooltip,
    "report (from renamed_node)\ndefined in tests/fixtures/picture.ts",
  );
  const full = parseSvg(await dr.toSvg());
  assert.equal(
    full.nodes.get("rows")?.tooltip?.split("\n")[1],
    `defined in ${new URL("tests/fixtures/picture.ts", root).href}`,
  );
  // toDot() adds tooltips only when asked.
  assert.doesNotMatch(dr.toDot(), /tooltip/);
  assert.match(dr.toDot({ tooltips: true }), /tooltip="rows\\ndefined in/);
});

Deno.test("pipeline.toSvg() draws nested pipelines and fan-out blocks as clusters holding their nodes", async () => {
  const inner = new Pipeline({
    nodes: [
      node(({ doc }: { doc: string }) => doc.trim(), named("clean")),
      node(({ clean }: { clean: string }) => clean.length, named("size")),
    ],
  });
  const outer = new Pipeline({
    nodes: [
      inner.asNode({
        name: "measure",
        mapOver: "docs",
        inputMapping: { docs: "doc" },
      }),
      node(
        ({ size }: { size: number[] }) => size,
        parallelizable(),
        named("sizes"),
      ),
      node(({ sizes }: { sizes: number }) => sizes * 2, named("doubled")),
      node(
        ({ doubled }: { doubled: number[] }) => doubled.length,
        collect("doubled"),
        named("count"),
      ),
    ],
  });
  const svg = parseSvg(await outer.toSvg());
  assert.deepEqual([...svg.clusters.get("cluster_measure") ?? []].sort(), [
    "measure",
    "measure/clean",
    "measure/doc",
    "measure/size",
  ]);
  assert.deepEqual(svg.clusters.get("cluster_sizes[]"), ["doubled"]);
  assert.ok(svg.edges.has("measure/clean->measure/size"));
  assert.ok(svg.edges.has("docs->measure"));
  assert.ok(svg.edges.has("sizes->doubled"));
  assert.ok(svg.edges.has("doubled->count"));
});

Deno.test("toSvg({ run }) of a nested pipeline: inner nodes of one that did not run are not run", async () => {
  const inner = new Pipeline({
    nodes: [node(({ doc }: { doc: string }) => doc.length, named("size"))],
  });
  const outer = new Pipeline({
    nodes: [
      inner.asNode({ name: "measure" }),
      node(({ size }: { size: number }) => size, named("echo")),
      node(({ doc }: { doc: string }) => doc, named("other")),
    ],
  });
  const dr = await new Builder().withModules({
    ...Object.fromEntries(outer.nodes.map((n, i) => [`n${i}`, n])),
  }).build();
  const ran = await dr.run(["other"], { inputs: { doc: "abc" } });
  const svg = parseSvg(await outer.toSvg({ run: ran }));
  const status = (name: string) =>
    svg.nodes.get(name)?.classes.find((c) => c.startsWith("status-"));
  assert.equal(status("other"), "status-succeeded");
  assert.equal(status("measure"), "status-not-run");
  assert.equal(status("measure/size"), "status-not-run");
  assert.equal(status("echo"), "status-not-run");
});

Deno.test("mod.ts loads @viz-js/viz only when a picture is drawn (a dynamic import)", async () => {
  const out = await runDeno(["info", "--json", new URL("mod.ts", root).href]);
  assert.equal(out.code, 0, out.stderr);
  const modules: {
    specifier: string;
    dependencies?: {
      specifier: string;
      code?: { specifier: string };
      isDynamic?: boolean;
    }[];
  }[] = JSON.parse(out.stdout).modules;
  const importers = modules.flatMap((m) =>
    // By its import-map name or its versioned npm: specifier.
    (m.dependencies ?? []).filter((d) =>
      /^(npm:)?@viz-js\/viz(@[^/]*)?$/.test(d.specifier)
    )
      .map((d) => ({ from: m.specifier, dynamic: d.isDynamic === true }))
  );
  assert.deepEqual(importers, [
    { from: new URL("src/svg.ts", root).href, dynamic: true },
  ]);
});

Deno.test("headless Chromium renders toSvg({ run }) to a PNG that shows the status colours", async () => {
  const chromium = await findChromium();
  const { dr, run } = await pictureRun();
  const dir = await Deno.makeTempDir({ prefix: "braid-svg-" });
  try {
    const svgPath = `${dir}/run.svg`;
    const pngPath = `${dir}/run.png`;
    await Deno.writeTextFile(svgPath, await dr.toSvg({ run }));
    const out = await new Deno.Command(chromium, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        `--user-data-dir=${dir}/profile`,
        `--screenshot=${pngPath}`,
        "--window-size=900,400",
        `file://${svgPath}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const bytes = await Deno.readFile(pngPath);
    assert.ok(bytes.length > 2000, `a PNG of ${bytes.length} bytes`);
    const png = decode(bytes);
    assert.equal(png.width, 900);
    assert.equal(png.height, 400);
    // Count the colours: a blank or one-colour page would have one.
    const colours = new Set<number>();
    const seen = new Set<string>();
    const step = png.channels;
    for (let i = 0; i + 2 < png.data.length; i += step) {
      const rgb = (png.data[i]! << 16) | (png.data[i + 1]! << 8) |
        png.data[i + 2]!;
      colours.add(rgb);
    }
    for (const [status, hex] of Object.entries(FILLS)) {
      if (colours.has(Number.parseInt(hex, 16))) seen.add(status);
    }
    assert.ok(colours.size > 20, `${colours.size} colours`);
    assert.deepEqual(
      [...seen].sort(),
      ["cached", "failed", "skipped", "succeeded"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// The fills of the statuses drawn by pictureRun(), as in the SVG.
const FILLS = {
  succeeded: "b7e1b5",
  failed: "f3a7a0",
  cached: "a9cbee",
  skipped: "dddddd",
};
