// What a nested pipeline inherits from the run that calls it: the runner
// (its node and map executors) and the hooks (adapters, a stream's
// recorder). It travels on the node's `ctx` under a symbol, so it costs
// nothing to runs without nested pipelines and is not public API.
import type { Hooks } from "./hooks.ts";
import type { RunContext } from "./run.ts";
import type { Runner } from "./runner.ts";

/** The key of the scope on a `ctx`. */
export const SCOPE: unique symbol = Symbol("braid.scope");

/** The calling run's runner and hooks. */
export interface RunScope {
  /** The runner of the calling run. */
  readonly runner: Runner;
  /** The calling run's hooks. */
  readonly hooks: Hooks;
}

/** The scope of the run that gave `ctx`, when there is one. */
export function scopeOf(ctx: RunContext): RunScope | undefined {
  return (ctx as { [SCOPE]?: RunScope })[SCOPE];
}
