/**
 * Node definitions: `node(fn, ...modifiers)` and the `NodeSpec` every
 * definition becomes before the graph is built.
 *
 * @module
 */
import { InvalidNodeError } from "./errors.ts";
import type { CacheDeclaration } from "./modifiers/cache.ts";
import { CTX, ParamsError, type ParsedParams, parseParams } from "./_params.ts";

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
  /** How its results may be cached, when a `cache(...)` modifier says so. */
  readonly cache?: CacheDeclaration;
  /** Its description, from `describe(...)`. */
  readonly doc?: string;
  /** True when its items fan out to the nodes downstream (`parallelizable()`). */
  readonly parallelizable?: boolean;
  /** The input that gathers every item's value of a block (`collect("x")`). */
  readonly collects?: string;
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

/**
 * Inputs declared instead of parsed, for nodes generated from data: required
 * ones first; optional ones are left out of the argument object when no value
 * is available.
 */
export type DeclaredInputs = readonly InputSpec[];

/**
 * A node definition: a function and the modifiers to apply to it. Frozen.
 *
 * @typeParam F The function.
 * @typeParam N The name `named()` gives it, for `deno check` (else `never`).
 * @typeParam V `true` when a `config.*` modifier makes it a variant whose
 *   export name loses its `__suffix`.
 * @typeParam P `true` when `parallelizable()` makes its items fan out.
 * @typeParam C The input `collect()` gathers, if any (else `never`).
 */
export interface NodeDef<
  F extends AnyFn = AnyFn,
  N extends string = string,
  V extends boolean = boolean,
  P extends boolean = boolean,
  C extends string = string,
> {
  /** The user's function, untouched (call it directly in unit tests). */
  readonly fn: F;
  /** The modifiers, in the order given. */
  readonly modifiers: readonly Modifier[];
  /** Inputs declared with `inputs()`, if any (then `fn` is not parsed). */
  readonly declared: DeclaredInputs | undefined;
  /** Type-level only: the name `named()` gave it. */
  readonly "braid.name"?: N;
  /** Type-level only: whether it is a config variant. */
  readonly "braid.variant"?: V;
  /** Type-level only: whether its items fan out. */
  readonly "braid.fanOut"?: P;
  /** Type-level only: the input it collects. */
  readonly "braid.collects"?: C;
}

