/**
 * `mutate` with `applyTo`: a function that post-processes other nodes'
 * values, written once and applied to each target without touching it
 * (Hamilton's `@mutate`). Targets may live in any module given to the
 * builder, which applies the mutations once every module is loaded.
 *
 * @module
 */
import type { AnyFn, Modifier, NodeDef, NodeSpec } from "../node.ts";
import { type Step, step } from "./pipe.ts";

/** One target of a mutation and the arguments bound for it. */
export class Target {
  /** The node to post-process. */
  readonly name: string;
  /** Arguments bound for this target: `source(...)`, `value(...)` or plain values. */
  readonly bindings: Readonly<Record<string, unknown>>;
  /** For a node expanded by `extractFields`: the outputs to post-process. */
  readonly outputs: readonly string[] | undefined;

  /** Use {@linkcode applyTo}. */
  constructor(
    name: string,
    bindings: Readonly<Record<string, unknown>>,
    outputs?: readonly string[],
  ) {
    this.name = name;
    this.bindings = bindings;
    this.outputs = outputs;
    Object.freeze(this);
  }

  /** Post-processes only these outputs of the target (made by `extractFields`). */
  onOutput(...outputs: readonly string[]): Target {
    return new Target(this.name, this.bindings, outputs);
  }
}

/**
 * A target of `mutate`: a node name, or the function or definition that
 * defines it (named after the function).
 *
 * @example
 * ```ts
 * import { applyTo, value } from "@braid/braid";
 * console.assert(applyTo("score_a", { max: value(10) }).name === "score_a");
 * ```
 */
export function applyTo(
  target: string | AnyFn | NodeDef,
  bindings: Readonly<Record<string, unknown>> = {},
): Target {
  const name = typeof target === "string"
    ? target
    : typeof target === "function"
    ? target.name
    : target?.fn?.name;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      "'applyTo' takes a node name, or a named function or definition",
    );
  }
  return new Target(name, Object.freeze({ ...bindings }));
}

/** What `mutate` records on its definition; the builder reads it. */
export class MutateModifier implements Modifier {
  /** Always `"mutate"`. */
  readonly kind = "mutate";
  /** Runs with the other expanding modifiers. */
  readonly phase = "expand" as const;
  /** The targets, in order. */
  readonly targets: readonly Target[];

  /** Use {@linkcode mutate}. */
  constructor(targets: readonly Target[]) {
    this.targets = targets;
    Object.freeze(this);
  }

  /** A mutator defines no node of its own. */
  apply(): readonly NodeSpec[] {
    return [];
  }

  /** The step this mutator's function becomes for `target`. */
  stepFor(fn: AnyFn, target: Target): Step {
    const s = step(fn, target.bindings);
    return target.outputs === undefined ? s : s.onOutput(...target.outputs);
  }
}

/**
 * Makes the node's function a mutator: `(targetValue, boundArgs) => value`
 * applied to each target. The mutator itself is no node (export it as
 * `_name` by convention); each target `t` becomes `t.raw` -> mutator -> `t`.
 *
 * @example
 * ```ts
 * import { applyTo, Builder, mutate, node, value } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const _clip = node((x: number, { max }: { max: number }) => Math.min(x, max),
 *   mutate(applyTo("score", { max: value(10) })));
 * const dr = await new Builder().withModules({ score: () => 42, _clip }).build();
 * assert.equal((await dr.execute(["score"])).score, 10);
 * ```
 */
export function mutate(...targets: readonly Target[]): MutateModifier {
  if (targets.length === 0) {
    throw new TypeError("'mutate' needs at least one applyTo(...) target");
  }
  for (const target of targets) {
    if (!(target instanceof Target)) {
      throw new TypeError("'mutate' takes applyTo(...) targets");
    }
  }
  return new MutateModifier(Object.freeze([...targets]));
}
