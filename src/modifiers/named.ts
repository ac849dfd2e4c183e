/**
 * `named(name)`: gives a node a name other than its function's or export's.
 *
 * @module
 */
import { type NamingModifier, Rename } from "../node.ts";

/**
 * Names the node `name` (HyperNodes' `output_name`).
 *
 * @example
 * ```ts
 * import { named, node } from "@braid/braid";
 * export const data = node(() => [1, 2, 3], named("raw_data"));
 * ```
 */
export function named<const N extends string>(name: N): NamingModifier<N> {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`'name' must be a non-empty string: received ${name}`);
  }
  // A node named "ctx" is refused with the others when the graph is built.
  return new Rename(name);
}
