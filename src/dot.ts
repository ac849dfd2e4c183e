/**
 * Graphviz DOT output of a graph: nodes as boxes, inputs as dashed ellipses,
 * nested pipelines as clusters holding their own nodes, fan-out blocks as
 * dashed clusters, optional restriction to the upstream of some vars,
 * optional highlights.
 *
 * @module
 */
import type { Graph } from "./graph.ts";
import { isPrefix } from "./blocks.ts";

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
  const lines = [
    `digraph ${quote(options.name ?? "braid")} {`,
    "  rankdir=LR;",
  ];
  draw(graph, names, "", "  ", new Set(options.highlight ?? []), lines);
  lines.push("}");
  return lines.join("\n") + "\n";
}

// Draws `names` of `graph` with ids under `prefix`: a nested pipeline's node
// becomes a cluster holding its inner graph, drawn the same way.
function draw(
  graph: Graph,
  names: readonly string[],
  prefix: string,
  indent: string,
  highlight: ReadonlySet<string>,
  lines: string[],
): void {
  const shown = new Set(names);
  const node = (name: string, indent: string) => {
    const id = quote(prefix + name);
    const external = graph.externals.has(name);
    const attrs = external ? ["shape=ellipse", "style=dashed"] : ["shape=box"];
    if (highlight.has(name)) {
      attrs.push(
        external ? 'style="dashed,filled"' : "style=filled",
        'fillcolor="#ffd966"',
      );
    }
    const nested = external ? undefined : graph.specs.get(name)!.container;
    if (nested === undefined) {
      lines.push(`${indent}${id} [${attrs.join(", ")}];`);
      return;
    }
    const label = nested.mapOver.length === 0
      ? nested.name
      : `${nested.name} (map over ${nested.mapOver.join(", ")})`;
    const inner = nested.graph;
    lines.push(
      `${indent}subgraph ${quote(`cluster_${prefix}${name}`)} {`,
      `${indent}  label=${quote(label)};`,
      `${indent}  style=rounded;`,
      `${indent}  ${id} [${[...attrs, "peripheries=2"].join(", ")}];`,
    );
    draw(
      inner,
      [...inner.externals.keys(), ...inner.order],
      `${prefix}${name}/`,
      `${indent}  `,
      new Set(),
      lines,
    );
    lines.push(`${indent}}`);
  };
  // Nodes inside fan-out blocks are drawn in a cluster per block (nested
  // blocks nest), labelled with the node whose items they run once per.
  const NONE: readonly string[] = [];
  const pathOf = (name: string) => graph.blocks.get(name) ?? NONE;
  const block = (path: readonly string[], indent: string) => {
    const openers: string[] = [];
    for (const name of names) {
      const p = pathOf(name);
      if (p.length === path.length) {
        if (isPrefix(path, p)) node(name, indent);
      } else if (
        p.length > path.length && isPrefix(path, p) &&
        !openers.includes(p[path.length]!)
      ) {
        openers.push(p[path.length]!);
      }
    }
    for (const opener of openers) {
      lines.push(
        `${indent}subgraph ${quote(`cluster_${prefix}${opener}[]`)} {`,
        `${indent}  label=${quote(`per item of ${opener}`)};`,
        `${indent}  style=dashed;`,
      );
      block([...path, opener], `${indent}  `);
      lines.push(`${indent}}`);
    }
  };
  block(NONE, indent);
  for (const name of names) {
    const spec = graph.specs.get(name);
    if (spec === undefined) continue;
    for (const input of spec.inputs) {
      if (!shown.has(input.name)) continue;
      const style = input.name === spec.collects
        ? ' [label="collect", style=bold]'
        : input.optional
        ? " [style=dotted]"
        : "";
      lines.push(
        `${indent}${quote(prefix + input.name)} -> ${
          quote(prefix + name)
        }${style};`,
      );
    }
  }
}

function quote(id: string): string {
  return `"${id.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
