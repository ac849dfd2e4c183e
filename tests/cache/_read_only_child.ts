// Run with read permission only, on a cache another process filled: prints
// what the cache did, the warnings and the stream's warning events as JSON.
import { Builder } from "../../mod.ts";

const path = Deno.args[0]!;
const warnings: string[] = [];
console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
const dr = await new Builder()
  .withModules({ a: () => "a".repeat(100), b: () => "b" })
  .withCache({ path }).build();
const events = [];
for await (const event of dr.stream(["a", "b"])) events.push(event);
const runId = events[0]!.runId;
const logs = dr.cache.logs(runId).map((e) => ({
  nodeName: e.nodeName,
  outcome: e.outcome,
  notStored: e.notStored,
}));
await dr.close();
console.log(JSON.stringify({
  enabled: dr.cache.enabled,
  logs,
  warnings,
  streamWarnings: events.filter((e) => e.type === "warning"),
}));
