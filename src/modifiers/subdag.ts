/**
 * `subdag` and `parameterizedSubdag`: reuse a set of nodes under a namespace
 * with other inputs and config, and feed their values to a function
 * (Hamilton's `@subdag` and `@parameterized_subdag`).
 *
 * @module
 */
import { ConfigError, InvalidNodeError } from "../errors.ts";
import type {
  BindingModifier,
  ModifierContext,
  NodeSpec,
  Tags,
} from "../node.ts";
import { collectSpecs } from "../_load.ts";
import {
  type Binding,
  isBinding,
  rebind,
  source,
  Value,
  value,
} from "./_bind.ts";

/** A subdag config value read from the builder's config (see {@linkcode configuration}). */
export class ConfigSource {
  /** The key of the builder's config whose value is used. */
  readonly key: string;
  /** Use {@linkcode configuration}. */
  constructor(key: string) {
    this.key = key;
    Object.freeze(this);
  }
}

/**
 * In a subdag's `config`: the value of another key of the builder's config
 * (Hamilton's `configuration("key")`), so one subdag can run under another
 * name for the same setting.
 *
 * @example
 * ```ts
 * import { Builder, config, configuration, node, subdag } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const inner = {
 *   rate__low: node(() => 0.1, config.when({ tier: "low" })),
 *   rate__high: node(() => 0.5, config.when({ tier: "high" })),
 * };
 * const eu = node(({ rate }: { rate: number }) => rate,
 *   subdag([inner], { config: { tier: configuration("eu_tier") } }));
 * const dr = await new Builder().withModules({ eu }).withConfig({ eu_tier: "high" }).build();
 * assert.equal((await dr.execute(["eu"])).eu, 0.5);
 * ```
 */
export function configuration(key: string): ConfigSource {
  if (typeof key !== "string" || key === "") {
    throw new TypeError(
      `'configuration' needs a config key: received ${key}`,
    );
  }
  return new ConfigSource(key);
}

/** How one use of a subdag is wired. */
export interface SubdagOptions {
  /**
   * Values for the subdag's inputs: `source("node")` reads a node (or input)
   * of the outer graph, `value(v)` or a plain value is a literal. Inputs not
   * listed read the outer graph's value of the same name.
   */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /**
   * Config for the subdag's nodes, over the builder's: plain values,
   * `value(v)`, or `configuration("key")` for another key of the builder's
   * config. It chooses the subdag's config variants, and its values are
   * inputs of the subdag's nodes too (a key that is also in `inputs` is a
   * `ConfigError`).
   */
  readonly config?: Readonly<Record<string, unknown>>;
  /** The prefix of the subdag's node names. @default {the node's name} */
  readonly namespace?: string;
}

/**
 * Adds the nodes of `modules` as `<namespace>.<name>`, wired to `inputs`,
 * and calls the function with the subdag's values its parameters name.
 *
 * @example
 * ```ts
 * import { Builder, node, source, subdag, value } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const features = {
 *   doubled: ({ x }: { x: number }) => x * 2,
 *   shifted: ({ doubled, k }: { doubled: number; k: number }) => doubled + k,
 * };
 * const total = node(({ shifted }: { shifted: number }) => shifted,
 *   subdag([features], { inputs: { x: source("a"), k: value(1) } }));
 * const dr = await new Builder().withModules({ a: () => 5, total }).build();
 * assert.equal((await dr.execute(["total"])).total, 11);
 * ```
 */
export function subdag(
  modules: readonly Readonly<Record<string, unknown>>[],
  options: SubdagOptions = {},
): BindingModifier {
  checkModules("subdag", modules);
  return Object.freeze({
    kind: "subdag",
    phase: "expand" as const,
    apply(spec: NodeSpec, context: ModifierContext): readonly NodeSpec[] {
      return expand(spec, spec.name, modules, options, context);
    },
  });
}

/**
 * One subdag per entry, each feeding its own copy of the function, named
 * after the entry.
 *
 * @example
 * ```ts
 * import { Builder, node, parameterizedSubdag, value } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const inner = { scaled: ({ x, k }: { x: number; k: number }) => x * k };
 * const out = node(({ scaled }: { scaled: number }) => scaled,
 *   parameterizedSubdag([inner], {
 *     small: { inputs: { k: value(2) } },
 *     large: { inputs: { k: value(100) } },
 *   }));
 * const dr = await new Builder().withModules({ out }).build();
 * assert.deepEqual(await dr.execute(["small", "large"] as never[], { inputs: { x: 3 } }), {
 *   small: 6,
 *   large: 300,
 * });
 * ```
 */
