/**
 * `exportExecution`: a request's plan as plain JSON, with its topological
 * generations, for tooling, review and orchestrators.
 *
 * @module
 */
import type { Tags } from "./node.ts";
import type { CacheDeclaration } from "./modifiers/cache.ts";
import { type CostFunction, planMetrics, tagCost } from "./metrics.ts";
import { type Plan, planGenerations, type SeedSource } from "./plan.ts";

/** Where one argument of a planned node comes from. */
export interface ExportedInput {
  /** The input's name. */
  readonly name: string;
  /** Whether it has a default. */
  readonly optional: boolean;
  /** A node of the plan, a provided value, or nothing (its default applies). */
  readonly source: "node" | SeedSource | "default";
}

/** One node of an exported plan. */
export interface ExportedNode {
  /** Its name. */
  readonly name: string;
  /** The function's or export's name before modifiers. */
  readonly originalName: string;
  /** Its module, when known. */
  readonly module?: string;
  /** Its tags. */
  readonly tags: Tags;
  /** The modifiers that produced it. */
  readonly modifiers: readonly string[];
  /** Its cache declaration, if any. */
  readonly cache?: CacheDeclaration;
  /** Its description, if any. */
  readonly doc?: string;
  /** Its arguments. */
  readonly inputs: readonly ExportedInput[];
  /** Its generation: 0 for nodes that need no other node of the plan. */
  readonly generation: number;
  /**
   * Its metrics within this plan, as `planMetrics` computes them (the shape
   * of `NodeMetrics`, spelled out while that type is not part of `mod.ts`).
   */
  readonly metrics: {
    /** Its topological generation. */
    readonly generation: number;
    /** Whether it lies on a longest cost-weighted path (`slack === 0`). */
    readonly onCriticalPath: boolean;
    /** The longest cost-weighted path from it to an output, its cost included. */
    readonly bottomLevel: number;
    /** The critical path's cost minus the longest path through it. */
    readonly slack: number;
    /** Its normalised directed betweenness centrality. */
    readonly betweenness: number;
  };
  /**
   * For a fan-out block's node (named `<parallelizable>[]`): what runs once
   * per item of its parallelizable node.
   */
  readonly block?: {
    readonly parallelizable: string;
    readonly perItem: ExecutionPlan;
  };
  /** For a node computed inside a block: its value is the list of per-item values from this block node. */
  readonly listFrom?: string;
}

/** A whole exported plan. */
export interface ExecutionPlan {
  /** The requested names. */
  readonly finalVars: readonly string[];
  /** Provided values by where they come from. */
  readonly provided: {
    readonly inputs: readonly string[];
    readonly overrides: readonly string[];
    readonly config: readonly string[];
  };
  /** Nodes replaced by an override or input (they will not run). */
  readonly replaced: readonly string[];
  /** The nodes that will run, in topological-generation order. */
  readonly nodes: readonly ExportedNode[];
  /** Node names grouped by generation. */
  readonly generations: readonly (readonly string[])[];
}

/**
 * Exports `plan` as JSON-ready data; each node's metrics use `costOf` for its
 * cost (by default its numeric `cost` tag; unknown costs count 1), and so do
 * the per-item plans of fan-out blocks.
 */
export function exportPlan(
  plan: Plan,
  costOf: CostFunction = tagCost,
): ExecutionPlan {
  const metrics = planMetrics(plan, costOf);
  const seedsBy = (source: SeedSource) =>
    plan.seeds.filter((s) => s.source === source).map((s) => s.name);
  const nodes = plan.nodes.map((node): ExportedNode => {
    const spec = node.spec;
    const inputs = spec.inputs.map((input, k): ExportedInput => {
      const slot = node.argSlots[k]!;
      const source = slot < 0
        ? "default"
        : slot < plan.nodes.length
        ? "node"
        : plan.seeds[slot - plan.nodes.length]!.source;
      return { name: input.name, optional: input.optional, source };
    });
    const exported: ExportedNode = {
      name: node.name,
      originalName: spec.originalName,
      tags: spec.tags,
      modifiers: spec.modifiers,
      inputs,
      generation: node.generation,
      // Plain data: reading every field computes the plan's betweenness once.
      metrics: { ...metrics[node.index]! },
    };
    if (spec.module !== undefined) {
      Object.assign(exported, { module: spec.module });
    }
    if (spec.cache !== undefined) {
      Object.assign(exported, { cache: spec.cache });
    }
    if (spec.doc !== undefined) Object.assign(exported, { doc: spec.doc });
    if (node.block !== undefined) {
      Object.assign(exported, {
        block: {
          parallelizable: node.block.parallelizable,
          perItem: exportPlan(node.block.plan, costOf),
        },
      });
    } else if (node.kind === "member") {
      Object.assign(exported, { listFrom: spec.inputs[0]!.name });
    }
    return exported;
  });
  return {
    finalVars: plan.finalVars,
    provided: {
      inputs: seedsBy("input"),
      overrides: seedsBy("override"),
      config: seedsBy("config"),
    },
    replaced: plan.replaced,
    nodes,
    generations: planGenerations(plan),
  };
}
