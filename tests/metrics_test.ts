import assert from "node:assert/strict";
import { DirectedGraph } from "graphology";
import betweennessModule from "graphology-metrics/centrality/betweenness";
import {
  Builder,
  collect,
  type ExecutionPlan,
  inputs,
  node,
  parallelizable,
  tag,
} from "../mod.ts";
import { collectSpecs } from "../src/_load.ts";
import { exportPlan } from "../src/export.ts";
import { Graph } from "../src/graph.ts";
import { type NodeMetrics, planMetrics } from "../src/metrics.ts";
import { compilePlan, type Plan } from "../src/plan.ts";

// The reference implementation betweenness is checked against.
const graphologyBetweenness = betweennessModule as unknown as (
  graph: DirectedGraph,
  options: { getEdgeWeight: null; normalized: boolean },
) => Record<string, number>;

function planOf(
  exports: Record<string, unknown>,
  finalVars: string[],
  provided: string[] = [],
): Plan {
  const graph = Graph.build(
    collectSpecs([{ label: "test", exports }], { config: {} }, false),
  );
  return compilePlan(graph, {
    finalVars,
    inputs: new Set(provided),
    overrides: new Set(),
    config: {},
  });
}

const byName = (
  plan: Plan,
  metrics: readonly NodeMetrics[],
): Record<string, NodeMetrics> =>
  Object.fromEntries(plan.nodes.map((n) => [n.name, { ...metrics[n.index]! }]));

const metricsOf = (plan: ExecutionPlan): Record<string, NodeMetrics> =>
  Object.fromEntries(plan.nodes.map((n) => [n.name, n.metrics]));

// a -> b (cost 5), a -> c (cost 2), b -> d, c -> d; a and d have no cost tag.
const diamond = {
  a: () => 1,
  b: node(({ a }: { a: number }) => a, tag({ cost: 5 })),
  c: node(({ a }: { a: number }) => a, tag({ cost: 2 })),
  d: ({ b, c }: { b: number; c: number }) => b + c,
};

// The shortest paths a -> d go through b and through c: each carries half of
// one pair, normalised by (4 - 1)(4 - 2).
const diamondMetrics: Record<string, NodeMetrics> = {
  a: {
    generation: 0,
    onCriticalPath: true,
    bottomLevel: 7,
    slack: 0,
    betweenness: 0,
  },
  b: {
    generation: 1,
    onCriticalPath: true,
    bottomLevel: 6,
    slack: 0,
    betweenness: 1 / 12,
  },
  c: {
    generation: 1,
    onCriticalPath: false,
    bottomLevel: 3,
    slack: 3,
    betweenness: 1 / 12,
  },
  d: {
    generation: 2,
    onCriticalPath: true,
    bottomLevel: 1,
    slack: 0,
    betweenness: 0,
  },
};

Deno.test("exportExecution gives each node of a diamond its metrics; a node with no cost tag costs 1", async () => {
  const dr = await new Builder().withModules(diamond).build();
  const plan = dr.exportExecution(["d"]);
  assert.deepEqual(metricsOf(plan), diamondMetrics);
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
});

Deno.test("planMetrics on a chain: bottom levels count down, no slack, centrality peaks in the middle", () => {
  const plan = planOf({
    a: () => 1,
    b: ({ a }: { a: number }) => a,
    c: ({ b }: { b: number }) => b,
    d: ({ c }: { c: number }) => c,
    e: ({ d }: { d: number }) => d,
  }, ["e"]);
  // Node k of 5 lies on the one path of k * (4 - k) pairs; (5 - 1)(5 - 2) = 12.
  const betweenness = [0, 3 / 12, 4 / 12, 3 / 12, 0];
  assert.deepEqual(
    plan.nodes.map((n) => planMetrics(plan)[n.index]),
    ["a", "b", "c", "d", "e"].map((_, k) => ({
      generation: k,
      onCriticalPath: true,
      bottomLevel: 5 - k,
      slack: 0,
      betweenness: betweenness[k],
    })),
  );
});

Deno.test("planMetrics takes costs from the cost function; undefined and invalid costs count 1", () => {
  const plan = planOf(diamond, ["d"]);
  const measured: Record<string, number> = { a: 10, b: 1, c: Number.NaN };
  const metrics = byName(plan, planMetrics(plan, (n) => measured[n.name]));
  // Costs a 10, b 1, c 1 (NaN), d 1: both branches are critical.
  assert.deepEqual(
    Object.values(metrics).map((m) => [m.bottomLevel, m.slack]),
    [[12, 0], [2, 0], [2, 0], [1, 0]],
  );
  // The default is the cost tag, when it is a number.
  assert.deepEqual(byName(plan, planMetrics(plan)), diamondMetrics);
  const label = planOf({ label: node(() => "", tag({ cost: "high" })) }, [
    "label",
  ]);
  assert.equal(planMetrics(label)[0]?.bottomLevel, 1);
});

Deno.test("planMetrics puts a chain of fractional costs on the critical path despite rounding", () => {
  const plan = planOf({
    a: node(() => 1, tag({ cost: 0.1 })),
    b: node(({ a }: { a: number }) => a, tag({ cost: 0.1 })),
    c: node(({ b }: { b: number }) => b, tag({ cost: 1.1 })),
  }, ["c"]);
  // Forwards (0.1 + 0.1) + 1.1 is 1.3, backwards 0.1 + (0.1 + 1.1) is
  // 1.3000000000000003.
  assert.deepEqual(
    planMetrics(plan).map((m) => [m.onCriticalPath, m.slack]),
    [[true, 0], [true, 0], [true, 0]],
  );
});