export function parameterizedSubdag(
  modules: readonly Readonly<Record<string, unknown>>[],
  uses: Readonly<Record<string, SubdagOptions>>,
): BindingModifier {
  checkModules("parameterizedSubdag", modules);
  const entries = Object.entries(uses);
  if (entries.length === 0) {
    throw new TypeError("'parameterizedSubdag' needs at least one entry");
  }
  return Object.freeze({
    kind: "parameterizedSubdag",
    phase: "expand" as const,
    apply(spec: NodeSpec, context: ModifierContext): readonly NodeSpec[] {
      return entries.flatMap(([name, options]) =>
        expand({ ...spec, name }, name, modules, options, context)
      );
    },
  });
}

function checkModules(kind: string, modules: readonly unknown[]): void {
  if (
    !Array.isArray(modules) ||
    modules.some((m) => typeof m !== "object" || m === null)
  ) {
    throw new TypeError(
      `'${kind}' takes a list of modules (namespaces or objects)`,
    );
  }
}

function expand(
  spec: NodeSpec,
  defaultNamespace: string,
  modules: readonly Readonly<Record<string, unknown>>[],
  options: SubdagOptions,
  context: ModifierContext,
): NodeSpec[] {
  const namespace = options.namespace ?? defaultNamespace;
  const own = ownConfig(spec.name, options.config, context.config);
  const config = { ...context.config, ...own };
  const provided = options.inputs ?? {};
  const both = Object.keys(own).filter((key) => Object.hasOwn(provided, key));
  if (both.length > 0) {
    throw new ConfigError(
      `Subdag of node "${spec.name}" gives ${
        both.map((k) => `"${k}"`).join(", ")
      } in both its inputs and its config; its config values are inputs of its nodes already, so give ${
        both.length > 1 ? "them" : "it"
      } once`,
    );
  }
  const inner = collectSpecs(
    modules.map((exports, i) => ({
      label: `subdag module #${i + 1}`,
      exports,
    })),
    { config },
    false,
  );
  const prefixed = (name: string) => `${namespace}.${name}`;
  const out: NodeSpec[] = [];
  for (const node of inner.values()) {
    const bindings: Record<string, Binding> = {};
    for (const input of node.inputs) {
      if (inner.has(input.name)) {
        bindings[input.name] = source(prefixed(input.name));
      } else if (Object.hasOwn(provided, input.name)) {
        const given = provided[input.name];
        bindings[input.name] = isBinding(given) ? given : value(given);
      } else if (Object.hasOwn(own, input.name)) {
        // The subdag's config is an input of its nodes (Hamilton's).
        bindings[input.name] = value(own[input.name]);
      }
    }
    // Made by the subdag: named, and placed, as the node that uses it;
    // modifiers after the subdag leave it alone (Hamilton's non-final
    // nodes) unless their target names it.
    out.push({
      ...rebind(node, bindings, "subdag"),
      name: prefixed(node.name),
      modifiers: Object.freeze([...node.modifiers, "subdag"]),
      ...(spec.module === undefined ? {} : { module: spec.module }),
      tags: withModuleOf(node.tags, spec.tags),
      nonFinal: true,
    });
  }
  const outputs: Record<string, Binding> = {};
  for (const input of spec.inputs) {
    if (inner.has(input.name)) {
      outputs[input.name] = source(prefixed(input.name));
    }
  }
  if (Object.keys(outputs).length === 0) {
    throw new InvalidNodeError(
      spec.name,
      "subdag: none of its parameters names a node of the subdag",
    );
  }
  out.push(rebind(spec, outputs, "subdag"));
  return out;
}

// The subdag's own config, resolved: `value(v)` is v, `configuration(k)`
// the builder's value of k.
function ownConfig(
  owner: string,
  given: Readonly<Record<string, unknown>> | undefined,
  outer: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  if (given === undefined) return own;
  if (typeof given !== "object" || given === null) {
    throw new InvalidNodeError(owner, "subdag: 'config' must be an object");
  }
  for (const [key, v] of Object.entries(given)) {
    if (v instanceof ConfigSource) {
      if (!Object.hasOwn(outer, v.key)) {
        throw new ConfigError(
          `Subdag of node "${owner}" takes config "${key}" from configuration("${v.key}"), which is not set; add it with withConfig()`,
        );
      }
      own[key] = outer[v.key];
    } else if (v instanceof Value) {
      own[key] = v.value;
    } else if (isBinding(v)) {
      throw new InvalidNodeError(
        owner,
        `subdag: config "${key}" is bound to ${
          v.constructor.name === "Source" ? "source(...)" : "group(...)"
        }; config takes plain values, value(...) or configuration(...)`,
      );
    } else own[key] = v;
  }
  return own;
}

// An inner node's tags, with the module tag of the node that uses it.
function withModuleOf(tags: Tags, user: Tags): Tags {
  if (user.module === undefined || tags.module === user.module) return tags;
  return Object.freeze({ ...tags, module: user.module });
}
