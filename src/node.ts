/**
 * Node definitions: `node(fn, ...modifiers)` and the `NodeSpec` every
 * definition becomes before the graph is built.
 *
 * @module
 */
import { InvalidNodeError } from "./errors.ts";
import { ParamsError, parseParams } from "./_params.ts";

/** Any function that can be a node. */
// deno-lint-ignore no-explicit-any
export type AnyFn = (...args: any[]) => unknown;

/** A tag value: a scalar or a list of scalars. */
export type TagValue =
  | string
  | number
  | boolean
  | readonly (string | number | boolean)[];

/** Tags attached to a node: metadata that never changes what it computes. */
export type Tags = Readonly<Record<string, TagValue>>;

/** One input of a node. */
export interface InputSpec {
  /** The value's name: a node, a run input or a config key. */
  readonly name: string;
  /** An optional input uses its default when no value is available. */
  readonly optional: boolean;
}

/**
 * How braid calls a node's function:
 * - `"object"`: `fn({ a, b, ctx })`, for a destructured first parameter;
 * - `"positional"`: `fn(a, b, ctx)`, in parameter order;
 * - `"declared"`: `fn({ a, b }, ctx)`, for inputs declared with `inputs()`.
 */
export type CallStyle = "object" | "positional" | "declared";

/**
 * One node of the graph, fully resolved: what the builder makes of a
 * definition once its modifiers have run. Frozen.
 */
export interface NodeSpec {
  /** The node's name: the value it produces. */
  readonly name: string;
  /** The function that computes it. */
  readonly fn: AnyFn;
  /** Its inputs in call order (without `ctx`). */
  readonly inputs: readonly InputSpec[];
  /** How `fn` is called. */
  readonly callStyle: CallStyle;
  /** Where `ctx` goes: its position among the parameters, or -1. */
  readonly ctxIndex: number;
  /** Its tags. */
  readonly tags: Tags;
  /** The name of the function or export it came from. */
  readonly originalName: string;
  /** The module URL (or label) it was loaded from, when known. */
  readonly module?: string;
  /** The kinds of the modifiers that produced it, in order. */
  readonly modifiers: readonly string[];
}

/** What a modifier can read while it transforms specs. */
export interface ModifierContext {
  /** The builder's config. */
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * When a modifier runs, relative to others on the same definition:
 * `"resolve"` (keep or drop by config), `"name"`, `"expand"` (one spec into
 * several), `"decorate"` (tags and the like, on every resulting spec).
 */
export type ModifierPhase = "resolve" | "name" | "expand" | "decorate";

/**
 * A function modifier: a plain value that turns one spec into zero or more.
 * Modifiers run per definition, by phase, and in the order given within one
 * phase; executors never see them.
 */
export interface Modifier {
  /** A short name, recorded on the specs it produces (`"tag"`, `"config.when"`). */
  readonly kind: string;
  /** When it runs. */
  readonly phase: ModifierPhase;
  /** Transforms one spec. */
  apply(spec: NodeSpec, context: ModifierContext): readonly NodeSpec[];
}

/** Inputs declared instead of parsed, for nodes generated from data. */
export interface DeclaredInputs {
  /** Required inputs. */
  readonly required: readonly string[];
  /** Optional inputs: left out of the argument object when unavailable. */
  readonly optional: readonly string[];
}

const NODE_DEF = Symbol("braid.NodeDef");

/** A node definition: a function and the modifiers to apply to it. Frozen. */
export interface NodeDef<F extends AnyFn = AnyFn> {
  /** The user's function, untouched (call it directly in unit tests). */
  readonly fn: F;
  /** The modifiers, in the order given. */
  readonly modifiers: readonly Modifier[];
  /** Inputs declared with `inputs()`, if any (then `fn` is not parsed). */
  readonly declared?: DeclaredInputs;
  /** @internal brand */
  readonly [NODE_DEF]: true;
}

/**
 * Defines a node from a function and modifiers; the function is not changed.
 *
 * @example
 * ```ts
 * import { node, tag } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const double = ({ x }: { x: number }) => 2 * x;
 * export const doubled = node(double, tag({ layer: "features" }));
 * assert.equal(doubled.fn({ x: 2 }), 4);
 * ```
 */
export function node<F extends AnyFn>(
  fn: F,
  ...modifiers: readonly (Modifier | InputsModifier)[]
): NodeDef<F> {
  if (typeof fn !== "function") {
    throw new TypeError(
      `'fn' must be a function: received ${describeValue(fn)}`,
    );
  }
  let declared: DeclaredInputs | undefined;
  const mods: Modifier[] = [];
  for (const m of modifiers) {
    if (m instanceof InputsModifier) declared = m.declared;
    else mods.push(m);
  }
  const def = { fn, modifiers: Object.freeze(mods), [NODE_DEF]: true as const };
  if (declared !== undefined) Object.assign(def, { declared });
  return Object.freeze(def) as NodeDef<F>;
}

/** Whether `value` was made by {@linkcode node}. */
export function isNodeDef(value: unknown): value is NodeDef {
  return typeof value === "object" && value !== null && NODE_DEF in value;
}

/** The marker `inputs()` returns; `node()` reads it, it never runs. */
export class InputsModifier {
  /** The declared inputs. */
  readonly declared: DeclaredInputs;
  /** @internal */
  constructor(declared: DeclaredInputs) {
    this.declared = declared;
  }
}

/**
 * Declares a node's inputs instead of reading them from its parameters, for
 * graphs generated from data. The function is called as `fn(args, ctx)` with
 * one object holding the declared inputs.
 *
 * @example
 * ```ts
 * import { inputs, named, node, tag } from "@braid/braid";
 *
 * const plan = [{ id: "t1", after: [] }, { id: "t2", after: ["t1"] }];
 * const defs = plan.map((task) =>
 *   node(
 *     (args: Record<string, unknown>) => `${task.id} after ${Object.keys(args)}`,
 *     named(task.id),
 *     inputs(task.after),
 *     tag({ kind: "task" }),
 *   )
 * );
 * console.assert(defs.length === 2);
 * ```
 */
export function inputs(
  required: readonly string[],
  options: { readonly optional?: readonly string[] } = {},
): InputsModifier {
  const optional = options.optional ?? [];
  for (const name of [...required, ...optional]) {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `'inputs' must be non-empty strings: received ${describeValue(name)}`,
      );
    }
  }
  return new InputsModifier(
    Object.freeze({
      required: Object.freeze([...required]),
      optional: Object.freeze([...optional]),
    }),
  );
}

