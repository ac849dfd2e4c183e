/**
 * The plan of one request: the pruned part of the graph that must run for
 * some final vars given some inputs and overrides, compiled to flat arrays so
 * the hot path never touches graphology or a string map.
 *
 * @module
 */
import { BraidError, type MissingInput, MissingInputError } from "./errors.ts";
import type { Graph } from "./graph.ts";
import type { AnyFn, CallStyle, NodeSpec, Tags } from "./node.ts";
import { Heap } from "./executors/_heap.ts";
import { wrappedSpec } from "./_code.ts";

/** Where a provided value comes from. */
export type SeedSource = "input" | "override" | "config";

/** A value placed in a slot before the run starts. */
export interface Seed {
  /** The variable's name (the key in inputs, overrides or config). */
  readonly name: string;
  /** The slot it fills. */
  readonly slot: number;
  /** Where it comes from. */
  readonly source: SeedSource;
}

/** One node to run, with everything an executor needs in flat form. */
export interface PlanNode {
  /** Its index in `Plan.nodes`, also the slot its value goes to. */
  readonly index: number;
  /** Its name. */
  readonly name: string;
  /** Its spec. */
  readonly spec: NodeSpec;
  /** Its function. */
  readonly fn: AnyFn;
  /**
   * What it is: `"task"`, a node of the graph whose function runs;
   * `"block"`, the node a plan adds to run a fan-out block's items (its
   * value is one list per member); `"member"`, the node that hands out one
   * member's list from its block's value. Blocks and members run no user
   * code: they run in the calling thread, without node hooks or cache.
   */
  readonly kind: "task" | "block" | "member";
  /** How its function is called. */
  readonly callStyle: CallStyle;
  /** The argument names (object keys, or parameter names), without `ctx`. */
  readonly argKeys: readonly string[];
  /** The slot of each argument; -1 for an optional input with no value. */
  readonly argSlots: Int32Array;
  /** Where `ctx` goes, or -1. */
  readonly ctxIndex: number;
  /** Its tags. */
  readonly tags: Tags;
  /** The plan nodes that consume its value. */
  readonly dependents: Int32Array;
  /** How many plan nodes it waits for. */
  readonly dependencyCount: number;
  /** Length of the longest path from it to the end of the plan, in nodes. */
  readonly pathLength: number;
  /** Its `priority` tag (or `priority()` modifier); 0 when absent. */
  readonly priority: number;
  /**
   * Its place in the scheduling order: among ready nodes, the lowest rank
   * starts first (see {@linkcode compilePlan}).
   */
  readonly rank: number;
  /** Its topological generation within the plan. */
  readonly generation: number;
  /** For a block node: what runs per item. */
  readonly block: BlockPlan | undefined;
  /** For a member node: picks its list out of the value slots. */
  readonly member: ((values: readonly unknown[]) => unknown) | undefined;
}

/**
 * How a block node runs its items: the per-item plan, seeded with one item
 * of the parallelizable node's value and the block node's other arguments.
 * Its value is one list of per-item values for each member, in item order.
 */
export interface BlockPlan {
  /** The parallelizable node whose items fan out. */
  readonly parallelizable: string;
  /** Which of the block node's arguments holds the items. */
  readonly itemsArg: number;
  /** The plan each item runs; its final vars are the members handed out. */
  readonly plan: Plan;
  /** For each seed of the per-item plan, the block node argument that fills it. */
  readonly seedArgs: Int32Array;
}

