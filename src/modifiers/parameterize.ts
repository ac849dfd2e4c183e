/**
 * `parameterize`: one node per entry, each with some parameters bound to
 * other nodes (`source`), literals (`value`) or lists (`group`). The
 * function's own name is not a node (Hamilton's `@parameterize`).
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import type { BindingModifier, NamingModifier, NodeSpec } from "../node.ts";
import { type Binding, fillDoc, rebind } from "./_bind.ts";

/** One generated node's parameter bindings. */
export type Bindings = Readonly<Record<string, Binding>>;

/**
 * Each generated node's name and its parameters' bindings, or its bindings
 * and its own description (`[bindings, "doc"]`, Hamilton's tuple).
 */
export type Assignments = Readonly<
  Record<string, Bindings | readonly [Bindings, string]>
>;

/**
 * Makes one node per key of `assignments`, named after the key. An entry
 * given as `[bindings, "description"]` has that description; the others
 * fill the node's own description's `{param}` placeholders.
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
): NamingModifier<keyof A & string> & BindingModifier {
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
      return entries.map(([name, entry]) => {
        const [bindings, doc] = Array.isArray(entry)
          ? entry as readonly [Bindings, string]
          : [entry as Bindings, undefined];
        if (
          typeof bindings !== "object" || bindings === null ||
          Array.isArray(bindings) ||
          (Array.isArray(entry) &&
            (entry.length !== 2 || typeof doc !== "string"))
        ) {
          throw new InvalidNodeError(
            spec.name,
            `parameterize: the assignment of "${name}" must be an object of bindings, or [bindings, "description"]`,
          );
        }
        const generated = rebind({ ...spec, name }, bindings, "parameterize");
        if (doc !== undefined) return { ...generated, doc };
        return spec.doc === undefined ? generated : {
          ...generated,
          doc: fillDoc(spec.doc, spec, name, bindings, "parameterize"),
        };
      });
    },
  });
}
