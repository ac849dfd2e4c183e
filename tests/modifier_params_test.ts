// params(): the names of a function's positional parameters, for the type
// checker; braid holds them to the function's own parameter list.
import assert from "node:assert/strict";
import { Builder, InvalidNodeError, node, params } from "../mod.ts";

function label(amount: number, ctx: { nodeName: string }, unit = "EUR") {
  return `${ctx.nodeName}: ${amount} ${unit}`;
}

Deno.test("params() naming a function's positional parameters, ctx included, leaves the node as it was", async () => {
  const dr = await new Builder().withModules({
    amount: () => 3,
    label: node(label, params("amount", "ctx", "unit")),
  }).build();
  assert.deepEqual(await dr.execute(["label"], { inputs: { unit: "USD" } }), {
    label: "label: 3 USD",
  });
  const info = dr.listAvailableVariables().find((v) => v.name === "label");
  assert.deepEqual(
    info?.inputs.map((i) => [i.name, i.optional]),
    [["amount", false], ["unit", true]],
  );
});

Deno.test("params() that differs from the function's parameters is an InvalidNodeError naming both lists", async () => {
  for (
    const names of [["amount", "units"], ["amount", "unit", "ctx"], [
      "unit",
      "ctx",
      "amount",
    ]]
  ) {
    await assert.rejects(
      new Builder().withModules({
        label: node(label, params(...names)),
      }).build(),
      (e: unknown) =>
        e instanceof InvalidNodeError && e.nodeName === "label" &&
        e.message.includes(
          `params(${
            names.map((n) => `"${n}"`).join(", ")
          }) does not match the function's parameters ("amount", "ctx", "unit")`,
        ),
      names.join(),
    );
  }
});

Deno.test("params() on a function of one object parameter is an InvalidNodeError: its keys are known", async () => {
  await assert.rejects(
    new Builder().withModules({
      f: node(({ x }: { x: number }) => x, params("x")),
    }).build(),
    (e: unknown) =>
      e instanceof InvalidNodeError && e.nodeName === "f" &&
      /takes one object: its keys are known already/.test(e.message),
  );
});

Deno.test("params() with no names, an empty name or a repeated one is a TypeError", () => {
  assert.throws(() => params(), /needs at least one parameter name/);
  assert.throws(() => params("a", ""), /must be non-empty strings/);
  assert.throws(() => params("a", "a"), /must differ/);
});