/** A compiled, immutable plan. */
export interface Plan {
  /** The requested names, in request order. */
  readonly finalVars: readonly string[];
  /** The nodes to run, in topological-generation order. */
  readonly nodes: readonly PlanNode[];
  /** The values to place before running. */
  readonly seeds: readonly Seed[];
  /** The number of value slots. */
  readonly size: number;
  /**
   * The slot of each final var, in request order; -1 for an optional input
   * requested but not provided, which the result leaves out.
   */
  readonly outputSlots: Int32Array;
  /** Each node's dependency count, by index (copied per run as counters). */
  readonly dependencyCounts: readonly number[];
  /** The nodes with no dependency in the plan: where a run starts. */
  readonly roots: readonly number[];
  /**
   * The order nodes run in when one runs at a time: at each step the ready
   * node of lowest rank. Made once per plan, so a one-at-a-time run walks an
   * array instead of a queue.
   */
  readonly serialOrder: Int32Array;
  /**
   * Whether at most one node is ever ready (a chain): any limit then runs
   * one node at a time, in `serialOrder`.
   */
  readonly oneAtATime: boolean;
  /** The node of each rank: `nodes[byRank[r]].rank === r`. */
  readonly byRank: Int32Array;
  /** Whether any node takes `ctx`. */
  readonly usesCtx: boolean;
  /** Nodes skipped because an override or input replaced them. */
  readonly replaced: readonly string[];
}

/** A final var that is neither a node nor a provided input or config key. */
export class UnknownNodeError extends BraidError {
  /** The unknown names. */
  readonly names: readonly string[];
  /** Creates the error for `names`. */
  constructor(names: readonly string[]) {
    super(
      `Unknown node${names.length > 1 ? "s" : ""} ${
        names.map((n) => `"${n}"`).join(", ")
      } requested; check for typos, or see listAvailableVariables()`,
    );
    this.names = names;
  }
}

/** What a request provides besides the graph. */
export interface PlanRequest {
  /** The requested names. */
  readonly finalVars: readonly string[];
  /** Names of run inputs provided. */
  readonly inputs: ReadonlySet<string>;
  /** Names of nodes overridden. */
  readonly overrides: ReadonlySet<string>;
  /** The builder's config. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The block path being planned (inside fan-out blocks). @default {[]} */
  readonly level?: readonly string[];
}

const TOP_LEVEL: readonly string[] = Object.freeze([]);
const NO_TAGS = Object.freeze({});
const NO_CONFIG = Object.freeze({});

// The nodes of one fan-out block a plan needs at its level.
interface BlockGroup {
  readonly opener: string;
  readonly name: string;
  readonly members: string[];
  readonly internal: Set<string>;
  readonly externals: string[];
}

/**
 * Compiles the plan for `request`. Throws {@linkcode UnknownNodeError} for an
 * unknown final var and {@linkcode MissingInputError} listing every missing
 * input, so nothing runs when something is missing.
 */
