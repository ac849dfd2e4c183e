// How a drawn graph shows a run and where its nodes come from: each node's
// status (a CSS class and a fill colour), the lines of its label, and the
// text shown on hover.
import type { NodeSpec } from "./node.ts";
import type { NodeResult, RunResult } from "./results.ts";

/** What a drawn node shows of a run: a `NodeStatus`, a cache hit, or no record. */
export type DrawnStatus =
  | "succeeded"
  | "failed"
  | "cached"
  | "skipped"
  | "cancelled"
  | "not-run";

/** The fill of each status: green, red, blue, grey, amber, white. */
export const STATUS_FILL: Readonly<Record<DrawnStatus, string>> = {
  succeeded: "#b7e1b5",
  failed: "#f3a7a0",
  cached: "#a9cbee",
  skipped: "#dddddd",
  cancelled: "#f5d28e",
  "not-run": "#ffffff",
};

/** A run's node records by name, looked up once per drawing. */
export function resultsOf(
  run: RunResult<unknown>,
): ReadonlyMap<string, NodeResult> {
  const byName = new Map<string, NodeResult>();
  for (const result of run.nodes) byName.set(result.name, result);
  return byName;
}

/** The status a node is drawn with: a cache hit is `"cached"`. */
export function statusOf(result: NodeResult | undefined): DrawnStatus {
  if (result === undefined) return "not-run";
  if (result.status === "succeeded" && result.cache === "hit") return "cached";
  return result.status;
}

/** The line under a node's name: what happened and how long it took. */
export function outcomeLine(
  status: DrawnStatus,
  result: NodeResult | undefined,
): string | undefined {
  if (result === undefined) {
    return status === "not-run" ? "not run" : undefined;
  }
  if (status === "skipped") {
    return result.skipReason === undefined
      ? "skipped"
      : `skipped (${result.skipReason})`;
  }
  const time = duration(result.durationMs);
  const line = status === "succeeded" ? time : `${status} ${time}`;
  const attempts = result.attempts ?? 1;
  return attempts > 1 ? `${line}, ${attempts} attempts` : line;
}

/** `0.42 ms`, `12.3 ms`, `4.56 s`. */
export function duration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

/**
 * What hovering a node shows: its name, where it was defined (relative to
 * `root`, when under it), its description and, when it failed, why.
 */
export function tooltipOf(
  name: string,
  spec: NodeSpec,
  root: string | undefined,
  result: NodeResult | undefined,
): string[] {
  const lines = [
    spec.originalName !== "" && spec.originalName !== name
      ? `${name} (from ${spec.originalName})`
      : name,
  ];
  const where = spec.module ?? spec.definedAt?.url;
  if (where !== undefined) {
    const shown = root !== undefined && where.startsWith(root)
      ? where.slice(root.length)
      : where;
    lines.push(
      spec.exportName === undefined
        ? `defined in ${shown}`
        : `defined in ${shown} (export ${spec.exportName})`,
    );
  }
  if (spec.doc !== undefined) lines.push(spec.doc);
  if (result?.status === "failed" && result.error !== undefined) {
    lines.push(`error: ${messageOf(result.error)}`);
  }
  return lines;
}

/** `name = value` for a config value, cut short. */
export function configLine(name: string, value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === "string"
      ? JSON.stringify(value)
      : JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return `${name} = ${shown.length > 40 ? `${shown.slice(0, 39)}…` : shown}`;
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split("\n", 1)[0]!;
  return first.length > 200 ? `${first.slice(0, 199)}…` : first;
}