// What node() returns: a class, so that every definition shares one shape
// (fast to read, cheap to freeze) and `instanceof` brands it.
class Definition<F extends AnyFn> implements NodeDef<F> {
  readonly fn: F;
  readonly modifiers: readonly Modifier[];
  readonly declared: DeclaredInputs | undefined;
  /** The modifiers by phase, and their kinds, worked out once. */
  readonly order: ModifierOrder;
  constructor(
    fn: F,
    modifiers: readonly Modifier[],
    declared: DeclaredInputs | undefined,
  ) {
    this.fn = fn;
    this.modifiers = modifiers;
    this.declared = declared;
    this.order = modifierOrder(modifiers);
    Object.freeze(this);
  }
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
export function node<
  F extends AnyFn,
  const M extends readonly (Modifier | InputsModifier)[],
>(
  fn: F,
  ...modifiers: M
): NodeDef<F, NameOf<M>, IsVariant<M>, FansOut<M>, CollectsOf<M>> {
  if (typeof fn !== "function") {
    throw new TypeError(
      `'fn' must be a function: received ${describeValue(fn)}`,
    );
  }
  let declared: DeclaredInputs | undefined;
  let mods = modifiers as unknown as (Modifier | InputsModifier)[];
  if (mods.some((m) => m instanceof InputsModifier)) {
    mods = [];
    for (const m of modifiers) {
      if (m instanceof InputsModifier) declared = m.declared;
      else mods.push(m);
    }
  }
  recordCallSite(fn);
  return new Definition(fn, Object.freeze(mods) as Modifier[], declared);
}

// Where node() was called, per function: kept as an unformatted stack
// capture (about a microsecond) and read only when a worker needs the
// module, since formatting a stack costs far more than capturing one.
const callSites = new WeakMap<AnyFn, { stack?: unknown }>();

function recordCallSite(fn: AnyFn): void {
  if (callSites.has(fn)) return; // the first definition of a function wins
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  const site: { stack?: unknown } = {};
  Error.captureStackTrace(site, node);
  Error.stackTraceLimit = limit;
  callSites.set(fn, site);
}

interface CallSite {
  getFileName(): string | null | undefined;
}
type PrepareStackTrace = (error: unknown, sites: CallSite[]) => unknown;

/**
 * The URL of the module in which `node(fn)` was called, if it was: how a
 * worker finds a definition that was loaded from a namespace or an object.
 */
export function definedIn(fn: AnyFn): string | undefined {
  const site = callSites.get(fn);
  if (site === undefined) return undefined;
  // The capture is formatted on its first read, by whatever
  // prepareStackTrace is installed then: ours keeps the call site's file.
  const E = Error as unknown as {
    prepareStackTrace?: PrepareStackTrace | undefined;
  };
  const previous = E.prepareStackTrace;
  E.prepareStackTrace = (_error, sites) => sites[0]?.getFileName() ?? null;
  let file: unknown;
  try {
    file = site.stack;
  } finally {
    E.prepareStackTrace = previous;
  }
  if (typeof file !== "string" || file === "") return undefined;
  // Deno names local modules by path, others by URL.
  return file.startsWith("/") ? new URL(`file://${file}`).href : file;
}

/**
 * What `named()` returns: a modifier that names its node. A class, so that
 * `simpleSpec` can recognise it and name the spec as it makes it.
 */
export class Rename implements Modifier {
  /** Always `"named"`. */
  readonly kind = "named";
  /** Runs in the name phase. */
  readonly phase = "name" as const;
  /** The node's name. */
  readonly name: string;
  /** A renaming to `name` (checked by `named()`). */
  constructor(name: string) {
    this.name = name;
    Object.freeze(this);
  }
  /** The spec under its new name. */
  apply(spec: NodeSpec): readonly NodeSpec[] {
    return [{ ...spec, name: this.name }];
  }
}

/** A modifier that names its node `N` (what `named()` returns). */
export interface NamingModifier<N extends string> extends Modifier {
  /** Type-level only: the name, for `deno check`. */
  readonly "braid.name"?: N;
}

/** A modifier that makes its node a config variant (what `config.*` returns). */
export interface VariantModifier extends Modifier {
  /** Type-level only: marks a config variant, for `deno check`. */
  readonly "braid.variant"?: true;
}

/** The name a list of modifiers gives a node, or `never`. */
export type NameOf<M extends readonly unknown[]> = {
  [K in keyof M]: "braid.name" extends keyof M[K]
    ? NonNullable<M[K]["braid.name" & keyof M[K]]>
    : never;
}[number] extends infer N extends string ? N : never;

/** Whether a list of modifiers makes a node a config variant. */
export type IsVariant<M extends readonly unknown[]> = true extends {
  [K in keyof M]: "braid.variant" extends keyof M[K] ? true : false;
}[number] ? true
  : false;

/** Whether a list of modifiers makes a node's items fan out. */
export type FansOut<M extends readonly unknown[]> = true extends {
  [K in keyof M]: "braid.fanOut" extends keyof M[K] ? true : false;
}[number] ? true
  : false;

/** The input a list of modifiers collects, or `never`. */
export type CollectsOf<M extends readonly unknown[]> = {
  [K in keyof M]: "braid.collects" extends keyof M[K]
    ? NonNullable<M[K]["braid.collects" & keyof M[K]]>
    : never;
}[number] extends infer C extends string ? C : never;

/** Whether `value` was made by {@linkcode node}. */
export function isNodeDef(value: unknown): value is NodeDef {
  return value instanceof Definition;
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
 * one object holding the declared inputs; the run context is built and passed
 * only when the function declares a second parameter (read from
 * `fn.length`, so give that parameter no default).
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
  const specs: InputSpec[] = [];
  const add = (name: unknown, isOptional: boolean) => {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `'inputs' must be non-empty strings: received ${describeValue(name)}`,
      );
    }
    if (name === CTX) {
      throw new TypeError(
        `'inputs' cannot declare "${CTX}": it is reserved for the run context (the function's second argument)`,
      );
    }
    specs.push({ name, optional: isOptional });
  };
  for (let i = 0; i < required.length; i++) add(required[i], false);
  const optional = options.optional;
  if (optional !== undefined) {
    for (let i = 0; i < optional.length; i++) add(optional[i], true);
  }
  return new InputsModifier(Object.freeze(specs));
}

export { CTX };

/**
 * The specs of a definition {@linkcode simpleSpec} does not cover: its
 * modifiers applied phase by phase.
 */
