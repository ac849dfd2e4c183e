/**
 * `cache(...)`: how a node's results may be cached. Declared on the node
 * now; the driver's cache gives it meaning.
 *
 * @module
 */
import type { Modifier, NodeSpec } from "../node.ts";

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

/**
 * Declares how the node is cached.
 *
 * @example
 * ```ts
 * import { Builder, cache, node } from "@braid/braid";
 * const model = node(() => "fitted", cache({ behavior: "recompute", version: "2" }));
 * const dr = await new Builder().withModules({ model }).build();
 * console.assert(dr.listAvailableVariables()[0]?.cache?.version === "2");
 * ```
 */
export function cache(declaration: CacheDeclaration = {}): Modifier {
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
    apply(spec: NodeSpec): readonly NodeSpec[] {
      return [{ ...spec, cache: frozen }];
    },
  });
}
