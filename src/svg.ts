/**
 * SVG pictures of graphs: the DOT of `dot.ts` laid out and drawn by
 * Graphviz compiled to WebAssembly (npm:@viz-js/viz), so no system binary
 * is needed. The module (about 1 MB of WebAssembly) is loaded on the first
 * drawing and kept: a program that never draws never loads it.
 *
 * @module
 */
import type { Viz } from "npm:@viz-js/viz@3.31.0";
import type { DotOptions } from "./dot.ts";

/**
 * Options of `toSvg`: those of `toDot`, where `tooltips` defaults to true
 * (hovering a node shows where it was defined).
 */
export type SvgOptions = DotOptions;

const FONT = "Helvetica,Arial,sans-serif";

let loading: Promise<Viz> | undefined;

/** Graphviz, loaded once (again after a failed load). */
function viz(): Promise<Viz> {
  return loading ??= import("npm:@viz-js/viz@3.31.0").then(
    (module) => module.instance(),
    (error) => {
      loading = undefined;
      throw error;
    },
  );
}

/** Lays out and draws `dot` as an SVG document; throws for invalid DOT. */
export async function renderSvg(dot: string): Promise<string> {
  const graphviz = await viz();
  return graphviz.renderString(dot, {
    format: "svg",
    graphAttributes: { fontname: FONT, fontsize: 11 },
    nodeAttributes: { fontname: FONT, fontsize: 11 },
    edgeAttributes: { fontname: FONT, fontsize: 9 },
  });
}
