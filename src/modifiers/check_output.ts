/**
 * `checkOutput`: validates a node's value with functions or any Standard
 * Schema validator (zod, valibot, ...), as Hamilton's `@check_output` does:
 * the function's node becomes `<name>_raw`, each validator a node
 * `<name>_<validator>` whose value is its {@linkcode ValidationResult}, and
 * `<name>` the node that applies the importance: `"warn"` (the default)
 * logs a failed check as a `log` event and passes the value on; `"fail"`
 * fails the node with a `ValidationError`.
 *
 * @module
 */
import { InvalidNodeError, ValidationError } from "../errors.ts";
import { derivedSpec } from "../_code.ts";
import type {
  InputSpec,
  Modifier,
  ModifierTarget,
  NodeSpec,
  Tags,
} from "../node.ts";
import { checkTarget } from "../_targets.ts";
import type { RunContext } from "../run.ts";
import { andThen } from "../_thenable.ts";

/** A validator function: `true` passes; `false` or a message fails. */
export type CheckFunction = (value: never) => boolean | string;

/** The part of the Standard Schema interface braid uses. */
export interface StandardSchemaLike {
  /** The Standard Schema entry point. */
  readonly "~standard": {
    /** Validates a value: `{ value }` on success, `{ issues }` otherwise. */
    validate(value: unknown): StandardResult | PromiseLike<StandardResult>;
  };
}

/** What a Standard Schema validator returns. */
export type StandardResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string }[] };

/** Options of `checkOutput`. */
export interface CheckOptions {
  /** `"warn"`: log and go on; `"fail"`: fail the node. @default {"warn"} */
  readonly importance?: "warn" | "fail";
  /**
   * Which nodes of the definition are checked, when a modifier such as
   * `extractFields` made several: `"final"` (the ones no other node of it
   * consumes), `"all"`, a node name or a list of names (Hamilton's
   * `target_`).
   *
   * @default {"final"}
   */
  readonly target?: ModifierTarget;
}

/** What a validator node gives: one validator's verdict on the value. */
export interface ValidationResult {
  /** Whether the value passed. */
  readonly passes: boolean;
  /** Why it failed, or `"passed"`. */
  readonly message: string;
  /** What a failure does: `"warn"` logs, `"fail"` fails the node. */
  readonly importance: "warn" | "fail";
  /** The validator's name (its function's name, `"validator"` or `"schema"`). */
  readonly validator: string;
}

/**
 * The tag every validator node carries (`true`), for tag filters (as
 * Hamilton's data-quality nodes do).
 */
export const DATA_QUALITY_TAG = "hamilton.data_quality.contains_dq_results";
/** The tag naming the node a validator node checks. */
export const DATA_QUALITY_SOURCE_TAG = "hamilton.data_quality.source_node";

/**
 * Checks every value the node returns, with one or more validators (a
 * function returning `true`, `false` or a message, or a Standard Schema
 * validator) and, last, options. The node `price` becomes `price_raw` (its
 * function), one node per validator (`price_positive`, after the
 * validator's name; `_1`, `_2` for repeats) valued with its
 * {@linkcode ValidationResult} and tagged
 * `hamilton.data_quality.contains_dq_results` and
 * `hamilton.data_quality.source_node`, and `price` itself, which applies
 * the importance and passes the value on. Give every validator to one
 * `checkOutput`.
 *
 * @example
 * ```ts
 * import { Builder, checkOutput, node, ValidationError } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const positive = (v: number) => v > 0 || "must be positive";
 * const price = node(() => -1, checkOutput(positive, { importance: "fail" }));
 * const dr = await new Builder().withModules({ price }).build();
 * await assert.rejects(dr.execute(["price"]), ValidationError);
 * const out: Record<string, unknown> = await dr.execute(["price_positive"] as never[]);
 * assert.deepEqual(out.price_positive, {
 *   passes: false,
 *   message: "must be positive",
 *   importance: "fail",
 *   validator: "positive",
 * });
 * ```
 */
