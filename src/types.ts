/**
 * Type-level helpers: the node names and value types of the modules given to
 * `withModules`, so that `execute` accepts only known names and returns
 * precisely typed values.
 *
 * @module
 */
import type { AnyFn, FieldMap, NodeDef } from "./node.ts";

/** The item type of an iterable, async iterable or array. */
export type ItemOf<R> = R extends Iterable<infer T> ? T
  : R extends AsyncIterable<infer T> ? T
  : unknown;

/**
 * The value a node export produces when requested: for a parallelizable
 * node, the list of its items.
 */
export type NodeValue<T> = T extends NodeDef<infer F, string, boolean, true>
  ? ItemOf<Awaited<ReturnType<F>>>[]
  : T extends NodeDef<
    infer F,
    string,
    boolean,
    boolean,
    string,
    FieldMap,
    boolean,
    readonly string[],
    true
  > ? LoadedValue<Awaited<ReturnType<F>>>
  : T extends NodeDef<infer F> ? Awaited<ReturnType<F>>
  : T extends AnyFn ? Awaited<ReturnType<T>>
  : never;

/**
 * A loader's value: the first item of the `[value, metadata]` it returns;
 * `unknown` when its return type is an array rather than a pair (annotate
 * it as `[T, NodeMetadata]`, or return `[value, metadata] as const`).
 */
export type LoadedValue<R> = R extends readonly [infer V, unknown] ? V
  : unknown;

/** What the nodes downstream of a node export receive: one item when it fans out. */
export type EdgeValue<T> = T extends NodeDef<infer F, string, boolean, true>
  ? ItemOf<Awaited<ReturnType<F>>>
  : NodeValue<T>;

/** The export names of `M` that are nodes (functions or NodeDefs, not `_private`). */
export type NodeExports<M> = {
  [K in keyof M & string]: K extends `_${string}` ? never
    : M[K] extends AnyFn | NodeDef ? K
    : never;
}[keyof M & string];

/** A config variant's node name: `avg__us` defines `avg` (cut at the last `__`). */
export type VariantBase<K extends string> = K extends `${infer H}__${infer T}`
  ? T extends `_${infer R}` ? `${H}_${VariantBase<`__${R}`>}`
  : T extends `${string}__${string}` ? `${H}__${VariantBase<T>}`
  : H
  : K;

/**
 * The node name export `K` defines: the name `named()` gave it, the export
 * name less its `__suffix` for a config variant, else the export name.
 */
export type ExportNodeName<K extends string, T> = T extends
  NodeDef<AnyFn, infer N, infer V> ? string extends N ? string // named() with a computed name: any name
  : [N] extends [never] ? (true extends V ? VariantBase<K> : K)
  : N
  : K;

/** The fields a node export adds (`extractFields`, `unpackFields`), by name. */
export type FieldsOfExport<T> = T extends
  NodeDef<AnyFn, string, boolean, boolean, string, infer X> ? X
  : Record<never, never>;

/** The names of the nodes a node export adds by reading fields of its value. */
export type FieldNameOf<T> = keyof FieldsOfExport<T> & string;

/** The names of modules `M` known literally (not widened to `string`). */
export type LiteralNodeName<M> = {
  [K in NodeExports<M>]:
    | (string extends ExportNodeName<K, M[K]> ? never : ExportNodeName<K, M[K]>)
    | (string extends FieldNameOf<M[K]> ? never : FieldNameOf<M[K]>);
}[NodeExports<M>];

/** Every name `execute` accepts for modules `M`. */
export type NodeName<M> = string extends keyof M ? string : {
  [K in NodeExports<M>]: ExportNodeName<K, M[K]> | FieldNameOf<M[K]>;
}[NodeExports<M>];

/** The fields of modules `M`'s exports known literally. */
export type FieldName<M> = {
  [K in NodeExports<M>]: string extends FieldNameOf<M[K]> ? never
    : FieldNameOf<M[K]>;
}[NodeExports<M>];

/**
 * The value of field `N` of modules `M`: the part of its export's value it
 * reads (`unknown` where the value's type has no such key).
 */
