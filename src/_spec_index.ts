// Node specs by name, kept as an array plus one name -> position map: the
// loader fills it, the graph reads positions from it, and everything else
// sees an ordinary read-only map. (Building a second map of thousands of
// names for the graph would cost as much as the rest of a build.)
import type { NodeSpec } from "./node.ts";

/** Specs by name, in the order they were first defined. */
export class SpecIndex implements ReadonlyMap<string, NodeSpec> {
  /** The specs, by position. */
  readonly list: NodeSpec[] = [];
  /** Each name's position in `list`. */
  readonly positions: Map<string, number> = new Map();
  /**
   * The node each exported function or definition defines under its own
   * name, for requests that name a node by its definition; `null` when it
   * defines several such nodes (exported twice).
   */
  readonly origins: Map<object, string | null> = new Map();
  /**
   * Names defined only by config variants, none of which the config kept
   * (a request that needs one says so, rather than "not provided").
   */
  readonly unmatchedVariants: Set<string> = new Set();

  /** Adds `spec`, or replaces the spec of the same name; returns the one replaced. */
  put(spec: NodeSpec): NodeSpec | undefined {
    const at = this.positions.get(spec.name);
    if (at === undefined) {
      this.positions.set(spec.name, this.list.length);
      this.list.push(spec);
      return undefined;
    }
    const previous = this.list[at];
    this.list[at] = spec;
    return previous;
  }

  get size(): number {
    return this.list.length;
  }

  get(name: string): NodeSpec | undefined {
    const at = this.positions.get(name);
    return at === undefined ? undefined : this.list[at];
  }

  has(name: string): boolean {
    return this.positions.has(name);
  }

  forEach(
    callback: (
      spec: NodeSpec,
      name: string,
      map: ReadonlyMap<string, NodeSpec>,
    ) => void,
  ): void {
    for (const spec of this.list) callback(spec, spec.name, this);
  }

  *entries(): MapIterator<[string, NodeSpec]> {
    for (const spec of this.list) yield [spec.name, spec];
  }

  *keys(): MapIterator<string> {
    for (const spec of this.list) yield spec.name;
  }

  *values(): MapIterator<NodeSpec> {
    yield* this.list;
  }

  [Symbol.iterator](): MapIterator<[string, NodeSpec]> {
    return this.entries();
  }
}
