/**
 * Watching runs: the demo's graph with a progress bar on stderr (drawn
 * when stderr is a terminal), OpenTelemetry spans of every run, map and
 * node, and a picture of a run written as SVG, each node coloured by what
 * happened to it, with its duration.
 *
 *     deno run --allow-read=examples --allow-write=examples/out --allow-env examples/observe.ts
 *
 * The spans are printed by the OpenTelemetry SDK's console exporter once
 * the runs are done (the SDK reads its `OTEL_*` settings from the
 * environment). With Deno's built-in OpenTelemetry, they go to an OTLP
 * collector instead:
 *
 *     OTEL_DENO=true OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 \
 *       deno run --allow-read=examples --allow-write=examples/out \
 *       --allow-env=OTEL_DENO examples/observe.ts
 *
 * An argument names another file to write the picture to (docs/demo.svg is
 * made that way, with `--allow-write=docs`).
 *
 * @module
 */
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { Builder, OpenTelemetryAdapter, ProgressBar } from "../mod.ts";
import * as features from "./features.ts";

// Deno's own OpenTelemetry, when on, is the global tracer provider that
// the adapter uses by default; otherwise spans go to the console.
const denoOtel =
  Deno.permissions.querySync({ name: "env", variable: "OTEL_DENO" }).state ===
    "granted" && Deno.env.get("OTEL_DENO") === "true";
// (Batched: printed together at the end, after what the example prints.)
const provider = denoOtel ? undefined : new BasicTracerProvider({
  spanProcessors: [
    new BatchSpanProcessor(new ConsoleSpanExporter(), {
      maxQueueSize: 10_000,
      maxExportBatchSize: 1_000,
      scheduledDelayMillis: 60_000,
      exportTimeoutMillis: 30_000,
    }),
  ],
});

const ordersPath = new URL("./data/orders.csv", import.meta.url);
const svgPath = Deno.args[0] ??
  new URL("./out/observe.svg", import.meta.url).pathname;

const dr = await new Builder()
  .withModules(features)
  .withConfig({ currency: "USD" })
  .withExecutor("async")
  .withAdapters(
    new ProgressBar(),
    new OpenTelemetryAdapter(
      provider === undefined ? {} : { tracer: provider.getTracer("observe") },
    ),
  )
  .build();

// One run: a bar of nodes done (and the month block's items) as it goes;
// its span carries its tags.
const run = await dr.run(["region_summary", "monthly_revenue", "headline"], {
  inputs: { orders_path: ordersPath, top_n: 3 },
  tags: { example: "observe" },
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

// The console exporter prints the spans it was handed.
await provider?.shutdown();