export type FieldValue<M, N extends string> = {
  [K in NodeExports<M>]: N extends FieldNameOf<M[K]>
    ? M[K] extends NodeDef<infer F, string, boolean, boolean, string, infer X>
      ? ReadField<Awaited<ReturnType<F>>, X[N & keyof X]>
    : never
    : never;
}[NodeExports<M>];

/** The value at `key` of a function's value `R`, or `unknown`. */
export type ReadField<R, Key> = Key extends keyof R ? R[Key]
  : Key extends `braid.column.${string}` ? ColumnOf<R>
  : unknown;

/**
 * A column of table `R` (what `extractColumns` reads): what its
 * `getChild(name)` returns (an Arrow Vector), else `unknown`.
 */
export type ColumnOf<R> = R extends { getChild(name: string): infer V | null }
  ? V
  : unknown;

/**
 * The export(s) of modules `M` that define node `N` (a union over its config
 * variants); `unknown` for a name only known at run time.
 */
export type ExportOf<M, N extends string> = string extends keyof M ? unknown
  : N extends LiteralNodeName<M> ? {
      // N is one name; an export may define several (parameterize).
      [K in NodeExports<M>]: string extends ExportNodeName<K, M[K]> ? never
        : N extends ExportNodeName<K, M[K]> ? M[K]
        : never;
    }[NodeExports<M>]
  : unknown;

/**
 * The value type of node `N` of modules `M` (a union over its config
 * variants); `unknown` for a name only known at run time.
 */
export type ValueOf<M, N extends string> = N extends FieldName<M>
  ? FieldValue<M, N>
  : unknown extends ExportOf<M, N> ? unknown
  : [HasFanOut<M>] extends [false] ? NodeValue<ExportOf<M, N>>
  : {
    yes: NodeValue<ExportOf<M, N>>[];
    no: NodeValue<ExportOf<M, N>>;
    maybe: unknown;
  }[BlockTag<M, N, []>];

/** Whether any export of `M` fans out (`parallelizable()`). */
export type HasFanOut<M> = true extends {
  [K in NodeExports<M>]: M[K] extends NodeDef<AnyFn, string, boolean, true>
    ? true
    : false;
}[NodeExports<M>] ? true
  : false;

/**
 * Whether node `N` of modules `M` runs once per item of a fan-out block (so
 * that requesting it gives the list of its per-item values): `"yes"`,
 * `"no"`, or `"maybe"` when the answer lies deeper upstream than the checker
 * follows (then its value type is `unknown`, never a wrong one). Object
 * parameters are followed; positional ones have no names at the type level.
 */
export type BlockTag<M, N extends string, D extends readonly unknown[]> =
  D["length"] extends 12 ? "maybe"
    : Membership<M, ExportOf<M, N>, D> extends infer R
      ? "yes" extends R ? "yes" : "maybe" extends R ? "maybe" : "no"
    : never;

/**
 * For each object parameter of export `T`: whether it brings a block's items
 * (a parallelizable node, or a node inside a block, not collected here).
 */
export type Membership<M, T, D extends readonly unknown[]> = {
  [P in keyof ParamObject<T> & string]: P extends CollectedBy<T> ? "no"
    : P extends LiteralNodeName<M>
      ? ExportOf<M, P> extends NodeDef<AnyFn, string, boolean, true> ? "yes"
      : BlockTag<M, P, [...D, 0]>
    : "no";
}[keyof ParamObject<T> & string];

/** What consumers of node `N` of modules `M` receive (see {@linkcode EdgeValue}). */
export type EdgeValueOf<M, N extends string> = N extends FieldName<M>
  ? FieldValue<M, N>
  : unknown extends ExportOf<M, N> ? unknown
  : EdgeValue<ExportOf<M, N>>;

/** The input a node export collects, or `never`. */
export type CollectedBy<T> = T extends
  NodeDef<AnyFn, string, boolean, boolean, infer C>
  ? string extends C ? never : C
  : never;

/** What `execute(vars)` resolves to by default. */
export type Outputs<M, V extends string> = { [K in V]: ValueOf<M, K> };

/** The type a module input contributes: its own shape, or unknown for a specifier. */
export type ModuleType<T> = T extends string | URL ? Record<string, unknown>
  : T;

