// A stored run drawn from the store alone: its plan's nodes and edges as
// DOT, each node coloured and classed by its stored status (the classes and
// fills `toSvg({ run })` uses), the values it was given as notes.
import { STATUS_FILL } from "../_dot_run.ts";
import type { StoredNode, StoredRun } from "./types.ts";

// The statuses `toSvg({ run })` draws, and those of a run in progress.
const FILL: Readonly<Record<string, string>> = {
  ...STATUS_FILL,
  running: "#fff3b0",
  pending: "#ffffff",
};

function drawnStatus(node: StoredNode | undefined): string {
  if (node === undefined) return "not-run";
  if (node.status === "reused") return "cached";
  if (node.status === "succeeded" && node.cache === "hit") return "cached";
  return node.status;
}

const quote = (text: string) =>
  `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/** The DOT of stored `run` with its `nodes`' statuses. */
export function storedRunDot(
  run: StoredRun,
  nodes: readonly StoredNode[],
): string {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const lines = [`digraph ${quote(`run ${run.id}`)} {`, "  rankdir=LR;"];
  for (const { name, kind } of run.plan.nodes) {
    if (kind !== "node") {
      lines.push(
        `  ${quote(name)} [shape=note, style=dashed, label=${
          quote(`${name}\n(${kind})`)
        }, class="braid-input"];`,
      );
      continue;
    }
    const node = byName.get(name);
    const status = drawnStatus(node);
    const detail = node?.status === "failed"
      ? `failed: ${node.error?.message.split("\n")[0] ?? ""}`.slice(0, 60)
      : node?.durationMs !== undefined
      ? `${node.durationMs.toFixed(1)} ms`
      : status;
    lines.push(
      `  ${quote(name)} [shape=box, style="rounded,filled", fillcolor="${
        FILL[status]
      }", label=${quote(`${name}\n${detail}`)}, class=${
        quote(`braid-node status-${status}`)
      }, id=${quote(`node-${name}`)}];`,
    );
  }
  const known = new Set(run.plan.nodes.map((n) => n.name));
  for (const [from, to] of run.plan.edges) {
    if (known.has(from)) lines.push(`  ${quote(from)} -> ${quote(to)};`);
  }
  lines.push("}");
  return lines.join("\n");
}
