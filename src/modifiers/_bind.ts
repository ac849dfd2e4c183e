// Bindings of a node's parameters to other nodes or to literal values, shared
// by `parameterize` and `inject`: `source("x")` reads node (or input) "x",
// `value(v)` is a literal, `group(...)` a list of either.
import { InvalidNodeError } from "../errors.ts";
import { wrappedSpec } from "../_code.ts";
import type { AnyFn, InputSpec, NodeSpec } from "../node.ts";

/** A parameter bound to the value of another node or input. */
export class Source {
  /** The node or input whose value is used. */
  readonly name: string;
  /** Use {@linkcode source}. */
  constructor(name: string) {
    this.name = name;
  }
}

/** A parameter bound to a literal value. */
export class Value {
  /** The literal. */
  readonly value: unknown;
  /** Use {@linkcode value}. */
  constructor(value: unknown) {
    this.value = value;
  }
}

/**
 * A parameter bound to a list of sources and values, or (made from an
 * object) to an object of them.
 */
export class Group {
  /** The items, in order. */
  readonly items: readonly (Source | Value)[];
  /** For a named group: each item's key, in the order of `items`. */
  readonly keys: readonly string[] | undefined;
  /** Use {@linkcode group}. */
  constructor(items: readonly (Source | Value)[], keys?: readonly string[]) {
    this.items = items;
    this.keys = keys;
  }
}

/** What a parameter can be bound to. */
export type Binding = Source | Value | Group;

/** Whether `given` is made by source(), value() or group(). */
export function isBinding(given: unknown): given is Binding {
  return given instanceof Value || given instanceof Source ||
    given instanceof Group;
}

/**
 * Binds a parameter to the value of node (or input) `name`;
 * `source(source("x"))` is `source("x")`.
 *
 * @example
 * ```ts
 * import { source } from "@braid/braid";
 * console.assert(source("spend").name === "spend");
 * console.assert(source(source("spend")).name === "spend");
 * ```
 */
export function source(name: string | Source): Source {
  if (name instanceof Source) return name;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`'source' needs a node name: received ${name}`);
  }
  return Object.freeze(new Source(name));
}

/**
 * Binds a parameter to a literal value; `value(value(x))` is `value(x)`.
 *
 * @example
 * ```ts
 * import { value } from "@braid/braid";
 * console.assert(value(3).value === 3);
 * console.assert(value(value(3)).value === 3);
 * ```
 */
export function value(literal: unknown): Value {
  if (literal instanceof Value) return literal;
  return Object.freeze(new Value(literal));
}

/**
 * Binds a parameter to a list, each item a `source(...)` or a `value(...)`;
 * or, given one object of them (Hamilton's `group(a=source("x"), ...)`), to
 * an object with those keys. A group with no item binds nothing, and is an
 * `InvalidNodeError` when the graph is built.
 *
 * @example
 * ```ts
 * import { group, source, value } from "@braid/braid";
 * console.assert(group(source("a"), value(10)).items.length === 2);
 * console.assert(group({ lo: source("a"), hi: value(10) }).keys?.[1] === "hi");
 * ```
 */
export function group(
  ...items:
    | readonly (Source | Value)[]
    | readonly [Readonly<Record<string, Source | Value>>]
): Group {
  const only = items[0];
  if (
    items.length === 1 && typeof only === "object" && only !== null &&
    !(only instanceof Source) && !(only instanceof Value)
  ) {
    const entries = Object.entries(only);
    checkItems(entries.map(([, item]) => item));
    return Object.freeze(
      new Group(
        Object.freeze(entries.map(([, item]) => item)),
        Object.freeze(entries.map(([key]) => key)),
      ),
    );
  }
  checkItems(items);
  return Object.freeze(
    new Group(Object.freeze([...items] as (Source | Value)[])),
  );
}

function checkItems(items: readonly unknown[]): void {
  for (const item of items) {
    if (!(item instanceof Source) && !(item instanceof Value)) {
      throw new TypeError(
        "'group' takes source(...) and value(...) items, or one object of them",
      );
    }
  }
}

/** How a wrapper finds one value among a node's inputs. */
export type Getter = (args: Record<string, unknown>) => unknown;

/**
 * A copy of `spec` whose parameters in `bindings` read other nodes or
 * literals. The copy takes its inputs as one object (declared style) and
 * calls the original function as it expects to be called.
 */
