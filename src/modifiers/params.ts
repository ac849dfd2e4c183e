/**
 * `params(...names)`: tells the type system the names of a function's
 * positional parameters, which types do not carry.
 *
 * @module
 */
import type { NodeSpec, ParamsModifier } from "../node.ts";
import { InvalidNodeError } from "../errors.ts";
import { CTX } from "../_params.ts";

/**
 * Names a function's positional parameters, in order (`ctx` too, where the
 * function takes it), so that `deno check` knows them: a module whose
 * positional functions all say their names has its `inputs` and `overrides`
 * checked by name like a module of object parameters, and each named
 * parameter is checked against the node it names. braid reads the names from
 * the function when the graph is built and refuses a list that differs, so
 * the declaration cannot drift from the code.
 *
 * @example
 * ```ts
 * import { Builder, node, params } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * function label(amount: number, unit = "EUR") {
 *   return `${amount} ${unit}`;
 * }
 * const dr = await new Builder().withModules({
 *   amount: () => 3,
 *   label: node(label, params("amount", "unit")),
 * }).build();
 * // `inputs: { unit: 1 }` or `inputs: { units: "USD" }` fails `deno check`.
 * const out = await dr.execute(["label"], { inputs: { unit: "USD" } });
 * assert.equal(out.label, "3 USD");
 * ```
 */
export function params<const A extends readonly string[]>(
  ...names: A
): ParamsModifier<A> {
  if (names.length === 0) {
    throw new TypeError("'params' needs at least one parameter name");
  }
  for (const name of names) {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `'params' names must be non-empty strings: received ${String(name)}`,
      );
    }
  }
  if (new Set(names).size !== names.length) {
    throw new TypeError(
      `'params' names must differ: received ${JSON.stringify(names)}`,
    );
  }
  const declared = Object.freeze([...names]);
  const ctxIndex = declared.indexOf(CTX);
  const inputs = declared.filter((n) => n !== CTX);
  return Object.freeze({
    kind: "params",
    phase: "resolve" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      if (spec.callStyle !== "positional") {
        throw new InvalidNodeError(
          spec.name,
          `params() names positional parameters, but the function takes ${
            spec.callStyle === "object"
              ? "one object: its keys are known already"
              : "declared inputs"
          }`,
        );
      }
      const read = spec.inputs.map((i) => i.name);
      const same = spec.ctxIndex === ctxIndex &&
        read.length === inputs.length &&
        read.every((name, i) => name === inputs[i]);
      if (!same) {
        const actual = [...read];
        if (spec.ctxIndex >= 0) actual.splice(spec.ctxIndex, 0, CTX);
        throw new InvalidNodeError(
          spec.name,
          `params(${
            quoted(declared)
          }) does not match the function's parameters (${quoted(actual)})`,
        );
      }
      return [spec];
    },
  });
}

function quoted(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(", ");
}
