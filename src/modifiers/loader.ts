/**
 * `loader()`: a node that reads data from outside the graph and says what
 * it read (Hamilton's `@dataloader`).
 *
 * @module
 */
import type { LoaderModifier, NodeSpec } from "../node.ts";
import { describe, type Finish, ioSpec, isMetadata } from "./_io_node.ts";

/**
 * Makes the node a loader: its function returns `[value, metadata]`; the
 * node's value is `value`, and `metadata` (path, rows, bytes, mtime,
 * `contentHash`, anything) goes on the run's record of the node
 * (`run().nodes`) and its `nodeSucceeded` event. The node is tagged
 * `materializer: "loader"`, drawn as a cylinder, and runs on every run
 * (cache behavior `"recompute"` unless declared otherwise), so an edited
 * file is read again; with a `contentHash` in its metadata its value's
 * data version is made from that hash (else from the value), so nodes
 * downstream are cache hits exactly when the content is unchanged.
 *
 * @example
 * ```ts
 * import { Builder, loader, node } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const settings = node(
 *   ({ text }: { text: string }) => [JSON.parse(text), { bytes: text.length }],
 *   loader(),
 * );
 * const dr = await new Builder().withModules({ settings }).build();
 * const run = await dr.run(["settings"], { inputs: { text: '{"k":1}' } });
 * assert.deepEqual(run.outputs, { settings: { k: 1 } });
 * assert.deepEqual(run.nodes[0]?.metadata, { bytes: 7 });
 * ```
 */
export function loader(): LoaderModifier {
  return LOADER;
}

const split: Finish = (returned, report, nodeName) => {
  if (
    !Array.isArray(returned) || returned.length !== 2 ||
    !isMetadata(returned[1])
  ) {
    throw new TypeError(
      `loader "${nodeName}" must return [value, metadata] (metadata an object): received ${
        describe(returned)
      }`,
    );
  }
  report(returned[1]);
  return returned[0];
};

const LOADER: LoaderModifier = Object.freeze({
  kind: "loader",
  // The name phase: before a modifier that expands it (extractFields,
  // extractColumns, checkOutput) reads its value, so the function it
  // wraps is the user's own.
  phase: "name" as const,
  apply(spec: NodeSpec): readonly NodeSpec[] {
    return [asLoader(spec)];
  },
});

/** `spec` as a loader node (what `loader()` makes of it). */
export function asLoader(spec: NodeSpec): NodeSpec {
  return ioSpec(spec, "loader", split);
}
