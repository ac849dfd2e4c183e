// The node `loader()` or `saver()` makes of a spec: the user's function,
// called as they wrote it, inside one that reports what it says about the
// data to the run (through the calling convention's third argument for
// such nodes) and hands on the value.
import { callWith } from "../_call.ts";
import { wrappedSpec } from "../_code.ts";
import { andThen } from "../_thenable.ts";
import type { NodeMetadata } from "../events.ts";
import type { NodeSpec } from "../node.ts";
import type { RunContext } from "../run.ts";

/** Where a loader or saver node reports its metadata. */
export type MetadataReport = (metadata: NodeMetadata) => void;

/**
 * What the node does with what the user's function returned: reports the
 * metadata and returns the node's value, or throws when the function broke
 * the contract.
 */
export type Finish = (
  returned: unknown,
  report: MetadataReport,
  nodeName: string,
) => unknown;

const IGNORE: MetadataReport = () => {};

/**
 * `spec` as a loader or saver: tagged `materializer`, run in the calling
 * thread (it does I/O, which the event loop overlaps, and reports to its
 * run), and cached with behavior `"recompute"` unless declared otherwise
 * (a loader must read again to see a changed source; a saver must write).
 */
export function ioSpec(
  spec: NodeSpec,
  kind: "loader" | "saver",
  finish: Finish,
): NodeSpec {
  const user = spec.fn as (...args: unknown[]) => unknown;
  const shape = { callStyle: spec.callStyle, ctxIndex: spec.ctxIndex };
  const names = spec.inputs.map((input) => input.name);
  const positional = spec.callStyle === "positional";
  const name = spec.name;
  const fn = (
    args: Record<string, unknown>,
    ctx: RunContext,
    report?: MetadataReport,
  ): unknown =>
    andThen(
      callWith(
        user,
        shape,
        positional ? names.map((n) => args[n]) : args,
        () => ctx,
      ),
      (returned) => finish(returned, report ?? IGNORE, name),
    );
  return wrappedSpec(spec, fn, [kind, finish], {
    callStyle: "declared",
    ctxIndex: 1,
    materializer: kind,
    local: true,
    tags: Object.freeze({ ...spec.tags, materializer: kind }),
  });
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") {
    return value.constructor?.name ?? "an object";
  }
  return typeof value;
}

/** Whether `value` is metadata: a non-null object that is not an array. */
export function isMetadata(value: unknown): value is NodeMetadata {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
