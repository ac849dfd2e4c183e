import assert from "node:assert/strict";
import { Builder } from "../../mod.ts";
import { conformance } from "./_conformance.ts";

conformance("sequential");

Deno.test("the sequential executor runs one node at a time in topological-generation order", async () => {
  const log: string[] = [];
  const step = (name: string) => async () => {
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, 2));
    log.push(`end ${name}`);
    return name;
  };
  const mod = {
    a: step("a"),
    b: step("b"),
    c: ({ a, b }: { a: string; b: string }) => (log.push("c"), a + b),
  };
  const dr = await new Builder().withModules(mod).build();
  assert.deepEqual(await dr.execute(["c"]), { c: "ab" });
  assert.deepEqual(log, ["start a", "end a", "start b", "end b", "c"]);
});

Deno.test("the sequential executor stops at the first failure: no later node starts", async () => {
  const started: string[] = [];
  const mod = {
    a: (): number => {
      started.push("a");
      throw new Error("a failed");
    },
    b: () => (started.push("b"), 2),
    c: ({ a, b }: { a: number; b: number }) => (started.push("c"), a + b),
  };
  const dr = await new Builder().withModules(mod).build();
  await assert.rejects(dr.execute(["c"]), /a failed/);
  assert.deepEqual(started, ["a"]);
});
