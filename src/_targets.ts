// Which of one definition's specs a modifier acts on (Hamilton's
// `target_`): the final ones by default, every one, or those named.
import { InvalidNodeError } from "./errors.ts";
import type { ModifierTarget, NodeSpec } from "./node.ts";

/**
 * The specs of one definition that `target` picks (see
 * {@linkcode ModifierTarget}); a name that is none of them is an
 * `InvalidNodeError` naming the modifier.
 */
export function targets(
  specs: readonly NodeSpec[],
  target: ModifierTarget | undefined,
  kind: string,
  owner: string,
): Set<NodeSpec> {
  if (target === "all") return new Set(specs);
  if (target === undefined || target === "final") {
    const consumed = new Set<string>();
    for (const spec of specs) {
      for (const input of spec.inputs) consumed.add(input.name);
    }
    return new Set(
      specs.filter((s) => s.nonFinal !== true && !consumed.has(s.name)),
    );
  }
  const names: readonly string[] = typeof target === "string"
    ? [target]
    : target;
  const chosen = new Set(specs.filter((s) => names.includes(s.name)));
  const missing = names.filter((n) => !specs.some((s) => s.name === n));
  if (missing.length > 0) {
    throw new InvalidNodeError(
      owner,
      `${kind} targets ${
        missing.map((n) => `"${n}"`).join(", ")
      }, which its definition does not make (it makes ${
        specs.map((s) => `"${s.name}"`).join(", ")
      })`,
    );
  }
  return chosen;
}

/**
 * Checks a modifier's `target` option: `"final"`, `"all"`, a node name or
 * a non-empty list of names. Returns it, or undefined when not given.
 */
export function checkTarget(
  kind: string,
  target: unknown,
  option = "target",
): ModifierTarget | undefined {
  if (target === undefined) return undefined;
  if (typeof target === "string" && target !== "") return target;
  if (
    Array.isArray(target) && target.length > 0 &&
    target.every((t) => typeof t === "string" && t !== "")
  ) {
    return Object.freeze([...target]);
  }
  throw new TypeError(
    `'${kind}' option '${option}' must be "final", "all", a node name or a non-empty list of names: received ${
      typeof target === "string" ? JSON.stringify(target) : String(target)
    }`,
  );
}
