/**
 * Graphviz DOT output of a graph: nodes as boxes, inputs as dashed ellipses,
 * config values as notes, nested pipelines as clusters holding their own
 * nodes, fan-out blocks as dashed clusters, optional restriction to the
 * upstream of some vars, optional highlights; given a run, each node
 * coloured by what happened to it, with its duration.
 *
 * @module
 */
import type { Graph } from "./graph.ts";
import { isPrefix } from "./blocks.ts";
import type { NodeResult, RunResult } from "./results.ts";
import {
  configLine,
  type DrawnStatus,
  outcomeLine,
  resultsOf,
  STATUS_FILL,
  statusOf,
  tooltipOf,
} from "./_dot_run.ts";

/** Options of `toDot`. */
export interface DotOptions {
  /** Draw only these vars and their upstream. @default {every node} */
  readonly vars?: readonly string[];
  /** Fill these nodes (with a `run`: draw their borders thick). @default {none} */
  readonly highlight?: readonly string[];
  /** The graph's name. @default {"braid"} */
  readonly name?: string;
  /**
   * A run of this graph (what `run()` returned): each node is filled by its
   * status (succeeded, failed, cached, skipped, cancelled, not run), with
   * its duration under its name, and carries the CSS class
   * `status-<status>` (`status-not-run` for a node the run did not plan).
   * @default {no run}
   */
  readonly run?: RunResult<unknown>;
  /**
   * Give each node a tooltip (its name, where it was defined, its
   * description, and with a `run` why it failed) and a CSS class
   * (`braid-node`, `braid-input` or `braid-config`).
   * @default {false (true in `toSvg`)}
   */
  readonly tooltips?: boolean;
  /**
   * Where a tooltip's source location starts from: module URLs under it
   * are shown relative to it.
   * @default {full URLs}
   */
  readonly sourceRoot?: string | URL;
}

/** A node tagged `displayName` is labelled with the tag's value. */
export const DISPLAY_NAME_TAG = "displayName";

/**
 * Renders `graph` as DOT; inputs that `config` provides are drawn as notes
 * showing their values.
 */
export function toDot(
  graph: Graph,
  options: DotOptions = {},
  config: Readonly<Record<string, unknown>> = {},
): string {
  const names = options.vars === undefined
    ? [...graph.externals.keys(), ...graph.order]
    : graph.upstreamOf(options.vars);
  const lines = [
    `digraph ${quote(options.name ?? "braid")} {`,
    "  rankdir=LR;",
  ];
  const run = options.run;
  const root = options.sourceRoot;
  const style: Style = {
    highlight: new Set(options.highlight ?? []),
    config,
    results: run === undefined ? undefined : resultsOf(run),
    tooltips: options.tooltips === true,
    classes: options.tooltips === true || run !== undefined,
    root: root === undefined ? undefined : String(root),
  };
  draw(graph, names, "", "", "  ", style, undefined, lines);
  lines.push("}");
  return lines.join("\n") + "\n";
}

// What every node of one drawing is drawn with.
interface Style {
  readonly highlight: ReadonlySet<string>;
  readonly config: Readonly<Record<string, unknown>>;
  /** The run's node records, when a run is drawn. */
  readonly results: ReadonlyMap<string, NodeResult> | undefined;
  readonly tooltips: boolean;
  readonly classes: boolean;
  readonly root: string | undefined;
}

