import assert from "node:assert/strict";

Deno.test("importing mod.ts and running both executors needs no permission", async () => {
  const script = new URL("./fixtures/no_permissions.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", script.href],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  assert.equal(
    new TextDecoder().decode(stdout).trim(),
    "sequential:3+30=33 async:3+30=33",
  );
});