export function checkOutput(
  ...args: readonly (CheckFunction | StandardSchemaLike | CheckOptions)[]
): Modifier {
  const validators: (CheckFunction | StandardSchemaLike)[] = [];
  let options: CheckOptions = {};
  args.forEach((arg, i) => {
    const last = i === args.length - 1;
    if (
      last && i > 0 && typeof arg === "object" && arg !== null &&
      !("~standard" in arg)
    ) {
      options = arg as CheckOptions;
    } else validators.push(arg as CheckFunction | StandardSchemaLike);
  });
  if (validators.length === 0) {
    throw new TypeError("'checkOutput' needs at least one validator");
  }
  const importance = options.importance ?? "warn";
  if (importance !== "warn" && importance !== "fail") {
    throw new TypeError(
      `'importance' must be "warn" or "fail": received ${importance}`,
    );
  }
  const checks = validators.map((v) => ({
    check: toCheck(v),
    name: nameOf(v),
  }));
  const target = checkTarget("checkOutput", options.target);
  return Object.freeze({
    kind: "checkOutput",
    // Before tags and the like, which then go to the checked node only.
    phase: "expand" as const,
    ...(target === undefined ? {} : { target }),
    apply(spec: NodeSpec): readonly NodeSpec[] {
      const name = spec.name;
      if (spec.modifiers.filter((k) => k === "checkOutput").length > 1) {
        throw new InvalidNodeError(
          name,
          "checkOutput is given twice; give every validator to one checkOutput(a, b, options)",
        );
      }
      const raw = `${name}_raw`;
      const used = new Map<string, number>();
      const tags: Tags = Object.freeze({
        ...spec.tags,
        [DATA_QUALITY_TAG]: true,
        [DATA_QUALITY_SOURCE_TAG]: name,
      });
      const reads: InputSpec[] = [{ name: raw, optional: false }];
      // Each validator's node: its verdict on the raw value, computed here
      // (a validator is a value given to checkOutput: no worker can import it).
      const validatorNodes = checks.map(({ check, name: vname }): NodeSpec => {
        const seen = used.get(vname) ?? 0;
        used.set(vname, seen + 1);
        const nodeName = `${name}_${vname}${seen === 0 ? "" : `_${seen}`}`;
        const fn = (args: Record<string, unknown>): unknown =>
          andThen(
            check(args[raw]),
            (problem): ValidationResult => ({
              passes: problem === undefined,
              message: problem ?? "passed",
              importance,
              validator: vname,
            }),
          );
        return derivedSpec(spec, fn, [check, vname, importance, raw], {
          name: nodeName,
          inputs: reads,
          callStyle: "declared",
          ctxIndex: -1,
          tags,
          local: true,
          doc: `Checks "${name}" with ${vname}`,
        });
      });
      const names = validatorNodes.map((v) => v.name);
      // The node itself: acts on the verdicts, then passes the value on.
      const act = (args: Record<string, unknown>, ctx: RunContext) => {
        const failures: string[] = [];
        for (const n of names) {
          const result = args[n] as ValidationResult;
          if (result.passes) continue;
          if (result.importance === "fail") failures.push(result.message);
          else {
            ctx.warn(`checkOutput: ${result.message}`, {
              validation: {
                passed: false,
                importance: result.importance,
                message: result.message,
              },
            });
          }
        }
        if (failures.length > 0) {
          throw new ValidationError(name, failures.join("; "));
        }
        return args[raw];
      };
      const final = derivedSpec(spec, act, [raw, names], {
        inputs: [...reads, ...names.map((n) => ({ name: n, optional: false }))],
        callStyle: "declared",
        ctxIndex: 1,
        local: true,
      });
      return [{ ...spec, name: raw }, ...validatorNodes, final];
    },
  });
}

// A validator's name: its function's, else "validator"; "schema" for a
// Standard Schema validator.
function nameOf(validator: CheckFunction | StandardSchemaLike): string {
  if (typeof validator !== "function") return "schema";
  return /^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(validator.name)
    ? validator.name
    : "validator";
}

// A check: undefined when the value passes, else the reason.
function toCheck(
  validator: CheckFunction | StandardSchemaLike,
): (value: unknown) => string | undefined | PromiseLike<string | undefined> {
  if (typeof validator === "function") {
    return (value) => {
      const result = (validator as (v: unknown) => unknown)(value);
      if (result === true) return undefined;
      if (typeof result === "string") return result;
      return "the value was rejected";
    };
  }
  const standard = validator?.["~standard"];
  if (typeof standard?.validate !== "function") {
    throw new TypeError(
      "'checkOutput' takes a function or a Standard Schema validator",
    );
  }
  const read = (result: StandardResult) =>
    result.issues === undefined
      ? undefined
      : result.issues.map((issue) => issue.message).join("; ");
  return (value) => {
    return andThen(standard.validate(value), read);
  };
}
