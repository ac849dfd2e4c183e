/**
 * `named(name)`: gives a node a name other than its function's or export's.
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import type { NamingModifier, NodeSpec } from "../node.ts";

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
  return Object.freeze({
    kind: "named",
    phase: "name" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      if (name === "ctx") {
        throw new InvalidNodeError(
          name,
          '"ctx" is reserved for the run context',
        );
      }
      return [{ ...spec, name }];
    },
  });
}
