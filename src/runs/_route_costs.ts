// Routing by measured cost from the first run: a driver built with a run
// store and several executors starts with the durations its store recorded
// of earlier runs of the same graph (same plan signature), as if this
// driver had measured them itself.
import type { Router } from "../routing.ts";
import type { RunLog } from "./_run_log.ts";

// How many recent runs of the graph are read.
const RUNS = 20;

/**
 * Feeds `router` the node durations of the last successful runs of the
 * graph signed `planSignature` in `log`'s store, oldest first; a store that
 * fails is skipped (routing then measures from scratch).
 */
export async function seedRouteCosts(
  router: Router,
  log: RunLog,
  planSignature: string,
): Promise<void> {
  try {
    const runs = (await log.store.list({ status: "succeeded", limit: 100 }))
      .filter((run) => run.planSignature === planSignature)
      .slice(0, RUNS)
      .reverse();
    for (const run of runs) {
      for (const node of await log.store.nodes(run.id)) {
        // A cache hit's duration is the cache's, not the node's.
        if (
          node.status === "succeeded" && node.cache !== "hit" &&
          node.durationMs !== undefined
        ) {
          router.recordDuration(node.name, node.durationMs);
        }
      }
    }
  } catch { /* costs are measured as runs go, then */ }
}
