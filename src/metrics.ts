/**
 * Per-node metrics of a compiled plan: generation, bottom-level cost, slack,
 * whether the node is on the critical path, and betweenness centrality. They
 * are what `exportExecution()` shows for each node and what a routing function
 * sees as `task.metrics`.
 *
 * Levels and slack take one pass each way over the plan's flat arrays
 * (`O(V + E)`). Betweenness centrality is `O(V·E)`, so it is computed once
 * per plan object and kept.
 *
 * @module
 */
import type { Plan, PlanNode } from "./plan.ts";

/** The metrics of one plan node. */
export interface NodeMetrics {
  /** Its topological generation: 0 for nodes that need no other node of the plan. */
  readonly generation: number;
  /** Whether it lies on a longest cost-weighted path of the plan (`slack === 0`). */
  readonly onCriticalPath: boolean;
  /**
   * The cost of the longest cost-weighted path from it to a requested output,
   * its own cost included.
   */
  readonly bottomLevel: number;
  /**
   * How much its cost could grow before it lengthens the plan: the critical
   * path's cost minus the cost of the longest path through it.
   */
  readonly slack: number;
  /**
   * Its directed betweenness centrality over the plan's dependency edges
   * (unweighted shortest paths), normalised by `(n - 1)(n - 2)`: the share of
   * shortest paths between two other nodes that pass through it.
   */
  readonly betweenness: number;
}

/**
 * A node's cost for the metrics, in any unit used consistently (a `cost`
 * tag, or milliseconds measured); `undefined` when unknown, which counts as 1.
 */
export type CostFunction = (node: PlanNode) => number | undefined;

/**
 * The node's numeric `cost` tag, else `undefined`: the default cost function.
 *
 * @example Reading a cost tag
 * ```ts
 * import assert from "node:assert/strict";
 * import { Builder, node, tag } from "@braid/braid";
 *
 * const dr = await new Builder().withModules({
 *   heavy: node(() => 1, tag({ cost: 40 })),
 * }).build();
 * assert.equal(dr.exportExecution(["heavy"]).nodes[0]?.metrics.bottomLevel, 40);
 * ```
 */
export function tagCost(node: PlanNode): number | undefined {
  const cost = node.tags["cost"];
  return typeof cost === "number" ? cost : undefined;
}

// The relative tolerance below which a slack is 0: costs are floats, and
// the sums along a path forwards and backwards may differ in the last bit.
const EPSILON = 1e-9;

/**
 * The metrics of every node of `plan`, by plan node index. A node costs
 * `costOf(node)`, or 1 when that is `undefined` (or not a finite number
 * `>= 0`). Fan-out plan nodes are costed by what they do: a block node, when
 * `costOf` does not know it, costs the critical path of one item's plan; a
 * node handing out a member's values runs no user code and costs 0.
 *
 * Levels and slack are computed on each call, in `O(V + E)`. Betweenness
 * does not depend on costs and takes `O(V·E)`: it is computed for the whole
 * plan when a node's `betweenness` is first read, and kept for that plan.
 *
 * @example A diamond where the left branch is the slow one
 * ```ts
 * import assert from "node:assert/strict";
 * import { Builder, node, tag } from "@braid/braid";
 *
 * const dr = await new Builder().withModules({
 *   a: () => 1,
 *   b: node(({ a }: { a: number }) => a, tag({ cost: 5 })),
 *   c: node(({ a }: { a: number }) => a, tag({ cost: 2 })),
 *   d: ({ b, c }: { b: number; c: number }) => b + c,
 * }).build();
 * const c = dr.exportExecution(["d"]).nodes.find((n) => n.name === "c")!;
 * assert.deepEqual(c.metrics, {
 *   generation: 1,
 *   onCriticalPath: false,
 *   bottomLevel: 3,
 *   slack: 3,
 *   betweenness: 1 / 12,
 * });
 * ```
 */
export function planMetrics(
  plan: Plan,
  costOf: CostFunction = tagCost,
): readonly NodeMetrics[] {
  const { top, bottom, length } = levels(plan, costOf);
  return Object.freeze(plan.nodes.map((node, i): NodeMetrics => {
    let slack = length - (top[i]! + bottom[i]!);
    if (slack <= EPSILON * length) slack = 0;
    return Object.freeze({
      generation: node.generation,
      onCriticalPath: slack === 0,
      bottomLevel: bottom[i]!,
      slack,
      // A getter, so that a router reading only levels never pays O(V·E).
      get betweenness(): number {
        return betweenness(plan)[i]!;
      },
    });
  }));
}

interface Levels {
  // The longest path from a source to the node, its own cost excluded.
  readonly top: Float64Array;
  // The longest path from the node to an output, its own cost included.
  readonly bottom: Float64Array;
  // The critical path's cost.
  readonly length: number;
}