export function compilePlan(graph: Graph, request: PlanRequest): Plan {
  const { finalVars, inputs, overrides, config } = request;
  const provided = (name: string): SeedSource | undefined =>
    overrides.has(name)
      ? "override"
      : inputs.has(name)
      ? "input"
      : Object.hasOwn(config, name)
      ? "config"
      : undefined;

  const unknown = finalVars.filter((v) => !graph.has(v) && !provided(v));
  if (unknown.length > 0) throw new UnknownNodeError(unknown);

  // Walk upstream from the final vars, stopping at provided values. Nodes of
  // a block opened below this level are handed out by the block's node.
  const level = request.level ?? TOP_LEVEL;
  const depth = level.length;
  const toRun = new Set<string>();
  const seeds = new Map<string, SeedSource>();
  const replaced: string[] = [];
  const missing = new Map<string, string[]>();
  const groups = new Map<string, BlockGroup>();
  const visit = (
    name: string,
    neededBy: string | undefined,
    optional: boolean,
  ) => {
    const source = provided(name);
    if (source !== undefined) {
      if (!seeds.has(name) && graph.specs.has(name)) replaced.push(name);
      seeds.set(name, source);
      return;
    }
    if (graph.specs.has(name)) {
      const path = graph.blocks.get(name);
      if (path !== undefined && path.length > depth) {
        enterBlock(path[depth]!, name);
      } else if (!toRun.has(name)) {
        toRun.add(name);
        stack.push(name);
      }
      return;
    }
    if (optional) return;
    let by = missing.get(name);
    if (by === undefined) missing.set(name, by = []);
    if (neededBy !== undefined && !by.includes(neededBy)) by.push(neededBy);
  };
  // Marks `member` as needed from block `opener`, and walks the block
  // upstream of it: what comes from outside the block is the block node's
  // argument (and planned at this level).
  const enterBlock = (opener: string, member: string) => {
    let group = groups.get(opener);
    if (group === undefined) {
      group = {
        opener,
        name: `${opener}[]`,
        members: [],
        internal: new Set(),
        externals: [opener],
      };
      groups.set(opener, group);
      // The items always come from the opener, even when overrides cut
      // every path to it.
      visit(opener, group.name, false);
    }
    if (group.members.includes(member)) return;
    group.members.push(member);
    const work = [member];
    while (work.length > 0) {
      const name = work.pop()!;
      if (group.internal.has(name)) continue;
      group.internal.add(name);
      for (const input of graph.specs.get(name)!.inputs) {
        const path = graph.blocks.get(input.name);
        if (
          path !== undefined && path.length > depth &&
          path[depth] === opener && provided(input.name) === undefined
        ) {
          work.push(input.name);
          continue;
        }
        if (!group.externals.includes(input.name)) {
          group.externals.push(input.name);
        }
        visit(input.name, name, input.optional);
      }
    }
  };
  const stack: string[] = [];
  for (const v of finalVars) {
    // An optional input nobody provides is left out of the result
    // (Hamilton's behaviour), not missing.
    visit(v, undefined, graph.externals.get(v)?.optional === true);
  }
  while (stack.length > 0) {
    const spec = graph.specs.get(stack.pop()!)!;
    for (const input of spec.inputs) {
      visit(input.name, spec.name, input.optional);
    }
  }
  if (missing.size > 0) {
    const list: MissingInput[] = [...missing.keys()].sort().map((name) => {
      const neededBy = missing.get(name)!.length > 0
        ? missing.get(name)!
        : ["the request"];
      const config = graph.unmatchedVariants.get(name);
      return config === undefined
        ? { name, neededBy }
        : { name, neededBy, noVariantFor: config };
    });
    throw new MissingInputError(finalVars, list);
  }

  // What runs at this level: the nodes, plus each block's node and one
  // node per member it hands out.
  const specOf = new Map<string, NodeSpec>();
  for (const name of toRun) {
    const spec = graph.specs.get(name)!;
    specOf.set(
      name,
      spec.container === undefined
        ? spec
        : pruneNested(graph, spec, finalVars, toRun, groups),
    );
  }
  const blockOf = new Map<string, BlockPlan>();
  for (const group of groups.values()) {
    // Optional inputs nobody provides are left out.
    const present = group.externals.filter((name) =>
      seeds.has(name) || graph.specs.has(name)
    );
    const block = blockPlan(graph, group, present, level);
    blockOf.set(group.name, block);
    specOf.set(group.name, blockSpec(graph, group, present));
    group.members.forEach((member, k) => {
      specOf.set(member, memberSpec(graph.specs.get(member)!, group.name, k));
    });
  }

  // Slots: plan nodes first (in topological-generation order), then seeds.
  const names = groups.size === 0
    ? [...toRun].sort((a, b) => graph.rank.get(a)! - graph.rank.get(b)!)
    : topologicalOrder(graph, specOf);
  const slotOf = new Map<string, number>();
  names.forEach((name, i) => slotOf.set(name, i));
  const memberOf = new Map<string, [block: string, k: number]>();
  for (const group of groups.values()) {
    group.members.forEach((m, k) => memberOf.set(m, [group.name, k]));
  }
  const seedList: Seed[] = [];
  for (const [name, source] of seeds) {
    const slot = names.length + seedList.length;
    slotOf.set(name, slot);
    seedList.push(Object.freeze({ name, slot, source }));
  }

  const dependents: number[][] = names.map(() => []);
  const dependencyCounts = new Int32Array(names.length);
  const generations = new Int32Array(names.length);
  const argSlots: Int32Array[] = [];
  names.forEach((name, i) => {
    const spec = specOf.get(name)!;
    const slots = new Int32Array(spec.inputs.length);
    spec.inputs.forEach((input, k) => {
      const slot = slotOf.get(input.name) ?? -1;
      slots[k] = slot;
      if (slot >= 0 && slot < names.length && !dependents[slot]!.includes(i)) {
        dependents[slot]!.push(i);
        dependencyCounts[i]!++;
        generations[i] = Math.max(generations[i]!, generations[slot]! + 1);
      }
    });
    argSlots.push(slots);
  });
  // Longest remaining path, computed backwards over the topological order.
  const pathLengths = new Int32Array(names.length);
  for (let i = names.length - 1; i >= 0; i--) {
    let p = 0;
    for (const d of dependents[i]!) p = Math.max(p, pathLengths[d]!);
    pathLengths[i] = p + 1;
  }
  const ranks = rankNodes(graph, names, specOf, pathLengths);

  let usesCtx = false;
  const nodes: PlanNode[] = names.map((name, i) => {
    const spec = specOf.get(name)!;
    const block = blockOf.get(name);
    const member = memberOf.get(name);
    usesCtx ||= spec.ctxIndex >= 0;
    const blockSlot = member === undefined ? -1 : slotOf.get(member[0])!;
    return Object.freeze({
      index: i,
      name,
      spec,
      fn: spec.fn,
      kind: block !== undefined
        ? "block" as const
        : member !== undefined
        ? "member" as const
        : "task" as const,
      callStyle: spec.callStyle,
      argKeys: spec.inputs.map((input) => input.name),
      argSlots: argSlots[i]!,
      ctxIndex: spec.ctxIndex,
      tags: spec.tags,
      // By rank: released together, they reach the ready queue in order.
      dependents: Int32Array.from(dependents[i]!).sort((a, b) =>
        ranks[a]! - ranks[b]!
      ),
      dependencyCount: dependencyCounts[i]!,
      pathLength: pathLengths[i]!,
      priority: priorityOf(spec),
      rank: ranks[i]!,
      generation: generations[i]!,
      block,
      member: member === undefined
        ? undefined
        : (values: readonly unknown[]) =>
          (values[blockSlot] as readonly unknown[])[member[1]],
    });
  });

  return Object.freeze({
    finalVars: Object.freeze([...finalVars]),
    nodes: Object.freeze(nodes),
    seeds: Object.freeze(seedList),
    size: names.length + seedList.length,
    outputSlots: Int32Array.from(finalVars, (v) => slotOf.get(v) ?? -1),
    // Plain arrays, not frozen: a frozen array's slice() takes a slow path,
    // and executors copy these once per run.
    dependencyCounts: Array.from(dependencyCounts),
    roots: nodes.filter((n) => n.dependencyCount === 0).sort((a, b) =>
      a.rank - b.rank
    ).map((n) => n.index),
    ...serialOrder(nodes, ranks),
    byRank: inverse(ranks),
    usesCtx,
    replaced: Object.freeze(replaced),
  });
}

