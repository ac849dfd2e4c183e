/**
 * The graph: built once per builder configuration from node specs, checked
 * for cycles, and queried (upstream, downstream, paths, tags). Immutable.
 *
 * @module
 */
import { blockPaths, hasFanOut } from "./blocks.ts";
import { CycleError } from "./errors.ts";
import type { InputSpec, NodeSpec, Tags, TagValue } from "./node.ts";
import type { CacheDeclaration } from "./modifiers/cache.ts";
import type { SpecIndex } from "./_spec_index.ts";

/** A read-only view of one variable of the graph: a node or an external input. */
export interface NodeInfo {
  /** The variable's name. */
  readonly name: string;
  /** `"node"` for a function, `"input"` for a value the caller (or config) provides. */
  readonly kind: "node" | "input";
  /** The function's or export's name before modifiers renamed it. */
  readonly originalName: string;
  /** The module it came from, when known. */
  readonly module?: string;
  /** Its tags. */
  readonly tags: Tags;
  /** Its inputs. */
  readonly inputs: readonly InputSpec[];
  /** The modifiers that produced it, in order. */
  readonly modifiers: readonly string[];
  /** Its cache declaration, if any. */
  readonly cache?: CacheDeclaration;
  /** Its description, if any. */
  readonly doc?: string;
  /** For inputs: the nodes that need it. */
  readonly neededBy?: readonly string[];
  /** For inputs: true when every node that takes it has a default for it. */
  readonly optional?: boolean;
  /**
   * For inputs: true when the builder's config provides it (not a run
   * input). A config key no node takes is listed too, with no `neededBy`.
   */
  readonly fromConfig?: boolean;
}

/** A tag filter: exact value, any of a list, or `null` for "has the tag"; keys are ANDed. */
export type TagFilter = Readonly<
  Record<string, TagValue | readonly TagValue[] | null>
>;

const NO_VARIANTS: ReadonlyMap<string, string> = new Map();

/** The dependency graph of a set of node specs. */
export class Graph {
  /** Nodes by name. */
  readonly specs: ReadonlyMap<string, NodeSpec>;
  /** Inputs no node produces, by name. */
  readonly externals: ReadonlyMap<string, NodeInfo>;
  /** Nodes in topological-generation order. */
  readonly order: readonly string[];
  /**
   * The block path of each node inside a fan-out block: the parallelizable
   * nodes whose items it runs once per, outermost first. Empty without blocks.
   */
  readonly blocks: ReadonlyMap<string, readonly string[]>;
  /**
   * Names that only config variants define, none kept by the config, with
   * the config that matched none (as `Deno.inspect` shows it).
   */
  readonly unmatchedVariants: ReadonlyMap<string, string> = NO_VARIANTS;
  #rank: Map<string, number> | undefined;
  // Dependents of node j (by position in #list): #dependents[#offsets[j] ..
  // #offsets[j + 1]), kept from the build for the reach queries.
  readonly #list: readonly NodeSpec[];
  readonly #positions: ReadonlyMap<string, number>;
  readonly #offsets: Int32Array;
  readonly #dependents: Int32Array;
  #origins: ReadonlyMap<object, string | null> | undefined;

  private constructor(
    specs: SpecIndex,
    externals: Map<string, NodeInfo>,
    order: string[],
    blocks: ReadonlyMap<string, readonly string[]>,
    offsets: Int32Array,
    dependents: Int32Array,
  ) {
    this.specs = specs;
    this.externals = externals;
    this.order = order;
    this.blocks = blocks;
    this.#list = specs.list;
    this.#positions = specs.positions;
    this.#offsets = offsets;
    this.#dependents = dependents;
  }

  /** Each node's position in topological-generation order (made on first use). */
  get rank(): ReadonlyMap<string, number> {
    if (this.#rank === undefined) {
      this.#rank = new Map();
      for (let i = 0; i < this.order.length; i++) {
        this.#rank.set(this.order[i]!, i);
      }
    }
    return this.#rank;
  }

