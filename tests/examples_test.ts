import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runDeno } from "./_deno.ts";

Deno.test("examples/pipeline.ts runs with no permissions and prints its report", async () => {
  const file = fileURLToPath(
    new URL("../examples/pipeline.ts", import.meta.url),
  );
  const { code, stdout: out, stderr } = await runDeno([
    "run",
    "--no-prompt",
    file,
  ]);
  assert.equal(code, 0, stderr);
  assert.match(out, /\[ "quick", "jumps", "lazy" \]/);
  assert.match(out, /1 NodeExecutionError: Node "cleaned" \(item 1\) failed/);
  assert.match(out, /per_doc: 3\/3 documents/);
  assert.match(out, /subgraph "cluster_per_doc"/);
});

Deno.test("examples/workers.ts gives the sequential results on workers", async () => {
  const script = new URL("../examples/workers.ts", import.meta.url);
  const { code, stdout: out, stderr } = await runDeno([
    "run",
    "--allow-read",
    script.href,
    "200000",
  ]);
  assert.equal(code, 0, stderr);
  assert.match(out, /report: 17984 primes below n, 33860 below 2n/);
  assert.match(out, /same results/);
});