export function modifiedSpecs(
  def: NodeDef,
  name: string,
  context: ModifierContext,
  module: string | undefined,
  parsed: ParsedParams | undefined,
): readonly NodeSpec[] {
  const { kinds, ordered } = orderOf(def);
  let specs: readonly NodeSpec[] = [
    baseSpec(def.fn, def.declared, name, kinds, module, parsed),
  ];
  for (let m = 0; m < ordered.length; m++) {
    const modifier = ordered[m]!;
    if (specs.length === 1) {
      specs = modifier.apply(specs[0]!, context);
      continue;
    }
    const next: NodeSpec[] = [];
    for (let s = 0; s < specs.length; s++) {
      next.push(...modifier.apply(specs[s]!, context));
    }
    specs = next;
  }
  for (let s = 0; s < specs.length; s++) Object.freeze(specs[s]);
  return specs;
}

/**
 * The one spec of a definition with no modifiers, or with `named()` alone
 * (a Pipeline's `node(fn, named("x"))`): made with its name, not made and
 * then copied by a modifier. Undefined for any other definition.
 */
export function simpleSpec(
  def: NodeDef,
  name: string,
  module: string | undefined,
  parsed: ParsedParams | undefined,
): NodeSpec | undefined {
  if (def.modifiers.length === 0) {
    return Object.freeze(
      baseSpec(def.fn, def.declared, name, EMPTY, module, parsed),
    );
  }
  const { kinds, ordered } = orderOf(def);
  if (ordered.length !== 1 || !(ordered[0] instanceof Rename)) return undefined;
  return Object.freeze(
    baseSpec(
      def.fn,
      def.declared,
      name,
      kinds,
      module,
      parsed,
      ordered[0].name,
    ),
  );
}

// A definition's modifiers in phase order (worked out once by node()).
function orderOf(def: NodeDef): ModifierOrder {
  return (def instanceof Definition
    ? def
    : new Definition(def.fn, def.modifiers, def.declared)).order;
}

const PHASES: readonly ModifierPhase[] = [
  "resolve",
  "name",
  "expand",
  "decorate",
];

interface ModifierOrder {
  /** The modifiers by phase, in the order given within a phase. */
  readonly ordered: readonly Modifier[];
  /** Their kinds: every spec of a definition goes through the same ones. */
  readonly kinds: readonly string[];
}

const NO_MODIFIERS: ModifierOrder = Object.freeze({ ordered: [], kinds: [] });

function modifierOrder(modifiers: readonly Modifier[]): ModifierOrder {
  if (modifiers.length === 0) return NO_MODIFIERS;
  const ordered = modifiers.length === 1
    ? modifiers
    : PHASES.flatMap((phase) => modifiers.filter((m) => m.phase === phase));
  return { ordered, kinds: Object.freeze(ordered.map((m) => m.kind)) };
}

/**
 * The spec of a plain function exported as `name`: no modifiers, so no
 * definition to go through. `parsed` is its parameter list, if read already.
 */
export function plainSpec(
  fn: AnyFn,
  name: string,
  module: string | undefined,
  parsed: ParsedParams | undefined,
): NodeSpec {
  return Object.freeze(
    baseSpec(fn, undefined, name, EMPTY, module, parsed),
  );
}

function baseSpec(
  fn: AnyFn,
  declared: DeclaredInputs | undefined,
  name: string,
  modifiers: readonly string[],
  module: string | undefined,
  parsed: ParsedParams | undefined,
  rename?: string,
): NodeSpec {
  if ((rename ?? name) === "") {
    throw new InvalidNodeError(
      "<anonymous>",
      "a node needs a name: use a named function, an export name or named(...)",
    );
  }
  let inputs: readonly InputSpec[];
  let callStyle: CallStyle;
  let ctxIndex = -1;
  if (declared !== undefined) {
    callStyle = "declared";
    // fn(args, ctx): the context is built only for functions that take it.
    if (fn.length >= 2) ctxIndex = 1;
    inputs = declared;
  } else {
    if (parsed === undefined) {
      try {
        parsed = parseParams(fn);
      } catch (error) {
        if (!(error instanceof ParamsError)) throw error;
        throw new InvalidNodeError(name, error.message);
      }
    }
    callStyle = parsed.style;
    ctxIndex = parsed.ctxIndex;
    inputs = parsed.inputs;
  }
  const spec: NodeSpec = {
    name: rename ?? name,
    fn,
    inputs,
    callStyle,
    ctxIndex,
    tags: EMPTY_TAGS,
    originalName: name,
    modifiers,
  };
  if (module !== undefined) (spec as { module?: string }).module = module;
  return spec;
}

const EMPTY: readonly string[] = Object.freeze([]);
const EMPTY_TAGS: Tags = Object.freeze({});

/** A short description of a value for error messages. */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") {
    return `function ${value.name || "<anonymous>"}`;
  }
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return String(value);
}