/**
 * A nested pipeline's node computing only the outputs this plan uses, when
 * it uses some but not all (HyperNodes prunes them too): requested itself,
 * or read whole by a node other than its fields, it computes every one.
 */
function pruneNested(
  graph: Graph,
  spec: NodeSpec,
  finalVars: readonly string[],
  toRun: ReadonlySet<string>,
  groups: ReadonlyMap<string, BlockGroup>,
): NodeSpec {
  const nested = spec.container!;
  const outputs = nested.outputs;
  // A wrapped function (checkOutput on the node) computes what it wraps.
  if (
    nested.only === undefined || outputs === undefined ||
    spec.fn !== nested.run || finalVars.includes(spec.name)
  ) return spec;
  const used = new Set<string>();
  const consumers = [toRun, ...[...groups.values()].map((g) => g.internal)];
  for (const names of consumers) {
    for (const name of names) {
      const consumer = graph.specs.get(name)!;
      if (!consumer.inputs.some((input) => input.name === spec.name)) continue;
      // Names are unique: a node named after an output is its field.
      if (!outputs.includes(name)) return spec;
      used.add(name);
    }
  }
  if (used.size === 0 || used.size === outputs.length) return spec;
  const wanted = outputs.filter((name) => used.has(name));
  return wrappedSpec(spec, nested.only(wanted), [wanted]);
}