  /**
   * Builds the graph; throws {@linkcode CycleError} on a cycle. Checks,
   * ranks and the reach queries run on flat arrays (Kahn's algorithm by
   * generation; dependents as compressed rows), which cost less than
   * building a graph library's model, and less again than importing one.
   * The keys of `config` are variables of the graph (inputs it provides),
   * whether or not a node takes them, as Hamilton has config nodes.
   */
  static build(
    specs: SpecIndex,
    config: Readonly<Record<string, unknown>> = NO_CONFIG,
  ): Graph {
    const n = specs.size;
    const list = specs.list;
    const index = specs.positions;
    let i = 0;
    let e = 0;
    // Edges as compressed rows: dependents of node j are
    // dependents[offsets[j] .. offsets[j + 1]).
    const offsets = new Int32Array(n + 1);
    const indegree = new Int32Array(n);
    const edgeFrom: number[] = []; // producer of each edge, edges by consumer
    const needs = new Map<string, { by: string[]; optional: boolean }>();
    for (i = 0; i < n; i++) {
      const spec = list[i]!;
      const inputs = spec.inputs;
      for (let k = 0; k < inputs.length; k++) {
        const input = inputs[k]!;
        const j = index.get(input.name);
        if (j !== undefined) {
          indegree[i]!++;
          offsets[j + 1]!++;
          edgeFrom.push(j);
          continue;
        }
        let need = needs.get(input.name);
        if (need === undefined) {
          need = { by: [], optional: true };
          needs.set(input.name, need);
        }
        need.by.push(spec.name);
        need.optional &&= input.optional;
      }
    }
    for (i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
    const dependents = new Int32Array(offsets[n]!);
    const fill = offsets.slice(0, n);
    for (i = 0, e = 0; i < n; i++) {
      for (let k = indegree[i]!; k > 0; k--) {
        dependents[fill[edgeFrom[e++]!]!++] = i;
      }
    }
    // Kahn's algorithm with a FIFO queue visits nodes generation by
    // generation: a node is queued by its last dependency, which has the
    // highest generation among them.
    const queue = new Int32Array(n);
    let tail = 0;
    for (i = 0; i < n; i++) if (indegree[i] === 0) queue[tail++] = i;
    for (let head = 0; head < tail; head++) {
      const j = queue[head]!;
      for (let k = offsets[j]!; k < offsets[j + 1]!; k++) {
        const d = dependents[k]!;
        if (--indegree[d]! === 0) queue[tail++] = d;
      }
    }
    if (tail < n) throw new CycleError(findCycle(specs));
    const order: string[] = new Array(n);
    for (i = 0; i < n; i++) order[i] = list[queue[i]!]!.name;
    const externals = new Map<string, NodeInfo>();
    for (const [name, need] of needs) {
      externals.set(
        name,
        inputInfo(name, need.by, need.optional, Object.hasOwn(config, name)),
      );
    }
    for (const name of Object.keys(config)) {
      if (!externals.has(name) && !index.has(name)) {
        externals.set(name, inputInfo(name, [], true, true));
      }
    }
    const blocks = hasFanOut(list) ? blockPaths(specs, order) : NO_BLOCKS;
    const graph = new Graph(
      specs,
      externals,
      order,
      blocks,
      offsets,
      dependents,
    );
    graph.#origins = specs.origins;
    if (specs.unmatchedVariants.size > 0) {
      const shown = Deno.inspect(config, {
        compact: true,
        breakLength: Infinity,
      });
      const unmatched = new Map<string, string>();
      for (const name of specs.unmatchedVariants) {
        if (!specs.has(name)) unmatched.set(name, shown);
      }
      (graph as { unmatchedVariants: ReadonlyMap<string, string> })
        .unmatchedVariants = unmatched;
    }
    return graph;
  }

  /**
   * The node a function or `node()` definition given to the builder
   * defines under its own name; a TypeError when it defines none here, or
   * was exported under two names.
   */
  nameOf(definition: object): string {
    const name = this.#origins?.get(definition);
    if (typeof name === "string") return name;
    const what = typeof definition === "function"
      ? `function ${definition.name || "<anonymous>"}`
      : `definition of function ${
        (definition as { fn?: { name?: string } }).fn?.name || "<anonymous>"
      }`;
    throw new TypeError(
      name === null
        ? `The ${what} defines more than one node (it is exported twice); request the node by name`
        : `The ${what} defines no node of this graph under its own name; request its nodes by name (see listAvailableVariables())`,
    );
  }

  /** Whether `name` is a node or an external input. */
  has(name: string): boolean {
    return this.specs.has(name) || this.externals.has(name);
  }

  /** The public view of `name`, or undefined. */
  info(name: string): NodeInfo | undefined {
    const spec = this.specs.get(name);
    return spec === undefined ? this.externals.get(name) : nodeInfo(spec);
  }

  /** Every variable matching `tagFilter`, nodes in topological order, then inputs. */
  list(tagFilter?: TagFilter): NodeInfo[] {
    const all: NodeInfo[] = [];
    for (const name of this.order) all.push(nodeInfo(this.specs.get(name)!));
    for (const info of this.externals.values()) all.push(info);
    if (tagFilter === undefined) return all;
    const filters = Object.entries(tagFilter);
    return all.filter((info) =>
      filters.every(([k, v]) => matches(info.tags, k, v))
    );
  }

  /** `names` and everything they depend on, in topological order. */
  upstreamOf(names: readonly string[]): string[] {
    return this.#sorted(this.#reach(names, "in"));
  }

  /** `names` and everything that depends on them, in topological order. */
  downstreamOf(names: readonly string[]): string[] {
    return this.#sorted(this.#reach(names, "out"));
  }

  /** The nodes on any path from `from` to `to` (both included), or [] if none. */
  pathBetween(from: string, to: string): string[] {
    const down = this.#reach([from], "out");
    if (!down.has(to)) return [];
    const up = this.#reach([to], "in");
    return this.#sorted(new Set([...down].filter((n) => up.has(n))));
  }

  #reach(names: readonly string[], direction: "in" | "out"): Set<string> {
    const seen = new Set<string>();
    const stack: string[] = [];
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      stack.push(name);
    };
    for (const name of names) if (this.has(name)) visit(name);
    while (stack.length > 0) {
      const name = stack.pop()!;
      const j = this.#positions.get(name);
      if (direction === "in") {
        // A node's inputs; an external input has none.
        if (j === undefined) continue;
        for (const input of this.#list[j]!.inputs) visit(input.name);
      } else if (j === undefined) {
        for (const by of this.externals.get(name)?.neededBy ?? []) visit(by);
      } else {
        for (let k = this.#offsets[j]!; k < this.#offsets[j + 1]!; k++) {
          visit(this.#list[this.#dependents[k]!]!.name);
        }
      }
    }
    return seen;
  }

  #sorted(names: Set<string>): string[] {
    const nodes = [...names].filter((n) => this.specs.has(n));
    nodes.sort((a, b) => this.rank.get(a)! - this.rank.get(b)!);
    const inputs = [...names].filter((n) => this.externals.has(n)).sort();
    return [...inputs, ...nodes];
  }
}

