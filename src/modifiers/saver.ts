/**
 * `saver()`: a node that writes data outside the graph and says what it
 * wrote (Hamilton's `@datasaver`).
 *
 * @module
 */
import type { Modifier, NodeSpec } from "../node.ts";
import { describe, type Finish, ioSpec, isMetadata } from "./_io_node.ts";

/**
 * Makes the node a saver: its function writes its inputs somewhere and
 * returns metadata about what it wrote (path, rows, bytes, anything),
 * which is also the node's value. The metadata goes on the run's record
 * of the node (`run().nodes`) and its `nodeSucceeded` event. The node is
 * tagged `materializer: "saver"`, drawn as a folder, and runs on every run
 * (cache behavior `"recompute"` unless declared otherwise): a cache hit
 * would write nothing.
 *
 * @example
 * ```ts
 * import { Builder, node, saver } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const written: string[] = [];
 * const save_report = node(({ report }: { report: string }) => {
 *   written.push(report);
 *   return { rows: 1 };
 * }, saver());
 * const dr = await new Builder().withModules({ save_report }).build();
 * const run = await dr.run(["save_report"], { inputs: { report: "ok" } });
 * assert.deepEqual(written, ["ok"]);
 * assert.deepEqual(run.nodes[0]?.metadata, { rows: 1 });
 * ```
 */
export function saver(): Modifier {
  return SAVER;
}

const check: Finish = (returned, report, nodeName) => {
  if (!isMetadata(returned)) {
    throw new TypeError(
      `saver "${nodeName}" must return its metadata (an object): received ${
        describe(returned)
      }`,
    );
  }
  report(returned);
  return returned;
};

const SAVER: Modifier = Object.freeze({
  kind: "saver",
  // The name phase: before a modifier that expands it (extractFields,
  // extractColumns, checkOutput) reads its value, so the function it
  // wraps is the user's own.
  phase: "name" as const,
  apply(spec: NodeSpec): readonly NodeSpec[] {
    return [asSaver(spec)];
  },
});

/** `spec` as a saver node (what `saver()` makes of it). */
export function asSaver(spec: NodeSpec): NodeSpec {
  return ioSpec(spec, "saver", check);
}
