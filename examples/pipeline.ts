/**
 * The HyperNodes front door: a pipeline written for one document, mapped over
 * a corpus, nested in a report pipeline, with item progress and collected
 * per-item errors.
 *
 *     deno run examples/pipeline.ts
 *
 * @module
 */
import { Engine, named, node, Pipeline } from "../mod.ts";

// Think singular: each node handles one document.
const cleaned = node(
  ({ doc }: { doc: string }) => {
    if (doc.trim() === "") throw new RangeError("empty document");
    return doc.trim().toLowerCase();
  },
  named("cleaned"),
);
const words = node(
  ({ cleaned }: { cleaned: string }) => cleaned.split(/\s+/),
  named("words"),
);
const longest = node(
  ({ words }: { words: string[] }) =>
    words.reduce((a, b) => (b.length > a.length ? b : a), ""),
  named("longest"),
);
const perDoc = new Pipeline({ nodes: [cleaned, words, longest] });

console.log(await perDoc.run({ inputs: { doc: "  One small Step " } }));

// Scale to many: the same pipeline over every document, concurrently.
const corpus = ["The quick brown fox", "jumps over", "the lazy dog"];
const engine = new Engine({ nodeExecutor: "async", mapExecutor: "async" });
const items = await perDoc.withEngine(engine).map({
  inputs: { doc: corpus },
  mapOver: "doc",
  outputs: ["longest"],
});
console.log(items.map((item) => item.longest));

// Per-item errors: collect them instead of stopping at the first.
const outcomes = await perDoc.map({
  inputs: { doc: ["fine text", "   "] },
  mapOver: "doc",
  onError: "collect",
});
for (const [i, outcome] of outcomes.entries()) {
  console.log(i, outcome.ok ? outcome.value.longest : String(outcome.error));
}

// Compose: the per-document pipeline is one node of a report pipeline.
const report = new Pipeline({
  nodes: [
    perDoc.asNode({
      name: "per_doc",
      mapOver: "docs",
      inputMapping: { docs: "doc" },
      outputMapping: { longest: "longest_words" },
    }),
    node(
      ({ longest_words }: { longest_words: string[] }) =>
        longest_words.join(", "),
      named("summary"),
    ),
  ],
  engine,
});

// Watch it run: inner nodes appear as "per_doc.<node>", items as progress.
for await (const event of report.stream({ inputs: { docs: corpus } })) {
  if (event.type === "mapItem") {
    console.log(`${event.nodeName}: ${event.done}/${event.total} documents`);
  }
}
console.log((await report.run({ inputs: { docs: corpus } })).summary);
console.log(report.toDot());
