// The conformance suite, run against an executor written in this file from
// braid's public interface alone: it runs each call a few ticks later.
import type { Executor, ExecutorCall } from "../../mod.ts";
import { conformance } from "./_conformance.ts";

class LaterExecutor implements Executor {
  readonly name = "later";
  readonly concurrency = 3;
  async run(call: ExecutorCall): Promise<unknown> {
    for (let tick = 0; tick < 3; tick++) await null;
    return await call.execute();
  }
}

conformance(() => new LaterExecutor());
