/**
 * `does(fn)`: the node keeps its name and parameters, and `fn` computes it
 * (Hamilton's `@does`): one function serving many nodes that differ only in
 * what they read.
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import { wrappedSpec } from "../_code.ts";
import type { AnyFn, Modifier, NodeSpec } from "../node.ts";

/** Options of `does`. */
export interface DoesOptions {
  /**
   * Keys under which `fn` receives some of the node's parameters:
   * `{ fnKey: "param" }`. The others keep their names.
   *
   * @default {{}}
   */
  readonly argumentMapping?: Readonly<Record<string, string>>;
}

/**
 * Computes the node with `fn`, called with one object holding the node's
 * parameters (renamed by `argumentMapping`); the node's own function only
 * declares its name and parameters, and its body never runs. An optional
 * parameter with no value gets the default the node's function writes as a
 * literal, else it is left out. A node that declares `ctx` passes it as
 * `fn`'s second argument.
 *
 * @example
 * ```ts
 * import { Builder, does, node } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const sumAll = (values: Record<string, number>) =>
 *   Object.values(values).reduce((a, b) => a + b, 0);
 * // The parameters are declared, the bodies never run.
 * type AB = { a: number; b: number };
 * const total = node(({ a: _a, b: _b }: AB) => 0, does(sumAll));
 * const ratio = node(({ a: _a, b: _b }: AB) => 0,
 *   does(({ top, bottom }: { top: number; bottom: number }) => top / bottom, {
 *     argumentMapping: { top: "a", bottom: "b" },
 *   }));
 * const dr = await new Builder().withModules({ total, ratio }).build();
 * assert.deepEqual(await dr.execute(["total", "ratio"], { inputs: { a: 3, b: 4 } }),
 *   { total: 7, ratio: 0.75 });
 * ```
 */
export function does(fn: AnyFn, options: DoesOptions = {}): Modifier {
  if (typeof fn !== "function") {
    throw new TypeError(`'does' takes a function: received ${fn}`);
  }
  const mapping = options.argumentMapping ?? {};
  if (typeof mapping !== "object" || mapping === null) {
    throw new TypeError(
      `'argumentMapping' must be an object: received ${mapping}`,
    );
  }
  for (const [key, param] of Object.entries(mapping)) {
    if (typeof param !== "string" || param === "") {
      throw new TypeError(
        `'argumentMapping' must map names to parameter names: received ${param} for "${key}"`,
      );
    }
  }
  const entries = Object.entries(mapping);
  const frozen = Object.freeze({ ...mapping });
  return Object.freeze({
    kind: "does",
    // Before expanding modifiers, which wrap what the node computes.
    phase: "name" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      const params = spec.inputs;
      for (const [key, param] of entries) {
        if (!params.some((i) => i.name === param)) {
          throw new InvalidNodeError(
            spec.name,
            `does: argumentMapping gives "${key}" the parameter "${param}", which it does not have (its parameters: ${
              params.map((i) => `"${i.name}"`).join(", ") || "none"
            })`,
          );
        }
      }
      // Parameters as fn's keys; a mapped parameter under its new key only.
      const renamed = new Map<string, string[]>();
      for (const [key, param] of entries) {
        const keys = renamed.get(param);
        if (keys === undefined) renamed.set(param, [key]);
        else keys.push(key);
      }
      const takesCtx = spec.ctxIndex >= 0;
      const call = (args: Record<string, unknown>, ctx?: unknown) => {
        const given: Record<string, unknown> = {};
        for (const input of params) {
          let v: unknown;
          if (input.name in args) v = args[input.name];
          else if (Object.hasOwn(input, "defaultValue")) v = input.defaultValue;
          else continue;
          const keys = renamed.get(input.name);
          if (keys === undefined) given[input.name] = v;
          else for (const key of keys) given[key] = v;
        }
        return takesCtx ? fn(given, ctx) : fn(given);
      };
      return [wrappedSpec(spec, call, [fn, frozen], {
        callStyle: "declared",
        ctxIndex: takesCtx ? 1 : -1,
      })];
    },
  });
}