/** The intersection of the types of a tuple of modules. */
export type MergeModules<A extends readonly unknown[]> = A extends
  readonly [infer H, ...infer R] ? ModuleType<H> & MergeModules<R>
  : unknown;

/** The result type `buildResult` gives, or `D` when no adapter builds results. */
export type ResultOf<A extends readonly unknown[], D> = [
  {
    [K in keyof A]: A[K] extends { buildResult(...args: never[]): infer R }
      ? Awaited<R>
      : never;
  }[number],
] extends [never] ? D
  : {
    [K in keyof A]: A[K] extends { buildResult(...args: never[]): infer R }
      ? Awaited<R>
      : never;
  }[number];

/**
 * The object parameter of a node export (`{}` for positional or no
 * parameters), or its positional parameters by the names `params()` gives.
 */
export type ParamObject<T> = T extends NodeDef<
  infer F,
  string,
  boolean,
  boolean,
  string,
  FieldMap,
  boolean,
  infer A
> ? [A] extends [never] ? FirstParam<F>
  : string extends A[number] ? FirstParam<F>
  : NamedParams<A, Parameters<F>>
  : T extends AnyFn ? FirstParam<T>
  : never;

/** The numeric keys of a tuple. */
export type TupleIndex<A> = Extract<keyof A, `${number}`>;

/**
 * Positional parameters `P` as an object keyed by `names` (`ctx` left out):
 * required where the parameter is, optional where it has a default.
 */
export type NamedParams<
  A extends readonly string[],
  P extends readonly unknown[],
> =
  & {
    [
      I in TupleIndex<A> as A[I] extends "ctx" ? never
        : I extends keyof P ? Record<never, never> extends Pick<P, I> ? never
          : A[I]
        : never
    ]: P[I & keyof P];
  }
  & {
    [
      I in TupleIndex<A> as A[I] extends "ctx" ? never
        : I extends keyof P ? Record<never, never> extends Pick<P, I> ? A[I]
          : never
        : never
    ]?: P[I & keyof P];
  };

/** Built-in classes a positional parameter may have: never a parameter object. */
export type BuiltIn =
  | ReadonlySet<unknown>
  | ReadonlyMap<unknown, unknown>
  | Date
  | RegExp
  | Error
  | PromiseLike<unknown>
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | Headers
  | Request
  | Response
  | URL
  | URLSearchParams
  | AbortSignal;

/**
 * A function's parameter object: its only parameter when that is a plain
 * object type (what a destructured `({ a, b })` parameter has), else `{}`.
 * Arrays, functions and a lone `ctx` are left out: they are positional
 * parameters. (A single positional parameter of a plain object type cannot
 * be told from a destructured one here, and is checked like one.)
 */
export type FirstParam<F extends AnyFn> = Parameters<F> extends
  readonly [infer P] | readonly [(infer P)?]
  ? P extends readonly unknown[] | AnyFn | BuiltIn ? Record<never, never>
  : P extends { readonly signal: AbortSignal; readonly runId: string }
    ? Record<never, never>
  : P extends object ? P
  : Record<never, never>
  : Record<never, never>;

/**
 * A message for every node parameter that names another node whose value
 * does not fit the parameter's type; `never` when everything fits. Only
 * literal keys of object parameters are checked: positional parameters have
 * no names at the type level, and declared inputs are not known.
 */
export type Mismatches<M> = string extends keyof M ? never : {
  [K in NodeExports<M>]: {
    [P in keyof ParamObject<M[K]> & string]: string extends P ? never
      : P extends LiteralNodeName<M> ? [
          P extends CollectedBy<M[K]> ? EdgeValueOf<M, P>[]
            : EdgeValueOf<M, P>,
        ] extends [ParamObject<M[K]>[P]] ? never
        : `node "${K}" takes "${P}" of another type than node "${P}" returns`
      : never;
  }[keyof ParamObject<M[K]> & string];
}[NodeExports<M>];

/** `B` when the modules `M` fit together, else a type naming each mismatch. */
export type Checked<M, B> = [Mismatches<M>] extends [never] ? B
  : { readonly "type error": Mismatches<M> };

