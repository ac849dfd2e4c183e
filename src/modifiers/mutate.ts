/**
 * `mutate` with `applyTo`: a function that post-processes other nodes'
 * values, written once and applied to each target without touching it
 * (Hamilton's `@mutate`). Targets may live in any module given to the
 * builder, which applies the mutations once every module is loaded.
 *
 * @module
 */
import {
  type AnyFn,
  type BindingModifier,
  isNodeDef,
  type NodeDef,
  type NodeSpec,
} from "../node.ts";
import { type Step, step } from "./pipe.ts";

// How a target's step is narrowed: a config condition or a name, applied to
// the step the mutator becomes for it.
type StepChange = (s: Step) => Step;

/** One target of a mutation and the arguments bound for it. */
export class Target {
  /** The node to post-process. */
  readonly name: string;
  /** Arguments bound for this target: `source(...)`, `value(...)` or plain values. */
  readonly bindings: Readonly<Record<string, unknown>>;
  /** For a node expanded by `extractFields`: the outputs to post-process. */
  readonly outputs: readonly string[] | undefined;
  /** The name of the step node the mutator becomes for it, when given with `named()`. */
  readonly stepName: string | undefined;
  readonly #changes: readonly StepChange[];

  /** Use {@linkcode applyTo}. */
  constructor(
    name: string,
    bindings: Readonly<Record<string, unknown>>,
    outputs?: readonly string[],
    stepName?: string,
    changes: readonly StepChange[] = [],
  ) {
    this.name = name;
    this.bindings = bindings;
    this.outputs = outputs;
    this.stepName = stepName;
    this.#changes = changes;
    Object.freeze(this);
  }

  /** Post-processes only these outputs of the target (made by `extractFields`). */
  onOutput(...outputs: readonly string[]): Target {
    return new Target(
      this.name,
      this.bindings,
      outputs,
      this.stepName,
      this.#changes,
    );
  }

  /**
   * Names the step node the mutator becomes for this target
   * (`<target>.<name>`), so other nodes can request or use it.
   */
  named(name: string): Target {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `'name' must be a non-empty string: received ${name}`,
      );
    }
    return new Target(this.name, this.bindings, this.outputs, name, [
      ...this.#changes,
      (s) => s.named(name),
    ]);
  }

  /** Mutates this target only when every key of config equals its value. */
  when(conditions: Readonly<Record<string, unknown>>): Target {
    return this.#with((s) => s.when(conditions));
  }

  /** Mutates this target unless a key of config equals its value. */
  whenNot(conditions: Readonly<Record<string, unknown>>): Target {
    return this.#with((s) => s.whenNot(conditions));
  }

  /** Mutates this target when every key's config value is one of the listed values. */
  whenIn(conditions: Readonly<Record<string, readonly unknown[]>>): Target {
    return this.#with((s) => s.whenIn(conditions));
  }

  /** Mutates this target unless a key's config value is one of the listed values. */
  whenNotIn(conditions: Readonly<Record<string, readonly unknown[]>>): Target {
    return this.#with((s) => s.whenNotIn(conditions));
  }

  /** The step `fn` becomes for this target, over the mutation's `shared` arguments. */
  stepOf(fn: AnyFn, shared: Readonly<Record<string, unknown>>): Step {
    let s = step(fn, { ...shared, ...this.bindings });
    if (this.outputs !== undefined) s = s.onOutput(...this.outputs);
    for (const change of this.#changes) s = change(s);
    return s;
  }

  #with(change: StepChange): Target {
    // A condition is checked when the step is made: a bad one fails now.
    change(step(() => undefined));
    return new Target(
      this.name,
      this.bindings,
      this.outputs,
      this.stepName,
      [...this.#changes, change],
    );
  }
}

/**
 * A target of `mutate`: a node name, or the function or definition that
 * defines it (named after the function), with arguments bound for it
 * (over those `mutate` gives every target).
 *
 * @example
 * ```ts
 * import { applyTo, value } from "@braid/braid";
 * const t = applyTo("score_a", { max: value(10) }).named("capped").when({ mode: "safe" });
 * console.assert(t.name === "score_a" && t.stepName === "capped");
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
  if (typeof bindings !== "object" || bindings === null) {
    throw new TypeError(
      `'applyTo' bindings must be an object: received ${bindings}`,
    );
  }
  return new Target(name, Object.freeze({ ...bindings }));
}

/** What `mutate` records on its definition; the builder reads it. */
export class MutateModifier implements BindingModifier {
  /** Always `"mutate"`. */
  readonly kind = "mutate";
  /** Runs with the other expanding modifiers. */
  readonly phase = "expand" as const;
  /** The targets, in order. */
  readonly targets: readonly Target[];
  /** Arguments bound for every target (a target's own win). */
  readonly shared: Readonly<Record<string, unknown>>;
  /** Type-level only: its bindings may read values no parameter names. */
  declare readonly "braid.addsInputs"?: true;

  /** Use {@linkcode mutate}. */
  constructor(
    targets: readonly Target[],
    shared: Readonly<Record<string, unknown>> = {},
  ) {
    this.targets = targets;
    this.shared = shared;
    Object.freeze(this);
  }

  /** A mutator defines no node of its own. */
  apply(): readonly NodeSpec[] {
    return [];
  }

  /** The step this mutator's function becomes for `target`. */
  stepFor(fn: AnyFn, target: Target): Step {
    return target.stepOf(fn, this.shared);
  }
}

/**
 * Makes the node's function a mutator: `(targetValue, boundArgs) => value`
 * applied to each target. The mutator itself is no node (export it as
 * `_name` by convention); each target `t` becomes `t.raw` -> mutator -> `t`.
 * Targets are `applyTo(...)` values, or node names, functions or
 * definitions; one object among them binds arguments for every target
 * (Hamilton's `@mutate(..., **kwargs)`), a target's own bindings winning.
 *
 * @example
 * ```ts
 * import { applyTo, Builder, mutate, node, value } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const _clip = node((x: number, { max }: { max: number }) => Math.min(x, max),
 *   mutate(applyTo("score"), applyTo("other", { max: value(5) }), { max: value(10) }));
 * const dr = await new Builder().withModules({ score: () => 42, other: () => 42, _clip }).build();
 * assert.deepEqual(await dr.execute(["score", "other"]), { score: 10, other: 5 });
 * ```
 */
export function mutate(
  ...targets: readonly (
    | Target
    | string
    | AnyFn
    | NodeDef
    | Readonly<Record<string, unknown>>
  )[]
): MutateModifier {
  const list: Target[] = [];
  let shared: Readonly<Record<string, unknown>> | undefined;
  for (const target of targets) {
    if (target instanceof Target) list.push(target);
    else if (
      typeof target === "string" || typeof target === "function" ||
      isNodeDef(target)
    ) {
      list.push(applyTo(target as string | AnyFn | NodeDef));
    } else if (
      typeof target === "object" && target !== null && shared === undefined
    ) {
      shared = Object.freeze({ ...target });
    } else {
      throw new TypeError(
        "'mutate' takes applyTo(...) targets (or node names, functions, definitions) and at most one object of arguments for every target",
      );
    }
  }
  if (list.length === 0) {
    throw new TypeError("'mutate' needs at least one applyTo(...) target");
  }
  return new MutateModifier(Object.freeze(list), shared);
}
