// The functions that run a nested pipeline, with what drawing needs to know
// about them. A WeakMap keyed by the function: specs stay plain values and
// nothing is stashed on a function object.
import type { Graph } from "./graph.ts";
import type { AnyFn } from "./node.ts";

/** What a nested pipeline's node is, for drawing. */
export interface ContainerInfo {
  /** The node's name in the outer pipeline. */
  readonly name: string;
  /** The inner pipeline's graph. */
  readonly graph: Graph;
  /** The outer inputs it maps over, if any. */
  readonly mapOver: readonly string[];
}

const CONTAINERS = new WeakMap<AnyFn, ContainerInfo>();

/** Records that `fn` runs a nested pipeline. */
export function registerContainer(fn: AnyFn, info: ContainerInfo): void {
  CONTAINERS.set(fn, info);
}

/** Whether `fn` runs a nested pipeline. */
export function isContainer(fn: AnyFn): boolean {
  return CONTAINERS.has(fn);
}

/** What `fn` runs, when it runs a nested pipeline. */
export function containerOf(fn: AnyFn): ContainerInfo | undefined {
  return CONTAINERS.get(fn);
}
