/**
 * Type-level helpers: the node names and value types of the modules given to
 * `withModules`, so that `execute` accepts only known names and returns
 * precisely typed values.
 *
 * @module
 */
import type { AnyFn, NodeDef } from "./node.ts";

/** The value a node export produces. */
export type NodeValue<T> = T extends NodeDef<infer F> ? Awaited<ReturnType<F>>
  : T extends AnyFn ? Awaited<ReturnType<T>>
  : never;

/** The export names of `M` that are nodes (functions or NodeDefs, not `_private`). */
export type NodeExports<M> = {
  [K in keyof M & string]: K extends `_${string}` ? never
    : M[K] extends AnyFn | NodeDef ? K
    : never;
}[keyof M & string];

/** A config variant's node name: `avg__us` defines `avg` (cut at the last `__`). */
export type VariantBase<K extends string> = K extends `${infer H}__${infer T}`
  ? T extends `${string}__${string}` ? `${H}__${VariantBase<T>}` : H
  : K;

/** Every name `execute` accepts for modules `M`. */
export type NodeName<M> = string extends keyof M ? string
  : NodeExports<M> | VariantBase<NodeExports<M>>;

/** The value type of node `N` of modules `M` (a union over its config variants). */
export type ValueOf<M, N extends string> = string extends keyof M ? unknown
  : {
    [K in NodeExports<M>]: K extends N ? NodeValue<M[K]>
      : VariantBase<K> extends N ? NodeValue<M[K]>
      : never;
  }[NodeExports<M>];

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

/** The object parameter of a node export (`{}` for positional or no parameters). */
export type ParamObject<T> = T extends NodeDef<infer F> ? FirstParam<F>
  : T extends AnyFn ? FirstParam<T>
  : never;

/** A function's first parameter when it is an object type, else `{}`. */
export type FirstParam<F extends AnyFn> = Parameters<F> extends
  readonly [infer P, ...unknown[]] ? P extends object ? P : Record<never, never>
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
      : P extends NodeName<M>
        ? [ValueOf<M, P>] extends [ParamObject<M[K]>[P]] ? never
        : `node "${K}" takes "${P}" of another type than node "${P}" returns`
      : never;
  }[keyof ParamObject<M[K]> & string];
}[NodeExports<M>];

/** `B` when the modules `M` fit together, else a type naming each mismatch. */
export type Checked<M, B> = [Mismatches<M>] extends [never] ? B
  : { readonly "type error": Mismatches<M> };
