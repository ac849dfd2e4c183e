/**
 * Adding materializers to a graph, and `materialize()`: run the savers
 * (and what else is asked), with loaders in place of the nodes they
 * target (Hamilton's `Driver.materialize`).
 *
 * @module
 */
import { DuplicateNodeError } from "../errors.ts";
import type { NodeMetadata } from "../events.ts";
import { Graph } from "../graph.ts";
import { recordRun } from "../results.ts";
import { type ExecuteOptions, Runner } from "../runner.ts";
import { SpecIndex } from "../_spec_index.ts";
import type { Materializer } from "./materializers.ts";

/** Options of `materialize()` and `validateMaterialization()`. */
export interface MaterializeOptions<V extends string = string>
  extends ExecuteOptions {
  /**
   * Nodes to compute and return besides the savers (Hamilton's
   * `additional_vars`). @default {[]}
   */
  readonly additionalVars?: readonly V[];
}

/**
 * `specs` with `materializers` added: each loader in place of the node it
 * targets (or as the node of an input it provides), each saver as a new
 * node. Two materializers of one node, or a saver named as a node, are a
 * DuplicateNodeError.
 */
export function withMaterializers(
  specs: SpecIndex,
  materializers: readonly Materializer[],
): SpecIndex {
  if (materializers.length === 0) return specs;
  const index = new SpecIndex();
  for (const spec of specs.list) index.put(spec);
  for (const [definition, name] of specs.origins) {
    index.origins.set(definition, name);
  }
  const made = new Map<string, Materializer>();
  for (const materializer of materializers) {
    if (
      typeof materializer !== "object" || materializer === null ||
      materializer.spec === undefined
    ) {
      throw new TypeError(
        `'materializers' must be made by from.<format>(...) or to.<format>(...): received ${materializer}`,
      );
    }
    const name = materializer.name;
    const earlier = made.get(name);
    if (earlier !== undefined) {
      throw new DuplicateNodeError(name, [
        describe(earlier),
        describe(materializer),
      ], true);
    }
    made.set(name, materializer);
    if (materializer.kind === "saver" && index.has(name)) {
      throw new DuplicateNodeError(name, [
        `the graph's node "${name}"`,
        describe(materializer),
      ], true);
    }
    index.put(materializer.spec);
  }
  return index;
}

function describe(materializer: Materializer): string {
  const made = materializer.kind === "loader" ? "from." : "to.";
  return `${made}${materializer.format}(...)`;
}

/** A runner for `runner`'s graph with `materializers` added. */
export function materializedRunner(
  runner: Runner,
  materializers: readonly Materializer[],
): Runner {
  if (!Array.isArray(materializers)) {
    throw new TypeError(
      `'materializers' must be an array: received ${materializers}`,
    );
  }
  const specs = runner.graph.specs;
  const index = specs instanceof SpecIndex ? specs : copyOf(specs);
  return new Runner({
    graph: Graph.build(withMaterializers(index, materializers), runner.config),
    config: runner.config,
    hooks: runner.hooks,
    executor: runner.executor,
    ...(runner.router === undefined ? {} : { router: runner.router }),
    cache: runner.cache,
    retry: runner.retry,
    mapExecutor: runner.mapExecutor,
  });
}

function copyOf(specs: Graph["specs"]): SpecIndex {
  const index = new SpecIndex();
  for (const spec of specs.values()) index.put(spec);
  return index;
}

/** The names a materialization computes: its savers, then `additionalVars`. */
export function materializedVars(
  materializers: readonly Materializer[],
  additionalVars: readonly string[] = [],
): string[] {
  const vars = materializers.filter((m) => m.kind === "saver").map((m) =>
    m.name
  );
  for (const name of additionalVars) if (!vars.includes(name)) vars.push(name);
  return vars;
}

/**
 * Runs the savers of `materializers` and `additionalVars` on `runner`'s
 * graph with the materializers added; returns the metadata of every
 * loader and saver that ran (the graph's own too) and the values of
 * `additionalVars`.
 */
export async function materialize(
  runner: Runner,
  materializers: readonly Materializer[],
  options: MaterializeOptions = {},
): Promise<[Record<string, NodeMetadata>, Record<string, unknown>]> {
  const derived = materializedRunner(runner, materializers);
  const { additionalVars = [], ...execute } = options;
  const vars = materializedVars(materializers, additionalVars);
  const run = await recordRun(derived, vars, execute);
  if (!run.success) throw run.error;
  // Every loader and saver that ran: those given here, and those of the
  // graph (withMaterializers, loader(), saver()).
  const metadata: Record<string, NodeMetadata> = {};
  for (const node of run.nodes) {
    if (node.metadata !== undefined) metadata[node.name] = node.metadata;
  }
  const values: Record<string, unknown> = {};
  for (const name of additionalVars) {
    if (Object.hasOwn(run.outputs!, name)) values[name] = run.outputs![name];
  }
  return [metadata, values];
}

/**
 * Throws what `materialize(materializers, options)` would throw before
 * running anything; runs no node, no loader, no saver.
 */
export function validateMaterialization(
  runner: Runner,
  materializers: readonly Materializer[],
  options: MaterializeOptions = {},
): void {
  const derived = materializedRunner(runner, materializers);
  const { additionalVars = [], ...execute } = options;
  derived.plan(materializedVars(materializers, additionalVars), execute);
}
