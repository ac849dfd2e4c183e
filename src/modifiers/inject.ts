/**
 * `inject`: binds some of a node's parameters to other nodes, literals or
 * lists (Hamilton's `@inject`). Binding one parameter twice is an error.
 *
 * @module
 */
import type { BindingModifier, NodeSpec } from "../node.ts";
import { type Binding, fillDoc, rebind } from "./_bind.ts";

/**
 * Binds parameters of the node to `source(...)`, `value(...)` or `group(...)`.
 *
 * @example
 * ```ts
 * import { Builder, group, inject, node, source, value } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const total = ({ nums }: { nums: number[] }) => nums.reduce((s, n) => s + n, 0);
 * const dr = await new Builder().withModules({
 *   a: () => 1,
 *   b: () => 2,
 *   total: node(total, inject({ nums: group(source("a"), value(10), source("b")) })),
 * }).build();
 * assert.equal((await dr.execute(["total"])).total, 13);
 * ```
 */
export function inject(
  bindings: Readonly<Record<string, Binding>>,
): BindingModifier {
  if (typeof bindings !== "object" || bindings === null) {
    throw new TypeError("'inject' takes an object of bindings");
  }
  return Object.freeze({
    kind: "inject",
    phase: "expand" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      const injected = rebind(spec, bindings, "inject");
      return spec.doc === undefined ? [injected] : [{
        ...injected,
        doc: fillDoc(spec.doc, spec, spec.name, bindings, "inject"),
      }];
    },
  });
}
