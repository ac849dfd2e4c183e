// What a nested pipeline inherits from the run that calls it: the runner
// (its node and map executors) and the hooks (adapters, a stream's
// recorder). The calling convention passes it to a nested pipeline's node
// after its `ctx` (see `_call.ts`); other nodes never see it.
import type { Hooks } from "./hooks.ts";
import type { Runner } from "./runner.ts";

/** The calling run's runner and hooks. */
export interface RunScope {
  /** The runner of the calling run. */
  readonly runner: Runner;
  /** The calling run's hooks. */
  readonly hooks: Hooks;
}
