// The calling convention: how a node's arguments are laid out and its
// function called, from the run's value slots. The main thread calls nodes
// through it; executors that send calls elsewhere take their arguments from
// it. Types only: worker entry scripts may load this too.
import type { PlanNode } from "./plan.ts";
import type { RunContext } from "./run.ts";
import type { RunScope } from "./_scope.ts";
import type { NodeMetadata } from "./events.ts";

/** What a call needs from its run: the `ctx` of a node that declares one. */
export interface ContextSource {
  /** The `ctx` for `node`. */
  context(node: PlanNode): RunContext;
  /**
   * What a nested pipeline's node inherits from the run (its runner and
   * hooks), passed to it after `ctx`; absent where nodes run far from their
   * run (a worker).
   */
  scope?(): RunScope | undefined;
  /**
   * Records the metadata a loader or saver node reports about its value;
   * absent where nodes run far from their run.
   */
  addMetadata?(node: PlanNode, metadata: NodeMetadata): void;
}

/**
 * Calls a node's function with its arguments taken from `values`. Argument
 * objects have no prototype: an input may be named `__proto__` or `toString`,
 * and V8 keeps such dictionaries cheap where graphs have thousands of distinct
 * input names (ordinary objects would each need a hidden class of their own).
 */
export function callNode(
  node: PlanNode,
  values: readonly unknown[],
  source: ContextSource,
): unknown {
  const slots = node.argSlots;
  const keys = node.argKeys;
  if (node.callStyle === "positional") {
    if (node.ctxIndex < 0) {
      if (slots.length === 0) return node.fn();
      if (slots.length === 1) {
        const s = slots[0]!;
        return node.fn(s >= 0 ? values[s] : undefined);
      }
    }
    const count = slots.length + (node.ctxIndex >= 0 ? 1 : 0);
    const args = new Array(count);
    for (let p = 0, k = 0; p < count; p++) {
      if (p === node.ctxIndex) {
        args[p] = source.context(node);
      } else {
        const s = slots[k++]!;
        args[p] = s >= 0 ? values[s] : undefined;
      }
    }
    return node.fn(...args);
  }
  const args: Record<string, unknown> = Object.create(null);
  for (let k = 0; k < slots.length; k++) {
    const s = slots[k]!;
    if (s >= 0) args[keys[k]!] = values[s];
  }
  if (node.ctxIndex < 0) return node.fn(args);
  if (node.callStyle === "object") {
    args.ctx = source.context(node);
    return node.fn(args);
  }
  // "declared": a nested pipeline's node also gets its run's scope, a
  // loader's or saver's where to report its metadata.
  if (node.spec.container !== undefined) {
    return node.fn(args, source.context(node), source.scope?.());
  }
  if (node.spec.materializer !== undefined) {
    return node.fn(
      args,
      source.context(node),
      (metadata: NodeMetadata) => source.addMetadata?.(node, metadata),
    );
  }
  return node.fn(args, source.context(node));
}

/** A node's arguments by input name (absent optional inputs left out). */
export function argumentsOf(
  node: PlanNode,
  values: readonly unknown[],
): Record<string, unknown> {
  const args: Record<string, unknown> = Object.create(null);
  for (let k = 0; k < node.argSlots.length; k++) {
    const s = node.argSlots[k]!;
    if (s >= 0) args[node.argKeys[k]!] = values[s];
  }
  return args;
}

/** What laying out a node's arguments needs to know of it. */
export interface ArgumentShape {
  /** How its function is called. */
  readonly callStyle: "object" | "positional" | "declared";
  /** The argument names, without `ctx`. */
  readonly argKeys: readonly string[];
  /** The value slot of each argument; -1 for an absent optional input. */
  readonly argSlots: ArrayLike<number>;
}

/**
 * A node's arguments as they travel to another thread or process: a list
 * for positional nodes (absent optional inputs as undefined), else an
 * object by input name; without `ctx`, which the far side builds (see
 * {@linkcode callWith}).
 */
export function wireArguments(
  node: ArgumentShape,
  values: readonly unknown[],
): unknown[] | Record<string, unknown> {
  const slots = node.argSlots;
  if (node.callStyle === "positional") {
    const args = new Array(slots.length);
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k]!;
      args[k] = s >= 0 ? values[s] : undefined;
    }
    return args;
  }
  // No prototype: an input named `__proto__` stays data, here and after a
  // structured clone (which copies own properties as data).
  const args: Record<string, unknown> = Object.create(null);
  const keys = node.argKeys;
  for (let k = 0; k < slots.length; k++) {
    const s = slots[k]!;
    if (s >= 0) args[keys[k]!] = values[s];
  }
  return args;
}

/**
 * The far side of {@linkcode wireArguments}: calls `fn` with arguments laid
 * out for a node of `callStyle`, putting `ctx()` where the node takes it.
 */
export function callWith(
  fn: (...args: unknown[]) => unknown,
  node: {
    readonly callStyle: ArgumentShape["callStyle"];
    readonly ctxIndex: number;
  },
  args: unknown[] | Record<string, unknown>,
  ctx: () => unknown,
): unknown {
  if (node.callStyle === "positional") {
    const list = args as unknown[];
    if (node.ctxIndex >= 0) list.splice(node.ctxIndex, 0, ctx());
    return fn(...list);
  }
  const object = args as Record<string, unknown>;
  if (node.ctxIndex < 0) return fn(object);
  if (node.callStyle === "object") {
    object.ctx = ctx();
    return fn(object);
  }
  return fn(object, ctx());
}
