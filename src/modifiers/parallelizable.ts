/**
 * `parallelizable()` and `collect("x")`: dynamic fan-out and fan-in inside a
 * graph. A parallelizable node returns items (an array, iterable, generator or
 * async iterable); every node downstream of it runs once per item, up to a
 * node that collects: its `x` input receives every item's value, in order.
 * The graph checks the blocks when it is built (see `blocks.ts`).
 *
 * @module
 */
import type { AnyFn, Modifier, NodeSpec } from "../node.ts";
import { InvalidNodeError } from "../errors.ts";
import { andThen } from "../_thenable.ts";
import { wrappedSpec } from "../_code.ts";

/**
 * Makes the node's items fan out: each node downstream of it (up to a
 * `collect`) runs once per item. Its own value, when requested, is the list
 * of items.
 *
 * @example
 * ```ts
 * import { Builder, collect, node, parallelizable } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const steps = node(function* steps() { yield* [0, 1, 2, 3, 4, 5]; }, parallelizable());
 * const square = ({ steps }: { steps: number }) => steps ** 2;
 * const cube = ({ steps }: { steps: number }) => steps ** 3;
 * const both = ({ square, cube }: { square: number; cube: number }) => square + cube;
 * const total = node(({ both }: { both: number[] }) => both.reduce((a, b) => a + b, 0), collect("both"));
 *
 * const dr = await new Builder().withModules({ steps, square, cube, both, total }).build();
 * assert.equal((await dr.execute(["total"])).total, 280);
 * ```
 */
export function parallelizable(): FanOutModifier {
  return PARALLELIZABLE;
}

/** What `parallelizable()` returns. */
export interface FanOutModifier extends Modifier {
  /** Type-level only: consumers receive one item, for `deno check`. */
  readonly "braid.fanOut"?: true;
}

/** What `collect(input)` returns. */
export interface CollectModifier<C extends string> extends Modifier {
  /** Type-level only: input `C` receives a list, for `deno check`. */
  readonly "braid.collects"?: C;
}

const PARALLELIZABLE: FanOutModifier = Object.freeze({
  kind: "parallelizable",
  phase: "decorate" as const,
  apply(spec: NodeSpec): readonly NodeSpec[] {
    const call = spec.fn;
    const name = spec.name;
    // The items are read once, here: a generator cannot be replayed, and
    // both the block and a request for the node itself need them.
    // It runs in this thread under every executor: its items are what the
    // block's items (which may run on workers) need first.
    const fn: AnyFn = function (this: unknown, ...args: unknown[]) {
      return andThen(call.apply(this, args), (v) => toItems(name, v));
    };
    return [wrappedSpec(spec, fn, [], { parallelizable: true, local: true })];
  },
});

/**
 * Gathers the per-item values of input `input` (a node inside a block) into
 * a list, in item order. The node's other inputs come from outside the block.
 * `input` names the function's own parameter: it is marked before other
 * modifiers run, so when `parameterize`, `inject` or a pipe binds it to
 * another node, that node's values are gathered.
 *
 * @example
 * ```ts
 * import { collect, node } from "@braid/braid";
 * const total = node(({ size }: { size: number[] }) => size.length, collect("size"));
 * console.assert(total.modifiers.length === 1);
 * ```
 */
export function collect<const C extends string>(
  input: C,
): CollectModifier<C> {
  if (typeof input !== "string" || input === "") {
    throw new TypeError(
      `'collect' takes the name of the input to gather: received ${input}`,
    );
  }
  return Object.freeze({
    kind: "collect",
    // On the function's own parameters, before expanding modifiers rebind
    // them (as Hamilton's Collect[] annotates the function's parameter).
    phase: "name" as const,
    apply(spec: NodeSpec): readonly NodeSpec[] {
      const name = input;
      if (!spec.inputs.some((i) => i.name === name)) {
        throw new InvalidNodeError(
          spec.name,
          `collect("${input}") names no input of it; its inputs are ${
            spec.inputs.map((i) => `"${i.name}"`).join(", ") || "none"
          }`,
        );
      }
      if (spec.collects !== undefined && spec.collects !== name) {
        throw new InvalidNodeError(
          spec.name,
          `it collects both "${spec.collects}" and "${name}"; a node collects one block's value (collect it in two nodes)`,
        );
      }
      return [{ ...spec, collects: name }];
    },
  });
}

/**
 * The items of a parallelizable node's value, as an array (or a promise of
 * one, for async iterables). Strings and non-iterables are refused: a string
 * fanning out into characters is almost always a mistake.
 */
export function toItems(
  name: string,
  value: unknown,
): unknown[] | Promise<unknown[]> {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object") {
    if (typeof (value as Iterable<unknown>)[Symbol.iterator] === "function") {
      return Array.from(value as Iterable<unknown>);
    }
    if (
      typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] ===
        "function"
    ) {
      return Array.fromAsync(value as AsyncIterable<unknown>);
    }
  }
  throw new TypeError(
    `Parallelizable node "${name}" must return an array, iterable or async iterable of items: received ${
      value === null ? "null" : typeof value
    }`,
  );
}
