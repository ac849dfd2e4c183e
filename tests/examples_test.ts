import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

Deno.test("examples/pipeline.ts runs with no permissions and prints its report", async () => {
  const file = fileURLToPath(
    new URL("../examples/pipeline.ts", import.meta.url),
  );
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", file],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.match(out, /\[ "quick", "jumps", "lazy" \]/);
  assert.match(out, /1 NodeExecutionError: Node "cleaned" \(item 1\) failed/);
  assert.match(out, /per_doc: 3\/3 documents/);
  assert.match(out, /subgraph "cluster_per_doc"/);
});

Deno.test("examples/workers.ts gives the sequential results on workers", async () => {
  const script = new URL("../examples/workers.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", script.href, "200000"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.match(out, /report: 17984 primes below n, 33860 below 2n/);
  assert.match(out, /same results/);
});
