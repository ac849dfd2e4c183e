/**
 * `priority(n)`: where a node stands among ready nodes. The scheduler starts
 * higher priorities first, on every executor; ties fall to the longer
 * remaining path, then to declaration order.
 *
 * @module
 */
import type { Modifier } from "../node.ts";
import { tag } from "./tag.ts";

/**
 * Gives the node scheduling priority `n` (default 0; higher starts first
 * among ready nodes). The same as a numeric `priority` tag.
 *
 * @example
 * ```ts
 * import { node, priority } from "@braid/braid";
 * export const urgent = node(() => 1, priority(10));
 * ```
 */
export function priority(n: number): Modifier {
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new RangeError(`'priority' must be a finite number: received ${n}`);
  }
  return tag({ priority: n });
}
