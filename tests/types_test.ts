// Proves with `deno check` that execute's names and result types come from the
// modules: fixtures under fixtures/types/ must pass, or must fail, type checking.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runDeno } from "./_deno.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "types");

async function check(file: string): Promise<{ ok: boolean; output: string }> {
  const { code, stdout, stderr } = await runDeno(["check", "--quiet", file]);
  return { ok: code === 0, output: stdout + stderr };
}

// deno.json excludes the failing fixtures from the project's own check; a
// copy under another name beside the original is checked instead.
async function checkFailing(
  name: string,
): Promise<{ ok: boolean; output: string }> {
  const copy = join(dir, `_probe_${name}`);
  await Deno.copyFile(join(dir, name), copy);
  try {
    return await check(copy);
  } finally {
    await Deno.remove(copy);
  }
}

Deno.test("deno check accepts typed execute() calls: known names, precise value types", async () => {
  const { ok, output } = await check(join(dir, "pass.ts"));
  assert.ok(ok, output);
});

Deno.test("deno check accepts names from named() and config variants, and positional nodes", async () => {
  const { ok, output } = await check(join(dir, "pass_names.ts"));
  assert.ok(ok, output);
});

Deno.test("deno check accepts fan-out types: one item per consumer, a list per collect", async () => {
  const { ok, output } = await check(join(dir, "pass_fan_out.ts"));
  assert.ok(ok, output);
});

Deno.test("deno check accepts typed Pipeline results: named() outputs, requested outputs, map items", async () => {
  const { ok, output } = await check(join(dir, "pass_pipeline.ts"));
  assert.ok(ok, output);
});

Deno.test("deno check accepts extractFields and unpackFields fields typed from the function's value, other names still checked, and nested pipelines' outputs typed", async () => {
  const { ok, output } = await check(join(dir, "pass_fields.ts"));
  assert.ok(ok, output);
});

Deno.test("deno check accepts inputs and overrides named as the graph's inputs and nodes, and any names where modules hide them", async () => {
  const { ok, output } = await check(join(dir, "pass_inputs.ts"));
  assert.ok(ok, output);
});

Deno.test("deno check accepts positional parameters named by params() as typed inputs and overrides, and any further names where positional names are hidden", async () => {
  const { ok, output } = await check(join(dir, "pass_positional.ts"));
  assert.ok(ok, output);
});

Deno.test("deno check accepts each hook dispatched with its own event type", async () => {
  const { ok, output } = await check(join(dir, "pass_hook_event.ts"));
  assert.ok(ok, output);
});

const failing: [string, RegExp][] = [
  [
    "fail_hook_event.ts",
    /'nonsense' does not exist in type 'MapItemEvent'/,
  ],
  [
    "fail_pipeline_type.ts",
    /Type 'number' is not assignable to type 'string'[\s\S]*Property 'cleaned' does not exist/,
  ],
  ["fail_misspelt_output.ts", /"avg_spnd"' is not assignable/],
  ["fail_wrong_type.ts", /Type 'number' is not assignable to type 'string'/],
  ["fail_private.ts", /"_helper"' is not assignable/],
  ["fail_unrequested.ts", /Property 'spend_std' does not exist/],
  [
    "fail_named_old_name.ts",
    /Type '"data"' is not assignable to type '"raw_data"'/,
  ],
  [
    "fail_param_type.ts",
    /node \\"label\\" takes \\"avg_spend\\" of another type than node \\"avg_spend\\" returns/,
  ],
  [
    "fail_collect_type.ts",
    /node \\"total\\" takes \\"size\\" of another type than node \\"size\\" returns/,
  ],
  [
    "fail_member_scalar.ts",
    /Type 'number\[\]' is not assignable to type 'number'/,
  ],
  [
    "fail_item_type.ts",
    /node \\"size\\" takes \\"items\\" of another type than node \\"items\\" returns/,
  ],
  ["fail_field_misspelt.ts", /Type '"totl"' is not assignable/],
  ["fail_field_type.ts", /Type 'string' is not assignable to type 'number'/],
  ["fail_misspelt_input.ts", /'factr' does not exist in type/],
  [
    "fail_input_type.ts",
    /Type 'string' is not assignable to type 'number \| PromiseLike<number>/,
  ],
  ["fail_misspelt_override.ts", /'rw' does not exist in type/],
  ["fail_positional_misspelt_input.ts", /'unti' does not exist in type/],
  [
    "fail_positional_input_type.ts",
    /Type 'number' is not assignable to type 'InputValue</,
  ],
  [
    "fail_hidden_input_type.ts",
    /Type 'string' is not assignable to type 'number \| PromiseLike/,
  ],
  [
    "fail_positional_param_type.ts",
    /node \\"label\\" takes \\"total\\" of another type than node \\"total\\" returns/,
  ],
];

for (const [file, expected] of failing) {
  Deno.test(`deno check rejects ${file.slice(5, -3).replaceAll("_", " ")}`, async () => {
    const { ok, output } = await checkFailing(file);
    assert.equal(ok, false, "the fixture must not type-check");
    assert.match(output, expected);
  });
}