/** The reserved parameter that receives the run context. */
export const CTX = "ctx";

/**
 * Turns a definition into its specs: parses (or takes declared) inputs, then
 * applies its modifiers phase by phase.
 */
export function toSpecs(
  def: NodeDef,
  name: string,
  context: ModifierContext,
  module?: string,
): readonly NodeSpec[] {
  let specs: readonly NodeSpec[] = [baseSpec(def, name, module)];
  if (def.modifiers.length === 0) return specs;
  for (const phase of PHASES) {
    for (const modifier of def.modifiers) {
      if (modifier.phase !== phase) continue;
      const next: NodeSpec[] = [];
      for (const spec of specs) {
        for (const out of modifier.apply(spec, context)) {
          next.push(
            Object.freeze({
              ...out,
              modifiers: Object.freeze([...out.modifiers, modifier.kind]),
            }),
          );
        }
      }
      specs = next;
    }
  }
  return specs;
}

const PHASES: readonly ModifierPhase[] = [
  "resolve",
  "name",
  "expand",
  "decorate",
];

function baseSpec(def: NodeDef, name: string, module?: string): NodeSpec {
  if (name === "") {
    throw new InvalidNodeError(
      "<anonymous>",
      "a node needs a name: use a named function, an export name or named(...)",
    );
  }
  let inputs: InputSpec[];
  let callStyle: CallStyle;
  let ctxIndex = -1;
  if (def.declared !== undefined) {
    callStyle = "declared";
    // fn(args, ctx): the context is built only for functions that take it.
    if (def.fn.length >= 2) ctxIndex = 1;
    inputs = [
      ...def.declared.required.map((n) => ({ name: n, optional: false })),
      ...def.declared.optional.map((n) => ({ name: n, optional: true })),
    ];
  } else {
    let parsed;
    try {
      parsed = parseParams(def.fn);
    } catch (error) {
      if (!(error instanceof ParamsError)) throw error;
      throw new InvalidNodeError(name, error.message);
    }
    callStyle = parsed.style;
    ctxIndex = parsed.names.indexOf(CTX);
    inputs = [];
    for (const n of parsed.names) {
      if (n !== CTX) inputs.push({ name: n, optional: parsed.optional.has(n) });
    }
  }
  if (inputs.some((i) => i.name === CTX)) {
    throw new InvalidNodeError(
      name,
      `"${CTX}" is reserved for the run context`,
    );
  }
  const spec: NodeSpec = {
    name,
    fn: def.fn,
    inputs,
    callStyle,
    ctxIndex,
    tags: EMPTY_TAGS,
    originalName: name,
    modifiers: EMPTY,
  };
  return Object.freeze(module === undefined ? spec : { ...spec, module });
}

const EMPTY: readonly string[] = Object.freeze([]);
const EMPTY_TAGS: Tags = Object.freeze({});

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") {
    return `function ${value.name || "<anonymous>"}`;
  }
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return String(value);
}
