import assert from "node:assert/strict";

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
