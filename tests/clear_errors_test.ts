// Errors that say what went wrong and how to fix it, where braid used to
// give a bare message, hang or stay silent.
import assert from "node:assert/strict";
import { Builder, config, MissingInputError, node } from "../mod.ts";

Deno.test("a needed node whose config variants all fail to match says so, naming the config", async () => {
  const dr = await new Builder()
    .withModules({
      fx_rate__us: node(() => 1, config.when({ region: "US" })),
      fx_rate__jp: node(() => 150, config.when({ region: "JP" })),
      price: ({ fx_rate }: { fx_rate: number }) => 10 * fx_rate,
    })
    .withConfig({ region: "EU" })
    .build();
  const error = await dr.execute(["price"]).then(
    () => assert.fail("expected a MissingInputError"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof MissingInputError);
  assert.match(
    error.message,
    /no variant of "fx_rate" matches config \{ region: "EU" \} \(needed by "price"\)/,
  );
  assert.deepEqual(error.missing, [{
    name: "fx_rate",
    neededBy: ["price"],
    noVariantFor: '{ region: "EU" }',
  }]);
});

Deno.test("an input no variant defines is still reported as not provided", async () => {
  const dr = await new Builder()
    .withModules({
      fx_rate__us: node(() => 1, config.when({ region: "US" })),
      price: ({ fx_rate, qty }: { fx_rate: number; qty: number }) =>
        qty * fx_rate,
    })
    .withConfig({ region: "US" })
    .build();
  await assert.rejects(
    dr.execute(["price"]),
    (e: unknown) =>
      e instanceof MissingInputError &&
      /required input "qty" was not provided/.test(e.message) &&
      e.missing[0]?.noVariantFor === undefined,
  );
});

Deno.test("a variant provided as an input is no longer missing", async () => {
  const dr = await new Builder()
    .withModules({
      fx_rate__us: node(() => 1, config.when({ region: "US" })),
      price: ({ fx_rate }: { fx_rate: number }) => 10 * fx_rate,
    })
    .withConfig({ region: "EU" })
    .build();
  assert.deepEqual(
    await dr.execute(["price"], { inputs: { fx_rate: 2 } } as never),
    { price: 20 },
  );
});