// Draws `names` of `graph` with ids under `prefix` (a nested pipeline's
// nodes are `outer/inner`) and run records under `runPrefix` (where the
// run names them `outer.inner`): a nested pipeline's node becomes a
// cluster holding its inner graph, drawn the same way. `inherited` is the
// status of the nested pipeline's node, for inner nodes the run has no
// record of: a nested pipeline that did not run ran none of its nodes.
function draw(
  graph: Graph,
  names: readonly string[],
  prefix: string,
  runPrefix: string,
  indent: string,
  style: Style,
  inherited: DrawnStatus | undefined,
  lines: string[],
): void {
  const shown = new Set(names);
  const top = prefix === "";
  const node = (name: string, indent: string) => {
    const id = quote(prefix + name);
    const spec = graph.specs.get(name);
    if (spec === undefined) {
      lines.push(`${indent}${id} [${externalAttrs(name, top, style)}];`);
      return;
    }
    const result = style.results?.get(runPrefix + name);
    const status = style.results === undefined
      ? undefined
      : result !== undefined || inherited === undefined
      ? statusOf(result)
      : inherited === "not-run" || inherited === "skipped"
      ? inherited
      : undefined;
    const attrs: string[] = [SHAPES[spec.materializer ?? "node"]];
    const label = [
      typeof spec.tags[DISPLAY_NAME_TAG] === "string"
        ? spec.tags[DISPLAY_NAME_TAG]
        : name,
    ];
    if (status !== undefined) {
      const outcome = outcomeLine(status, result);
      if (outcome !== undefined) label.push(outcome);
    }
    if (label.length > 1 || label[0] !== name) {
      attrs.push(`label=${quoteLines(label)}`);
    }
    const highlighted = top && style.highlight.has(name);
    if (status !== undefined) {
      attrs.push(
        status === "not-run" ? 'style="filled,dashed"' : "style=filled",
        `fillcolor="${STATUS_FILL[status]}"`,
      );
      if (highlighted) attrs.push("penwidth=3");
    } else if (highlighted) {
      attrs.push("style=filled", 'fillcolor="#ffd966"');
    }
    if (style.classes) {
      const kind = spec.materializer === undefined
        ? "braid-node"
        : `braid-node braid-${spec.materializer}`;
      attrs.push(
        `class=${
          quote(status === undefined ? kind : `${kind} status-${status}`)
        }`,
      );
    }
    if (style.tooltips) {
      attrs.push(
        `tooltip=${quoteLines(tooltipOf(name, spec, style.root, result))}`,
      );
    }
    const nested = spec.container;
    if (nested === undefined) {
      lines.push(`${indent}${id} [${attrs.join(", ")}];`);
      return;
    }
    const clusterLabel = nested.mapOver.length === 0
      ? nested.name
      : `${nested.name} (map over ${nested.mapOver.join(", ")})`;
    const inner = nested.graph;
    lines.push(
      `${indent}subgraph ${quote(`cluster_${prefix}${name}`)} {`,
      `${indent}  label=${quote(clusterLabel)};`,
      `${indent}  style=rounded;`,
      `${indent}  ${id} [${[...attrs, "peripheries=2"].join(", ")}];`,
    );
    draw(
      inner,
      [...inner.externals.keys(), ...inner.order],
      `${prefix}${name}/`,
      `${runPrefix}${name}.`,
      `${indent}  `,
      style,
      status ?? inherited,
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

// An input: a dashed ellipse, or, when the (outer) config provides it, a
// note with its value.
// Loaders are drawn as data stores (cylinders), savers as folders, so the
// graph's edges with the outside world stand out.
const SHAPES = {
  node: "shape=box",
  loader: "shape=cylinder",
  saver: "shape=folder",
} as const;

function externalAttrs(name: string, top: boolean, style: Style): string {
  const fromConfig = top && Object.hasOwn(style.config, name);
  const attrs = fromConfig
    ? [
      "shape=note",
      `label=${quote(configLine(name, style.config[name]))}`,
    ]
    : ["shape=ellipse", "style=dashed"];
  if (top && style.highlight.has(name)) {
    attrs.push(
      fromConfig ? "style=filled" : 'style="dashed,filled"',
      'fillcolor="#ffd966"',
    );
  }
  if (style.classes) {
    attrs.push(`class=${quote(fromConfig ? "braid-config" : "braid-input")}`);
  }
  if (style.tooltips) {
    attrs.push(
      `tooltip=${quote(fromConfig ? `config: ${name}` : `input: ${name}`)}`,
    );
  }
  return attrs.join(", ");
}

function quote(id: string): string {
  return `"${escape(id)}"`;
}

// A quoted label or tooltip of several lines, each of which may hold line
// breaks of its own (Graphviz's `\n` between them).
function quoteLines(lines: readonly string[]): string {
  return `"${lines.flatMap((l) => l.split("\n")).map(escape).join("\\n")}"`;
}

function escape(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
}
