// Specs whose function a modifier generates around another spec's. The
// facts that belong to the old function alone go (its export and the site
// of its node() call, where a worker would find it; what it wraps), those
// of the node stay (it still runs here if the old one did, it still runs
// a nested pipeline), and the new function lists what it calls, for its
// code version.
import type { AnyFn, NodeSpec } from "./node.ts";

/**
 * The code of a generated function as a part of another: its source and
 * what it calls, both hashed into the other's code version.
 */
export class GeneratedCode {
  /** The generated function. */
  readonly fn: AnyFn;
  /** What it calls (its spec's `codeParts`). */
  readonly parts: readonly unknown[];
  /** The code of `fn`, which calls `parts`. */
  constructor(fn: AnyFn, parts: readonly unknown[]) {
    this.fn = fn;
    this.parts = parts;
    Object.freeze(this);
  }
}

/** The code of `spec`'s function, as a part of a function that calls it. */
function codeOf(spec: NodeSpec): unknown {
  return spec.codeParts === undefined
    ? spec.fn
    : new GeneratedCode(spec.fn, spec.codeParts);
}

/**
 * `spec` computed by `fn`, a function generated around `spec.fn`: the same
 * node, with `changes`. `calls` is what `fn` calls besides `spec.fn`.
 */
export function wrappedSpec(
  spec: NodeSpec,
  fn: AnyFn,
  calls: readonly unknown[],
  changes: Partial<NodeSpec> = {},
): NodeSpec {
  const { exportName: _export, definedAt: _site, ...node } = spec;
  return {
    ...node,
    ...changes,
    fn,
    codeParts: Object.freeze([codeOf(spec), ...calls]),
  };
}

/**
 * A new node derived from `spec` (a field of its value, say), computed by
 * `fn`, which calls `calls`: it keeps `spec`'s tags and provenance, takes
 * `changes`, and none of the facts of `spec`'s function or of the node
 * `spec` is (it is no nested pipeline, collects none of its inputs, is no
 * loader or saver, and runs here only if `changes` says so).
 */
export function derivedSpec(
  spec: NodeSpec,
  fn: AnyFn,
  calls: readonly unknown[],
  changes: Partial<NodeSpec>,
): NodeSpec {
  const {
    exportName: _export,
    definedAt: _site,
    local: _local,
    container: _container,
    codeParts: _parts,
    collects: _collects,
    materializer,
    ...node
  } = spec;
  const derived = {
    ...node,
    ...changes,
    fn,
    codeParts: Object.freeze([...calls]),
  };
  // A loader's or saver's reading of its value (a field, a column, a
  // check) reads no data from outside: it is no loader or saver itself.
  if (materializer !== undefined && changes.materializer === undefined) {
    const { materializer: _tag, ...tags } = derived.tags;
    derived.tags = Object.freeze(tags);
  }
  return derived;
}