/** A node's scheduling priority: its numeric `priority` tag, else 0. */
function priorityOf(spec: NodeSpec): number {
  const priority = spec.tags.priority;
  return typeof priority === "number" ? priority : 0;
}

/**
 * Each node's rank in the one scheduling order braid uses everywhere: higher
 * priority first, then the longer remaining path (in nodes, so the order
 * never depends on timings), then declaration order (modules in the order
 * given, each module's nodes in `Object.keys` order).
 */
function rankNodes(
  graph: Graph,
  names: readonly string[],
  specOf: ReadonlyMap<string, NodeSpec>,
  pathLengths: Int32Array,
): Int32Array {
  const declared = declarationOrder(graph);
  const declaredAt = new Float64Array(names.length);
  const priorities = new Float64Array(names.length);
  names.forEach((name, i) => {
    const spec = specOf.get(name)!;
    priorities[i] = priorityOf(spec);
    // Blocks and the members they hand out rank where their nodes were declared.
    declaredAt[i] = declared.get(name) ?? declared.get(spec.originalName) ??
      declared.size + i;
  });
  const byRank = Array.from(names, (_, i) => i).sort((a, b) =>
    priorities[b]! - priorities[a]! || pathLengths[b]! - pathLengths[a]! ||
    declaredAt[a]! - declaredAt[b]! || a - b
  );
  const ranks = new Int32Array(names.length);
  byRank.forEach((node, rank) => ranks[node] = rank);
  return ranks;
}

// Each node's position among the graph's specs, which keep the order the
// nodes were defined in. Made once per graph.
const declarations = new WeakMap<Graph, Map<string, number>>();
function declarationOrder(graph: Graph): Map<string, number> {
  let order = declarations.get(graph);
  if (order === undefined) {
    order = new Map();
    for (const name of graph.specs.keys()) order.set(name, order.size);
    declarations.set(graph, order);
  }
  return order;
}

function inverse(ranks: Int32Array): Int32Array {
  const byRank = new Int32Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) byRank[ranks[i]!] = i;
  return byRank;
}

// List scheduling with one slot: repeatedly the ready node of lowest rank;
// and whether two nodes were ever ready at once.
function serialOrder(
  nodes: readonly PlanNode[],
  ranks: Int32Array,
): { serialOrder: Int32Array; oneAtATime: boolean } {
  const order = new Int32Array(nodes.length);
  const waiting = Int32Array.from(nodes, (n) => n.dependencyCount);
  const ready = new Heap<number>((a, b) => ranks[a]! - ranks[b]!);
  for (const node of nodes) {
    if (node.dependencyCount === 0) ready.push(node.index);
  }
  let oneAtATime = ready.size <= 1;
  for (let k = 0; k < nodes.length; k++) {
    const next = ready.pop()!;
    order[k] = next;
    for (const d of nodes[next]!.dependents) {
      if (--waiting[d]! === 0) ready.push(d);
    }
    if (ready.size > 1) oneAtATime = false;
  }
  return { serialOrder: order, oneAtATime };
}

/** The plan's nodes grouped by generation, by name. */
export function planGenerations(plan: Plan): string[][] {
  const generations: string[][] = [];
  for (const node of plan.nodes) {
    (generations[node.generation] ??= []).push(node.name);
  }
  return generations;
}

