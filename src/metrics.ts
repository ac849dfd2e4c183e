/**
 * Per-node metrics of a compiled plan: generation, bottom-level cost, slack,
 * whether the node is on the critical path, and betweenness centrality. They
 * are what `exportExecution()` shows for each node and what a routing function
 * sees as `task.metrics`.
 *
 * Levels and slack take one pass each way over the plan's flat arrays
 * (`O(V + E)`). Betweenness centrality is `O(V·E)` and needs a graphology
 * graph, so it is computed once per plan object and kept.
 *
 * @module
 */
import { DirectedGraph } from "graphology";
import betweennessModule from "graphology-metrics/centrality/betweenness";
import type { Plan, PlanNode } from "./plan.ts";

// graphology-metrics is CommonJS whose typings describe an ES default export;
// this is the part of its real shape we use.
const betweennessCentrality = betweennessModule as unknown as (
  graph: DirectedGraph,
  options: { getEdgeWeight: null; normalized: boolean },
) => Record<string, number>;

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
 * The result is computed afresh for levels and slack; betweenness, which does
 * not depend on costs, is computed once per plan.
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
  const centrality = betweenness(plan);
  return plan.nodes.map((node, i): NodeMetrics => {
    let slack = length - (top[i]! + bottom[i]!);
    if (slack <= EPSILON * length) slack = 0;
    return Object.freeze({
      generation: node.generation,
      onCriticalPath: slack === 0,
      bottomLevel: bottom[i]!,
      slack,
      betweenness: centrality[i]!,
    });
  });
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
    for (const d of nodes[i]!.dependents) {
      if (reach > top[d]!) top[d] = reach;
    }
  }
  const bottom = new Float64Array(n);
  let length = 0;
  for (let i = n - 1; i >= 0; i--) {
    let rest = 0;
    for (const d of nodes[i]!.dependents) {
      if (bottom[d]! > rest) rest = bottom[d]!;
    }
    bottom[i] = cost[i]! + rest;
    if (bottom[i]! > length) length = bottom[i]!;
  }
  return { top, bottom, length };
}

function nodeCost(node: PlanNode, costOf: CostFunction): number {
  if (node.synthetic && node.block === undefined) return 0;
  const cost = costOf(node);
  if (cost !== undefined && Number.isFinite(cost) && cost >= 0) return cost;
  if (node.block !== undefined) return levels(node.block.plan, costOf).length;
  return 1;
}

const centralities = new WeakMap<Plan, Float64Array>();

// Directed betweenness of each plan node, by index, over the dependency
// edges: a pure function of the plan, kept per plan since it is O(V·E).
function betweenness(plan: Plan): Float64Array {
  let result = centralities.get(plan);
  if (result !== undefined) return result;
  const nodes = plan.nodes;
  result = new Float64Array(nodes.length);
  if (nodes.length > 2) {
    const g = new DirectedGraph();
    for (let i = 0; i < nodes.length; i++) g.addNode(i);
    for (let i = 0; i < nodes.length; i++) {
      for (const d of nodes[i]!.dependents) g.addEdge(i, d);
    }
    const byKey = betweennessCentrality(g, {
      getEdgeWeight: null,
      normalized: true,
    });
    for (let i = 0; i < nodes.length; i++) result[i] = byKey[i] ?? 0;
  }
  centralities.set(plan, result);
  return result;
}
