/**
 * `extractFields` and `unpackFields`: a node per field of an object (or item
 * of a tuple) the node returns, next to the node itself (Hamilton's
 * `@extract_fields` and `@unpack_fields`).
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import { derivedSpec } from "../_code.ts";
import type { FieldsModifier, Modifier, NodeSpec } from "../node.ts";

/**
 * The fields `extractFields(...fields)` adds, each read under its own name:
 * the names given, and the keys of objects given (options aside).
 */
export type ExtractedFields<A extends readonly unknown[]> = {
  readonly [
    K in A[number] extends infer E ? E extends string ? E
      : E extends readonly unknown[] ? never
      : E extends ExtractOptions ? keyof E extends "fillWith" ? never
        : Exclude<keyof E, "fillWith"> & string
      : E extends object ? keyof E & string
      : never
      : never
  ]: K;
};

/** The items `unpackFields(...names)` adds, each read at its position. */
export type UnpackedFields<A extends readonly string[]> = {
  readonly [K in keyof A & `${number}` as A[K] & string]: K;
};

/** Options of `extractFields`. */
export interface ExtractOptions {
  /** The value of a field the object lacks; without it, a missing field fails the node. */
  readonly fillWith?: unknown;
}

/**
 * Adds a node per named field of the object the node returns; the node
 * itself stays, returning the whole object. Fields are names
 * (`"mean", "std"`) or an object of names to type labels (`{ mean: "number" }`).
 *
 * @example
 * ```ts
 * import { Builder, extractFields, node } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const stats = () => ({ mean: 2, std: 0.5 });
 * const dr = await new Builder()
 *   .withModules({ stats: node(stats, extractFields("mean", "std")) })
 *   .build();
 * assert.deepEqual(await dr.execute(["mean", "std"]), { mean: 2, std: 0.5 });
 * ```
 */
export function extractFields<
  const A extends readonly (
    | string
    | Readonly<Record<string, unknown>>
    | ExtractOptions
  )[],
>(...fields: A): FieldsModifier<ExtractedFields<A>> {
  const names: string[] = [];
  let options: ExtractOptions = {};
  let misuse: string | undefined;
  for (const field of fields) {
    if (typeof field === "string") names.push(field);
    else if (Array.isArray(field)) {
      // Its keys would be "0", "1", ...: refused when the node is built.
      misuse ??=
        `extractFields takes field names or an object of names to types, not a list (${
          JSON.stringify(field)
        }); write extractFields(${
          field.map((f) => JSON.stringify(f)).join(", ")
        })`;
    } else if (
      typeof field === "object" && field !== null && "fillWith" in field
    ) {
      options = field as ExtractOptions;
    } else if (typeof field === "object" && field !== null) {
      names.push(...Object.keys(field));
    } else {
      throw new TypeError(
        `'extractFields' takes field names: received ${field}`,
      );
    }
  }
  return fieldsModifier("extractFields", names, options, misuse, (
    whole,
    field,
  ) => {
    if (typeof whole !== "object" || whole === null) {
      throw new TypeError(
        `expected an object with field "${field}": received ${whole}`,
      );
    }
    return [
      Object.hasOwn(whole, field),
      (whole as Record<string, unknown>)[field],
    ];
  }) as FieldsModifier<ExtractedFields<A>>;
}

/**
 * Adds a node per item of the tuple the node returns, named in order; the
 * node itself stays, returning the whole tuple.
 *
 * @example
 * ```ts
 * import { Builder, node, unpackFields } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const split = (): [number, string] => [1, "a"];
 * const dr = await new Builder()
 *   .withModules({ split: node(split, unpackFields("n", "s")) })
 *   .build();
 * assert.deepEqual(await dr.execute(["n", "s"]), { n: 1, s: "a" });
 * ```
 */
export function unpackFields<const A extends readonly string[]>(
  ...names: A
): FieldsModifier<UnpackedFields<A>> {
  for (const name of names) {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`'unpackFields' takes item names: received ${name}`);
    }
  }
  return fieldsModifier(
    "unpackFields",
    [...names],
    {},
    undefined,
    (whole, _field, index) => {
      if (!Array.isArray(whole)) {
        throw new TypeError(`expected a tuple: received ${whole}`);
      }
      return [index < whole.length, whole[index]];
    },
  ) as FieldsModifier<UnpackedFields<A>>;
}

function fieldsModifier(
  kind: string,
  names: readonly string[],
  options: ExtractOptions,
  misuse: string | undefined,
  read: (whole: unknown, field: string, index: number) => [boolean, unknown],
): Modifier {
  if (names.length === 0 && misuse === undefined) {
    throw new TypeError(`'${kind}' needs at least one field`);
  }
  const fill = Object.hasOwn(options, "fillWith");
  return Object.freeze({
    kind,
    phase: "expand" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      const owner = spec.name;
      if (misuse !== undefined) throw new InvalidNodeError(owner, misuse);
      if (names.includes(owner)) {
        throw new InvalidNodeError(
          owner,
          `${kind} cannot name a field after the node itself`,
        );
      }
      // Reading a field is cheap plumbing a worker could not import: it
      // runs here under every executor.
      const fields = names.map((field, index): NodeSpec =>
        derivedSpec(
          spec,
          (args: Record<string, unknown>) => {
            const [present, found] = read(args[owner], field, index);
            if (present) return found;
            if (fill) return options.fillWith;
            throw new Error(
              `No such field "${field}" in the value of "${owner}"`,
            );
          },
          [read, owner, field, index, fill, options.fillWith],
          {
            name: field,
            inputs: [{ name: owner, optional: false }],
            callStyle: "declared",
            ctxIndex: -1,
            local: true,
          },
        )
      );
      return [spec, ...fields];
    },
  });
}
