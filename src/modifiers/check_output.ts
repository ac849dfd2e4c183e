/**
 * `checkOutput`: validates a node's value with a function or any Standard
 * Schema validator (zod, valibot, ...). Importance `"warn"` (the default)
 * logs the problem as a `log` event and passes the value on; `"fail"` fails
 * the node with a `ValidationError`.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { wrappedSpec } from "../_code.ts";
import {
  type AnyFn,
  checkTarget,
  type Modifier,
  type ModifierTarget,
  type NodeSpec,
} from "../node.ts";
import type { RunContext } from "../run.ts";
import { andThen } from "../_thenable.ts";
import { rebind } from "./_bind.ts";

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

/**
 * Checks every value the node returns.
 *
 * @example
 * ```ts
 * import { Builder, checkOutput, node, ValidationError } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const price = node(() => -1, checkOutput((v: number) => v > 0 || "must be positive", { importance: "fail" }));
 * const dr = await new Builder().withModules({ price }).build();
 * await assert.rejects(dr.execute(["price"]), ValidationError);
 * ```
 */
export function checkOutput(
  validator: CheckFunction | StandardSchemaLike,
  options: CheckOptions = {},
): Modifier {
  const importance = options.importance ?? "warn";
  if (importance !== "warn" && importance !== "fail") {
    throw new TypeError(
      `'importance' must be "warn" or "fail": received ${importance}`,
    );
  }
  const check = toCheck(validator);
  const target = checkTarget("checkOutput", options.target);
  return Object.freeze({
    kind: "checkOutput",
    phase: "decorate" as const,
    ...(target === undefined ? {} : { target }),
    apply(spec: NodeSpec): readonly NodeSpec[] {
      // The node's own call, as a function of its inputs object and ctx.
      const rebound = rebind(spec, {}, "checkOutput");
      const call = rebound.fn;
      const name = spec.name;
      const verdict = (value: unknown, ctx: RunContext): unknown => {
        const reason = check(value);
        const settle = (problem: string | undefined) => {
          if (problem === undefined) return value;
          if (importance === "fail") throw new ValidationError(name, problem);
          ctx.log(`checkOutput: ${problem}`, {
            validation: { passed: false, importance, message: problem },
          });
          return value;
        };
        return andThen(reason, settle);
      };
      const fn: AnyFn = (args: Record<string, unknown>, ctx: RunContext) => {
        return andThen(call(args, ctx), (v) => verdict(v, ctx));
      };
      return [wrappedSpec(
        rebound,
        fn,
        // A schema object is left out: it only checks, never changes, values.
        [typeof validator === "function" ? validator : "schema", importance],
        { callStyle: "declared", ctxIndex: 1, inputs: spec.inputs },
      )];
    },
  });
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
