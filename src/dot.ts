/**
 * Graphviz DOT output of a graph: nodes as boxes, inputs as dashed ellipses,
 * optional restriction to the upstream of some vars, optional highlights.
 *
 * @module
 */
import type { Graph } from "./graph.ts";

/** Options of `toDot`. */
export interface DotOptions {
  /** Draw only these vars and their upstream. @default {every node} */
  readonly vars?: readonly string[];
  /** Fill these nodes. @default {none} */
  readonly highlight?: readonly string[];
  /** The graph's name. @default {"braid"} */
  readonly name?: string;
}

/** Renders `graph` as DOT. */
export function toDot(graph: Graph, options: DotOptions = {}): string {
  const names = options.vars === undefined
    ? [...graph.externals.keys(), ...graph.order]
    : graph.upstreamOf(options.vars);
  const shown = new Set(names);
  const highlight = new Set(options.highlight ?? []);
  const lines = [
    `digraph ${quote(options.name ?? "braid")} {`,
    "  rankdir=LR;",
  ];
  for (const name of names) {
    const attrs = graph.externals.has(name)
      ? ["shape=ellipse", "style=dashed"]
      : ["shape=box"];
    if (highlight.has(name)) {
      attrs.push(
        graph.externals.has(name) ? 'style="dashed,filled"' : "style=filled",
        'fillcolor="#ffd966"',
      );
    }
    lines.push(`  ${quote(name)} [${attrs.join(", ")}];`);
  }
  for (const name of names) {
    const spec = graph.specs.get(name);
    if (spec === undefined) continue;
    for (const input of spec.inputs) {
      if (!shown.has(input.name)) continue;
      const style = input.optional ? " [style=dotted]" : "";
      lines.push(`  ${quote(input.name)} -> ${quote(name)}${style};`);
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

function quote(id: string): string {
  return `"${id.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