/**
 * Whether a node export takes inputs the type system cannot name: positional
 * parameters (names are not types), or modifiers that may bind parameters
 * to other values (`source(...)`).
 */
export type HiddenInputs<T> = T extends
  NodeDef<infer F, string, boolean, boolean, string, FieldMap, infer I, infer A>
  ? true extends I ? true
  : [A] extends [never] ? Positional<F>
  : string extends A[number] ? Positional<F>
  : false // params() named them
  : T extends AnyFn ? Positional<T>
  : false;

/** Whether `F` takes positional parameters (not one object, nor only `ctx`). */
export type Positional<F extends AnyFn> = Parameters<F> extends readonly []
  ? false
  : [keyof FirstParam<F>] extends [never]
    ? Parameters<F> extends readonly [infer P] | readonly [(infer P)?]
      ? P extends { readonly signal: AbortSignal; readonly runId: string }
        ? false
      : true
    : true
  : false;

/** Whether some export of `M` (private ones included) hides its inputs. */
export type AnyHiddenInputs<M> = true extends {
  [K in keyof M]: M[K] extends AnyFn | NodeDef ? K extends `_${string}`
      // A private export is no node, but a mutator's bindings still apply.
      ? M[K] extends
        NodeDef<AnyFn, string, boolean, boolean, string, FieldMap, infer I>
        ? true extends I ? true : false
      : false
    : HiddenInputs<M[K]>
    : false;
}[keyof M] ? true
  : false;

/** The input names of modules `M`: parameters no node of `M` produces. */
export type InputName<M> = Exclude<
  {
    [K in NodeExports<M>]: keyof ParamObject<M[K]> & string;
  }[NodeExports<M>],
  LiteralNodeName<M> | "ctx"
>;

/** What the parameters named `I` of modules `M` take. */
export type InputValue<M, I extends string> = {
  [K in NodeExports<M>]: I extends keyof ParamObject<M[K]>
    ? ParamObject<M[K]>[I]
    : never;
}[NodeExports<M>];

/**
 * Whether the names of modules `M`'s inputs and nodes are all known to the
 * type system (so that `inputs` and `overrides` can be checked).
 */
export type KnownNames<M> = unknown extends M ? false
  : string extends keyof M ? false
  : string extends NodeName<M> ? false
  : true extends AnyHiddenInputs<M> ? false
  : string extends InputName<M> ? false
  : true;

/**
 * Whether the names of modules `M`'s nodes and of the inputs its object
 * parameters take are known, even where some export hides further inputs
 * (positional parameters without `params()`, `source(...)` bindings).
 */
export type NamesPartlyKnown<M> = unknown extends M ? false
  : string extends keyof M ? false
  : string extends NodeName<M> ? false
  : string extends InputName<M> ? false
  : true;

/**
 * The inputs of modules `M` the type system can name, each with the type
 * its parameters take (or a promise of it), and node names (an input
 * replaces a node).
 */
export type NamedInputs<M> =
  & {
    readonly [
      // null and undefined always pass (Hamilton lets None through).
      I in InputName<M>
    ]?:
      | InputValue<M, I>
      | PromiseLike<InputValue<M, I>>
      | null
      | undefined;
  }
  & { readonly [N in LiteralNodeName<M>]?: unknown };

/**
 * The `inputs` of a run of modules `M`: its input names (a misspelt one
 * fails `deno check`), each with the type its parameters take (or a
 * promise of it), and node names (an input replaces a node). Where some
 * input names are hidden from the type system, other names are accepted
 * too, while the known ones keep their types; any names when the modules'
 * names are not known at all.
 */
export type InputsOf<M> = KnownNames<M> extends true ? NamedInputs<M>
  : NamesPartlyKnown<M> extends true
    ? NamedInputs<M> & Readonly<Record<string, unknown>>
  : Readonly<Record<string, unknown>>;

/** The `overrides` of a run of modules `M`: node (or input) names. */
export type OverridesOf<M> = KnownNames<M> extends true
  ? { readonly [N in LiteralNodeName<M> | InputName<M>]?: unknown }
  : Readonly<Record<string, unknown>>;