/**
 * A path from a source (a node with no plan dependency, or a provided value)
 * to `node`, following first dependencies: where the failing value came from.
 */
export function pathTo(plan: Plan, node: PlanNode): string[] {
  const path = [node.name];
  let current: PlanNode | undefined = node;
  while (current !== undefined) {
    let next: PlanNode | undefined;
    let seed: string | undefined;
    for (let k = 0; k < current.argSlots.length; k++) {
      const slot = current.argSlots[k]!;
      if (slot < 0) continue;
      if (slot < plan.nodes.length) {
        next = plan.nodes[slot];
        break;
      }
      seed ??= current.argKeys[k];
    }
    if (next !== undefined) path.unshift(next.name);
    else if (seed !== undefined) path.unshift(seed);
    current = next;
  }
  return path;
}

// The per-item plan of a block: its members, given the block's arguments
// (and each item under the opener's name) as inputs.
function blockPlan(
  graph: Graph,
  group: BlockGroup,
  present: readonly string[],
  level: readonly string[],
): BlockPlan {
  const plan = compilePlan(graph, {
    finalVars: group.members,
    inputs: new Set(present),
    overrides: new Set(),
    config: NO_CONFIG,
    level: [...level, group.opener],
  });
  return Object.freeze({
    parallelizable: group.opener,
    itemsArg: present.indexOf(group.opener),
    plan,
    seedArgs: Int32Array.from(plan.seeds, (seed) => present.indexOf(seed.name)),
  });
}

// A block node's spec describes it (name, inputs, origin) for views and
// errors; the scheduler runs its items through its `BlockPlan`, never a
// function of its own.
const runsItems: AnyFn = () => {
  throw new Error("a block node runs through its plan, not its function");
};

// The node that runs a block's items: its inputs are what the block takes
// from outside.
function blockSpec(
  graph: Graph,
  group: BlockGroup,
  present: readonly string[],
): NodeSpec {
  const opener = graph.specs.get(group.opener);
  return Object.freeze({
    name: group.name,
    fn: runsItems,
    inputs: Object.freeze(present.map((name) => ({ name, optional: false }))),
    callStyle: "positional" as const,
    ctxIndex: -1,
    tags: NO_TAGS,
    originalName: group.opener,
    ...(opener?.module === undefined ? {} : { module: opener.module }),
    modifiers: Object.freeze(["parallelizable"]),
  });
}

// The node that hands out one member's per-item values, as that member
// (the plan node picks the list; the spec describes it).
function memberSpec(member: NodeSpec, block: string, k: number): NodeSpec {
  return Object.freeze({
    ...member,
    fn: (lists: readonly unknown[]) => lists[k],
    inputs: Object.freeze([{ name: block, optional: false }]),
    callStyle: "positional" as const,
    ctxIndex: -1,
  });
}

// A topological-generation order of a plan with block nodes (Kahn's
// algorithm; ties keep the graph's order, so runs stay deterministic).
function topologicalOrder(
  graph: Graph,
  specOf: ReadonlyMap<string, NodeSpec>,
): string[] {
  // A block node is ranked as its opener, a member as itself.
  const rankOf = (name: string) =>
    graph.rank.get(name) ?? graph.rank.get(specOf.get(name)!.originalName) ??
      0;
  const names = [...specOf.keys()].sort((a, b) => rankOf(a) - rankOf(b));
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const name of names) {
    let count = 0;
    for (const input of specOf.get(name)!.inputs) {
      if (!specOf.has(input.name)) continue;
      count++;
      let list = dependents.get(input.name);
      if (list === undefined) dependents.set(input.name, list = []);
      list.push(name);
    }
    waiting.set(name, count);
  }
  const order = names.filter((name) => waiting.get(name) === 0);
  for (let head = 0; head < order.length; head++) {
    for (const d of dependents.get(order[head]!) ?? []) {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      if (left === 0) order.push(d);
    }
  }
  return order;
}
