/**
 * `tag(tags)`: metadata on a node, for `listAvailableVariables({ tagFilter })`.
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import type {
  Modifier,
  ModifierTarget,
  NodeSpec,
  Tags,
  TagValue,
} from "../node.ts";
import { checkTarget } from "../_targets.ts";

/** Tag namespaces braid keeps for itself (the part before the first "."). */
export const RESERVED_TAG_NAMESPACES: readonly string[] = Object.freeze([
  "braid",
  "dag",
  "module",
  // checkOutput's data-quality tags, named as Hamilton's.
  "hamilton",
  "data_quality",
]);

/** Options of `tag`. */
export interface TagOptions {
  /**
   * Which nodes of the definition get the tags, when a modifier such as
   * `extractFields` or `parameterize` made several: `"final"` (the ones no
   * other node of it consumes: the fields, not the object), `"all"`, a
   * node name or a list of names (Hamilton's `target_`).
   *
   * @default {"final"}
   */
  readonly target?: ModifierTarget;
}

/**
 * Attaches tags to the node; they never change what it computes. Keys are
 * names, or names joined by dots (`"data.source"`); values are strings,
 * numbers, booleans, or non-empty lists of them without repeats. A
 * `priority` tag orders ready nodes (as `priority(n)` does) and must be a
 * finite number: any other value is an `InvalidNodeError` when the node is
 * built. After a modifier that makes several nodes, the tags go to its
 * final nodes (`target` chooses others).
 *
 * @example
 * ```ts
 * import { Builder, extractFields, node, tag } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * export const spend = node(() => [10, 20], tag({ layer: "raw", owner: "ana" }));
 * const stats = node(() => ({ mean: 1, std: 0 }), extractFields("mean", "std"),
 *   tag({ kind: "metric" }));
 * const dr = await new Builder().withModules({ stats }).build();
 * const metrics = dr.listAvailableVariables({ tagFilter: { kind: "metric" } });
 * assert.deepEqual(metrics.map((v) => v.name), ["mean", "std"]);
 * ```
 */
export function tag(
  tags: Readonly<Record<string, TagValue>>,
  options: TagOptions = {},
): Modifier {
  if (typeof tags !== "object" || tags === null) {
    throw new TypeError(`'tags' must be an object: received ${tags}`);
  }
  const target = checkTarget("tag", options?.target);
  const frozen: Tags = Object.freeze({ ...tags });
  return Object.freeze({
    kind: "tag",
    phase: "decorate" as const,
    ...(target === undefined ? {} : { target }),
    apply(spec: NodeSpec): readonly NodeSpec[] {
      for (const [key, value] of Object.entries(frozen)) {
        const namespace = key.split(".", 1)[0] ?? key;
        if (RESERVED_TAG_NAMESPACES.includes(namespace)) {
          throw new InvalidNodeError(
            spec.name,
            `tag "${key}" uses the reserved namespace "${namespace}"; choose another key`,
          );
        }
        if (!TAG_KEY.test(key)) {
          throw new InvalidNodeError(
            spec.name,
            `tag key ${
              JSON.stringify(key)
            } must be a name, or names joined by dots ("owner", "data.source")`,
          );
        }
        if (!isTagValue(value)) {
          throw new InvalidNodeError(
            spec.name,
            `tag "${key}" must be a string, number, boolean or a non-empty list of them`,
          );
        }
        if (Array.isArray(value) && new Set(value).size !== value.length) {
          throw new InvalidNodeError(
            spec.name,
            `tag "${key}" lists a value twice: ${JSON.stringify(value)}`,
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

// Identifier-like parts joined by dots, as Hamilton's tag keys.
const TAG_KEY = /^[\p{L}_$][\p{L}\p{N}_$]*(\.[\p{L}_$][\p{L}\p{N}_$]*)*$/u;

function isTagValue(value: unknown): boolean {
  const scalar = (v: unknown) =>
    typeof v === "string" || typeof v === "number" || typeof v === "boolean";
  return scalar(value) ||
    (Array.isArray(value) && value.length > 0 && value.every(scalar));
}