export function rebind(
  spec: NodeSpec,
  bindings: Readonly<Record<string, unknown>>,
  modifier: string,
): NodeSpec {
  const params = new Set(spec.inputs.map((i) => i.name));
  for (const [param, binding] of Object.entries(bindings)) {
    if (!params.has(param)) {
      throw new InvalidNodeError(
        spec.name,
        `${modifier} binds "${param}", which is not a parameter of it (or is bound twice)`,
      );
    }
    if (!isBinding(binding)) {
      throw new InvalidNodeError(
        spec.name,
        `${modifier} binds "${param}" to something other than source(...), value(...) or group(...)`,
      );
    }
    if (binding instanceof Group && binding.items.length === 0) {
      throw new InvalidNodeError(
        spec.name,
        `${modifier} binds "${param}" to group() with no items; give it source(...) or value(...) items, or bind value([]) for an empty list`,
      );
    }
  }
  const inputs: InputSpec[] = [];
  const seen = new Set<string>();
  const need = (input: InputSpec) => {
    if (!seen.has(input.name)) {
      seen.add(input.name);
      inputs.push(input);
    }
  };
  const getters: Getter[] = [];
  const optional: boolean[] = [];
  for (const input of spec.inputs) {
    const binding = bindings[input.name] as Binding | undefined;
    optional.push(binding === undefined && input.optional);
    if (binding === undefined) {
      need(input);
      getters.push((args) => args[input.name]);
    } else {
      getters.push(getterOf(binding, need));
    }
  }
  const names = spec.inputs.map((i) => i.name);
  const original = spec.fn;
  const style = spec.callStyle;
  const ctxIndex = spec.ctxIndex;
  const fn: AnyFn = (args: Record<string, unknown>, ctx?: unknown) => {
    if (style === "positional") {
      const list: unknown[] = [];
      for (let k = 0; k < getters.length; k++) list.push(getters[k]!(args));
      if (ctxIndex >= 0) list.splice(ctxIndex, 0, ctx);
      return original(...list);
    }
    const object: Record<string, unknown> = Object.create(null);
    for (let k = 0; k < getters.length; k++) {
      // An unbound optional parameter with no value keeps its default.
      if (optional[k] && !(names[k]! in args)) continue;
      object[names[k]!] = getters[k]!(args);
    }
    if (style === "object") {
      if (ctxIndex >= 0) object.ctx = ctx;
      return original(object);
    }
    return ctxIndex >= 0 ? original(object, ctx) : original(object);
  };
  // A collected parameter bound to another node collects that node.
  let collects = spec.collects;
  if (collects !== undefined && Object.hasOwn(bindings, collects)) {
    const bound = bindings[collects];
    if (!(bound instanceof Source)) {
      throw new InvalidNodeError(
        spec.name,
        `collect("${collects}") gathers a parameter ${modifier} binds to ${
          bound instanceof Group ? "group(...)" : "value(...)"
        }, not to a node; bind it with source(...)`,
      );
    }
    collects = bound.name;
  }
  return wrappedSpec(spec, fn, [bindings], {
    inputs,
    callStyle: "declared",
    ctxIndex: ctxIndex >= 0 ? 1 : -1,
    ...(collects === undefined ? {} : { collects }),
  });
}

/**
 * How to read a bound value from a node's inputs object. `need` hears of
 * each input a `source` adds; anything that is not a binding is a literal.
 */
export function getterOf(
  bound: unknown,
  need: (input: InputSpec) => void,
): Getter {
  if (bound instanceof Source) {
    const name = bound.name;
    need({ name, optional: false });
    return (args) => args[name];
  }
  if (bound instanceof Group) {
    const items = bound.items.map((item) => getterOf(item, need));
    const keys = bound.keys;
    if (keys === undefined) return (args) => items.map((get) => get(args));
    return (args) => {
      const object: Record<string, unknown> = {};
      for (let k = 0; k < keys.length; k++) object[keys[k]!] = items[k]!(args);
      return object;
    };
  }
  const literal = bound instanceof Value ? bound.value : bound;
  return () => literal;
}

/**
 * A description template filled for one generated node: `{param}` becomes
 * what the function's parameter reads (the bound source's name or value,
 * or the input of the same name), `{output_name}` the node's name, and
 * `{{` / `}}` a brace. Any other placeholder is an `InvalidNodeError`.
 */
export function fillDoc(
  doc: string,
  owner: NodeSpec,
  name: string,
  bindings: Readonly<Record<string, unknown>>,
  modifier: string,
): string {
  const params = new Set(owner.inputs.map((i) => i.name));
  return doc.replace(
    /\{\{|\}\}|\{(\w+)\}/g,
    (whole, param: string | undefined) => {
      if (param === undefined) return whole[0]!;
      if (param === "output_name") return name;
      if (Object.hasOwn(bindings, param)) {
        return describeBinding(bindings[param]);
      }
      if (params.has(param)) return param;
      throw new InvalidNodeError(
        name,
        `${modifier}: its description has the placeholder {${param}}, which names no parameter of it (write {{${param}}} for the text itself)`,
      );
    },
  );
}

function describeBinding(binding: unknown): string {
  if (binding instanceof Source) return binding.name;
  if (binding instanceof Value) return String(binding.value);
  if (binding instanceof Group) {
    const keys = binding.keys;
    return binding.items.map((item, k) =>
      keys === undefined
        ? describeBinding(item)
        : `${keys[k]}: ${describeBinding(item)}`
    ).join(", ");
  }
  return String(binding);
}
