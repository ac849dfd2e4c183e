/**
 * `parameterize`: one node per entry, each with some parameters bound to
 * other nodes (`source`), literals (`value`) or lists (`group`). The
 * function's own name is not a node (Hamilton's `@parameterize`).
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import type { NamingModifier, NodeSpec } from "../node.ts";
import { type Binding, fillDoc, rebind } from "./_bind.ts";

/** Each generated node's name and its parameters' bindings. */
export type Assignments = Readonly<
  Record<string, Readonly<Record<string, Binding>>>
>;

/**
 * Makes one node per key of `assignments`, named after the key.
 *
 * @example
 * ```ts
 * import { Builder, node, parameterize, source, value } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const sum = ({ a, b }: { a: number; b: number }) => a + b;
 * const dr = await new Builder().withModules({
 *   x: () => 1,
 *   y: () => 10,
 *   sum: node(sum, parameterize({
 *     sum_1: { a: source("x"), b: value(2) },
 *     sum_2: { a: source("y"), b: value(3) },
 *   })),
 * }).build();
 * assert.deepEqual(await dr.execute(["sum_1", "sum_2"]), { sum_1: 3, sum_2: 13 });
 * ```
 */
export function parameterize<const A extends Assignments>(
  assignments: A,
): NamingModifier<keyof A & string> {
  if (typeof assignments !== "object" || assignments === null) {
    throw new TypeError("'parameterize' takes an object of assignments");
  }
  const entries = Object.entries(assignments);
  if (entries.length === 0) {
    throw new TypeError("'parameterize' needs at least one assignment");
  }
  return Object.freeze({
    kind: "parameterize",
    phase: "expand" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      return entries.map(([name, bindings]) => {
        if (typeof bindings !== "object" || bindings === null) {
          throw new InvalidNodeError(
            spec.name,
            `parameterize: the assignment of "${name}" must be an object of bindings`,
          );
        }
        const generated = { ...rebind(spec, bindings, "parameterize"), name };
        return spec.doc === undefined ? generated : {
          ...generated,
          doc: fillDoc(spec.doc, spec, name, bindings, "parameterize"),
        };
      });
    },
  });
}
