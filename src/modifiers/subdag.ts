/**
 * `subdag` and `parameterizedSubdag`: reuse a set of nodes under a namespace
 * with other inputs and config, and feed their values to a function
 * (Hamilton's `@subdag` and `@parameterized_subdag`).
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import type { Modifier, ModifierContext, NodeSpec } from "../node.ts";
import { collectSpecs } from "../_load.ts";
import { type Binding, isBinding, rebind, source, value } from "./_bind.ts";

/** How one use of a subdag is wired. */
export interface SubdagOptions {
  /**
   * Values for the subdag's inputs: `source("node")` reads a node (or input)
   * of the outer graph, `value(v)` or a plain value is a literal. Inputs not
   * listed read the outer graph's value of the same name.
   */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** Config for the subdag's nodes, over the builder's. */
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
): Modifier {
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
): Modifier {
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
  const config = { ...context.config, ...options.config };
  const inner = collectSpecs(
    modules.map((exports, i) => ({
      label: `subdag module #${i + 1}`,
      exports,
    })),
    { config },
    false,
  );
  const provided = options.inputs ?? {};
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
