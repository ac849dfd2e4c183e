import assert from "node:assert/strict";
import { runDeno } from "./_deno.ts";

Deno.test("importing mod.ts and running both executors needs no permission", async () => {
  const script = new URL("./fixtures/no_permissions.ts", import.meta.url);
  const { code, stdout, stderr } = await runDeno([
    "run",
    "--no-prompt",
    "--quiet",
    script.href,
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), "sequential:3+30=33 async:3+30=33");
});
