/**
 * `pipeInput` and `pipeOutput`: run a node's input, or its value, through a
 * chain of steps, each a function `(value, boundArgs) => value` that becomes a
 * node of its own (Hamilton's `@pipe_input` and `@pipe_output`).
 *
 * @module
 */
import { InvalidNodeError } from "../errors.ts";
import type {
  AnyFn,
  BindingModifier,
  InputSpec,
  Modifier,
  ModifierContext,
  ModifierTarget,
  NodeSpec,
} from "../node.ts";
import { checkTarget } from "../_targets.ts";
import { derivedSpec } from "../_code.ts";
import { getterOf, rebind, source } from "./_bind.ts";
import { config } from "./config.ts";

/** Whether a step is kept under a config. */
export type Condition = (config: Readonly<Record<string, unknown>>) => boolean;

/** One step of a pipe: a function and the arguments bound to it. */
export class Step {
  /** The step's function: `(value, boundArgs) => value`. */
  readonly fn: AnyFn;
  /** Its bound arguments: `source(...)`, `value(...)`, `group(...)` or plain values. */
  readonly bindings: Readonly<Record<string, unknown>>;
  /** Whether the step is kept under a config. */
  readonly keep: Condition;
  /** The name of the node it becomes, when given with `named()`. */
  readonly name: string | undefined;
  /** For `pipeOutput`: the outputs it applies to, when given with `onOutput()`. */
  readonly outputs: readonly string[] | undefined;

  /** Use {@linkcode step}. */
  constructor(
    fn: AnyFn,
    bindings: Readonly<Record<string, unknown>>,
    keep: Condition = () => true,
    name?: string,
    outputs?: readonly string[],
  ) {
    this.fn = fn;
    this.bindings = bindings;
    this.keep = keep;
    this.name = name;
    this.outputs = outputs;
    Object.freeze(this);
  }

  /** Keeps the step only when every key of config equals its value. */
  when(conditions: Readonly<Record<string, unknown>>): Step {
    return this.#with(conditionOf(config.when(conditions)));
  }

  /** Keeps the step unless a key of config equals its value. */
  whenNot(conditions: Readonly<Record<string, unknown>>): Step {
    return this.#with(conditionOf(config.whenNot(conditions)));
  }

  /** Keeps the step when every key's config value is one of the listed values. */
  whenIn(conditions: Readonly<Record<string, readonly unknown[]>>): Step {
    return this.#with(conditionOf(config.whenIn(conditions)));
  }

  /** Keeps the step unless a key's config value is one of the listed values. */
  whenNotIn(conditions: Readonly<Record<string, readonly unknown[]>>): Step {
    return this.#with(conditionOf(config.whenNotIn(conditions)));
  }

  /**
   * Names the node the step becomes, so other nodes can request or use it:
   * `<namespace>.<name>`, the namespace being the name of the node the pipe
   * belongs to unless the pipe's `namespace` option says otherwise.
   */
  named(name: string): Step {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `'name' must be a non-empty string: received ${name}`,
      );
    }
    return new Step(this.fn, this.bindings, this.keep, name, this.outputs);
  }

  /** For `pipeOutput`: applies the step only to these outputs of the node. */
  onOutput(...outputs: readonly string[]): Step {
    return new Step(this.fn, this.bindings, this.keep, this.name, outputs);
  }

  #with(condition: Condition): Step {
    const keep = this.keep;
    return new Step(
      this.fn,
      this.bindings,
      (cfg) => keep(cfg) && condition(cfg),
      this.name,
      this.outputs,
    );
  }
}

// A config modifier's decision, without its renaming.
function conditionOf(modifier: Modifier): Condition {
  const probe: NodeSpec = {
    name: "probe",
    fn: () => undefined,
    inputs: [],
    callStyle: "positional",
    ctxIndex: -1,
    tags: {},
    originalName: "probe",
    modifiers: [],
  };
  return (cfg) => modifier.apply(probe, { config: cfg }).length > 0;
}

/**
 * A step of a pipe: `fn(value, boundArgs)`. Bound arguments may be
 * `source(...)`, `value(...)`, `group(...)` or plain values.
 *
 * @example
 * ```ts
 * import { step, value } from "@braid/braid";
 * const clip = (x: number, { max }: { max: number }) => Math.min(x, max);
 * const s = step(clip, { max: value(3) }).named("clipped");
 * console.assert(s.name === "clipped");
 * ```
 */
