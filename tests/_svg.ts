// Reads a Graphviz SVG back with an XML parser: its nodes (title, CSS
// classes, text lines, tooltip), its edges and its clusters.
import { DOMParser, type Element } from "@xmldom/xmldom";

/** One drawn node. */
export interface SvgNode {
  readonly classes: readonly string[];
  /** Its label's lines, in order. */
  readonly text: readonly string[];
  /** Its tooltip, if it has one. */
  readonly tooltip: string | undefined;
  /** The fill of its shape. */
  readonly fill: string | undefined;
}

/** What a picture holds. */
export interface SvgPicture {
  /** Nodes by title (the DOT id). */
  readonly nodes: ReadonlyMap<string, SvgNode>;
  /** Edges as `"from->to"`. */
  readonly edges: ReadonlySet<string>;
  /** Clusters by title, with the titles of the nodes inside each. */
  readonly clusters: ReadonlyMap<string, readonly string[]>;
  /** The width and height, in points. */
  readonly size: readonly [number, number];
}

/** Parses `svg`; throws on any XML error. */
export function parseSvg(svg: string): SvgPicture {
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new Error(`invalid SVG: ${message}`);
    },
  }).parseFromString(svg, "image/svg+xml");
  const root = doc.documentElement!;
  if (root.tagName !== "svg") throw new Error(`not an SVG: <${root.tagName}>`);
  const nodes = new Map<string, SvgNode>();
  const edges = new Set<string>();
  const clusters = new Map<string, string[]>();
  const groups = Array.from(root.getElementsByTagName("g"));
  for (const g of groups) {
    const classes = (g.getAttribute("class") ?? "").split(/\s+/);
    const title = childText(g, "title");
    if (title === undefined) continue;
    if (classes.includes("node")) {
      const anchor = g.getElementsByTagName("a")[0];
      const shape = firstShape(g);
      nodes.set(title, {
        classes,
        text: Array.from(g.getElementsByTagName("text")).map((t) =>
          t.textContent ?? ""
        ),
        tooltip: anchor?.getAttribute("xlink:title") ?? undefined,
        fill: shape?.getAttribute("fill") ?? undefined,
      });
    } else if (classes.includes("edge")) {
      edges.add(title);
    } else if (classes.includes("cluster")) {
      clusters.set(title, []);
    }
  }
  // A cluster holds the nodes drawn inside its box.
  const boxes = new Map<string, Box>();
  for (const g of groups) {
    const classes = (g.getAttribute("class") ?? "").split(/\s+/);
    const title = childText(g, "title");
    if (title === undefined) continue;
    const shape = firstShape(g);
    if (classes.includes("cluster") && shape !== undefined) {
      boxes.set(title, shapeBox(shape));
    }
  }
  for (const g of groups) {
    const classes = (g.getAttribute("class") ?? "").split(/\s+/);
    const title = childText(g, "title");
    const shape = firstShape(g);
    if (!classes.includes("node") || title === undefined || !shape) continue;
    const center = centerOf(shape);
    for (const [cluster, box] of boxes) {
      if (inside(center, box)) clusters.get(cluster)!.push(title);
    }
  }
  const points = (name: string) =>
    Number.parseFloat(root.getAttribute(name) ?? "NaN");
  return { nodes, edges, clusters, size: [points("width"), points("height")] };
}

type Box = readonly [minX: number, minY: number, maxX: number, maxY: number];

function childText(g: Element, tag: string): string | undefined {
  for (const child of Array.from(g.childNodes)) {
    if ((child as Element).tagName === tag) return child.textContent ?? "";
  }
  return undefined;
}

function firstShape(g: Element): Element | undefined {
  for (const tag of ["polygon", "ellipse", "path"]) {
    const found = g.getElementsByTagName(tag)[0];
    if (found !== undefined) return found;
  }
  return undefined;
}

function boxOf(points: string): Box {
  const xy = points.trim().split(/\s+/).filter((p) => p !== "").map((p) =>
    p.split(",").map(Number)
  );
  const xs = xy.map((p) => p[0]!);
  const ys = xy.map((p) => p[1]!);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

// The bounds of a polygon's points or a path's (its curves' control
// points included: they stay near the path).
function shapeBox(shape: Element): Box {
  return boxOf(
    shape.getAttribute("points") ??
      (shape.getAttribute("d") ?? "").replace(/[A-Za-z]/g, " "),
  );
}

function centerOf(shape: Element): readonly [number, number] {
  if (shape.tagName === "ellipse") {
    return [Number(shape.getAttribute("cx")), Number(shape.getAttribute("cy"))];
  }
  const [x0, y0, x1, y1] = shapeBox(shape);
  return [(x0 + x1) / 2, (y0 + y1) / 2];
}

function inside([x, y]: readonly [number, number], box: Box): boolean {
  return x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3];
}
