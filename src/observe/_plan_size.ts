// How many nodes a run will execute, worked out from the graph an adapter
// saw at build time (validateGraph's node list): the final vars and their
// upstream, stopping at values the run is given (inputs, overrides,
// config), as the plan does. Each node counts once, even when it runs once
// per item of a fan-out block, as in run()'s record.
import type { NodeInfo } from "../graph.ts";

/** What a graph's node list says about sizes, made once per graph. */
export class GraphShape {
  readonly #inputs = new Map<string, readonly string[]>();
  readonly #config: Readonly<Record<string, unknown>>;

  constructor(
    nodes: readonly NodeInfo[],
    config: Readonly<Record<string, unknown>>,
  ) {
    for (const info of nodes) {
      if (info.kind === "node") {
        this.#inputs.set(info.name, info.inputs.map((input) => input.name));
      }
    }
    this.#config = config;
  }

  /** Whether `name` is a node of this graph. */
  has(name: string): boolean {
    return this.#inputs.has(name);
  }

  /** Whether every one of `names` is a node of this graph or given. */
  covers(names: readonly string[], given: ReadonlySet<string>): boolean {
    return names.every((name) => this.#inputs.has(name) || given.has(name));
  }

  /** The number of nodes a run of `finalVars` executes, given `given`. */
  planSize(
    finalVars: readonly string[],
    given: ReadonlySet<string>,
  ): number {
    const seen = new Set<string>();
    const work = [...finalVars];
    while (work.length > 0) {
      const name = work.pop()!;
      if (seen.has(name) || given.has(name)) continue;
      if (Object.hasOwn(this.#config, name)) continue;
      const inputs = this.#inputs.get(name);
      if (inputs === undefined) continue;
      seen.add(name);
      work.push(...inputs);
    }
    return seen.size;
  }
}