export function step(
  fn: AnyFn,
  bindings: Readonly<Record<string, unknown>> = {},
): Step {
  if (typeof fn !== "function") {
    throw new TypeError(`'step' takes a function: received ${fn}`);
  }
  return new Step(fn, Object.freeze({ ...bindings }));
}

/** Options of `pipeInput`. */
export interface PipeInputOptions {
  /** The parameter whose value goes through the steps. @default {the first parameter} */
  readonly onInput?: string;
  /**
   * The prefix of the step nodes' names (`<namespace>.<step>`); `null`
   * leaves the steps' own names bare (Hamilton's `namespace=None`).
   *
   * @default {the name of the node the pipe belongs to}
   */
  readonly namespace?: string | null;
}

/** Options of `pipeOutput`. */
export interface PipeOutputOptions {
  /**
   * Which nodes of the definition to post-process, when a modifier such as
   * `extractFields` made several: `"final"` (the ones no other node of it
   * consumes: the fields, not the object), `"all"`, a node name or a list
   * of names (Hamilton's `on_output`).
   *
   * @default {"final"}
   */
  readonly onOutput?: ModifierTarget;
  /**
   * The prefix of the step nodes' names (`<namespace>.<step>`); `null`
   * leaves the steps' own names bare (Hamilton's `namespace=None`).
   *
   * @default {the name of the node the pipe belongs to}
   */
  readonly namespace?: string | null;
}

/**
 * Runs one of the node's inputs through steps before the node sees it:
 * `fn(h(g(f(x), 2), n))` for `pipeInput(step(f), step(g, { y: value(2) }),
 * step(h, { y: source("n") }))`.
 *
 * @example
 * ```ts
 * import { Builder, node, pipeInput, step, value } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const plusOne = (x: number) => x + 1;
 * const times = (x: number, { k }: { k: number }) => x * k;
 * const report = node(({ raw }: { raw: number }) => `value ${raw}`,
 *   pipeInput(step(plusOne), step(times, { k: value(10) })));
 * const dr = await new Builder().withModules({ raw: () => 1, report }).build();
 * assert.equal((await dr.execute(["report"])).report, "value 20");
 * ```
 */
export function pipeInput(
  ...args: readonly (Step | PipeInputOptions)[]
): BindingModifier {
  const { steps, options } = split<PipeInputOptions>("pipeInput", args);
  if (steps.length === 0) {
    throw new TypeError("'pipeInput' needs at least one step");
  }
  const namespace = checkNamespace("pipeInput", options.namespace);
  return Object.freeze({
    kind: "pipeInput",
    phase: "expand" as const,
    apply(spec: NodeSpec, context: ModifierContext): readonly NodeSpec[] {
      const target = options.onInput ?? spec.inputs[0]?.name;
      const input = spec.inputs.find((i) => i.name === target);
      if (target === undefined || input === undefined) {
        throw new InvalidNodeError(
          spec.name,
          `pipeInput: ${
            target === undefined
              ? "it has no parameter"
              : `"${target}" is not a parameter`
          } to pipe`,
        );
      }
      const prefix = namespace === undefined ? spec.name : namespace;
      const chain = chainOf(spec, steps, context, prefix, input.name);
      if (chain.length === 0) return [spec];
      const last = chain[chain.length - 1]!.name;
      return [...chain, rebind(spec, { [target]: source(last) }, "pipeInput")];
    },
  });
}

/**
 * Runs the node's value through steps; the node's name then holds the
 * result (an identity node over the last step, which keeps its own name),
 * and `<name>.raw` the value before the steps. With no step (or none kept
 * by config), the node is left as it is. After a modifier that makes
 * several nodes, it post-processes the final ones: `onOutput` on the pipe,
 * or on each step, picks others, but not both.
 *
 * @example
 * ```ts
 * import { Builder, node, pipeOutput, step } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const rounded = (x: number) => Math.round(x);
 * const price = node(() => 2.6, pipeOutput(step(rounded)));
 * const dr = await new Builder().withModules({ price }).build();
 * assert.deepEqual(await dr.execute(["price", "price.raw"] as never[]), { price: 3, "price.raw": 2.6 });
 * ```
 */
