/**
 * `config.when` and friends: keep a node only under some config. A variant's
 * name loses its `__suffix`, so `avg__us` and `avg__eu` both define `avg`.
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import type { ModifierContext, NodeSpec, VariantModifier } from "../node.ts";

/** Config keys and the value each must (or must not) have. */
export type Conditions = Readonly<Record<string, unknown>>;
/** Config keys and the values each may (or may not) have. */
export type ListConditions = Readonly<Record<string, readonly unknown[]>>;

function resolver(
  kind: string,
  keep: (config: Readonly<Record<string, unknown>>) => unknown,
): VariantModifier {
  return Object.freeze({
    kind,
    phase: "resolve" as const,
    apply(spec: NodeSpec, context: ModifierContext): readonly NodeSpec[] {
      if (spec.name.endsWith("__")) {
        throw new InvalidNodeError(
          spec.name,
          'a config variant name cannot end with "__"; add a suffix such as "__us"',
        );
      }
      let kept: unknown;
      try {
        kept = keep(context.config);
      } catch (error) {
        throw new InvalidNodeError(
          spec.name,
          `${kind}: its predicate threw: ${(error as Error)?.message ?? error}`,
          { cause: error },
        );
      }
      if (typeof kept !== "boolean") {
        throw new InvalidNodeError(
          spec.name,
          `${kind}: its predicate must return true or false: received ${kept}`,
        );
      }
      if (!kept) return [];
      const cut = spec.name.lastIndexOf("__");
      return cut > 0 ? [{ ...spec, name: spec.name.slice(0, cut) }] : [spec];
    },
  });
}

function checkConditions(kind: string, conditions: unknown, lists: boolean) {
  if (typeof conditions !== "object" || conditions === null) {
    throw new TypeError(`'${kind}' conditions must be an object`);
  }
  if (Object.keys(conditions).length === 0) {
    throw new TypeError(`'${kind}' needs at least one condition`);
  }
  if (lists) {
    for (const [key, v] of Object.entries(conditions)) {
      if (!Array.isArray(v)) {
        throw new TypeError(`'${kind}' condition "${key}" must be a list`);
      }
    }
  }
}

/** A test of the builder's config: keep the node when it returns true. */
export type ConfigPredicate = (
  config: Readonly<Record<string, unknown>>,
) => boolean;

/**
 * Config-dependent node selection (Hamilton's `@config`): `config(predicate)`
 * keeps the node when `predicate(config)` is true; `config.when` and friends
 * test keys for values.
 *
 * @example
 * ```ts
 * import { Builder, config, node } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * export const B__remote = node(({ A }: { A: number }) => A / 2, config.when({ version: "remote" }));
 * export const B__default = node(({ A }: { A: number }) => A / 3, config.whenNot({ version: "remote" }));
 * const big__yes = node(() => "big", config((cfg) => Number(cfg.size) > 100));
 * const big__no = node(() => "small", config((cfg) => !(Number(cfg.size) > 100)));
 * const dr = await new Builder().withModules({ big__yes, big__no })
 *   .withConfig({ size: 500 }).build();
 * assert.equal((await dr.execute(["big"])).big, "big");
 * ```
 */
export const config: {
  /**
   * Keeps the node when `predicate(config)` returns true (Hamilton's
   * `@config(resolves)`); anything else, or a throw, is an error naming the
   * node.
   */
  (predicate: ConfigPredicate): VariantModifier;
  /** Keeps the node when every key equals its value (a missing key excludes it). */
  readonly when: (conditions: Conditions) => VariantModifier;
  /** Keeps the node when no key equals its value (a missing key keeps it). */
  readonly whenNot: (conditions: Conditions) => VariantModifier;
  /** Keeps the node when every key's value is one of the listed values. */
  readonly whenIn: (conditions: ListConditions) => VariantModifier;
  /** Keeps the node when no key's value is one of the listed values. */
  readonly whenNotIn: (conditions: ListConditions) => VariantModifier;
} = Object.freeze(Object.assign(function config(
  predicate: ConfigPredicate,
): VariantModifier {
  if (typeof predicate !== "function") {
    throw new TypeError(
      `'config' takes a predicate of the config (or use config.when): received ${predicate}`,
    );
  }
  return resolver("config", (cfg) => predicate(cfg));
}, {
  when(conditions: Conditions): VariantModifier {
    checkConditions("config.when", conditions, false);
    const entries = Object.entries(conditions);
    return resolver(
      "config.when",
      (cfg) => entries.every(([k, v]) => k in cfg && cfg[k] === v),
    );
  },
  whenNot(conditions: Conditions): VariantModifier {
    checkConditions("config.whenNot", conditions, false);
    const entries = Object.entries(conditions);
    return resolver(
      "config.whenNot",
      (cfg) => entries.every(([k, v]) => !(k in cfg) || cfg[k] !== v),
    );
  },
  whenIn(conditions: ListConditions): VariantModifier {
    checkConditions("config.whenIn", conditions, true);
    const entries = Object.entries(conditions);
    return resolver(
      "config.whenIn",
      (cfg) => entries.every(([k, vs]) => k in cfg && vs.includes(cfg[k])),
    );
  },
  whenNotIn(conditions: ListConditions): VariantModifier {
    checkConditions("config.whenNotIn", conditions, true);
    const entries = Object.entries(conditions);
    return resolver(
      "config.whenNotIn",
      (cfg) => entries.every(([k, vs]) => !(k in cfg) || !vs.includes(cfg[k])),
    );
  },
}));