const NO_BLOCKS: ReadonlyMap<string, readonly string[]> = new Map();
const NO_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({});

/** The public view of a spec. */
// A node's inputs are shared by its specs and by later builds from the same
// module, and are not frozen as they are made (that would cost more than
// reading them): a public view freezes them when it first shows them.
function frozen(inputs: readonly InputSpec[]): readonly InputSpec[] {
  // Declared inputs come in a frozen list of unfrozen entries.
  for (const input of inputs) Object.freeze(input);
  return Object.freeze(inputs);
}

function nodeInfo(spec: NodeSpec): NodeInfo {
  const info: NodeInfo = {
    name: spec.name,
    kind: "node",
    originalName: spec.originalName,
    tags: spec.tags,
    inputs: frozen(spec.inputs),
    modifiers: spec.modifiers,
  };
  if (spec.module !== undefined) Object.assign(info, { module: spec.module });
  if (spec.cache !== undefined) Object.assign(info, { cache: spec.cache });
  if (spec.doc !== undefined) Object.assign(info, { doc: spec.doc });
  return Object.freeze(info);
}

function inputInfo(
  name: string,
  neededBy: string[],
  optional: boolean,
  fromConfig: boolean,
): NodeInfo {
  return Object.freeze({
    name,
    kind: "input",
    originalName: name,
    tags: Object.freeze({}),
    inputs: Object.freeze([]),
    modifiers: Object.freeze([]),
    neededBy: Object.freeze(neededBy),
    optional,
    ...(fromConfig ? { fromConfig } : {}),
  });
}

function matches(
  tags: Tags,
  key: string,
  wanted: TagValue | readonly TagValue[] | null,
): boolean {
  if (!(key in tags)) return false;
  if (wanted === null) return true;
  const have = tags[key]!;
  const haveList: readonly unknown[] = Array.isArray(have) ? have : [have];
  const wantList: readonly unknown[] = Array.isArray(wanted)
    ? wanted
    : [wanted];
  return wantList.some((w) => haveList.includes(w));
}

// An iterative depth-first search (never recursion: graphs can be 100,000
// nodes deep) that returns the first cycle found, first node repeated.
function findCycle(specs: ReadonlyMap<string, NodeSpec>): string[] {
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
  for (const root of specs.keys()) {
    if (state.has(root)) continue;
    const path: string[] = [root];
    const cursors: number[] = [0];
    state.set(root, 1);
    while (path.length > 0) {
      const name = path[path.length - 1]!;
      const inputs = specs.get(name)!.inputs;
      const i = cursors[cursors.length - 1]!;
      if (i >= inputs.length) {
        state.set(name, 2);
        path.pop();
        cursors.pop();
        continue;
      }
      cursors[cursors.length - 1] = i + 1;
      const dep = inputs[i]!.name;
      if (!specs.has(dep) || state.get(dep) === 2) continue;
      if (state.get(dep) === 1) {
        // path runs consumer -> input; a cycle reads best producer -> consumer.
        const cycle = path.slice(path.indexOf(dep)).reverse();
        return [cycle[cycle.length - 1]!, ...cycle];
      }
      state.set(dep, 1);
      path.push(dep);
      cursors.push(0);
    }
  }
  return [];
}