// Per item: square (cost 3) and cube (no tag) feed both (cost 2); total
// collects both.
const fanOut = {
  steps: node(function* steps({ n }: { n: number }) {
    for (let i = 0; i < n; i++) yield i;
  }, parallelizable()),
  square: node(({ steps }: { steps: number }) => steps ** 2, tag({ cost: 3 })),
  cube: ({ steps }: { steps: number }) => steps ** 3,
  both: node(
    ({ square, cube }: { square: number; cube: number }) => square + cube,
    tag({ cost: 2 }),
  ),
  total: node(
    ({ both }: { both: number[] }) => both.reduce((a, b) => a + b, 0),
    collect("both"),
  ),
};

Deno.test("exportExecution gives metrics to a fan-out block's node, its members and its per-item plan", async () => {
  const dr = await new Builder().withModules(fanOut).build();
  const plan = dr.exportExecution(["total"], { inputs: { n: 2 } });
  // steps (1) -> steps[] (one item's critical path: 3 + 2) -> both (handing
  // out the lists runs no user code: 0) -> total (1). A chain of 4: the two
  // inner nodes each lie on 2 of the (4 - 1)(4 - 2) pairs' paths.
  const onPath = { onCriticalPath: true, slack: 0 };
  assert.deepEqual(metricsOf(plan), {
    steps: { generation: 0, ...onPath, bottomLevel: 7, betweenness: 0 },
    "steps[]": { generation: 1, ...onPath, bottomLevel: 6, betweenness: 1 / 3 },
    both: { generation: 2, ...onPath, bottomLevel: 1, betweenness: 1 / 3 },
    total: { generation: 3, ...onPath, bottomLevel: 1, betweenness: 0 },
  });
  const block = plan.nodes.find((n) => n.name === "steps[]")!;
  assert.deepEqual(metricsOf(block.block!.perItem), {
    square: { generation: 0, ...onPath, bottomLevel: 5, betweenness: 0 },
    cube: {
      generation: 0,
      onCriticalPath: false,
      bottomLevel: 3,
      slack: 2,
      betweenness: 0,
    },
    both: { generation: 1, ...onPath, bottomLevel: 2, betweenness: 0 },
  });
});

Deno.test("exportPlan costs a block node by the cost function when it knows it, and its items too", () => {
  const plan = planOf(fanOut, ["total"], ["n"]);
  const measured: Record<string, number> = { "steps[]": 20, cube: 4 };
  const exported = exportPlan(plan, (n) => measured[n.name]);
  assert.equal(metricsOf(exported)["steps[]"]?.bottomLevel, 21);
  const block = exported.nodes.find((n) => n.name === "steps[]")!;
  // Per item, the cost function replaces the tags: square 1, cube 4, both 1.
  assert.deepEqual(
    block.block!.perItem.nodes.map((n) => [n.name, n.metrics.slack]),
    [["square", 3], ["cube", 0], ["both", 0]],
  );
});

// A pseudo-random DAG of `n` nodes: node i takes up to three earlier nodes.
function randomDag(n: number, seed: number): Record<string, unknown> {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const module: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    for (let k = 0; i > 0 && k < 3; k++) {
      if (next() < 0.7) deps.add(`n${Math.floor(next() * i)}`);
    }
    module[`n${i}`] = node(() => i, inputs([...deps]));
  }
  return module;
}

Deno.test("planMetrics' betweenness equals graphology-metrics' on random DAGs", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const module = randomDag(40, seed);
    const plan = planOf(module, Object.keys(module));
    const g = new DirectedGraph();
    for (const n of plan.nodes) g.addNode(n.index);
    for (const n of plan.nodes) {
      for (const d of n.dependents) g.addEdge(n.index, d);
    }
    const expected = graphologyBetweenness(g, {
      getEdgeWeight: null,
      normalized: true,
    });
    const metrics = planMetrics(plan);
    for (const n of plan.nodes) {
      const actual = metrics[n.index]!.betweenness;
      assert.ok(
        Math.abs(actual - expected[n.index]!) < 1e-12,
        `seed ${seed}, ${n.name}: ${actual} != ${expected[n.index]}`,
      );
    }
  }
});

Deno.test("planMetrics' betweenness stays exact past 2^32 shortest paths", () => {
  // 40 layers of 2 nodes, each taking both nodes of the layer before: 2^39
  // shortest paths from top to bottom. A node of layer l is on half the
  // paths of the 2l * 2(39 - l) pairs around it.
  const layers = 40;
  const module: Record<string, unknown> = {};
  for (let l = 0; l < layers; l++) {
    const deps = l === 0 ? [] : [`l${l - 1}_0`, `l${l - 1}_1`];
    for (const j of [0, 1]) module[`l${l}_${j}`] = node(() => l, inputs(deps));
  }
  const plan = planOf(module, [`l${layers - 1}_0`, `l${layers - 1}_1`]);
  const metrics = byName(plan, planMetrics(plan));
  const n = 2 * layers;
  for (const l of [1, 20, 38]) {
    const expected = (2 * l * (layers - 1 - l)) / ((n - 1) * (n - 2));
    assert.ok(Math.abs(metrics[`l${l}_0`]!.betweenness - expected) < 1e-12);
  }
});
