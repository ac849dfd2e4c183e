/**
 * `cache(...)`: how a node's results may be cached. Declared on the node
 * now; the driver's cache gives it meaning.
 *
 * @module
 */
import type { Modifier, ModifierTarget, NodeSpec } from "../node.ts";
import { checkTarget } from "../_targets.ts";
import { InvalidNodeError } from "../errors.ts";

/** How a node takes part in caching (Hamilton's behaviours). */
export type CacheBehavior = "default" | "recompute" | "disable" | "ignore";

/** A node's cache declaration. */
export interface CacheDeclaration {
  /**
   * `"default"`: reuse a stored result when its inputs and code match;
   * `"recompute"`: always run, store the result; `"disable"`: never read or
   * store; `"ignore"`: like disable, and dependents leave it out of their key.
   *
   * @default {"default"}
   */
  readonly behavior?: CacheBehavior;
  /** Bumps the node's code version by hand (helpers its body calls are not seen). */
  readonly version?: string;
}

/** Every cache behavior. */
export const BEHAVIORS: readonly CacheBehavior[] = [
  "default",
  "recompute",
  "disable",
  "ignore",
];

/** What `cache(...)` takes: the declaration, and which nodes it is for. */
export interface CacheModifierOptions extends CacheDeclaration {
  /**
   * Which nodes of the definition it declares, when a modifier such as
   * `extractFields` made several: `"all"`, `"final"` (the ones no other
   * node of it consumes), a node name or a list of names.
   *
   * @default {"all"}
   */
  readonly target?: ModifierTarget;
}

/**
 * Declares how the node is cached: every node its definition makes, unless
 * `target` picks some (as Hamilton's `@cache(target_=...)`). A node that two
 * `cache()` modifiers declare is an `InvalidNodeError` at build time.
 *
 * @example
 * ```ts
 * import { Builder, cache, node } from "@braid/braid";
 * const model = node(() => "fitted", cache({ behavior: "recompute", version: "2" }));
 * const dr = await new Builder().withModules({ model }).build();
 * console.assert(dr.listAvailableVariables()[0]?.cache?.version === "2");
 * ```
 */
export function cache(options: CacheModifierOptions = {}): Modifier {
  const { target: given, ...declaration } = options;
  const target = checkTarget("cache", given) ?? "all";
  const { behavior, version } = declaration;
  if (behavior !== undefined && !BEHAVIORS.includes(behavior)) {
    throw new TypeError(
      `'behavior' must be one of ${BEHAVIORS.join(", ")}: received ${behavior}`,
    );
  }
  if (version !== undefined && typeof version !== "string") {
    throw new TypeError(`'version' must be a string: received ${version}`);
  }
  const frozen: CacheDeclaration = Object.freeze({ ...declaration });
  return Object.freeze({
    kind: "cache",
    phase: "decorate" as const,
    target,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      if (spec.cache !== undefined) {
        // Which declaration should win is anyone's guess.
        throw new InvalidNodeError(
          spec.name,
          "cache() is given twice for this node; give its behavior and version in one cache(...)",
        );
      }
      return [{ ...spec, cache: frozen }];
    },
  });
}
