/**
 * `tagOutputs`: tags for some of the nodes a definition produces, by name
 * (Hamilton's `@tag_outputs`), for nodes made by `extractFields` or
 * `parameterize`.
 *
 * @module
 */
import type { Modifier, ModifierContext, NodeSpec, TagValue } from "../node.ts";
import { tag } from "./tag.ts";

/**
 * Tags each named node of the definition with its own tags.
 *
 * @example
 * ```ts
 * import { Builder, extractFields, node, tagOutputs } from "@braid/braid";
 * const stats = node(() => ({ mean: 1 }), extractFields("mean"), tagOutputs({ mean: { kind: "metric" } }));
 * const dr = await new Builder().withModules({ stats }).build();
 * console.assert(dr.listAvailableVariables({ tagFilter: { kind: "metric" } })[0]?.name === "mean");
 * ```
 */
export function tagOutputs(
  tags: Readonly<Record<string, Readonly<Record<string, TagValue>>>>,
): Modifier {
  if (typeof tags !== "object" || tags === null) {
    throw new TypeError("'tagOutputs' takes an object of node names to tags");
  }
  const byName = new Map(
    Object.entries(tags).map(([name, t]) => [name, tag(t)]),
  );
  return Object.freeze({
    kind: "tagOutputs",
    phase: "decorate" as const,
    // It picks its nodes by name, final or not (Hamilton's target_=...).
    target: "all",
    apply(spec: NodeSpec, context: ModifierContext): readonly NodeSpec[] {
      const modifier = byName.get(spec.name);
      return modifier === undefined ? [spec] : modifier.apply(spec, context);
    },
  });
}