export function pipeOutput(
  ...args: readonly (Step | PipeOutputOptions)[]
): BindingModifier {
  const { steps, options } = split<PipeOutputOptions>("pipeOutput", args);
  const target = checkTarget("pipeOutput", options.onOutput, "onOutput");
  const namespace = checkNamespace("pipeOutput", options.namespace);
  const stepTargets = steps.some((s) => s.outputs !== undefined);
  return Object.freeze({
    kind: "pipeOutput",
    phase: "expand" as const,
    ...(target === undefined ? {} : { target }),
    apply(spec: NodeSpec, context: ModifierContext): readonly NodeSpec[] {
      if (target !== undefined && stepTargets) {
        // Which steps would apply where is unclear (Hamilton refuses it too).
        throw new InvalidNodeError(
          spec.name,
          "pipeOutput: its onOutput and a step's onOutput() cannot both be given; choose the outputs on the pipe or on each step",
        );
      }
      const mine = steps.filter((s) =>
        s.outputs === undefined || s.outputs.includes(spec.name)
      );
      const prefix = namespace === undefined ? spec.name : namespace;
      return postProcess(spec, mine, context, prefix);
    },
  });
}

/**
 * `spec` with its value run through `steps`: `<name>.raw` holds the value
 * before them, each step is a node of its own, and an identity node over
 * the last step takes the node's name, so dependents see the result (and
 * a named last step stays requestable under its own name). Shared by
 * `pipeOutput` and `mutate`.
 */
export function postProcess(
  spec: NodeSpec,
  steps: readonly Step[],
  context: ModifierContext,
  prefix: string | null,
): NodeSpec[] {
  const raw = `${spec.name}.raw`;
  const chain = chainOf(spec, steps, context, prefix, raw);
  if (chain.length === 0) return [spec];
  const last = chain[chain.length - 1]!.name;
  // The node keeps its tags, description and cache declaration; handing a
  // value on is cheap plumbing, run here under every executor.
  const exit = derivedSpec(
    spec,
    (args: Record<string, unknown>) => args[last],
    [
      last,
    ],
    {
      inputs: [{ name: last, optional: false }],
      callStyle: "declared",
      ctxIndex: -1,
      local: true,
    },
  );
  return [{ ...spec, name: raw }, ...chain, exit];
}

function split<O>(
  kind: string,
  args: readonly unknown[],
): { steps: readonly Step[]; options: O } {
  const steps: Step[] = [];
  let options = {} as O;
  for (const arg of args) {
    if (arg instanceof Step) steps.push(arg);
    else if (typeof arg === "object" && arg !== null) options = arg as O;
    else throw new TypeError(`'${kind}' takes step(...) values and options`);
  }
  return { steps, options };
}

function checkNamespace(
  kind: string,
  namespace: unknown,
): string | null | undefined {
  if (
    namespace === undefined || namespace === null ||
    (typeof namespace === "string" && namespace !== "")
  ) {
    return namespace;
  }
  throw new TypeError(
    `'${kind}' option 'namespace' must be a non-empty string or null: received ${namespace}`,
  );
}

// The nodes the kept steps become, each reading the one before it.
function chainOf(
  spec: NodeSpec,
  steps: readonly Step[],
  context: ModifierContext,
  prefix: string | null,
  first: string,
): NodeSpec[] {
  const chain: NodeSpec[] = [];
  const used = new Set<string>();
  let previous = first;
  steps.forEach((s, i) => {
    if (!s.keep(context.config)) return;
    // A step's node is named after its function (or `named()`), under the
    // pipe's namespace; a function used twice gets its position as a
    // suffix.
    const own = s.name ?? (s.fn.name || `step_${i}`);
    let name = prefix === null ? own : `${prefix}.${own}`;
    if (s.name === undefined && used.has(name)) name = `${name}_${i}`;
    used.add(name);
    chain.push(stepSpec(spec, s, name, previous));
    previous = name;
  });
  return chain;
}

function stepSpec(
  owner: NodeSpec,
  s: Step,
  name: string,
  previous: string,
): NodeSpec {
  const inputs: InputSpec[] = [{ name: previous, optional: false }];
  const getters: [string, (args: Record<string, unknown>) => unknown][] = [];
  const need = (input: InputSpec) => {
    if (!inputs.some((i) => i.name === input.name)) inputs.push(input);
  };
  for (const [key, bound] of Object.entries(s.bindings)) {
    getters.push([key, getterOf(bound, need)]);
  }
  const fn = (args: Record<string, unknown>) => {
    const bound: Record<string, unknown> = {};
    for (const [key, get] of getters) bound[key] = get(args);
    return s.fn(args[previous], bound);
  };
  return {
    name,
    fn,
    inputs,
    callStyle: "declared",
    ctxIndex: -1,
    tags: owner.tags,
    originalName: owner.originalName,
    modifiers: owner.modifiers,
    ...(owner.module === undefined ? {} : { module: owner.module }),
    codeParts: Object.freeze([s.fn, s.bindings, previous]),
  };
}