// Top and bottom levels in one pass each way: plan.nodes is in topological
// order and each node lists its dependents.
function levels(plan: Plan, costOf: CostFunction): Levels {
  const nodes = plan.nodes;
  const n = nodes.length;
  const cost = new Float64Array(n);
  for (let i = 0; i < n; i++) cost[i] = nodeCost(nodes[i]!, costOf);
  const top = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const reach = top[i]! + cost[i]!;
    const dependents = nodes[i]!.dependents;
    for (let k = 0; k < dependents.length; k++) {
      if (reach > top[dependents[k]!]!) top[dependents[k]!] = reach;
    }
  }
  const bottom = new Float64Array(n);
  let length = 0;
  for (let i = n - 1; i >= 0; i--) {
    let rest = 0;
    const dependents = nodes[i]!.dependents;
    for (let k = 0; k < dependents.length; k++) {
      if (bottom[dependents[k]!]! > rest) rest = bottom[dependents[k]!]!;
    }
    bottom[i] = cost[i]! + rest;
    if (bottom[i]! > length) length = bottom[i]!;
  }
  return { top, bottom, length };
}

function nodeCost(node: PlanNode, costOf: CostFunction): number {
  if (node.kind === "member") return 0;
  const cost = costOf(node);
  if (cost !== undefined && Number.isFinite(cost) && cost >= 0) return cost;
  if (node.block !== undefined) return levels(node.block.plan, costOf).length;
  return 1;
}

const centralities = new WeakMap<Plan, Float64Array>();

// Directed betweenness of each plan node, by index, over the dependency
// edges (unweighted), normalised by (n - 1)(n - 2) as graphology-metrics and
// networkx do: Brandes' algorithm, one breadth-first search per source.
//
// Written here rather than taken from graphology-metrics (the package the
// tests compare it with) for two reasons. graphology-shortest-path counts
// shortest paths in a Uint32Array, which wraps past 2^32: a 34-layer ladder
// of width 2 already gives Infinity, and layered dataflow graphs have that
// many paths. And it allocates a predecessor list for every node per source
// (n² arrays: 5 s for a 10,000-node chain); here a search touches only the
// nodes it reaches and reads predecessors from `argSlots`. It is a pure
// function of the plan, O(V·E), so it is kept per plan.
function betweenness(plan: Plan): Float64Array {
  let result = centralities.get(plan);
  if (result !== undefined) return result;
  const nodes = plan.nodes;
  const n = nodes.length;
  result = new Float64Array(n);
  if (n > 2) {
    // Dependents and dependencies as compressed rows: node v's are
    // out[outStart[v] .. outStart[v + 1]) and in[inStart[v] .. inStart[v + 1]).
    const outStart = new Int32Array(n + 1);
    const inStart = new Int32Array(n + 1);
    for (let v = 0; v < n; v++) {
      const dependents = nodes[v]!.dependents;
      outStart[v + 1] = outStart[v]! + dependents.length;
      for (let k = 0; k < dependents.length; k++) {
        inStart[dependents[k]! + 1]!++;
      }
    }
    for (let v = 0; v < n; v++) inStart[v + 1]! += inStart[v]!;
    const out = new Int32Array(outStart[n]!);
    const into = new Int32Array(inStart[n]!);
    const filled = inStart.slice(0, n);
    for (let v = 0; v < n; v++) {
      const dependents = nodes[v]!.dependents;
      out.set(dependents, outStart[v]!);
      for (let k = 0; k < dependents.length; k++) {
        into[filled[dependents[k]!]!++] = v;
      }
    }
    const dist = new Int32Array(n).fill(-1);
    const sigma = new Float64Array(n); // shortest paths from the source
    const delta = new Float64Array(n); // the source's dependency on a node
    const order = new Int32Array(n); // nodes reached, by distance
    for (let s = 0; s < n; s++) {
      dist[s] = 0;
      sigma[s] = 1;
      order[0] = s;
      let reached = 1;
      for (let head = 0; head < reached; head++) {
        const v = order[head]!;
        const next = dist[v]! + 1;
        for (let e = outStart[v]!, end = outStart[v + 1]!; e < end; e++) {
          const w = out[e]!;
          if (dist[w] === -1) {
            dist[w] = next;
            order[reached++] = w;
          }
          if (dist[w] === next) sigma[w]! += sigma[v]!;
        }
      }
      for (let k = reached - 1; k > 0; k--) {
        const w = order[k]!;
        const share = (1 + delta[w]!) / sigma[w]!;
        const before = dist[w]! - 1;
        for (let e = inStart[w]!, end = inStart[w + 1]!; e < end; e++) {
          const v = into[e]!;
          if (dist[v] === before) delta[v]! += sigma[v]! * share;
        }
        result[w]! += delta[w]!;
      }
      for (let k = 0; k < reached; k++) {
        const v = order[k]!;
        dist[v] = -1;
        sigma[v] = 0;
        delta[v] = 0;
      }
    }
    const scale = 1 / ((n - 1) * (n - 2));
    for (let i = 0; i < n; i++) result[i]! *= scale;
  }
  centralities.set(plan, result);
  return result;
}
