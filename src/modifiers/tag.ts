/**
 * `tag(tags)`: metadata on a node, for `listAvailableVariables({ tagFilter })`.
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import type { Modifier, NodeSpec, Tags, TagValue } from "../node.ts";

/** Tag namespaces braid keeps for itself (the part before the first "."). */
export const RESERVED_TAG_NAMESPACES: readonly string[] = Object.freeze([
  "braid",
  "dag",
  "module",
]);

/**
 * Attaches tags to the node; they never change what it computes. A
 * `priority` tag orders ready nodes (as `priority(n)` does) and must be a
 * finite number: any other value is an `InvalidNodeError` when the node is
 * built.
 *
 * @example
 * ```ts
 * import { node, tag } from "@braid/braid";
 * export const spend = node(() => [10, 20], tag({ layer: "raw", owner: "ana" }));
 * ```
 */
export function tag(tags: Readonly<Record<string, TagValue>>): Modifier {
  if (typeof tags !== "object" || tags === null) {
    throw new TypeError(`'tags' must be an object: received ${tags}`);
  }
  const frozen: Tags = Object.freeze({ ...tags });
  return Object.freeze({
    kind: "tag",
    phase: "decorate" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      for (const [key, value] of Object.entries(frozen)) {
        const namespace = key.split(".", 1)[0] ?? key;
        if (RESERVED_TAG_NAMESPACES.includes(namespace)) {
          throw new InvalidNodeError(
            spec.name,
            `tag "${key}" uses the reserved namespace "${namespace}"; choose another key`,
          );
        }
        if (!isTagValue(value)) {
          throw new InvalidNodeError(
            spec.name,
            `tag "${key}" must be a string, number, boolean or a list of them`,
          );
        }
        // The scheduler orders ready nodes by it: a string or NaN would
        // silently sort as something else.
        if (
          key === "priority" &&
          (typeof value !== "number" || !Number.isFinite(value))
        ) {
          throw new InvalidNodeError(
            spec.name,
            `tag "priority" must be a finite number: received ${
              typeof value === "number" ? value : JSON.stringify(value)
            }`,
          );
        }
      }
      return [{ ...spec, tags: Object.freeze({ ...spec.tags, ...frozen }) }];
    },
  });
}

function isTagValue(value: unknown): boolean {
  const scalar = (v: unknown) =>
    typeof v === "string" || typeof v === "number" || typeof v === "boolean";
  return scalar(value) || (Array.isArray(value) && value.every(scalar));
}
