/**
 * Fan-out blocks, checked when the graph is built. A block is everything
 * downstream of a parallelizable node up to the nodes that collect it; each
 * node gets its "block path": the parallelizable nodes whose items it runs
 * once per, outermost first (empty for nodes that run once). Everything
 * Hamilton discovers by crashing at run time is refused here, naming the
 * nodes involved.
 *
 * @module
 */
import { InvalidNodeError } from "./errors.ts";
import type { NodeSpec } from "./node.ts";

const NONE: readonly string[] = Object.freeze([]);

/** Whether any spec takes part in a fan-out. */
export function hasFanOut(specs: readonly NodeSpec[]): boolean {
  for (const spec of specs) {
    if (spec.parallelizable || spec.collects !== undefined) return true;
  }
  return false;
}

/**
 * Each block node's block path (nodes outside every block are left out).
 * `order` is a topological order of `specs`. Throws InvalidNodeError for a
 * collect with no parallelizable upstream, a node mixing two blocks, a
 * collect that also takes per-item values it does not collect, and a node
 * inside a block that depends on that block's own collected result.
 */
export function blockPaths(
  specs: ReadonlyMap<string, NodeSpec>,
  order: readonly string[],
): ReadonlyMap<string, readonly string[]> {
  const paths = new Map<string, readonly string[]>();
  // The parallelizable nodes upstream of each node (only non-empty sets).
  const openers = new Map<string, ReadonlySet<string>>();
  const pathOf = (name: string) => paths.get(name) ?? NONE;
  const label = (path: readonly string[]) =>
    path.length === 0
      ? "outside every block"
      : `in the block of "${path[path.length - 1]}"`;

  for (const name of order) {
    const spec = specs.get(name)!;
    const collects = spec.collects;
    if (collects !== undefined && !specs.has(collects)) {
      throw new InvalidNodeError(
        name,
        `collect("${collects}") gathers "${collects}", which is an input, not a node inside a block; mark the node whose items fan out with parallelizable()`,
      );
    }
    let deepest = NONE;
    let deepestFrom = "";
    let collected: readonly string[] | undefined;
    let upstream: Set<string> | undefined;
    const effective: { input: string; path: readonly string[] }[] = [];
    for (const input of spec.inputs) {
      const producer = specs.get(input.name);
      if (producer === undefined) continue;
      const seen = openers.get(input.name);
      if (seen !== undefined || producer.parallelizable) {
        upstream ??= new Set();
        if (seen !== undefined) { for (const p of seen) upstream.add(p); }
        if (producer.parallelizable) upstream.add(input.name);
      }
      let path = pathOf(input.name);
      if (producer.parallelizable) path = [...path, input.name];
      if (input.name === collects) {
        if (path.length === 0) {
          throw new InvalidNodeError(
            name,
            `collect("${collects}") gathers "${collects}", which is not downstream of any parallelizable() node: there are no items to collect`,
          );
        }
        path = path.slice(0, -1);
        collected = path;
      }
      effective.push({ input: input.name, path });
      if (isPrefix(path, deepest)) continue;
      if (!isPrefix(deepest, path)) {
        throw new InvalidNodeError(
          name,
          `it takes "${deepestFrom}" (${label(deepest)}) and "${input.name}" (${
            label(path)
          }); a node can be inside one block only: collect one of them first`,
        );
      }
      deepest = path;
      deepestFrom = input.name;
    }
    if (collected !== undefined && deepest.length > collected.length) {
      const block = deepest[collected.length]!;
      throw new InvalidNodeError(
        name,
        `it collects "${collects}" but also takes "${deepestFrom}" once per item of "${block}" without collecting it; collect that in another node, or make it depend on a collected value`,
      );
    }
    // A node inside a block cannot use what the block's own collect made
    // of all its items: the block would wait for itself.
    for (const { input, path } of effective) {
      if (path.length >= deepest.length) continue;
      const before = openers.get(input);
      for (const block of deepest.slice(path.length)) {
        if (before?.has(block)) {
          throw new InvalidNodeError(
            name,
            `it runs once per item of "${block}" but takes "${input}", which is computed from all of that block's items; move it after the collect`,
          );
        }
      }
    }
    if (deepest.length > 0) paths.set(name, deepest);
    if (upstream !== undefined) openers.set(name, upstream);
  }
  return paths;
}

/** Whether block path `a` starts block path `b` (or equals it). */
export function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
