// The value of a parameter default written as a literal (`k = 2`,
// `mode = "fast"`, `opts = { n: [1, 2] }`), read from its syntax tree
// without running anything. A default that computes (a call, a name, an
// expression) has no value here: it stays unknown.
import type { Node as AcornNode } from "npm:acorn@8.15.0";

/** The literal's value, boxed; undefined when the default is not a literal. */
export function literalValue(
  node: AcornNode,
): { readonly value: unknown } | undefined {
  const n = node as AcornNode & Record<string, unknown>;
  switch (n.type) {
    case "Literal":
      if (n.regex !== undefined) return undefined; // a new object each call
      if (typeof n.bigint === "string") return { value: BigInt(n.bigint) };
      return { value: n.value };
    case "TemplateLiteral": {
      const quasis = n.quasis as { value: { cooked: string | null } }[];
      if ((n.expressions as unknown[]).length > 0) return undefined;
      const cooked = quasis[0]?.value.cooked;
      return typeof cooked === "string" ? { value: cooked } : undefined;
    }
    case "Identifier":
      if (n.name === "undefined") return { value: undefined };
      if (n.name === "NaN") return { value: NaN };
      if (n.name === "Infinity") return { value: Infinity };
      return undefined;
    case "UnaryExpression": {
      if (n.operator !== "-" && n.operator !== "+") return undefined;
      const inner = literalValue(n.argument as AcornNode);
      if (typeof inner?.value === "number") {
        return { value: n.operator === "-" ? -inner.value : inner.value };
      }
      if (typeof inner?.value === "bigint" && n.operator === "-") {
        return { value: -inner.value };
      }
      return undefined;
    }
    case "ArrayExpression": {
      const items: unknown[] = [];
      for (const element of n.elements as (AcornNode | null)[]) {
        if (element === null || element.type === "SpreadElement") {
          return undefined;
        }
        const item = literalValue(element);
        if (item === undefined) return undefined;
        items.push(item.value);
      }
      return { value: items };
    }
    case "ObjectExpression": {
      const object: Record<string, unknown> = {};
      for (
        const prop of n.properties as (AcornNode & Record<string, unknown>)[]
      ) {
        if (
          prop.type !== "Property" || prop.computed || prop.kind !== "init" ||
          prop.method
        ) return undefined;
        const key = prop.key as AcornNode & Record<string, unknown>;
        const name = key.type === "Identifier"
          ? key.name as string
          : key.type === "Literal"
          ? String(key.value)
          : undefined;
        const value = literalValue(prop.value as AcornNode);
        if (name === undefined || name === "__proto__" || value === undefined) {
          return undefined;
        }
        object[name] = value.value;
      }
      return { value: object };
    }
    default:
      return undefined;
  }
}
