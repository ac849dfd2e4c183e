/**
 * `describe(text)`: a node's description, shown by `listAvailableVariables`
 * and `exportExecution`. `parameterize` fills `{param}` placeholders with
 * each generated node's bindings.
 *
 * @module
 */
import type { Modifier, NodeSpec } from "../node.ts";

/**
 * Describes the node (what a docstring is to Hamilton).
 *
 * @example
 * ```ts
 * import { Builder, describe, node } from "@braid/braid";
 * const spend = node(() => [1, 2], describe("Spend per order, in EUR"));
 * const dr = await new Builder().withModules({ spend }).build();
 * console.assert(dr.listAvailableVariables()[0]?.doc === "Spend per order, in EUR");
 * ```
 */
export function describe(text: string): Modifier {
  if (typeof text !== "string") {
    throw new TypeError(`'describe' takes a string: received ${text}`);
  }
  return Object.freeze({
    kind: "describe",
    // Before expanding modifiers, which fill in its placeholders.
    phase: "name" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      return [{ ...spec, doc: text }];
    },
  });
}
