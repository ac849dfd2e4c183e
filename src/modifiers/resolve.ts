/**
 * `resolveFromConfig`: a modifier chosen from config when the graph is
 * built (Hamilton's `@resolve(when=CONFIG_AVAILABLE)`).
 *
 * @module
 */
import { ConfigError, InvalidNodeError } from "../errors.ts";
import type {
  AnyFn,
  BindingModifier,
  Modifier,
  ModifierContext,
  NodeSpec,
} from "../node.ts";
import { ParamsError, parseParams } from "../_params.ts";

/**
 * Calls `resolver` with the config values its parameters name, and applies
 * the modifier it returns. It runs in the expand phase, where the modifiers
 * that make nodes from config (such as `parameterize`) belong. A config key
 * it needs that is missing is a `ConfigError`.
 *
 * @example
 * ```ts
 * import { Builder, node, parameterize, resolveFromConfig, value } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const scaled = node(
 *   ({ x, k }: { x: number; k: number }) => x * k,
 *   resolveFromConfig((factors: number[]) =>
 *     parameterize(Object.fromEntries(factors.map((f) => [`times_${f}`, { k: value(f) }])))
 *   ),
 * );
 * const dr = await new Builder().withModules({ scaled }).withConfig({ factors: [2, 3] }).build();
 * assert.deepEqual(await dr.execute(["times_2", "times_3"] as never[], { inputs: { x: 5 } }), {
 *   times_2: 10,
 *   times_3: 15,
 * });
 * ```
 */
export function resolveFromConfig(
  // deno-lint-ignore no-explicit-any
  resolver: (...config: any[]) => Modifier,
): BindingModifier {
  if (typeof resolver !== "function") {
    throw new TypeError(
      "'resolveFromConfig' takes a function of config values",
    );
  }
  return Object.freeze({
    kind: "resolveFromConfig",
    phase: "expand" as const,
    choose(context: ModifierContext, owner: string): Modifier {
      return choose(resolver, context, owner);
    },
    apply(spec: NodeSpec, context: ModifierContext): readonly NodeSpec[] {
      return choose(resolver, context, spec.name).apply(spec, context);
    },
  });
}

// The modifier `resolver` picks under `context`'s config, for node `owner`.
function choose(
  // deno-lint-ignore no-explicit-any
  resolver: (...config: any[]) => Modifier,
  context: ModifierContext,
  owner: string,
): Modifier {
  let params;
  try {
    params = parseParams(resolver as AnyFn);
  } catch (error) {
    if (!(error instanceof ParamsError)) throw error;
    throw new InvalidNodeError(owner, `resolveFromConfig: ${error.message}`);
  }
  const config = context.config;
  const missing = params.names.filter((n) =>
    !Object.hasOwn(config, n) && !params.optional.has(n)
  );
  if (missing.length > 0) {
    throw new ConfigError(
      `Node "${owner}" is resolved from config ${
        missing.map((n) => `"${n}"`).join(", ")
      }, which ${missing.length > 1 ? "are" : "is"} not set; add ${
        missing.length > 1 ? "them" : "it"
      } with withConfig()`,
    );
  }
  const chosen = params.style === "object"
    ? resolver(Object.fromEntries(
      params.names.filter((n) => Object.hasOwn(config, n)).map((
        n,
      ) => [n, config[n]]),
    ))
    : resolver(...params.names.map((n) => config[n]));
  if (
    typeof chosen !== "object" || chosen === null ||
    typeof (chosen as Modifier).apply !== "function"
  ) {
    throw new InvalidNodeError(
      owner,
      "resolveFromConfig: the resolver must return a modifier",
    );
  }
  return chosen;
}
